/**
 * How durable runs persist values: a unit's output with its step's Schema (encoded to JSON) or, without a Schema, as
 * JSON when it is JSON; a failure as a JSON description of the error; a run's outputs record node by node.
 *
 * A value with no Schema that is not JSON (a Date, a Map, a class instance, `undefined` in an object, NaN) cannot be
 * stored without losing what it is, so the unit fails with `NotPersistable`, naming the step and what to declare,
 * before anything is stored or any dependant starts.
 */
import { Effect, Schema } from "effect"
import type { Graph, Node } from "../../dsl/Node.ts"
import type { Json } from "../store/RunStoreShape.ts"

/**
 * A step's output cannot be persisted: it has no output Schema and is not JSON. `path` says where in the value.
 *
 * @example
 * ```ts
 * // Step 'fetch' returned a value that a durable run cannot store: value.at is a Date. Declare `output: ...`
 * Effect.catchTag("NotPersistable", (e) => Console.error(e.message))
 * ```
 */
export class NotPersistable extends Schema.TaggedError<NotPersistable>()("NotPersistable", {
  stepId: Schema.String,
  path: Schema.String,
  message: Schema.String
}) {}

/** Where `value` stops being JSON (`value.items[2].at is a Date`), or undefined when it is JSON. */
export const nonJson = (value: unknown, path = "value", seen: Set<object> = new Set()): string | undefined => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `${path} is ${value}`
  if (value === undefined) return `${path} is undefined`
  if (typeof value !== "object") return `${path} is a ${typeof value}`
  if (seen.has(value)) return `${path} refers back to itself`
  seen.add(value)
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const bad = nonJson(value[i], `${path}[${i}]`, seen)
        if (bad !== undefined) return bad
      }
      return undefined
    }
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return `${path} is a ${value.constructor?.name ?? "class instance"}`
    for (const [key, v] of Object.entries(value)) {
      const bad = nonJson(v, /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`, seen)
      if (bad !== undefined) return bad
    }
    return undefined
  } finally {
    seen.delete(value)
  }
}

const jsonCodecs = new WeakMap<Schema.Top, Schema.Codec<unknown, unknown>>()
/** The JSON codec of a Schema (built once per Schema). */
export const jsonCodec = (schema: Schema.Top): Schema.Codec<unknown, unknown> => {
  let codec = jsonCodecs.get(schema)
  if (codec === undefined) {
    codec = Schema.toCodecJson(schema as Schema.Codec<unknown, unknown>) as Schema.Codec<unknown, unknown>
    jsonCodecs.set(schema, codec)
  }
  return codec
}

/**
 * Encodes a unit's output for the journal: with `schema` when there is one, else as JSON (or `NotPersistable`).
 *
 * @example
 * ```ts
 * yield* encodeValue("answer", Schema.String, "42") // "42"
 * ```
 */
export const encodeValue = (stepId: string, schema: Schema.Top | undefined, value: unknown): Effect.Effect<Json, NotPersistable> => {
  if (schema === undefined) {
    const bad = nonJson(value)
    return bad === undefined ? Effect.succeed(value as Json) : Effect.fail(notPersistable(stepId, bad))
  }
  return Schema.encodeUnknownEffect(jsonCodec(schema))(value).pipe(
    Effect.map((encoded) => encoded as Json),
    Effect.mapError((error) =>
      new NotPersistable({ stepId, path: "value", message: `Step '${stepId}' returned a value its output Schema cannot encode: ${error.message}` })
    )
  )
}

const notPersistable = (stepId: string, bad: string) =>
  new NotPersistable({
    stepId,
    path: bad.split(" ")[0]!,
    message: `Step '${stepId}' returned a value that a durable run cannot store: ${bad}. ` +
      `Declare \`output: <Schema>\` on the step (a Schema encodes it to JSON), or return JSON (strings, numbers, booleans, null, arrays, plain objects)`
  })

/**
 * Decodes a journaled output (with the Schema it was encoded with). A value that no longer decodes means the store
 * and the definition disagree: a defect naming the step.
 *
 * @example
 * ```ts
 * const value = yield* decodeValue("answer", Schema.String, "42")
 * ```
 */
export const decodeValue = (stepId: string, schema: Schema.Top | undefined, json: unknown): Effect.Effect<unknown> =>
  schema === undefined
    ? Effect.succeed(json)
    : Schema.decodeUnknownEffect(jsonCodec(schema))(json).pipe(
      Effect.catch((error) => Effect.die(new Error(`Journaled output of '${stepId}' does not decode with its output Schema (the definition changed?): ${error.message}`)))
    )

/**
 * A failure as the journal keeps it: the error's tag, message and JSON fields.
 *
 * @example
 * ```ts
 * encodeError(new Boom({ id: "x" })) // { _tag: "Boom", message: "", id: "x" }
 * ```
 */
export const encodeError = (error: unknown): Json => {
  if (error === null || typeof error !== "object") return nonJson(error) === undefined ? (error as Json) : String(error)
  const out: Record<string, Json> = {}
  const e = error as Record<string, unknown>
  if (typeof e["_tag"] === "string") out["_tag"] = e["_tag"]
  if (typeof e["message"] === "string") out["message"] = e["message"]
  else if (error instanceof Error) out["message"] = error.message
  if (error instanceof Error && out["_tag"] === undefined) out["name"] = error.name
  for (const [key, value] of Object.entries(e)) {
    if (key in out || key === "stack") continue
    if (nonJson(value) === undefined) out[key] = value as Json
    else if (value !== null && typeof value === "object") out[key] = encodeError(value)
  }
  return out
}

/**
 * A journaled failure, as the workflow sees it after a replay: a plain object with the original `_tag`, `message`
 * and fields (so `Effect.catchTag` still matches), and a `toString` that reads like the error.
 *
 * @example
 * ```ts
 * const error = decodeError({ _tag: "RateLimited", message: "slow down" }) // error._tag === "RateLimited"
 * ```
 */
export const decodeError = (json: unknown): unknown => {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return json
  const fields = json as Record<string, unknown>
  const error = Object.create(PersistedErrorProto) as Record<string, unknown>
  for (const [key, value] of Object.entries(fields)) {
    error[key] = value !== null && typeof value === "object" && !Array.isArray(value) && ("_tag" in value || "message" in value) ? decodeError(value) : value
  }
  return error
}

const PersistedErrorProto = {
  toString(this: Record<string, unknown>) {
    const tag = typeof this["_tag"] === "string" ? this["_tag"] : typeof this["name"] === "string" ? this["name"] : "Error"
    return typeof this["message"] === "string" && this["message"] !== "" ? `${tag}: ${this["message"]}` : tag
  }
}

/**
 * Encodes a graph's outputs record for the run index: each step with its Schema, branch and call outputs recursively.
 *
 * @example
 * ```ts
 * const json = yield* encodeOutputs(wf, outputs)
 * ```
 */
export const encodeOutputs = (graph: Graph, outputs: Record<string, unknown>): Effect.Effect<Json, NotPersistable> =>
  Effect.gen(function*() {
    const out: Record<string, Json> = {}
    for (const node of graph.nodes) {
      if (!Object.hasOwn(outputs, node.id)) continue
      out[node.id] = yield* encodeNodeValue(node, node.id, outputs[node.id])
    }
    return out
  })

const encodeNodeValue = (node: Node, path: string, value: unknown): Effect.Effect<Json, NotPersistable> => {
  switch (node.kind) {
    case "branch": {
      const { case: chosen, value: inner } = value as { case: string; value: Record<string, unknown> }
      const graph = node.cases[chosen]!
      return Effect.map(encodeOutputs(graph, inner), (encoded) => ({ case: chosen, value: encoded }))
    }
    case "call":
      return encodeOutputs(node.workflow, value as Record<string, unknown>)
    default:
      return encodeValue(path, node.output, value)
  }
}

/**
 * Decodes a run's outputs record (the inverse of {@link encodeOutputs}).
 *
 * @example
 * ```ts
 * const outputs = yield* decodeOutputs(wf, run.output)
 * ```
 */
export const decodeOutputs = (graph: Graph, json: unknown): Effect.Effect<Record<string, unknown>> =>
  Effect.gen(function*() {
    const record = json as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const node of graph.nodes) {
      if (!Object.hasOwn(record, node.id)) continue
      const value = record[node.id]
      switch (node.kind) {
        case "branch": {
          const { case: chosen, value: inner } = value as { case: string; value: unknown }
          out[node.id] = { case: chosen, value: yield* decodeOutputs(node.cases[chosen]!, inner) }
          break
        }
        case "call":
          out[node.id] = yield* decodeOutputs(node.workflow, value)
          break
        default:
          out[node.id] = yield* decodeValue(node.id, node.output, value)
      }
    }
    return out
  })

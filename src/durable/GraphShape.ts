/**
 * The structural shape of a workflow graph and its hash: for every node path, what a replay depends on (its kind, its
 * needs, the encoded form of its output, the cases of a branch, the workflow a call runs, a wait's signal). A run
 * keeps the shape it started with; resuming it with a definition whose shape differs is refused with a message that
 * names the changed step, because the journaled outputs of the old definition would be fed to the new one.
 *
 * Adding steps is compatible (they run when reached); removing, renaming or changing one is not. Code inside steps is
 * not part of the shape: `check` replays stored journals against the current definition for that.
 *
 * @example
 * ```ts
 * import { GraphShape } from "llm-orchestrator/durable"
 * const shape = GraphShape.of(wf)
 * GraphShape.changes(stored, shape) // [{ stepId: "answer", change: "needs [docs] -> [docs, code]" }]
 * ```
 */
import { Schema } from "effect"
import { createHash } from "node:crypto"
import type { Graph, Node } from "../../dsl/Node.ts"

/**
 * What a replay depends on, for one node.
 *
 * @example
 * ```ts
 * const node: GraphShape.NodeShape = { kind: "step", needs: ["docs"], output: "{\"type\":\"string\"}" }
 * ```
 */
export interface NodeShape {
  readonly kind: string
  readonly needs: ReadonlyArray<string>
  /** The JSON Schema of the persisted form of the output, when it has a Schema. */
  readonly output?: string | undefined
  readonly cases?: ReadonlyArray<string> | undefined
  readonly workflow?: string | undefined
}

/**
 * The shape of a graph: node path -> node shape (nested nodes under `branch/case/id` and `call/id`).
 *
 * @example
 * ```ts
 * const shape: GraphShape.Shape = { a: { kind: "step", needs: [] } }
 * ```
 */
export type Shape = Readonly<Record<string, NodeShape>>

const fingerprints = new WeakMap<Schema.Top, string>()
const fingerprint = (schema: Schema.Top): string => {
  let fp = fingerprints.get(schema)
  if (fp === undefined) {
    try {
      fp = JSON.stringify(Schema.toJsonSchemaDocument(schema as Schema.Constraint))
    } catch {
      fp = `ast:${schema.ast._tag}`
    }
    fingerprints.set(schema, fp)
  }
  return fp
}

const nodeShape = (node: Node): NodeShape => {
  const shape: { -readonly [K in keyof NodeShape]: NodeShape[K] } = { kind: node.kind, needs: [...node.needs] }
  if (node.output !== undefined) shape.output = fingerprint(node.output)
  if (node.kind === "branch") shape.cases = Object.keys(node.cases)
  if (node.kind === "call") shape.workflow = node.workflow.name
  return shape
}

const collect = (graph: Graph, prefix: string, into: Record<string, NodeShape>) => {
  for (const node of graph.nodes) {
    const path = prefix === "" ? node.id : `${prefix}/${node.id}`
    into[path] = nodeShape(node)
    if (node.kind === "branch") for (const [name, sub] of Object.entries(node.cases)) collect(sub, `${path}/${name}`, into)
    if (node.kind === "call") collect(node.workflow, path, into)
  }
}

/**
 * The shape of a graph.
 *
 * @example
 * ```ts
 * Object.keys(GraphShape.of(wf)) // ["embed", "docs", "route", "route/safe/publish", ...]
 * ```
 */
export const of = (graph: Graph): Shape => {
  const shape: Record<string, NodeShape> = {}
  collect(graph, "", shape)
  return shape
}

/** JSON with sorted keys, so equal shapes hash equal. */
const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(",")}]`
    : value !== null && typeof value === "object"
    ? `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`
    : JSON.stringify(value)

/**
 * The hash of a shape (hex SHA-256 of its canonical JSON).
 *
 * @example
 * ```ts
 * GraphShape.hash(GraphShape.of(wf)) // "3f2a..."
 * ```
 */
export const hash = (shape: Shape): string => createHash("sha256").update(canonical(shape)).digest("hex")

/**
 * One difference between a stored shape and the current one; `breaking` unless the step was only added.
 *
 * @example
 * ```ts
 * const c: GraphShape.Change = { stepId: "answer", change: "needs [docs] -> [docs, code]", breaking: true }
 * ```
 */
export interface Change {
  readonly stepId: string
  readonly change: string
  readonly breaking: boolean
}

const list = (xs: ReadonlyArray<string> | undefined) => `[${(xs ?? []).join(", ")}]`

/**
 * The differences from `stored` (the shape a run started with) to `current`, in path order.
 *
 * @example
 * ```ts
 * GraphShape.changes({ a: { kind: "step", needs: [] } }, {}) // [{ stepId: "a", change: "removed (or renamed)", breaking: true }]
 * ```
 */
export const changes = (stored: Shape, current: Shape): ReadonlyArray<Change> => {
  const out: Array<Change> = []
  for (const path of Object.keys(stored).sort()) {
    const before = stored[path]!
    const after = current[path]
    if (after === undefined) {
      out.push({ stepId: path, change: "removed (or renamed)", breaking: true })
      continue
    }
    const what: Array<string> = []
    if (before.kind !== after.kind) what.push(`kind ${before.kind} -> ${after.kind}`)
    if (list(before.needs) !== list(after.needs)) what.push(`needs ${list(before.needs)} -> ${list(after.needs)}`)
    if ((before.output ?? "") !== (after.output ?? "")) {
      what.push(before.output === undefined ? "output Schema added" : after.output === undefined ? "output Schema removed" : "output Schema changed")
    }
    if (list(before.cases) !== list(after.cases)) what.push(`cases ${list(before.cases)} -> ${list(after.cases)}`)
    if ((before.workflow ?? "") !== (after.workflow ?? "")) what.push(`calls ${before.workflow} -> ${after.workflow}`)
    if (what.length > 0) out.push({ stepId: path, change: what.join("; "), breaking: true })
  }
  for (const path of Object.keys(current).sort()) {
    if (stored[path] === undefined) out.push({ stepId: path, change: "added", breaking: false })
  }
  return out
}

/**
 * A sentence for a refused resume: the first breaking change, and how many more.
 *
 * @example
 * ```ts
 * GraphShape.describe(changes) // "step 'answer' changed (needs [docs] -> [docs, code]) and 1 more"
 * ```
 */
export const describe = (list: ReadonlyArray<Change>): string => {
  const breaking = list.filter((c) => c.breaking)
  if (breaking.length === 0) return "no breaking change"
  const first = breaking[0]!
  const head = first.change === "removed (or renamed)" ? `step '${first.stepId}' was removed (or renamed)` : `step '${first.stepId}' changed (${first.change})`
  return breaking.length === 1 ? head : `${head} and ${breaking.length - 1} more`
}

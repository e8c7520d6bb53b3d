/**
 * A workflow action: a named operation with typed parameters (a Schema) that a YAML `type: action` step or TypeScript
 * code calls. Parameters are decoded before the action runs; a mistake names the action and the field.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Action } from "llm-orchestrator/actions"
 * export const publish = Action.make({
 *   description: "Publish a post",
 *   params: Schema.Struct({ content: Schema.String }),
 *   run: ({ content }) => Effect.succeed({ published: true, length: content.length })
 * })
 * ```
 */
import { type Context, Effect, Layer, Schema, SchemaIssue } from "effect"
import * as CallSpans from "../telemetry/CallSpans.ts"
import type { ActionHandler } from "../yaml/interpret.ts"

/** An action's parameters did not match its schema. */
export class ActionParamsInvalid extends Schema.TaggedError<ActionParamsInvalid>()("ActionParamsInvalid", {
  action: Schema.String,
  message: Schema.String
}) {}

/** An action ran and failed (an HTTP status it did not accept, a refused path, a network error). */
export class ActionFailed extends Schema.TaggedError<ActionFailed>()("ActionFailed", {
  action: Schema.String,
  message: Schema.String,
  /** The HTTP status, for http and webhook. */
  status: Schema.optionalKey(Schema.Number),
  /** A transient failure (network, timeout, 5xx, 429) that a retry may fix. */
  retryable: Schema.Boolean
}) {}

/** An action: parameter schema, implementation, description. */
export interface Action<P = any, A = unknown, E = unknown> {
  readonly description?: string | undefined
  readonly params: Schema.Codec<P, unknown>
  readonly run: (params: P) => Effect.Effect<A, E>
}

/** Defines an action. */
export const make = <S extends Schema.Codec<any, unknown>, A, E>(action: {
  readonly description?: string | undefined
  readonly params: S
  readonly run: (params: S["Type"]) => Effect.Effect<A, E>
}): Action<S["Type"], A, E> => action

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** The problems of `params` against `action`'s schema (empty when they match), each naming the field. */
export const check = (action: Action<any, any, any>, params: unknown): ReadonlyArray<string> => {
  const r = Schema.decodeUnknownResult(action.params)(params, { errors: "all", onExcessProperty: "error" })
  if (r._tag === "Success") return []
  return formatter(r.failure.issue).issues.map((i) => {
    const path = (i.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p)).join(".")
    const message = i.message.startsWith("Unexpected key") || i.message.startsWith("Expected no excess") ? "unknown parameter" : i.message
    return path === "" ? message : `parameter "${path}": ${message}`
  })
}

/** The interpreter's handler for `action` named `name`: decodes the parameters, then runs it. */
export const toHandler = (name: string, action: Action<any, any, any>): ActionHandler => (params) =>
  Effect.flatMap(
    Effect.mapError(
      Schema.decodeUnknownEffect(action.params)(params, { errors: "all", onExcessProperty: "error" }),
      () => new ActionParamsInvalid({ action: name, message: `action "${name}": ${check(action, params).join("; ")}` })
    ),
    (p) => action.run(p)
  )

/** Whether `value` looks like an action (for modules loaded with `--actions`). */
export const isAction = (value: unknown): value is Action<any, any, any> =>
  value !== null && typeof value === "object" && "params" in value && "run" in value && typeof (value as Action<any, any, any>).run === "function"

/**
 * The parameter type of an action: generated code (`codegen --actions`) types an action step's call with it, so `tsc`
 * rejects an unknown, missing or wrongly typed parameter of the YAML step.
 *
 * @example
 * ```ts
 * type P = Action.Params<typeof publish> // { readonly content: string }
 * ```
 */
export type Params<A> = A extends Action<infer P, any, any> ? P : never

/**
 * The layer serving a generated action class (`PublishAction` in a module from `codegen --actions`) with `action`:
 * parameters are decoded with its Schema before it runs, a mismatch fails with `ActionParamsInvalid` naming the field.
 * Each call is an `execute_tool {name}` span when tracing is on.
 *
 * @example
 * ```ts
 * const PublishLive = Action.layer(PublishAction, "publish", actions.publish)
 * ```
 */
export const layer = <I, P>(
  tag: Context.Key<I, { readonly run: (params: P) => Effect.Effect<unknown, unknown> }>,
  name: string,
  action: Action<P, any, any>
): Layer.Layer<I> => {
  const handler = toHandler(name, action)
  const span = CallSpans.action(name)
  return Layer.succeed(tag, { run: ((params: Readonly<Record<string, unknown>>) => span(handler(params))) as (params: P) => Effect.Effect<unknown, unknown> })
}

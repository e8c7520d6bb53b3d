/**
 * Errors raised by the DSL itself (definition problems found at run time) and by its step options.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workflow } from "llm-orchestrator/dsl"
 * // A record-form workflow whose needs form a cycle fails to build with WorkflowDefinitionError:
 * // "Cycle: a -> b -> a"
 * ```
 */
import { Schema } from "effect"

/**
 * The workflow's shape is wrong (unknown need, duplicate id, cycle...). `path` names the offending node or cycle.
 *
 * @example
 * ```ts
 * Workflow.run(wf, input).pipe(Effect.catchTag("WorkflowDefinitionError", (e) => Effect.logError(e.message)))
 * ```
 */
export class WorkflowDefinitionError extends Schema.TaggedError<WorkflowDefinitionError>()("WorkflowDefinitionError", {
  workflow: Schema.String,
  stepId: Schema.optionalKey(Schema.String),
  message: Schema.String
}) {}

/**
 * One attempt of a step ran past its `timeout`.
 *
 * @example
 * ```ts
 * wf.step("answer", { timeout: "10 seconds", retry: { times: 2, while: (e) => e instanceof StepTimeout } }, run)
 * ```
 */
export class StepTimeout extends Schema.TaggedError<StepTimeout>()("StepTimeout", {
  stepId: Schema.String,
  timeoutMillis: Schema.Number,
  message: Schema.String
}) {}

/**
 * A loop declared with `onMaxIterations: "fail"` reached `maxIterations` without its `until` holding.
 *
 * @example
 * ```ts
 * Workflow.run(wf, input).pipe(Effect.catchTag("LoopMaxIterations", (e) => Effect.succeed(e.lastState)))
 * ```
 */
export class LoopMaxIterations extends Schema.TaggedError<LoopMaxIterations>()("LoopMaxIterations", {
  stepId: Schema.String,
  maxIterations: Schema.Number,
  lastState: Schema.Unknown,
  message: Schema.String
}) {}

/**
 * A step's output did not satisfy its declared output Schema.
 *
 * @example
 * ```ts
 * new StepOutputError({ stepId: "label", message: "Expected \"positive\" | \"negative\", got \"maybe\"" })
 * ```
 */
export class StepOutputError extends Schema.TaggedError<StepOutputError>()("StepOutputError", {
  stepId: Schema.String,
  message: Schema.String
}) {}

/**
 * A branch's `on` returned a value that names no case (only possible from untyped code, e.g. YAML at run time).
 *
 * @example
 * ```ts
 * new UnknownBranchCase({ stepId: "route", value: "maybe", cases: ["safe", "unsafe"], message: "no case \"maybe\"" })
 * ```
 */
export class UnknownBranchCase extends Schema.TaggedError<UnknownBranchCase>()("UnknownBranchCase", {
  stepId: Schema.String,
  value: Schema.String,
  cases: Schema.Array(Schema.String),
  message: Schema.String
}) {}

/**
 * A `wait` step's deadline passed before its signal arrived.
 *
 * @example
 * ```ts
 * wf.wait("approve", { signal: Approval, timeout: "2 days" })
 * // ... Effect.catchTag("WaitTimedOut", (e) => Effect.logWarning(`${e.stepId}: no answer after ${e.timeoutMillis} ms`))
 * ```
 */
export class WaitTimedOut extends Schema.TaggedError<WaitTimedOut>()("WaitTimedOut", {
  stepId: Schema.String,
  timeoutMillis: Schema.Number,
  message: Schema.String
}) {}

/**
 * A `wait` step ran where nothing can deliver its signal: an in-memory run without a value for it in the `signals`
 * option. Durable runs (`Durable.start`) receive signals from `Durable.signal` or the CLI's `signal` command.
 *
 * @example
 * ```ts
 * Workflow.run(wf, input, { signals: { approve: { approved: true } } }) // gives the wait its value in memory
 * ```
 */
export class NoSignal extends Schema.TaggedError<NoSignal>()("NoSignal", {
  stepId: Schema.String,
  message: Schema.String
}) {}

/**
 * A signal did not decode with its `wait` step's Schema; `issues` name each bad field.
 *
 * @example
 * ```ts
 * Effect.catchTag("SignalInvalid", (e) => Console.error(e.issues.map((i) => `${i.path}: ${i.message}`).join("\n")))
 * ```
 */
export class SignalInvalid extends Schema.TaggedError<SignalInvalid>()("SignalInvalid", {
  stepId: Schema.String,
  issues: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String })),
  message: Schema.String
}) {}

/**
 * Errors of durable runs, besides the engine's own (`StepFailed`, `WorkflowInputError`) and the store's
 * (`RunStoreError`, `RunNotFound`, `InvalidTransition`, `AlreadySignalled`).
 *
 * @example
 * ```ts
 * Durable.start(wf, input).pipe(Effect.catchTag("NotDurable", (e) => Console.error(e.message)))
 * ```
 */
import { Schema } from "effect"

/**
 * The workflow cannot run durably; refused before the run starts. `problems` name each step and the fix.
 *
 * @example
 * ```ts
 * // NotDurable: workflow 'rag' cannot run durably: step 'a#1': ids of durable steps cannot contain '#' ...
 * ```
 */
export class NotDurable extends Schema.TaggedError<NotDurable>()("NotDurable", {
  workflow: Schema.String,
  problems: Schema.Array(Schema.Struct({ stepId: Schema.String, message: Schema.String })),
  message: Schema.String
}) {}

/**
 * A run was cancelled (`Durable.cancel`, the CLI's `cancel`): what awaiting it fails with.
 *
 * @example
 * ```ts
 * Durable.result(wf, runId).pipe(Effect.catchTag("RunCancelled", () => Effect.succeed(undefined)))
 * ```
 */
export class RunCancelled extends Schema.TaggedError<RunCancelled>()("RunCancelled", {
  runId: Schema.String,
  message: Schema.String
}) {}

/**
 * A durable run failed; `error` is its persisted failure (a `StepFailed` as JSON: `_tag`, `stepId`, `attempt`,
 * `message`, and the step's own `error` with its `_tag` and fields).
 *
 * @example
 * ```ts
 * Effect.catchTag("DurableRunFailed", (e) => Console.error(e.message))
 * ```
 */
export class DurableRunFailed extends Schema.TaggedError<DurableRunFailed>()("DurableRunFailed", {
  runId: Schema.String,
  error: Schema.Unknown,
  message: Schema.String
}) {}

/**
 * The run's workflow definition changed since the run started, in a way its journal cannot be replayed on; resuming
 * is refused unless forced (`resume --force`). `changes` names the steps.
 *
 * @example
 * ```ts
 * // DefinitionChanged: run 'r1' of 'rag' cannot resume: step 'answer' changed (needs [docs] -> [docs, code])
 * ```
 */
export class DefinitionChanged extends Schema.TaggedError<DefinitionChanged>()("DefinitionChanged", {
  runId: Schema.String,
  workflow: Schema.String,
  changes: Schema.Array(Schema.Struct({ stepId: Schema.String, change: Schema.String })),
  message: Schema.String
}) {}

/**
 * No definition of the run's workflow is known in this process (register it with `Durable.register`, or run the CLI
 * on its YAML file).
 *
 * @example
 * ```ts
 * new WorkflowNotRegistered({ workflow: "rag", message: "workflow 'rag' is not registered in this process" })
 * ```
 */
export class WorkflowNotRegistered extends Schema.TaggedError<WorkflowNotRegistered>()("WorkflowNotRegistered", {
  workflow: Schema.String,
  message: Schema.String
}) {}

/**
 * A signal names a step that is not a wait step of the run's workflow.
 *
 * @example
 * ```ts
 * // NotAWait: run 'r1' has no wait step 'aprove' (its wait steps: approve)
 * ```
 */
export class NotAWait extends Schema.TaggedError<NotAWait>()("NotAWait", {
  runId: Schema.String,
  stepId: Schema.String,
  waits: Schema.Array(Schema.String),
  message: Schema.String
}) {}

/**
 * The run is finished: it takes no signal, cancel or resume any more.
 *
 * @example
 * ```ts
 * new RunFinished({ runId: "r1", status: "succeeded", message: "run 'r1' already succeeded" })
 * ```
 */
export class RunFinished extends Schema.TaggedError<RunFinished>()("RunFinished", {
  runId: Schema.String,
  status: Schema.String,
  message: Schema.String
}) {}

/**
 * The store could not be opened or reached (a corrupt or locked SQLite file, an unreachable Postgres server), after
 * retrying. `store` is the store as given (`sqlite:runs.db`, `postgres://host/db` without the password).
 *
 * @example
 * ```ts
 * Effect.catchTag("StoreUnavailable", (e) => Console.error(e.message))
 * ```
 */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  store: Schema.String,
  message: Schema.String
}) {}

/**
 * This process was asked to be the runner, but another live process is (one runner per store).
 *
 * @example
 * ```ts
 * // RunnerActive: another process (pid 4242 on host-a, since 10:02:11) runs the workflows of sqlite:runs.db
 * ```
 */
export class RunnerActive extends Schema.TaggedError<RunnerActive>()("RunnerActive", {
  store: Schema.String,
  pid: Schema.Number,
  host: Schema.String,
  message: Schema.String
}) {}

/**
 * A rerun names a step the run does not have.
 *
 * @example
 * ```ts
 * new UnknownStep({ runId: "r1", stepId: "answr", message: "run 'r1' has no step 'answr' (steps: embed, answer)" })
 * ```
 */
export class UnknownStep extends Schema.TaggedError<UnknownStep>()("UnknownStep", {
  runId: Schema.String,
  stepId: Schema.String,
  message: Schema.String
}) {}

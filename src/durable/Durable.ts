/**
 * Durable runs of typed workflows: the same workflow value as `Workflow.run`, checkpointed step by step in a store, so
 * a run survives crashes and restarts, waits for people, and can be cancelled, inspected and re-run from any process.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Durable, DurableRuns } from "llm-orchestrator/durable"
 *
 * const program = Effect.gen(function*() {
 *   const run = yield* Durable.start(review, { text })        // durable once this returns
 *   yield* Durable.signal(review, run.runId, "approve", { approved: true, note: "ship it" }) // type-checked
 *   return yield* Durable.result(review, run.runId)             // the typed outputs
 * }).pipe(Effect.provide(DurableRuns.layer({ store: "sqlite:.llm-orchestrator/runs.db" })))
 * ```
 *
 * Guarantees: each unit of work (a step with its retries, a map item, a loop iteration) runs at least once and, once
 * finished, never again; its output is stored before anything that needs it starts; a unit that was in flight when
 * the process died runs again (with the same `idempotencyKey`).
 */
import { Effect } from "effect"
import type {
  Any,
  EncodedInputOf,
  OutputsOf,
  RequirementsOf,
  SignalOf,
  WaitIdsOf
} from "../../dsl/Workflow.ts"
import type { SignalInvalid } from "../../dsl/errors.ts"
import type { WorkflowInputError } from "../engine/errors.ts"
import type { AlreadySignalled, RunNotFound, RunRecord, RunStoreError } from "../store/RunStoreShape.ts"
import { decodeError, decodeOutputs, encodeValue } from "./codec.ts"
import { DurableRuns, type StartOptions } from "./DurableRuns.ts"
import { DurableRunFailed, type NotAWait, type NotDurable, RunCancelled, type RunFinished, type WorkflowNotRegistered } from "./errors.ts"
import type { Persistable } from "./Persistable.ts"
import { isCancellation } from "./RunWorkflow.ts"

export type { Persistable, Problems } from "./Persistable.ts"

export { idempotencyKey, StepContext, type StepInfo } from "./StepContext.ts"
export type { StartOptions } from "./DurableRuns.ts"

/**
 * A started run of workflow `W`.
 *
 * @example
 * ```ts
 * const run: Durable.DurableRun<typeof review> = yield* Durable.start(review, { text })
 * run.runId
 * ```
 */
export interface DurableRun<W> extends RunRecord {
  readonly _W?: (_: W) => W
}

/**
 * Starts a durable run of `workflow` and returns it once it is stored (a crash after this loses nothing). The
 * workflow is registered with the services of the caller (its steps run with them). A workflow with a step whose
 * output type cannot be stored (no output Schema, and not JSON: a function, a Date, ...) does not compile (see
 * `Persistable`); one that cannot run durably otherwise is refused with `NotDurable`; a bad input with
 * `WorkflowInputError`, before anything is stored.
 *
 * @example
 * ```ts
 * const run = yield* Durable.start(rag, { query: "what is effect?" }, { idempotencyKey: "ticket-42" })
 * ```
 */
export const start = <W extends Any>(
  workflow: Persistable<W>,
  input: EncodedInputOf<W>,
  options?: StartOptions
): Effect.Effect<DurableRun<W>, NotDurable | WorkflowInputError | RunStoreError, DurableRuns | RequirementsOf<W>> =>
  Effect.flatMap(DurableRuns, (runs) => runs.start(workflow as W, input, options)) as Effect.Effect<DurableRun<W>, NotDurable | WorkflowInputError | RunStoreError, DurableRuns | RequirementsOf<W>>

/**
 * The errors of awaiting a durable run: its failure (`DurableRunFailed`, with the persisted `StepFailed`), its
 * cancellation, or the store's.
 *
 * @example
 * ```ts
 * const handled = Durable.result(wf, id).pipe(Effect.catchTag("RunCancelled", () => Effect.succeed(undefined)))
 * ```
 */
export type ResultError = DurableRunFailed | RunCancelled | RunNotFound | RunStoreError

/**
 * Waits for run `runId` of `workflow` to finish and returns its typed outputs.
 *
 * @example
 * ```ts
 * const outputs = yield* Durable.result(rag, run.runId)
 * outputs.answer
 * ```
 */
export const result = <W extends Any>(workflow: W, runId: string): Effect.Effect<OutputsOf<W>, ResultError, DurableRuns> =>
  Effect.gen(function*() {
    const runs = yield* DurableRuns
    const run = yield* runs.await(runId)
    if (run.status === "succeeded") return (yield* decodeOutputs(workflow, run.output)) as OutputsOf<W>
    if (run.status === "cancelled" || isCancellation(run.error)) {
      return yield* new RunCancelled({ runId, message: `Run '${runId}' was cancelled` })
    }
    const error = decodeError(run.error)
    const message = typeof (error as { message?: unknown })?.message === "string" ? (error as { message: string }).message : String(error)
    return yield* new DurableRunFailed({ runId, error, message: `Run '${runId}' failed: ${message}` })
  })

/**
 * Starts a durable run and waits for its outputs (`start` then `result`).
 *
 * @example
 * ```ts
 * const outputs = yield* Durable.run(rag, { query: "hi" })
 * ```
 */
export const run = <W extends Any>(
  workflow: Persistable<W>,
  input: EncodedInputOf<W>,
  options?: StartOptions
): Effect.Effect<OutputsOf<W>, NotDurable | WorkflowInputError | ResultError, DurableRuns | RequirementsOf<W>> =>
  Effect.flatMap(start<W>(workflow, input, options), (started) => result(workflow as W, started.runId))

/**
 * Delivers the value of wait step `stepId` of a run of `workflow`; both are checked by the compiler against the
 * workflow's `wait` steps. A run may be suspended on it, or not have reached it yet (the value is kept for it).
 *
 * @example
 * ```ts
 * yield* Durable.signal(review, runId, "approve", { approved: true, note: "ship it" })
 * ```
 */
export const signal = <W extends Any, const Id extends WaitIdsOf<W>>(
  workflow: W,
  runId: string,
  stepId: Id,
  value: SignalOf<W, Id>
): Effect.Effect<void, SignalError, DurableRuns> =>
  Effect.gen(function*() {
    const runs = yield* DurableRuns
    const node = workflow.nodes.find((n) => n.id === stepId)
    // Typed callers give the value; it travels encoded (as JSON), like a signal from the CLI.
    const encoded = node?.kind === "wait" ? yield* Effect.orDie(encodeValue(stepId, node.signal, value)) : value
    return yield* runs.signal(runId, stepId, encoded)
  })

/**
 * The errors of a signal.
 *
 * @example
 * ```ts
 * Durable.signal(wf, id, "approve", v).pipe(Effect.catchTag("SignalInvalid", (e) => Console.error(e.issues)))
 * ```
 */
export type SignalError = RunNotFound | RunFinished | NotAWait | SignalInvalid | AlreadySignalled | WorkflowNotRegistered | RunStoreError

/**
 * Cancels run `runId` (see `DurableRuns.cancel`).
 *
 * @example
 * ```ts
 * yield* Durable.cancel(runId)
 * ```
 */
export const cancel = (runId: string) => Effect.flatMap(DurableRuns, (runs) => runs.cancel(runId))

/**
 * The run `runId` with its units of work and waits.
 *
 * @example
 * ```ts
 * const { run, steps } = yield* Durable.status(runId)
 * ```
 */
export const status = (runId: string) => Effect.flatMap(DurableRuns, (runs) => runs.get(runId))

/**
 * Registers `workflow` for durable runs in this process, with the caller's services (runs of it that were waiting for
 * the definition go on).
 *
 * @example
 * ```ts
 * yield* Durable.register(rag).pipe(Effect.provide(OpenAiLive))
 * ```
 */
export const register = <W extends Any>(workflow: Persistable<W>): Effect.Effect<void, NotDurable, DurableRuns | RequirementsOf<W>> =>
  Effect.flatMap(DurableRuns, (runs) => Effect.asVoid(runs.register(workflow as W))) as Effect.Effect<void, NotDurable, DurableRuns | RequirementsOf<W>>

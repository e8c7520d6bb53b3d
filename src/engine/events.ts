/**
 * What a run reports while it goes: one event per state change, in order. A progress view, a log or a test reads them
 * through `Workflow.events` (a Stream) or the `onEvent` option of `Workflow.execute`.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Workflow } from "llm-orchestrator"
 * const tags = Workflow.events(wf, input).pipe(Stream.map((e) => `${e._tag} ${"stepId" in e ? e.stepId : ""}`))
 * ```
 */
import type { ReliabilityEvent } from "../reliability/ReliabilityEvent.ts"

interface Base {
  readonly runId: string
  readonly workflow: string
  /** Milliseconds since the epoch, from the run's Clock (so TestClock drives it in tests). */
  readonly at: number
}

/**
 * The run decoded its input and starts its first steps.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { onEvent: (e) => { if (e._tag === "RunStarted") console.log("run", e.runId) } })
 * ```
 */
export interface RunStarted extends Base {
  readonly _tag: "RunStarted"
}
/**
 * A step (or branch, map, loop, call) starts its first attempt. `stepId` is its path.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { onEvent: (e) => { if (e._tag === "StepStarted") console.log("start", e.stepId, e.kind) } })
 * ```
 */
export interface StepStarted extends Base {
  readonly _tag: "StepStarted"
  readonly stepId: string
  readonly kind: string
}
/**
 * A step failed an attempt and is about to run it again.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { onEvent: (e) => { if (e._tag === "StepRetrying") console.log(e.stepId, "attempt", e.attempt, e.error) } })
 * ```
 */
export interface StepRetrying extends Base {
  readonly _tag: "StepRetrying"
  readonly stepId: string
  /** The attempt about to start (2 for the first retry). */
  readonly attempt: number
  readonly error: string
}
/**
 * A step produced its output.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { onEvent: (e) => { if (e._tag === "StepSucceeded") console.log(e.stepId, `${e.durationMillis}ms`) } })
 * ```
 */
export interface StepSucceeded extends Base {
  readonly _tag: "StepSucceeded"
  readonly stepId: string
  readonly attempts: number
  readonly durationMillis: number
}
/**
 * A step failed for good (after its retries) or was interrupted.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { onEvent: (e) => { if (e._tag === "StepFailed" && !e.interrupted) console.error(e.stepId, e.error) } })
 * ```
 */
export interface StepFailedEvent extends Base {
  readonly _tag: "StepFailed"
  readonly stepId: string
  readonly attempts: number
  readonly durationMillis: number
  readonly error: string
  readonly interrupted: boolean
}
/**
 * A step failed for good and one of its fallbacks served it (`kind`: value, cached or workflow; `index` in its list).
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { onEvent: (e) => { if (e._tag === "StepFallback") console.warn(e.stepId, "served by", e.kind, "after", e.error) } })
 * ```
 */
export interface StepFallback extends Base {
  readonly _tag: "StepFallback"
  readonly stepId: string
  readonly kind: "value" | "cached" | "workflow"
  readonly index: number
  readonly error: string
}
/**
 * A step will not run: it belongs to a branch case that was not taken.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { onEvent: (e) => { if (e._tag === "StepSkipped") console.log("skipped", e.stepId, e.reason) } })
 * ```
 */
export interface StepSkipped extends Base {
  readonly _tag: "StepSkipped"
  readonly stepId: string
  readonly reason: string
}
/**
 * The next piece of the answer of a streaming LLM step (`stream: true` in YAML, `Llm.stream` in code), as the
 * provider writes it. The deltas of one step, joined, are its answer.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { onEvent: (e) => { if (e._tag === "StepDelta") process.stdout.write(e.text) } })
 * ```
 */
export interface StepDelta extends Base {
  readonly _tag: "StepDelta"
  readonly stepId: string
  readonly text: string
}
/**
 * Something the reliability layer did inside a step: a provider call retried, a circuit breaker rejecting a call, a
 * rate-limit wait, a failover to another provider, a response-cache hit or miss.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { onEvent: (e) => { if (e._tag === "ProviderEvent") console.log(e.stepId, e.event._tag) } })
 * ```
 */
export interface ProviderEvent extends Base {
  readonly _tag: "ProviderEvent"
  readonly stepId: string
  readonly event: ReliabilityEvent
}
/**
 * The run ended, successfully or not.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { onEvent: (e) => { if (e._tag === "RunFinished") console.log(e.status, e.durationMillis) } })
 * ```
 */
export interface RunFinished extends Base {
  readonly _tag: "RunFinished"
  readonly status: "succeeded" | "failed" | "interrupted"
  readonly durationMillis: number
  readonly error?: string | undefined
}

/**
 * Any event of a run.
 *
 * @example
 * ```ts
 * const log: Array<WorkflowEvent> = []
 * yield* Workflow.execute(wf, input, { onEvent: (e) => log.push(e) })
 * ```
 */
export type WorkflowEvent =
  | RunStarted
  | StepStarted
  | StepRetrying
  | StepSucceeded
  | StepFailedEvent
  | StepFallback
  | StepSkipped
  | StepDelta
  | ProviderEvent
  | RunFinished

/**
 * The options of one run and the state shared by every graph it runs (the top-level one and nested branch/call
 * graphs).
 */
import type { Clock, Semaphore } from "effect"
import type { WorkflowEvent } from "./events.ts"
import type { UsageSink } from "../llm/Usage.ts"
import type { Sink as ReliabilitySink } from "../reliability/ReliabilityEvent.ts"
import type { StepRecord } from "./RunResult.ts"

/**
 * Options of one run.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { concurrency: 4, runId: "run-1", onEvent: (e) => console.log(e._tag) })
 * ```
 */
export interface ExecuteOptions {
  /** Maximum number of steps (and map items, loop bodies) running at once across the whole run. */
  readonly concurrency?: number | undefined
  /** Called synchronously with every event of the run, in order. */
  readonly onEvent?: ((event: WorkflowEvent) => void) | undefined
  /** Id of the run (a random one when absent). */
  readonly runId?: string | undefined
  /** Create a span for the run and one per step; by default only when a tracer other than Effect's native one is installed. */
  readonly spans?: boolean | undefined
}

/**
 * Mutable state shared by every graph of one run (the top-level one and nested branch/call graphs).
 *
 * @example
 * ```ts
 * // built once per run by the engine (not public); nested graphs share it:
 * state.records?.["answer"]?.attempts
 * ```
 */
export interface RunState {
  readonly runId: string
  readonly workflow: string
  readonly clock: Clock.Clock
  readonly emit: ((event: WorkflowEvent) => void) | undefined
  readonly semaphore: Semaphore.Semaphore | undefined
  readonly spans: boolean
  /** Per-step records; undefined when nobody can read them (`Workflow.run` returns the outputs only). */
  readonly records: Record<string, StepRecord> | undefined
  /** The usage sink around the run. */
  readonly usageSink: UsageSink
  /** The reliability-event sink around the run. */
  readonly reliabilitySink: ReliabilitySink
}

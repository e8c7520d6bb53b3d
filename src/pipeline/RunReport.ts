/**
 * What a run did, step by step, and what it produced: built from the engine's events while the run goes, so a failed
 * or interrupted run reports as much as a successful one.
 *
 * @example
 * ```ts
 * const report = yield* Pipeline.runFile("wf.yaml", { input })
 * report.steps["summarize"]?.status // "succeeded"
 * ```
 */
import { Schema } from "effect"
import type { Spend } from "../budget/BudgetLedger.ts"
import type { WorkflowEvent } from "../engine/events.ts"

/** One step's state. */
export const StepStatus = Schema.Struct({
  stepId: Schema.String,
  status: Schema.Literals(["running", "succeeded", "failed", "skipped", "interrupted"]),
  attempts: Schema.Number,
  durationMillis: Schema.Number,
  error: Schema.optionalKey(Schema.String),
  /** Estimated cost of the step's model calls in USD (absent when it made none). */
  costUsd: Schema.optionalKey(Schema.Number)
})
export type StepStatus = typeof StepStatus.Type

/** A successful run. */
export interface RunReport {
  readonly outputs: Readonly<Record<string, unknown>>
  readonly steps: Readonly<Record<string, StepStatus>>
  readonly durationMillis: number
  /** Tokens and calls of the whole run. */
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number; readonly calls: number } | undefined
  /** Estimated cost of the whole run in USD, at the price table in use. */
  readonly costUsd?: number | undefined
  /** What the run's budget recorded, when it had one. */
  readonly budget?: Spend | undefined
}

/** Follows a run's events and keeps each step's latest state (the engine's internal `_outputs` step is left out). */
export const stepTracker = () => {
  const steps = new Map<string, StepStatus>()
  const started = Date.now()
  const onEvent = (e: WorkflowEvent): void => {
    if (!("stepId" in e) || e.stepId === "_outputs") return
    switch (e._tag) {
      case "StepStarted":
        steps.set(e.stepId, { stepId: e.stepId, status: "running", attempts: 1, durationMillis: 0 })
        break
      case "StepSucceeded":
        steps.set(e.stepId, { stepId: e.stepId, status: "succeeded", attempts: e.attempts, durationMillis: e.durationMillis })
        break
      case "StepFailed":
        steps.set(
          e.stepId,
          e.interrupted
            ? { stepId: e.stepId, status: "interrupted", attempts: e.attempts, durationMillis: e.durationMillis }
            : { stepId: e.stepId, status: "failed", attempts: e.attempts, durationMillis: e.durationMillis, error: e.error }
        )
        break
      case "StepSkipped":
        steps.set(e.stepId, { stepId: e.stepId, status: "skipped", attempts: 0, durationMillis: 0 })
        break
    }
  }
  return {
    onEvent,
    elapsed: () => Date.now() - started,
    /** The steps; with `interrupted`, steps still running are marked interrupted. */
    snapshot: (interrupted = false): Record<string, StepStatus> =>
      Object.fromEntries([...steps].map(([id, st]) =>
        [id, interrupted && st.status === "running" ? { ...st, status: "interrupted" as const, durationMillis: Date.now() - started } : st]
      ))
  }
}

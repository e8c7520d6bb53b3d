/**
 * The full result of a run: outputs plus what happened to each step.
 *
 * @example
 * ```ts
 * const result = yield* Workflow.execute(wf, input)
 * result.steps["answer"]?.attempts // 2 when the answer step was retried once
 * ```
 */

import type { Spend } from "../budget/BudgetLedger.ts"
import type { UsageTotals } from "../llm/Usage.ts"

/**
 * What happened to one step (its path is the key in `RunResult.steps`).
 *
 * @example
 * ```ts
 * const result = yield* Workflow.execute(wf, input)
 * const r: StepRecord | undefined = result.steps["answer"] // { status: "succeeded", attempts: 1, ... }
 * ```
 */
export interface StepRecord {
  readonly stepId: string
  readonly kind: string
  readonly status: "succeeded" | "failed" | "interrupted" | "skipped"
  /** Attempts made (1 when it succeeded at once; 0 for a skipped step). */
  readonly attempts: number
  readonly startedAt: number
  readonly durationMillis: number
  /** Tokens used by the LLM and embedding calls this step made (absent when it made none). */
  readonly usage?: UsageTotals | undefined
  /** Estimated cost of those calls in USD, at the price table in use (`Pricing.Prices`; absent when it made none). */
  readonly costUsd?: number | undefined
  /** Provider failovers that happened in this step, in order (absent when none). */
  readonly failovers?: ReadonlyArray<Failover> | undefined
  /** The step fallback that served the step after it failed (absent when the step itself succeeded or failed). */
  readonly fallback?: FallbackRecord | undefined
}

/**
 * Which step fallback served a step, and the error that made the step fall back.
 *
 * @example
 * ```ts
 * const result = yield* Workflow.execute(wf, input)
 * result.steps["summary"]?.fallback // { kind: "cached", index: 0, error: "StepFailed: ..." }
 * ```
 */
export interface FallbackRecord {
  readonly kind: "value" | "cached" | "workflow"
  /** Its position in the step's `fallback` list. */
  readonly index: number
  readonly error: string
}

/**
 * One provider failover: the provider that failed, the one that took over, and why.
 *
 * @example
 * ```ts
 * const result = yield* Workflow.execute(wf, input)
 * result.steps["answer"]?.failovers?.map((f) => `${f.from} -> ${f.to}`) // ["openai -> anthropic"]
 * ```
 */
export interface Failover {
  readonly from: string
  readonly to: string
  readonly error: string | undefined
}

/**
 * Outputs of a run with per-step records and the run's duration.
 *
 * @example
 * ```ts
 * const result: RunResult<Workflow.OutputsOf<typeof wf>> = yield* Workflow.execute(wf, input)
 * result.outputs.answer
 * result.usage.inputTokens + result.usage.outputTokens
 * ```
 */
export interface RunResult<Outputs, Paths extends string = string> {
  readonly runId: string
  readonly workflow: string
  readonly outputs: Outputs
  /**
   * One record per step that ran, keyed by step path (`label`, `route/bug/draft` for a step in a branch case,
   * `summary/s` for a step of a called workflow). From `Workflow.execute` the keys are the workflow's step paths
   * (`Workflow.StepPathsOf`), so a key that is not one does not compile.
   */
  readonly steps: { readonly [P in Paths]?: StepRecord }
  readonly startedAt: number
  readonly durationMillis: number
  /** Tokens used by the whole run (the sum over its steps). */
  readonly usage: UsageTotals
  /** Estimated cost of the whole run in USD, at the price table in use (`Pricing.Prices`). */
  readonly costUsd: number
  /** Models the run called that the price table does not know (they count 0 in `costUsd`); absent when none. */
  readonly unpricedModels?: ReadonlyArray<string> | undefined
  /** What the run's budget recorded, when it had one. */
  readonly budget?: Spend | undefined
}

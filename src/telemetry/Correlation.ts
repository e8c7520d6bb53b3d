/**
 * Which run and step the current fiber works for, so log lines (and anything else) can say so without a context
 * change per log call: the engine puts each step's own record here (in the same context change as its usage and
 * event sinks) when someone asked for correlation (the JSON logger's layer does), and the logger reads it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Correlation } from "llm-orchestrator/telemetry"
 * const where = Effect.withFiber((fiber) => Effect.succeed(fiber.getRef(Correlation.CurrentStep)?.stepId))
 * ```
 */
import { Context } from "effect"

/**
 * The run and step of the current fiber.
 *
 * @example
 * ```ts
 * const c: Correlation.StepCorrelation = { runId: "run-1", workflow: "rag", stepId: "answer" }
 * ```
 */
export interface StepCorrelation {
  readonly runId: string
  readonly workflow: string
  /** The step path; undefined outside a step (run start and end). */
  readonly stepId: string | undefined
}

/**
 * The current step, or undefined outside any run.
 *
 * @example
 * ```ts
 * fiber.getRef(Correlation.CurrentStep)?.runId
 * ```
 */
export const CurrentStep: Context.Reference<StepCorrelation | undefined> = Context.Reference<StepCorrelation | undefined>(
  "llm-orchestrator/telemetry/CurrentStep",
  { defaultValue: () => undefined }
)

/**
 * Whether runs record {@link CurrentStep} (default false). A per-step observer: on, every run goes through the graph
 * driver, which sees each step.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provideService(Correlation.Enabled, true))
 * ```
 */
export const Enabled: Context.Reference<boolean> = Context.Reference<boolean>("llm-orchestrator/telemetry/CorrelationEnabled", {
  defaultValue: () => false
})

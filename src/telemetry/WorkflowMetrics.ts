/**
 * Metrics of workflow runs (effect `Metric`, exported by `Prometheus` or any effect metrics backend), named by the
 * Prometheus conventions: base units in the name (`_seconds`), `_total` on counters, and only bounded labels:
 * `workflow` (a workflow's name), `step` (a step path of the workflow's static graph), `kind`, `status`, never a run
 * id. Runs record them when metrics are on (`WorkflowMetrics.Enabled`, set by `Prometheus.layerServer` and the CLI's
 * `--metrics-port`), so plain `Workflow.run` calls pay nothing.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `workflow_runs_started_total` | counter | workflow |
 * | `workflow_runs_finished_total` | counter | workflow, status |
 * | `workflow_run_duration_seconds` | histogram | workflow, status |
 * | `workflow_runs_in_flight` | gauge | workflow |
 * | `workflow_runs_suspended` | gauge | workflow |
 * | `workflow_step_duration_seconds` | histogram | workflow, step, kind, status |
 * | `workflow_step_retries_total` | counter | workflow, step |
 * | `workflow_cost_usd_total` | counter | workflow |
 * | `workflow_tokens_total` | counter | workflow, direction |
 * | `workflow_budget_exceeded_total` | counter | workflow, limit |
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { WorkflowMetrics } from "llm-orchestrator/telemetry"
 * const finished = yield* Metric.value(WorkflowMetrics.runsFinished.pipe(Metric.withAttributes({ workflow: "rag", status: "succeeded" })))
 * ```
 */
import { Context, Metric } from "effect"
import type { Names } from "./Semconv.ts"

// Seconds: from a fast in-process step to a long multi-call run.
const durationBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]

/**
 * Runs started, by `workflow`.
 *
 * @example
 * ```ts
 * Metric.value(WorkflowMetrics.runsStarted.pipe(Metric.withAttributes({ workflow: "rag" })))
 * ```
 */
export const runsStarted = Metric.counter("workflow_runs_started_total", { description: "Workflow runs started", incremental: true })

/**
 * Runs finished, by `workflow` and `status` (`succeeded`, `failed`, `interrupted`).
 *
 * @example
 * ```ts
 * Metric.value(WorkflowMetrics.runsFinished.pipe(Metric.withAttributes({ workflow: "rag", status: "failed" })))
 * ```
 */
export const runsFinished = Metric.counter("workflow_runs_finished_total", { description: "Workflow runs finished", incremental: true })

/**
 * Run duration in seconds, by `workflow` and `status`.
 *
 * @example
 * ```ts
 * Metric.value(WorkflowMetrics.runDuration.pipe(Metric.withAttributes({ workflow: "rag", status: "succeeded" })))
 * ```
 */
export const runDuration = Metric.histogram("workflow_run_duration_seconds", {
  description: "Workflow run duration (seconds)",
  boundaries: durationBoundaries
})

/**
 * Runs in progress, by `workflow`.
 *
 * @example
 * ```ts
 * Metric.value(WorkflowMetrics.runsInFlight.pipe(Metric.withAttributes({ workflow: "rag" })))
 * ```
 */
export const runsInFlight = Metric.gauge("workflow_runs_in_flight", { description: "Workflow runs in progress" })

/**
 * Runs suspended (waiting for a signal or a timer), by `workflow`; durable runs keep it.
 *
 * @example
 * ```ts
 * yield* Metric.modify(WorkflowMetrics.runsSuspended.pipe(Metric.withAttributes({ workflow: "approve" })), 1)
 * ```
 */
export const runsSuspended = Metric.gauge("workflow_runs_suspended", { description: "Workflow runs suspended" })

/**
 * Step duration in seconds, by `workflow`, `step` (its path), `kind` (step, map, loop, branch, call) and `status`.
 *
 * @example
 * ```ts
 * Metric.value(WorkflowMetrics.stepDuration.pipe(Metric.withAttributes({ workflow: "rag", step: "answer", kind: "step", status: "succeeded" })))
 * ```
 */
export const stepDuration = Metric.histogram("workflow_step_duration_seconds", {
  description: "Workflow step duration (seconds)",
  boundaries: durationBoundaries
})

/**
 * Step attempts after the first, by `workflow` and `step`.
 *
 * @example
 * ```ts
 * Metric.value(WorkflowMetrics.stepRetries.pipe(Metric.withAttributes({ workflow: "rag", step: "answer" })))
 * ```
 */
export const stepRetries = Metric.counter("workflow_step_retries_total", { description: "Workflow step retries", incremental: true })

/**
 * Estimated cost of runs in USD (at the price table in use), by `workflow`.
 *
 * @example
 * ```ts
 * Metric.value(WorkflowMetrics.cost.pipe(Metric.withAttributes({ workflow: "rag" })))
 * ```
 */
export const cost = Metric.counter("workflow_cost_usd_total", { description: "Estimated workflow cost (USD)", incremental: true })

/**
 * Tokens used by runs, by `workflow` and `direction` (`input`, `output`).
 *
 * @example
 * ```ts
 * Metric.value(WorkflowMetrics.tokens.pipe(Metric.withAttributes({ workflow: "rag", direction: "output" })))
 * ```
 */
export const tokens = Metric.counter("workflow_tokens_total", { description: "Tokens used by workflow runs", incremental: true })

/**
 * Calls refused by a budget, by `workflow` and `limit` (`usd`, `tokens`).
 *
 * @example
 * ```ts
 * Metric.value(WorkflowMetrics.budgetExceeded.pipe(Metric.withAttributes({ workflow: "rag", limit: "usd" })))
 * ```
 */
export const budgetExceeded = Metric.counter("workflow_budget_exceeded_total", {
  description: "LLM calls refused by a budget",
  incremental: true
})

/**
 * Whether runs record these metrics (default false: nobody exports them). `Prometheus.layerServer` and
 * {@link layerEnabled} turn it on.
 *
 * @example
 * ```ts
 * Workflow.run(wf, input).pipe(Effect.provideService(WorkflowMetrics.Enabled, true))
 * ```
 */
export const Enabled: Context.Reference<boolean> = Context.Reference<boolean>("llm-orchestrator/telemetry/WorkflowMetricsEnabled", {
  defaultValue: () => false
})

/**
 * The names of every metric this module defines (for dashboards and tests).
 *
 * @example
 * ```ts
 * WorkflowMetrics.names.includes("workflow_runs_started_total") // true
 * ```
 */
export const names: ReadonlyArray<string> = [
  "workflow_runs_started_total",
  "workflow_runs_finished_total",
  "workflow_run_duration_seconds",
  "workflow_runs_in_flight",
  "workflow_runs_suspended",
  "workflow_step_duration_seconds",
  "workflow_step_retries_total",
  "workflow_cost_usd_total",
  "workflow_tokens_total",
  "workflow_budget_exceeded_total"
]

type Tagged = Metric.Metric<number, unknown>

/**
 * The metrics of one workflow with their label sets built once and cached (a run touches the same few series over
 * and over; building a labelled metric costs a hash per update). Get it with {@link forWorkflow}; the engine records
 * through it.
 *
 * @example
 * ```ts
 * const m = WorkflowMetrics.forWorkflow("rag")
 * m.step("answer", "step", "succeeded").updateUnsafe(0.42, context)
 * ```
 */
export class Recorder {
  readonly started: Tagged
  readonly inFlight: Tagged
  readonly suspended: Tagged
  readonly costUsd: Tagged
  readonly inputTokens: Tagged
  readonly outputTokens: Tagged
  private readonly cache = new Map<string, Tagged>()
  constructor(readonly workflow: string) {
    const w = { workflow }
    this.started = Metric.withAttributes(runsStarted, w)
    this.inFlight = Metric.withAttributes(runsInFlight, w)
    this.suspended = Metric.withAttributes(runsSuspended, w)
    this.costUsd = Metric.withAttributes(cost, w)
    this.inputTokens = Metric.withAttributes(tokens, { workflow, direction: "input" })
    this.outputTokens = Metric.withAttributes(tokens, { workflow, direction: "output" })
  }
  private cached(key: string, make: () => Tagged): Tagged {
    let m = this.cache.get(key)
    if (m === undefined) {
      m = make()
      this.cache.set(key, m)
    }
    return m
  }
  /** `workflow_runs_finished_total` for `status`. */
  finished(status: string): Tagged {
    return this.cached(`f\0${status}`, () => Metric.withAttributes(runsFinished, { workflow: this.workflow, status }))
  }
  /** `workflow_run_duration_seconds` for `status`. */
  duration(status: string): Tagged {
    return this.cached(`d\0${status}`, () => Metric.withAttributes(runDuration, { workflow: this.workflow, status }))
  }
  /** `workflow_step_duration_seconds` for one step. */
  step(step: string, kind: string, status: string): Tagged {
    return this.cached(`s\0${step}\0${kind}\0${status}`, () =>
      Metric.withAttributes(stepDuration, { workflow: this.workflow, step, kind, status }))
  }
  /** `workflow_step_retries_total` for one step. */
  retry(step: string): Tagged {
    return this.cached(`r\0${step}`, () => Metric.withAttributes(stepRetries, { workflow: this.workflow, step }))
  }
  /** The conventions' workflow duration (`gen_ai.invoke_workflow.duration`, latest only) for one error type. */
  invokeDuration(table: Names, errorType: string | undefined): Tagged {
    const m = table.metrics.workflowDuration!
    return this.cached(`g\0${m.name}\0${errorType ?? ""}`, () => {
      const attributes: Record<string, string> = { [table.attributes.workflowName]: this.workflow }
      if (errorType !== undefined) attributes[table.attributes.errorType] = errorType
      return Metric.withAttributes(Metric.histogram(m.name, { description: m.description, boundaries: m.boundaries ?? [] }), attributes)
    })
  }
  /** `workflow_budget_exceeded_total` for one limit. */
  budget(limit: string): Tagged {
    return this.cached(`b\0${limit}`, () => Metric.withAttributes(budgetExceeded, { workflow: this.workflow, limit }))
  }
}

const recorders = new Map<string, Recorder>()

/**
 * The {@link Recorder} of workflow `name` (one per name per process).
 *
 * @example
 * ```ts
 * WorkflowMetrics.forWorkflow("rag").started
 * ```
 */
export const forWorkflow = (name: string): Recorder => {
  let r = recorders.get(name)
  if (r === undefined) {
    r = new Recorder(name)
    recorders.set(name, r)
  }
  return r
}

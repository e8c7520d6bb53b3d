/**
 * A summary of the runs in a run store over a period, per workflow: runs by status, p50/p99 duration of the finished
 * ones, tokens and cost (from the steps' usage and cost): the history a Prometheus scrape cannot give (a scrape sees
 * one process since it started; the store has every process's runs).
 *
 * @example
 * ```ts
 * import { RunSummary } from "llm-orchestrator/telemetry"
 * const summary = RunSummary.summarize(runs, (runId) => stepsOf.get(runId) ?? [])
 * console.log(RunSummary.render(summary))
 * ```
 */
import type { RunRecord, StepRow } from "../store/RunStoreShape.ts"

/**
 * One workflow's figures.
 *
 * @example
 * ```ts
 * const w: RunSummary.WorkflowSummary = summary.workflows[0]!
 * w.byStatus.failed // 3
 * ```
 */
export interface WorkflowSummary {
  readonly workflow: string
  readonly runs: number
  readonly byStatus: Readonly<Record<string, number>>
  /** Duration of the finished runs, from start (or creation) to finish, in milliseconds; undefined with none. */
  readonly p50Millis: number | undefined
  readonly p99Millis: number | undefined
  readonly inputTokens: number
  readonly outputTokens: number
  readonly calls: number
  readonly costUsd: number
}

/**
 * The summary of a set of runs.
 *
 * @example
 * ```ts
 * const { runs, workflows } = RunSummary.summarize(records, stepsOf)
 * ```
 */
export interface Summary {
  readonly runs: number
  readonly workflows: ReadonlyArray<WorkflowSummary>
  readonly costUsd: number
}

/**
 * The nearest-rank percentile `p` (0–100) of `sorted` (ascending); undefined when empty.
 *
 * @example
 * ```ts
 * RunSummary.percentile([10, 20, 30, 40], 50) // 20
 * ```
 */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number | undefined =>
  sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]

const usageOf = (json: unknown) => {
  const u = json as { inputTokens?: unknown; outputTokens?: unknown; calls?: unknown } | null | undefined
  return u === null || u === undefined || typeof u !== "object"
    ? { inputTokens: 0, outputTokens: 0, calls: 0 }
    : { inputTokens: Number(u.inputTokens ?? 0), outputTokens: Number(u.outputTokens ?? 0), calls: Number(u.calls ?? 0) }
}

/**
 * Summarises `runs`, reading each run's units of work with `stepsOf`; workflows by name.
 *
 * @example
 * ```ts
 * RunSummary.summarize([run], () => [step]).workflows[0]?.costUsd
 * ```
 */
export const summarize = (runs: ReadonlyArray<RunRecord>, stepsOf: (runId: string) => ReadonlyArray<StepRow>): Summary => {
  const groups = new Map<string, Array<RunRecord>>()
  for (const run of runs) {
    const list = groups.get(run.workflow)
    if (list === undefined) groups.set(run.workflow, [run])
    else list.push(run)
  }
  const workflows: Array<WorkflowSummary> = []
  for (const [workflow, list] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const byStatus: Record<string, number> = {}
    const durations: Array<number> = []
    let inputTokens = 0
    let outputTokens = 0
    let calls = 0
    let costUsd = 0
    for (const run of list) {
      byStatus[run.status] = (byStatus[run.status] ?? 0) + 1
      if (run.finishedAt !== undefined) durations.push(run.finishedAt - (run.startedAt ?? run.createdAt))
      for (const step of stepsOf(run.runId)) {
        const u = usageOf(step.usage)
        inputTokens += u.inputTokens
        outputTokens += u.outputTokens
        calls += u.calls
        costUsd += step.costUsd ?? 0
      }
    }
    durations.sort((a, b) => a - b)
    workflows.push({
      workflow,
      runs: list.length,
      byStatus,
      p50Millis: percentile(durations, 50),
      p99Millis: percentile(durations, 99),
      inputTokens,
      outputTokens,
      calls,
      costUsd
    })
  }
  return { runs: runs.length, workflows, costUsd: workflows.reduce((sum, w) => sum + w.costUsd, 0) }
}

const ms = (n: number | undefined) => (n === undefined ? "-" : n < 1000 ? `${Math.round(n)}ms` : `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)}s`)
const usd = (n: number) => `$${n.toFixed(n !== 0 && n < 0.01 ? 6 : 4)}`

/**
 * The summary as a table, one line per workflow, then the total.
 *
 * @example
 * ```ts
 * RunSummary.render(summary, "last 24h")
 * // workflow  runs  succeeded  failed  other  p50  p99  tokens in/out  calls  cost
 * ```
 */
export const render = (summary: Summary, period?: string | undefined): string => {
  const header = ["workflow", "runs", "succeeded", "failed", "other", "p50", "p99", "tokens in/out", "calls", "cost"]
  const rows = summary.workflows.map((w) => {
    const succeeded = w.byStatus["succeeded"] ?? 0
    const failed = w.byStatus["failed"] ?? 0
    const other = w.runs - succeeded - failed
    return [w.workflow, String(w.runs), String(succeeded), String(failed), String(other), ms(w.p50Millis), ms(w.p99Millis), `${w.inputTokens}/${w.outputTokens}`, String(w.calls), usd(w.costUsd)]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()
  const title = `${summary.runs} run${summary.runs === 1 ? "" : "s"}${period === undefined ? "" : ` (${period})`}, ${usd(summary.costUsd)}`
  if (rows.length === 0) return title
  return [title, line(header), ...rows.map(line)].join("\n")
}

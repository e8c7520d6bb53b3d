/**
 * How `status` and `list` print runs (from the local store or a server): a run with a line per unit of work (status,
 * attempts, duration, tokens, cost) and its open waits; a list as a table with a header.
 *
 * @example
 * ```ts
 * printRun(o, run, false)
 * printPage(o, page, false)
 * ```
 */
import type * as Model from "../server/Model.ts"
import type { Output } from "./Output.ts"
import { style } from "./Output.ts"

/** A cost in USD, with enough digits for small amounts. */
export const usd = (n: number): string => `$${n.toFixed(n !== 0 && n < 0.01 ? 6 : 4)}`

const duration = (millis: number | undefined) =>
  millis === undefined ? "" : millis < 1_000 ? `${millis}ms` : millis < 60_000 ? `${(millis / 1_000).toFixed(1)}s` : `${Math.floor(millis / 60_000)}m${Math.round((millis % 60_000) / 1_000)}s`

const pad = (text: string, width: number) => text + " ".repeat(Math.max(0, width - text.length))

const table = (rows: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i]!))).join("  ").trimEnd())
}

/** A run: its header line, one line per unit of work, open waits, outputs or error. */
export const printRun = (o: Output["Service"], run: Model.Run, json: boolean): void => {
  if (json) return o.out(JSON.stringify(run, null, 2))
  const s = style(o.color)
  const head = [run.runId, run.workflow, run.status]
  if (run.durationMillis !== undefined) head.push(duration(run.durationMillis))
  if (run.usage.calls > 0) head.push(`tokens ${run.usage.inputTokens}/${run.usage.outputTokens}`)
  if (run.costUsd > 0) head.push(usd(run.costUsd))
  o.out(head.join("  "))
  if (run.blocked !== undefined) o.out(`  blocked: ${run.blocked}`)
  const steps = run.steps.filter((x) => x.stepId !== "_outputs")
  if (steps.length > 0) {
    const rows = [["  STEP", "STATUS", "ATTEMPTS", "DURATION", "TOKENS", "COST"]]
    for (const step of steps) {
      rows.push([
        `  ${step.name}`,
        step.status,
        String(step.attempts),
        step.status === "running" && step.startedAt !== undefined ? `${duration(Date.now() - step.startedAt)}…` : duration(step.durationMillis),
        step.usage ? `${step.usage.inputTokens}/${step.usage.outputTokens}` : "",
        step.costUsd !== undefined ? usd(step.costUsd) : ""
      ])
    }
    for (const line of table(rows)) {
      o.out(line.replace(/ (succeeded) /, ` ${s.green("$1")} `).replace(/ (failed) /, ` ${s.red("$1")} `))
    }
  }
  for (const w of run.waits.filter((w) => !w.signalled && !w.timedOut)) {
    o.out(`  waiting at ${w.stepId}: llm-orchestrator signal ${run.runId} ${w.stepId} --value '<json>'`)
  }
  if (run.output !== undefined) o.out(JSON.stringify(run.output, null, 2))
  if (run.error !== undefined) o.err(`error: ${JSON.stringify(run.error)}`)
}

/** A page of runs as a table (newest first). */
export const printPage = (o: Output["Service"], page: Model.RunPage, json: boolean): void => {
  if (json) return o.out(JSON.stringify(page, null, 2))
  if (page.runs.length === 0) return o.out("no runs")
  const rows = [["RUN", "WORKFLOW", "STATUS", "CREATED", "DURATION"]]
  for (const r of page.runs) {
    rows.push([r.runId, r.workflow, r.status, new Date(r.createdAt).toISOString().replace("T", " ").slice(0, 19), duration(r.durationMillis)])
  }
  for (const line of table(rows)) o.out(line)
}

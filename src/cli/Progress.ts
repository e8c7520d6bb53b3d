/**
 * Run progress from engine events: on a TTY a live block with one line per step (state and time) redrawn in place;
 * otherwise one plain line per finished step; nothing at all with --json.
 *
 * @example
 * ```ts
 * const onEvent = progress(output, "plain")
 * ```
 */
import type { WorkflowEvent } from "../engine/events.ts"
import { type OutputShape, style } from "./Output.ts"

export type ProgressMode = "live" | "plain" | "none"

const hidden = (id: string) => id === "_outputs"

export interface Progress {
  readonly onEvent: (e: WorkflowEvent) => void
  /** Prints a line (a log action's output) without breaking the live block. */
  readonly log: (line: string) => void
}

export const progress = (o: OutputShape, mode: ProgressMode): Progress => {
  const s = style(o.color)
  if (mode === "none") return { onEvent: () => {}, log: (line) => o.err(line) }
  if (mode === "plain") {
    const onEvent = (e: WorkflowEvent) => {
      if (!("stepId" in e) || hidden(e.stepId)) return
      switch (e._tag) {
        case "StepSucceeded":
          o.out(`${s.green("ok")}      ${e.stepId} (${e.durationMillis}ms${e.attempts > 1 ? `, ${e.attempts} attempts` : ""})`)
          break
        case "StepFailed":
          o.out(`${s.red("failed")}  ${e.stepId} (${e.durationMillis}ms): ${e.error}`)
          break
        case "StepSkipped":
          o.out(`${s.dim("skipped")} ${e.stepId}`)
          break
        case "StepRetrying":
          o.out(`${s.yellow("retry")}   ${e.stepId} attempt ${e.attempt}: ${e.error}`)
          break
      }
    }
    return { onEvent, log: (line) => o.out(`${s.dim("log")}     ${line}`) }
  }
  const order: Array<string> = []
  const lines = new Map<string, string>()
  let drawn = 0
  const started = new Map<string, number>()
  const draw = (above?: string) => {
    const text = order.map((id) => lines.get(id)!).join("\n")
    const clear = drawn > 0 ? `\u001b[${drawn}A\u001b[J` : ""
    o.out(`${clear}${above === undefined ? "" : `${above}\n`}${text}`)
    drawn = order.length
  }
  const onEvent = (e: WorkflowEvent) => {
    if (!("stepId" in e) || hidden(e.stepId)) return
    if (!lines.has(e.stepId)) order.push(e.stepId)
    switch (e._tag) {
      case "StepStarted":
        started.set(e.stepId, e.at)
        lines.set(e.stepId, `${s.yellow("…")} ${e.stepId} ${s.dim("running")}`)
        break
      case "StepRetrying":
        lines.set(e.stepId, `${s.yellow("↻")} ${e.stepId} ${s.dim(`retrying (attempt ${e.attempt})`)}`)
        break
      case "StepSucceeded":
        lines.set(e.stepId, `${s.green("✓")} ${e.stepId} ${s.dim(`${e.durationMillis}ms`)}`)
        break
      case "StepFailed":
        lines.set(e.stepId, `${s.red("✗")} ${e.stepId} ${s.dim(`${e.durationMillis}ms`)} ${e.error}`)
        break
      case "StepSkipped":
        lines.set(e.stepId, `${s.dim(`- ${e.stepId} skipped`)}`)
        break
    }
    draw()
  }
  // A log line goes above the block: clear the block, print the line, draw the block again below it.
  return { onEvent, log: (line) => (order.length === 0 ? o.out(`${s.dim("log")} ${line}`) : draw(`${s.dim("log")} ${line}`)) }
}

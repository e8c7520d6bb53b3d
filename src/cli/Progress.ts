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

export const progress = (o: OutputShape, mode: ProgressMode): (e: WorkflowEvent) => void => {
  const s = style(o.color)
  if (mode === "none") return () => {}
  if (mode === "plain") {
    return (e) => {
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
  }
  const order: Array<string> = []
  const lines = new Map<string, string>()
  let drawn = 0
  const started = new Map<string, number>()
  const draw = () => {
    const text = order.map((id) => lines.get(id)!).join("\n")
    o.out(`${drawn > 0 ? `\u001b[${drawn}A\u001b[J` : ""}${text}`)
    drawn = order.length
  }
  return (e) => {
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
}

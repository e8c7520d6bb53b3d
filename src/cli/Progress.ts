/**
 * Run progress from engine events. On a TTY: one line per finished step (state and time), with the running steps in a
 * live block below them, redrawn in place. Otherwise: one plain line per finished step. With --json: nothing.
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

/** Builds the event handler and log line writer of a run for the given progress mode (tty, plain or none). */
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
  // Finished steps are printed once, above a live block that holds only the running steps: every step ends up with one
  // line (state and time), and a redraw costs the number of running steps, not of all steps.
  const running: Array<string> = []
  const lines = new Map<string, string>()
  let drawn = 0
  const redraw = (done: ReadonlyArray<string>) => {
    const clear = drawn > 0 ? `\u001b[${drawn}A\u001b[J` : ""
    const block = running.map((id) => lines.get(id)!)
    const text = [...done, ...block].join("\n")
    if (clear === "" && text === "") return
    o.out(`${clear}${text}`)
    drawn = block.length
  }
  const finish = (id: string, line: string) => {
    const i = running.indexOf(id)
    if (i >= 0) running.splice(i, 1)
    lines.delete(id)
    redraw([line])
  }
  const onEvent = (e: WorkflowEvent) => {
    if (!("stepId" in e) || hidden(e.stepId)) return
    switch (e._tag) {
      case "StepStarted":
        running.push(e.stepId)
        lines.set(e.stepId, `${s.yellow("…")} ${e.stepId} ${s.dim("running")}`)
        return redraw([])
      case "StepRetrying":
        lines.set(e.stepId, `${s.yellow("↻")} ${e.stepId} ${s.dim(`retrying (attempt ${e.attempt})`)}`)
        return redraw([])
      case "StepSucceeded":
        return finish(e.stepId, `${s.green("✓")} ${e.stepId} ${s.dim(`${e.durationMillis}ms`)}`)
      case "StepFailed":
        return finish(e.stepId, `${s.red("✗")} ${e.stepId} ${s.dim(`${e.durationMillis}ms`)} ${e.error}`)
      case "StepSkipped":
        return finish(e.stepId, s.dim(`- ${e.stepId} skipped`))
    }
  }
  // A log line goes above the live block, like a finished step.
  return { onEvent, log: (line) => redraw([`${s.dim("log")} ${line}`]) }
}

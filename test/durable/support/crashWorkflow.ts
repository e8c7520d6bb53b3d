/**
 * The workflow of the crash tests: five steps (a -> b, c -> d -> e), each logging its start and end to a side-effect
 * log that survives `kill -9` (an append to a file reaches the kernel before the step returns).
 */
import { Effect, Schema } from "effect"
import { appendFileSync } from "node:fs"
import type { Workflow as WorkflowNamespace } from "../../../src/index.ts"

/** The needs of each step, for the analysis of the log. */
export const needs: Readonly<Record<string, ReadonlyArray<string>>> = { a: [], b: ["a"], c: ["a"], d: ["b", "c"], e: ["d"] }

/** A deterministic pause per (run, step), 5-35 ms: the runs interleave, and kills land inside steps. */
const pause = (i: number, name: string) => 5 + ((i * 7919 + name.charCodeAt(0) * 104729) % 31)

/**
 * The workflow, built with `Workflow` (the source's, or the built package's when the worker runs on dist/: a type-only
 * import here, so loading this file loads neither).
 */
export const crashWorkflow = (log: string, Workflow: typeof WorkflowNamespace) => {
  const step = <A>(name: string, i: number, compute: () => A) =>
    Effect.gen(function*() {
      // The last field: this process's CPU time so far (ms), so a restart's resume is measured in CPU too.
      const cpu = process.cpuUsage()
      appendFileSync(log, `start ${i} ${name} ${process.pid} ${Date.now()} ${Math.round((cpu.user + cpu.system) / 1000)}\n`)
      yield* Effect.sleep(`${pause(i, name)} millis`)
      const value = compute()
      appendFileSync(log, `end ${i} ${name} ${process.pid} ${Date.now()}\n`)
      return value
    })
  return Workflow.make("crash5", { input: Schema.Struct({ i: Schema.Number }) })
    .step("a", (ctx) => step("a", ctx.input.i, () => ctx.input.i + 1))
    .step("b", { needs: ["a"] }, (ctx) => step("b", ctx.input.i, () => ctx.a * 2))
    .step("c", { needs: ["a"] }, (ctx) => step("c", ctx.input.i, () => ctx.a + 100))
    .step("d", { needs: ["b", "c"] }, (ctx) => step("d", ctx.input.i, () => `${ctx.b}:${ctx.c}`))
    .step("e", { needs: ["d"], output: Schema.String }, (ctx) => step("e", ctx.input.i, () => `done(${ctx.d})`))
}

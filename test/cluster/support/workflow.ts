/**
 * The workflow the cluster tests host on their workers (`worker --module`): four steps a -> b -> c -> d, each logging
 * its start and end, with the worker's pid, to the side-effect log `SCALE_LOG` (an append reaches the kernel before
 * the step returns, so it survives `kill -9`), and sleeping `ms` milliseconds in between.
 */
import { Effect, Schema } from "effect"
import { appendFileSync } from "node:fs"
import { Workflow } from "../../../src/index.ts"

const log = process.env["SCALE_LOG"]

const step = <A>(name: string, key: string, ms: number, compute: () => A) =>
  Effect.gen(function*() {
    if (log !== undefined) appendFileSync(log, `start ${key} ${name} ${process.pid} ${Date.now()}\n`)
    yield* Effect.sleep(`${ms} millis`)
    const value = compute()
    if (log !== undefined) appendFileSync(log, `end ${key} ${name} ${process.pid} ${Date.now()}\n`)
    return value
  })

/** The steps in order (each needs the one before). */
export const steps = ["a", "b", "c", "d"] as const

export const slow = Workflow.make("scale-slow", { input: Schema.Struct({ key: Schema.String, i: Schema.Number, ms: Schema.Number }) })
  .step("a", (ctx) => step("a", ctx.input.key, ctx.input.ms, () => ctx.input.i + 1))
  .step("b", { needs: ["a"] }, (ctx) => step("b", ctx.input.key, ctx.input.ms, () => ctx.a * 2))
  .step("c", { needs: ["b"] }, (ctx) => step("c", ctx.input.key, ctx.input.ms, () => ctx.b + 100))
  .step("d", { needs: ["c"], output: Schema.String }, (ctx) => step("d", ctx.input.key, ctx.input.ms, () => `done(${ctx.c})`))

/** What run `i` returns. */
export const expected = (i: number) => ({ d: `done(${(i + 1) * 2 + 100})` })

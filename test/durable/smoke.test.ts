import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Durable, DurableRuns } from "../../src/durable/index.ts"
import { Workflow } from "../../src/index.ts"

const Input = Schema.Struct({ text: Schema.String })

describe("durable smoke", () => {
  it.live("runs a small DAG durably in memory", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const wf = Workflow.make("smoke", { input: Input })
        .step("a", (ctx) => Effect.sync(() => { calls.push("a"); return ctx.input.text.length }))
        .step("b", { needs: ["a"] }, (ctx) => Effect.sync(() => { calls.push("b"); return ctx.a * 2 }))
        .step("c", { needs: ["a"], output: Schema.String }, (ctx) => Effect.sync(() => { calls.push("c"); return `c${ctx.a}` }))
        .step("d", { needs: ["b", "c"] }, (ctx) => Effect.sync(() => { calls.push("d"); return `${ctx.b}-${ctx.c}` }))
      const t0 = Date.now()
      const outputs = yield* Durable.run(wf, { text: "hello" })
      console.log("took", Date.now() - t0)
      assert.deepStrictEqual(outputs, { a: 5, b: 10, c: "c5", d: "10-c5" })
      assert.deepStrictEqual([...calls].sort(), ["a", "b", "c", "d"])
      const runs = yield* DurableRuns.DurableRuns
      const list = yield* runs.list()
      assert.strictEqual(list.length, 1)
      const view = yield* runs.get(list[0]!.runId)
      console.log(view.run.status, view.steps.map((s) => `${s.name}:${s.status}`))
    }).pipe(Effect.provide(DurableRuns.layerMemory)))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Workflow } from "../../src/index.ts"

describe("smoke", () => {
  it.effect("runs a small DAG", () =>
    Effect.gen(function*() {
      const sub = Workflow.make("sub", { input: Schema.Struct({ x: Schema.Number }) })
        .step("double", (ctx) => Effect.succeed(ctx.input.x * 2))
      const wf = Workflow.make("w", { input: Schema.Struct({ text: Schema.String }) })
        .step("a", (ctx) => Effect.succeed(ctx.input.text.length))
        .step("b", { needs: ["a"] }, (ctx) => Effect.succeed(ctx.a + 1))
        .step("c", { needs: ["a"] }, (ctx) => Effect.succeed(ctx.a * 10))
        .step("label", { needs: ["b", "c"] }, (ctx) => Effect.succeed(ctx.b > 3 ? "big" as const : "small" as const))
        .branch("route", { needs: ["label", "a"], on: (ctx) => ctx.label }, {
          big: (b) => b.step("x", { needs: ["a"] }, (ctx) => Effect.succeed(`big ${ctx.a}`)),
          small: (b) => b.step("y", (ctx) => Effect.succeed(`small ${ctx.input.text}`))
        })
        .map("m", { needs: ["a"], over: (ctx) => [1, 2, ctx.a], concurrency: 2 }, (item) => Effect.succeed(item * 2))
        .loop("l", { needs: ["a"], initial: (ctx) => ctx.a, until: (s) => s >= 10, maxIterations: 20 }, (s) => Effect.succeed(s + 3))
        .call("sub", { needs: ["a"], input: (ctx) => ({ x: ctx.a }) }, sub)
      const result = yield* Workflow.execute(wf, { text: "hello" })
      assert.deepStrictEqual(result.outputs, {
        a: 5, b: 6, c: 50, label: "big", route: { case: "big", value: { x: "big 5" } }, m: [2, 4, 10], l: 11, sub: { double: 10 }
      })
      const bad = yield* Effect.flip(Workflow.run(wf, { text: 3 } as any))
      assert.strictEqual(bad._tag, "WorkflowInputError")
      console.log(bad.message, Object.keys(result.steps))
    }))
})

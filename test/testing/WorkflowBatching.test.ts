import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Workflow } from "../../src/index.ts"
import { Embeddings } from "../../src/llm/index.ts"
import { Mock, MockRecorder } from "../../src/testing/index.ts"

const embed = (input: string) => Embeddings.embed({ provider: "openai", model: "small", input })

describe("embedding batching across workflow steps", () => {
  it.effect("parallel steps that embed at the same moment share one provider call", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("fan", { input: Schema.Struct({ a: Schema.String, b: Schema.String, c: Schema.String }) })
        .step("ea", (ctx) => embed(ctx.input.a))
        .step("eb", (ctx) => embed(ctx.input.b))
        .step("ec", (ctx) => embed(ctx.input.c))
      const [out, calls] = yield* Effect.gen(function*() {
        const out = yield* Workflow.run(wf, { a: "alpha", b: "beta", c: "gamma" })
        return [out, (yield* MockRecorder).calls({ kind: "embedMany" })] as const
      }).pipe(Effect.provide(Mock.layer({ embeddings: { openai: { dimensions: 8 } } })))
      assert.strictEqual(calls.length, 1)
      assert.deepStrictEqual([...calls[0]!.inputs!].sort(), ["alpha", "beta", "gamma"])
      assert.strictEqual(out.ea.length, 8)
    }))

  it.effect("a map step embedding its items is one provider call", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("map", { input: Schema.Struct({ texts: Schema.Array(Schema.String) }) })
        .map("vectors", { needs: [], over: (ctx) => ctx.input.texts, concurrency: "unbounded" }, (t) => embed(t))
      const count = yield* Effect.gen(function*() {
        yield* Workflow.run(wf, { texts: ["a", "b", "c", "d", "e"] })
        return (yield* MockRecorder).count({ kind: "embedMany" })
      }).pipe(Effect.provide(Mock.layer({ embeddings: { openai: {} } })))
      assert.strictEqual(count, 1)
    }))
})

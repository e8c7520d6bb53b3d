import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { reportUsage, StepUsage, trackUsage } from "../../src/llm/Usage.ts"

describe("Usage", () => {
  it.effect("reportUsage is a no-op without a sink", () =>
    Effect.gen(function*() {
      yield* reportUsage("openai", "gpt-4", { inputTokens: 1, outputTokens: 2 })
      const sink = yield* StepUsage
      assert.isFunction(sink.record)
    }))

  it.effect("trackUsage sums calls and forwards them to the enclosing sink", () =>
    Effect.gen(function*() {
      const [[value, inner], outer] = yield* trackUsage(
        trackUsage(
          Effect.gen(function*() {
            yield* reportUsage("openai", "gpt-4", { inputTokens: 10, outputTokens: 3 })
            yield* reportUsage("anthropic", "claude", { inputTokens: 5, outputTokens: 7 })
            return "ok"
          })
        ).pipe(Effect.tap(() => reportUsage("openai", "emb", { inputTokens: 4, outputTokens: 0 })))
      )
      assert.strictEqual(value, "ok")
      assert.deepStrictEqual([inner.inputTokens, inner.outputTokens, inner.calls], [15, 10, 2])
      assert.deepStrictEqual([outer.inputTokens, outer.outputTokens, outer.calls], [19, 10, 3])
      assert.deepStrictEqual(outer.entries.map((e) => e.provider), ["openai", "anthropic", "openai"])
    }))

  it.effect("trackUsage reports usage of a failing effect through onUsage", () =>
    Effect.gen(function*() {
      let seen = -1
      const exit = yield* trackUsage(
        reportUsage("openai", "gpt-4", { inputTokens: 8, outputTokens: 1 }).pipe(Effect.andThen(Effect.fail("boom"))),
        { onUsage: (t) => Effect.sync(() => { seen = t.inputTokens }) }
      ).pipe(Effect.exit)
      assert.strictEqual(exit._tag, "Failure")
      assert.strictEqual(seen, 8)
    }))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric, Schema } from "effect"
import { TestClock } from "effect/testing"
import { GenerationOptions } from "../../src/llm/GenerationOptions.ts"
import { ReliabilityEvent, ReliabilityMetrics, ResponseCache } from "../../src/reliability/index.ts"
import { collect, scripted } from "./support.ts"

describe("ResponseCache", () => {
  it.effect("hit/miss by provider+model+prompt+params, counters, events", () =>
    Effect.gen(function*() {
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const cache = yield* ResponseCache.make({ name: "t1" })
      const sink = ReliabilityEvent.withSink(collect(events))
      let calls = 0
      const call = (prompt: string, temperature: number) =>
        cache.cached({ provider: "openai", model: "gpt-4o", prompt, params: { temperature } })(
          Effect.sync(() => `${prompt}#${++calls}`)
        ).pipe(sink)
      assert.strictEqual(yield* call("a", 0), "a#1")
      assert.strictEqual(yield* call("a", 0), "a#1")
      assert.strictEqual(yield* call("a", 1), "a#2", "parameters are part of the key")
      assert.strictEqual(yield* call("b", 0), "b#3")
      assert.deepStrictEqual(yield* cache.stats, { hits: 1, misses: 3, size: 3 })
      const hits = yield* Metric.value(ReliabilityMetrics.cacheHits.pipe(Metric.withAttributes({ cache: "t1" })))
      assert.strictEqual(hits.count, 1)
      assert.deepStrictEqual(events.map((e) => e._tag), ["CacheMiss", "CacheHit", "CacheMiss", "CacheMiss"])
    }))

  it("the key differs by model and provider, and does not depend on the key order of params (nested too)", () => {
    const base = { provider: "openai", model: "gpt-4o", prompt: "same prompt" }
    assert.notStrictEqual(ResponseCache.key(base), ResponseCache.key({ ...base, model: "gpt-4o-mini" }), "model is part of the key")
    assert.notStrictEqual(ResponseCache.key(base), ResponseCache.key({ ...base, provider: "azure" }), "provider is part of the key")
    assert.strictEqual(
      ResponseCache.key({ ...base, params: { temperature: 0, maxTokens: 5, stop: { a: 1, b: [{ y: 2, x: 1 }] } } }),
      ResponseCache.key({ ...base, params: { stop: { b: [{ x: 1, y: 2 }], a: 1 }, maxTokens: 5, temperature: 0 } })
    )
    assert.notStrictEqual(
      ResponseCache.key({ ...base, params: { temperature: 0 } }),
      ResponseCache.key({ ...base, params: { temperature: 1 } })
    )
    // arrays keep their order: a different order is a different request
    assert.notStrictEqual(ResponseCache.key({ ...base, params: { stop: ["a", "b"] } }), ResponseCache.key({ ...base, params: { stop: ["b", "a"] } }))
  })

  it.effect("TTL expiry and LRU eviction; failures are not cached", () =>
    Effect.gen(function*() {
      const cache = yield* ResponseCache.make({ capacity: 2, ttl: "1 minute" })
      let calls = 0
      const call = (prompt: string) => cache.cached({ provider: "p", model: "m", prompt })(Effect.sync(() => ++calls))
      yield* call("a") // 1
      yield* call("b") // 2
      yield* call("a") // hit: a is now most recent
      yield* call("c") // 3, evicts b
      assert.strictEqual(yield* call("a"), 1)
      assert.strictEqual(yield* call("b"), 4, "b was evicted (least recently used)")
      yield* TestClock.adjust("61 seconds")
      assert.strictEqual(yield* call("b"), 5, "expired")
      let failures = 0
      const failing = cache.cached({ provider: "p", model: "m", prompt: "f" })(Effect.suspend(() => (failures++, Effect.fail("boom"))))
      yield* Effect.flip(failing)
      yield* Effect.flip(failing)
      assert.strictEqual(failures, 2)
    }))

  it.effect("wrapLanguageModel caches generateText/generateObject per model and settings", () =>
    Effect.gen(function*() {
      const m = yield* scripted((n) => ({ text: n < 2 ? `{"n":${n}}` : `{"n":${n}}` }))
      const cache = yield* ResponseCache.make()
      const model = cache.wrapLanguageModel("openai", m.model)
      const settings = (model: string) => Effect.provideService(GenerationOptions, { provider: "openai", model })
      const a1 = yield* model.generateText({ prompt: "q" }).pipe(settings("gpt-4o"))
      const a2 = yield* model.generateText({ prompt: "q" }).pipe(settings("gpt-4o"))
      const b = yield* model.generateText({ prompt: "q" }).pipe(settings("gpt-4o-mini"))
      assert.strictEqual(a1.text, a2.text)
      assert.notStrictEqual(a1.text, b.text)
      const N = Schema.Struct({ n: Schema.Number })
      const o1 = yield* model.generateObject({ prompt: "q", schema: N }).pipe(settings("gpt-4o"))
      const o2 = yield* model.generateObject({ prompt: "q", schema: N }).pipe(settings("gpt-4o"))
      assert.deepStrictEqual(o1.value, o2.value)
      assert.strictEqual(m.calls.length, 3)
    }))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as Embeddings from "../../src/llm/Embeddings.ts"
import { trackUsage } from "../../src/llm/Usage.ts"
import * as Mock from "../../src/testing/Mock.ts"
import { MockRecorder } from "../../src/testing/MockRecorder.ts"
import * as OfflineEmbedding from "../../src/testing/OfflineEmbedding.ts"

const embed = (input: string) => Embeddings.embed({ provider: "openai", model: "text-embedding-3-small", input })

describe("MockEmbeddings", () => {
  it.effect("10 concurrent embed calls are recorded as 1 provider call", () =>
    Effect.gen(function*() {
      const texts = Array.from({ length: 10 }, (_, i) => `text number ${i}`)
      const [[vectors, calls], usage] = yield* trackUsage(
        Effect.gen(function*() {
          const vs = yield* Effect.forEach(texts, embed, { concurrency: "unbounded" })
          return [vs, (yield* MockRecorder).calls({ kind: "embedMany" })] as const
        }).pipe(Effect.provide(Mock.layer({ embeddings: { openai: { dimensions: 32 } } })))
      )
      assert.strictEqual(calls.length, 1)
      assert.deepStrictEqual(calls[0]!.inputs, texts)
      assert.strictEqual(vectors.length, 10)
      assert.deepStrictEqual(vectors[3], OfflineEmbedding.embed(texts[3]!, { dimensions: 32 }))
      assert.strictEqual(usage.inputTokens, texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0))
    }))

  it.effect("latency and failure injection apply per provider call", () =>
    Effect.gen(function*() {
      const layer = Mock.layer({
        embeddings: { openai: { latency: "500 millis", failures: { firstN: 1, error: "timeout" } } }
      })
      const fiber = yield* Effect.gen(function*() {
        const first = yield* Effect.flip(embed("a"))
        const second = yield* embed("a")
        return [first._tag, second.length, (yield* MockRecorder).calls().map((c) => [c.startedAt, c.finishedAt])] as const
      }).pipe(Effect.provide(layer), Effect.forkChild)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(fiber), ["ProviderTimeout", 256, [[0, 500], [500, 1000]]])
    }))

  it.effect("a custom embed function", () =>
    Effect.gen(function*() {
      const v = yield* embed("abc").pipe(
        Effect.provide(Mock.layer({ embeddings: { openai: { embed: (t, model) => [t.length, model.length] } } }))
      )
      assert.deepStrictEqual(v, [3, 22])
    }))
})

describe("OfflineEmbedding", () => {
  it("is deterministic, normalised and ranks overlapping texts higher", () => {
    const q = OfflineEmbedding.embed("how do I reset my password")
    assert.deepStrictEqual(q, OfflineEmbedding.embed("how do I reset my password"))
    assert.closeTo(Math.sqrt(q.reduce((n, x) => n + x * x, 0)), 1, 1e-9)
    const related = OfflineEmbedding.cosine(q, OfflineEmbedding.embed("Password reset: open settings and choose reset password"))
    const unrelated = OfflineEmbedding.cosine(q, OfflineEmbedding.embed("Quarterly revenue grew in the European market"))
    assert.isAbove(related, 0.3)
    assert.isBelow(unrelated, 0.2)
    assert.isAbove(related, unrelated + 0.2)
  })

  it("uses word, bigram and character trigram features; empty text is the zero vector", () => {
    assert.deepStrictEqual(OfflineEmbedding.features("Hi you"), ["w:hi", "b:hi you", "c:<hi", "c:hi>", "w:you", "c:<yo", "c:you", "c:ou>"])
    assert.deepStrictEqual(OfflineEmbedding.embed("", { dimensions: 4 }), [0, 0, 0, 0])
  })
})

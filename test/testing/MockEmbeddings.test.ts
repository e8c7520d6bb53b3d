import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Schema } from "effect"
import { Workflow } from "../../src/index.ts"
import { ProviderUnavailable } from "../../src/llm/LlmError.ts"
import type { MockEmbedRequest } from "../../src/testing/MockEmbeddings.ts"
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

describe("MockEmbeddings failures aimed at a step", () => {
  const Input = Schema.Struct({ q: Schema.String })
  const embedFor = (input: string) => Embeddings.embed({ provider: "openai", model: "text-embedding-3-small", input })

  it.effect("a rule with step fails only that step's calls; the others and the step's retry go through", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("two-embeds", { input: Input })
        .step("a", (ctx) => embedFor(`a ${ctx.input.q}`))
        .step("b", { needs: ["a"], retry: { times: 1 } }, (ctx) => embedFor(`b ${ctx.input.q}`))
      const { steps, recorder } = yield* Workflow.test(wf, { q: "x" }, {
        embeddings: { openai: { failures: { step: "b", firstN: 1, error: "rate-limited" } } }
      })
      assert.strictEqual(steps.a?.attempts, 1)
      assert.strictEqual(steps.b?.attempts, 2)
      assert.deepStrictEqual(recorder.calls({ kind: "embedMany" }).map((c) => [c.prompt, c.outcome?._tag]), [
        ["a x", "Success"],
        ["b x", "Failure"],
        ["b x", "Success"]
      ])
    }))

  it.effect("a batch of concurrent embeds holding the step's input fails as one provider call; each input's step is known", () =>
    Effect.gen(function*() {
      const seen: Array<ReadonlyArray<string | undefined>> = []
      const wf = Workflow.make("parallel-embeds", { input: Input })
        .step("a", { retry: { times: 1 } }, (ctx) => embedFor(`a ${ctx.input.q}`))
        .step("b", { retry: { times: 1 } }, (ctx) => embedFor(`b ${ctx.input.q}`))
      const { recorder } = yield* Workflow.test(wf, { q: "x" }, {
        embeddings: {
          openai: {
            failures: { step: "b", firstN: 1, error: (req: MockEmbedRequest) => (seen.push(req.steps), new ProviderUnavailable({ provider: "openai", message: "down" })) }
          }
        }
      })
      const [first] = recorder.calls({ kind: "embedMany" })
      assert.deepStrictEqual(first?.inputs, ["a x", "b x"])
      assert.strictEqual(first?.outcome?._tag, "Failure")
      assert.deepStrictEqual(seen, [["a", "b"]])
    }))
})

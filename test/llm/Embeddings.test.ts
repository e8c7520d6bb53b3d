import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { EmbeddingModel } from "effect/ai"
import * as Embeddings from "../../src/llm/Embeddings.ts"
import { GenerationOptions } from "../../src/llm/GenerationOptions.ts"
import { trackUsage } from "../../src/llm/Usage.ts"

const counting = () => {
  const batches: Array<{ model: string; inputs: ReadonlyArray<string> }> = []
  const layer = Embeddings.layerCustom("openai", ({ model, inputs }) =>
    Effect.sync(() => {
      batches.push({ model, inputs })
      return {
        embeddings: inputs.map((t) => [t.length, model.length]),
        usage: { inputTokens: inputs.reduce((n, t) => n + t.length, 0), outputTokens: 0 }
      }
    }))
  return { batches, layer }
}

describe("Embeddings", () => {
  it.effect("N concurrent embed calls make 1 provider call", () =>
    Effect.gen(function*() {
      const { batches, layer } = counting()
      const texts = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g", "hh"]
      const [vectors, usage] = yield* trackUsage(
        Effect.forEach(texts, (input) => Embeddings.embed({ provider: "openai", model: "small", input }), {
          concurrency: "unbounded"
        }).pipe(Effect.provide(layer))
      )
      assert.strictEqual(batches.length, 1)
      assert.deepStrictEqual(batches[0]!.inputs, texts)
      assert.deepStrictEqual(vectors.map((v) => v[0]), texts.map((t) => t.length))
      // per-call shares of the batch usage sum to the batch usage
      assert.strictEqual(usage.calls, texts.length)
      assert.strictEqual(usage.inputTokens, texts.join("").length)
    }))

  it.effect("sequential calls are not batched; different models are separate batches", () =>
    Effect.gen(function*() {
      const { batches, layer } = counting()
      yield* Effect.gen(function*() {
        yield* Embeddings.embed({ provider: "openai", model: "small", input: "x" })
        yield* Embeddings.embed({ provider: "openai", model: "small", input: "y" })
        yield* Effect.all([
          Embeddings.embed({ provider: "openai", model: "small", input: "p" }),
          Embeddings.embed({ provider: "openai", model: "large", input: "q" }),
          Embeddings.embed({ provider: "openai", model: "small", input: "r" })
        ], { concurrency: "unbounded" })
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(batches.map((b) => [b.model, b.inputs.join("")]), [
        ["small", "x"],
        ["small", "y"],
        ["small", "pr"],
        ["large", "q"]
      ])
    }))

  it.effect("maxBatchSize splits large bursts", () =>
    Effect.gen(function*() {
      const batches: Array<number> = []
      const layer = Embeddings.layerCustom("local", ({ inputs }) =>
        Effect.sync(() => {
          batches.push(inputs.length)
          return { embeddings: inputs.map(() => [0]), usage: { inputTokens: 0, outputTokens: 0 } }
        }), { maxBatchSize: 3 })
      yield* Effect.forEach(Array.from({ length: 7 }, (_, i) => `t${i}`), (input) =>
        Embeddings.embed({ provider: "local", model: "m", input }), { concurrency: "unbounded" }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(batches.sort(), [1, 3, 3])
    }))

  it.effect("wraps an effect/ai EmbeddingModel; the model id reaches the adapter; wrong counts are InvalidOutput", () =>
    Effect.gen(function*() {
      const models: Array<string> = []
      const model = yield* EmbeddingModel.make({
        embedMany: ({ inputs }) =>
          Effect.gen(function*() {
            models.push((yield* GenerationOptions).model)
            return { results: inputs.map((t) => [t.length]), usage: { inputTokens: 5 } }
          })
      })
      const [vs, usage] = yield* trackUsage(
        Embeddings.embedMany({ provider: "openai", model: "text-embedding-3-small", inputs: ["ab", "c"] }).pipe(
          Effect.provide(Embeddings.layer("openai", model))
        )
      )
      assert.deepStrictEqual(vs, [[2], [1]])
      assert.deepStrictEqual(models, ["text-embedding-3-small"])
      assert.strictEqual(usage.inputTokens, 5)

      const broken = Embeddings.layerCustom("bad", () =>
        Effect.succeed({ embeddings: [[1]], usage: { inputTokens: 0, outputTokens: 0 } }))
      const error = yield* Embeddings.embedMany({ provider: "bad", model: "m", inputs: ["a", "b"] }).pipe(
        Effect.provide(broken),
        Effect.flip
      )
      assert.strictEqual(error._tag, "InvalidOutput")
      assert.include(error.message, "expected 2 embeddings, got 1")
    }))
})

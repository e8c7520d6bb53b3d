import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Fusion from "../../src/rag/Fusion.ts"
import * as HybridSearch from "../../src/rag/HybridSearch.ts"
import { OfflineEmbedding } from "../../src/testing/index.ts"
import { Filter, type Point, VectorStore } from "../../src/vector/index.ts"

const store = "docs"
const collection = "kb"
const texts = [
  "To reset your password open Settings, then Security, then Reset password.",
  "Invoices are emailed on the first day of each month.",
  "Error E4012 means the webhook signature did not match.",
  "Passwords must have twelve characters.",
  "Security settings include two-factor authentication."
]
const points: ReadonlyArray<Point> = texts.map((text, i) => ({
  id: `d${i}`,
  vector: OfflineEmbedding.embed(text, { dimensions: 64 }),
  payload: { text, n: i }
}))

const seeded = VectorStore.layerEffect(store, Effect.gen(function*() {
  const s = yield* VectorStore.makeMemory(store)
  yield* Effect.orDie(s.createCollection({ collection, dimension: 64, distance: "cosine" }))
  yield* Effect.orDie(s.upsert({ collection, points }))
  return s
}))

const q = (query: string) => OfflineEmbedding.embed(query, { dimensions: 64 })

describe("HybridSearch.search", () => {
  it.effect("fuses the vector and keyword rankings by RRF; scores are normalised and explain their origin", () =>
    Effect.gen(function*() {
      const query = "error E4012"
      const hits = yield* HybridSearch.search({ store, collection, query, vector: q(query), settings: HybridSearch.settings({ topK: 3 }) })
      assert.strictEqual(hits[0]!.id, "d2")
      assert.strictEqual(hits.length, 3)
      for (const h of hits) {
        assert.isAtLeast(h.score, 0)
        assert.isAtMost(h.score, 1)
      }
      // the same as fusing the two store searches by hand
      const vector = yield* VectorStore.search({ store, collection, vector: q(query), topK: 50 })
      const keyword = yield* VectorStore.keywordSearch({ store, collection, query, topK: 50 })
      const expected = Fusion.reciprocalRank([{ name: "vector", weight: 1, hits: vector }, { name: "keyword", weight: 1, hits: keyword }], { topK: 3 })
      assert.deepStrictEqual(hits, expected)
      assert.deepStrictEqual(Object.keys(hits[0]!.ranks).sort(), ["keyword", "vector"])
    }).pipe(Effect.provide(seeded)))

  it.effect("mode vector / keyword run one side, through the same normalisation", () =>
    Effect.gen(function*() {
      const query = "reset password"
      const v = yield* HybridSearch.search({ store, collection, query, vector: q(query), settings: HybridSearch.settings({ mode: "vector", topK: 2 }) })
      assert.deepStrictEqual(Object.keys(v[0]!.ranks), ["vector"])
      assert.strictEqual(v[0]!.score, 1)
      const k = yield* HybridSearch.search({ store, collection, query, settings: HybridSearch.settings({ mode: "keyword", topK: 5 }) })
      assert.deepStrictEqual(k.map((h) => h.id), ["d0"], "only texts with a query term (no stemming: d3 says \"Passwords\")")
      assert.strictEqual(k[0]!.score, 1)
    }).pipe(Effect.provide(seeded)))

  it.effect("the filter applies to both sides; a zero keyword weight skips the keyword search", () =>
    Effect.gen(function*() {
      const query = "password"
      const hits = yield* HybridSearch.search({
        store,
        collection,
        query,
        vector: q(query),
        filter: Filter.all(Filter.range("n", { gte: 3 }))
      })
      assert.isTrue(hits.every((h) => (h.payload["n"] as number) >= 3))
      const vectorOnly = yield* HybridSearch.search({ store, collection, query, vector: q(query), settings: HybridSearch.settings({ weights: { keyword: 0 } }) })
      assert.isTrue(vectorOnly.every((h) => h.ranks["keyword"] === undefined))
    }).pipe(Effect.provide(seeded)))

  it.effect("a store without keyword search fails naming the store; a missing vector and bad settings name the problem", () =>
    Effect.gen(function*() {
      const base = yield* VectorStore.makeMemory("plain")
      const { keywordSearch: _, ...noKeyword } = base
      yield* Effect.gen(function*() {
        yield* VectorStore.createCollection({ store: "plain", collection, dimension: 2, distance: "dot" })
        const e = yield* Effect.flip(HybridSearch.search({ store: "plain", collection, query: "x", vector: [1, 0] }))
        assert.strictEqual(e._tag, "VectorStoreError")
        assert.include(e.message, `Vector store "plain" has no keyword search`)
        const ok = yield* HybridSearch.search({ store: "plain", collection, query: "x", vector: [1, 0], settings: HybridSearch.settings({ mode: "vector" }) })
        assert.deepStrictEqual(ok, [])
      }).pipe(Effect.provide(Layer.succeed(VectorStore.service("plain"), noKeyword)))
      const noVector = yield* Effect.flip(HybridSearch.search({ store, collection, query: "x" }).pipe(Effect.provide(seeded)))
      assert.include(noVector.message, "mode hybrid needs the query vector")
      const bad = yield* Effect.flip(
        HybridSearch.search({ store, collection, query: "x", vector: q("x"), settings: HybridSearch.settings({ weights: { vector: -1 } }) }).pipe(Effect.provide(seeded))
      )
      assert.include(bad.message, "weights.vector must be a finite number >= 0, got -1")
      assert.strictEqual(HybridSearch.validate(HybridSearch.settings({ topK: 20, candidates: 10 })), "candidates must be an integer >= topK (20), got 10")
    }))
})

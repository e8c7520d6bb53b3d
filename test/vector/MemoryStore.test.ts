import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type PointId, VectorStore } from "../../src/vector/index.ts"
import { TopK } from "../../src/vector/TopK.ts"
import { keywordSearchContract, vectorStoreContract } from "./contract.ts"
import { gaussianVector, prng } from "./random.ts"

vectorStoreContract("in-memory", (name) => VectorStore.layerMemory(name))

describe("VectorStore.layerMemory", () => {
  it.effect("pre-creates the configured collections, with their seed points", () =>
    Effect.gen(function*() {
      const info = yield* VectorStore.getCollection({ store: "docs", collection: "documentation" })
      assert.deepStrictEqual(info, { collection: "documentation", dimension: 384, distance: "cosine", pointsCount: 0 })
      const hits = yield* VectorStore.search({ store: "docs", collection: "faq", vector: [0, 1], topK: 1 })
      assert.deepStrictEqual(hits, [{ id: "b", score: 2, payload: { q: "why" } }])
    }).pipe(Effect.provide(VectorStore.layerMemory("docs", {
      collections: [
        { collection: "documentation", dimension: 384, distance: "cosine" },
        { collection: "faq", dimension: 2, distance: "dot", points: [{ id: "a", vector: [1, 0] }, { id: "b", vector: [0, 2], payload: { q: "why" } }] }
      ]
    }))))

  it.effect("an invalid seed is a defect naming the problem", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        VectorStore.getCollection({ store: "docs", collection: "faq" }).pipe(
          Effect.provide(VectorStore.layerMemory("docs", {
            collections: [{ collection: "faq", dimension: 2, distance: "dot", points: [{ id: "a", vector: [1, 0, 0] }] }]
          }))
        )
      )
      assert.strictEqual(exit._tag, "Failure")
      assert.include(String(exit), 'points[0].vector has dimension 3, expected 2')
    }))
})

describe("in-memory store internals", () => {
  const store = "mem"
  const collection = "c"
  const provide = <A, E>(effect: Effect.Effect<A, E, VectorStore.VectorStoreFor<"mem">>) =>
    effect.pipe(Effect.provide(VectorStore.layerMemory(store)))
  const dot = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.reduce((s, x, i) => s + x * b[i]!, 0)

  it.effect("a seeded random sequence of upserts and deletes matches a Map model (rows are moved on delete)", () =>
    provide(Effect.gen(function*() {
      const next = prng(42)
      const dimension = 8
      yield* VectorStore.createCollection({ store, collection, dimension, distance: "dot" })
      const model = new Map<PointId, { vector: Array<number>; payload: { v: number } }>()
      for (let step = 0; step < 600; step++) {
        const id: PointId = next() < 0.5 ? Math.floor(next() * 120) : `k${Math.floor(next() * 120)}`
        if (next() < 0.35) {
          yield* VectorStore.delete({ store, collection, ids: [id] })
          model.delete(id)
        } else {
          const vector = gaussianVector(next, dimension)
          yield* VectorStore.upsert({ store, collection, points: [{ id, vector, payload: { v: step } }] })
          model.set(id, { vector, payload: { v: step } })
        }
        if (step % 50 === 49) {
          const query = gaussianVector(next, dimension)
          const hits = yield* VectorStore.search({ store, collection, vector: query, topK: 1000 })
          const expected = [...model].map(([id, p]) => ({ id, score: dot(p.vector, query), payload: p.payload }))
            .sort((a, b) => b.score - a.score)
          assert.deepStrictEqual(hits.map((h) => [h.id, h.payload]), expected.map((e) => [e.id, e.payload]))
          assert.strictEqual((yield* VectorStore.getCollection({ store, collection })).pointsCount, model.size)
        }
      }
    })))

  it.effect("grows past its initial capacity (1024 rows) without losing points", () =>
    provide(Effect.gen(function*() {
      const next = prng(7)
      yield* VectorStore.createCollection({ store, collection, dimension: 4, distance: "euclid" })
      const points = Array.from({ length: 2500 }, (_, i) => ({ id: i, vector: gaussianVector(next, 4) }))
      for (let i = 0; i < points.length; i += 700) {
        yield* VectorStore.upsert({ store, collection, points: points.slice(i, i + 700) })
      }
      assert.strictEqual((yield* VectorStore.getCollection({ store, collection })).pointsCount, 2500)
      for (const p of [points[0]!, points[1500]!, points[2499]!]) {
        const [hit] = yield* VectorStore.search({ store, collection, vector: p.vector, topK: 1 })
        assert.strictEqual(hit!.id, p.id)
        assert.closeTo(hit!.score, 0, 1e-6)
      }
    })))

  it.effect("stores a copy of the payload; a zero vector has cosine 0 with everything", () =>
    provide(Effect.gen(function*() {
      yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "cosine" })
      const payload = { tags: ["a"] }
      yield* VectorStore.upsert({ store, collection, points: [{ id: 1, vector: [0, 0], payload }, { id: 2, vector: [0, -1] }] })
      payload.tags.push("b")
      const hits = yield* VectorStore.search({ store, collection, vector: [1, 0], topK: 2 })
      assert.deepStrictEqual(hits, [{ id: 1, score: 0, payload: { tags: ["a"] } }, { id: 2, score: 0, payload: {} }])
    })))
})

describe("TopK", () => {
  it("keeps the k best of seeded random scores, best first, like a full sort", () => {
    const next = prng(99)
    for (const [n, k] of [[1000, 10], [50, 50], [5, 10], [300, 1]] as const) {
      // Rounded scores make ties likely; ties are ordered by row.
      const scores = Array.from({ length: n }, () => Math.round(next() * 100) / 10)
      const top = new TopK(k)
      scores.forEach((s, row) => {
        if (s > top.threshold) top.offer(s, row)
      })
      const expected = scores.map((score, row) => ({ score, row })).sort((a, b) => b.score - a.score || a.row - b.row).slice(0, k)
      const got = top.drain()
      assert.deepStrictEqual(got.scores, expected.map((e) => e.score))
      assert.strictEqual(new Set(got.rows).size, got.rows.length)
      got.rows.forEach((row, i) => assert.strictEqual(scores[row], got.scores[i]))
    }
  })
})

keywordSearchContract("in-memory (built-in BM25)", (name) => VectorStore.layerMemory(name))

// The behaviour every vector store must have. `vectorStoreContract(label, makeLayer)` registers the suite for one store;
// makeLayer must give a fresh, empty store on every build.
import { assert, describe, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { Filter, VectorStore, type Distance, type Point, type PointId, type VectorStoreFor } from "../../src/vector/index.ts"
import { gaussianVector, prng } from "./random.ts"

export type StoreLayerFactory = <const N extends string>(name: N) => Layer.Layer<VectorStoreFor<N>, unknown>

const store = "contract"
const collection = "items"

const cosine = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => {
  let dot = 0, na = 0, nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return dot / Math.sqrt(na * nb)
}
const dot = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.reduce((s, x, i) => s + x * b[i]!, 0)
const euclid = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0))

const bruteForce = (points: ReadonlyArray<Point>, query: ReadonlyArray<number>, distance: Distance, k: number) =>
  points
    .map((p) => ({
      id: p.id,
      score: distance === "cosine" ? cosine(p.vector, query) : distance === "dot" ? dot(p.vector, query) : euclid(p.vector, query)
    }))
    .sort((a, b) => (distance === "euclid" ? a.score - b.score : b.score - a.score))
    .slice(0, k)

const docs: ReadonlyArray<Point> = [
  { id: 1, vector: [1, 0, 0], payload: { lang: "en", year: 2019, tags: ["api", "guide"], meta: { team: "core" } } },
  { id: 2, vector: [0.9, 0.1, 0], payload: { lang: "fr", year: 2021, tags: ["guide"], meta: { team: "docs" } } },
  { id: 3, vector: [0.8, 0.2, 0], payload: { lang: "en", year: 2023, tags: ["faq"], draft: true } },
  { id: 4, vector: [0.7, 0.3, 0], payload: { lang: "de", year: 2024 } },
  { id: "five", vector: [0.6, 0.4, 0], payload: { lang: "en", year: 2025.5, tags: [] } },
  { id: "six", vector: [0.5, 0.5, 0] }
]

export const vectorStoreContract = (label: string, makeLayer: StoreLayerFactory): void => {
  const run = <A, E>(effect: Effect.Effect<A, E, VectorStoreFor<typeof store>>) =>
    effect.pipe(Effect.provide(makeLayer(store)))

  const setup = (distance: Distance, dimension = 3) =>
    VectorStore.createCollection({ store, collection, dimension, distance })

  const ids = (filter: Filter.Filter) =>
    VectorStore.search({ store, collection, vector: [1, 0, 0], topK: 100, filter }).pipe(
      Effect.map((hits) => hits.map((h) => h.id).sort((a, b) => String(a).localeCompare(String(b))))
    )

  describe(`VectorStore contract: ${label}`, () => {
    it.live("creates a collection and reports it; re-creating with the same configuration is a no-op", () =>
      run(Effect.gen(function*() {
        yield* setup("cosine", 4)
        yield* VectorStore.createCollection({ store, collection, dimension: 4, distance: "cosine" })
        const info = yield* VectorStore.getCollection({ store, collection })
        assert.deepStrictEqual(info, { collection, dimension: 4, distance: "cosine", pointsCount: 0 })
      })))

    it.live("re-creating with another dimension or distance fails, naming the collection", () =>
      run(Effect.gen(function*() {
        yield* setup("cosine", 4)
        const dim = yield* Effect.flip(VectorStore.createCollection({ store, collection, dimension: 8, distance: "cosine" }))
        assert.strictEqual(dim._tag, "DimensionMismatch")
        assert.include(dim.message, `collection "${collection}"`)
        if (dim._tag === "DimensionMismatch") {
          assert.deepStrictEqual([dim.field, dim.expected, dim.actual], ["dimension", 4, 8])
        }
        const dist = yield* Effect.flip(VectorStore.createCollection({ store, collection, dimension: 4, distance: "dot" }))
        assert.strictEqual(dist._tag, "VectorStoreError")
        assert.include(dist.message, "distance cosine")
      })))

    for (const distance of ["cosine", "dot", "euclid"] as const) {
      it.live(`exact top-k equals brute force (${distance}, seeded random data)`, () =>
        run(Effect.gen(function*() {
          const next = prng(distance.length * 7919)
          const dimension = 16
          yield* setup(distance, dimension)
          const points: Array<Point> = Array.from({ length: 400 }, (_, i) => ({
            id: i % 2 === 0 ? i : `p-${i}`,
            vector: gaussianVector(next, dimension),
            payload: { i }
          }))
          yield* VectorStore.upsert({ store, collection, points })
          for (let q = 0; q < 5; q++) {
            const query = gaussianVector(next, dimension)
            const hits = yield* VectorStore.search({ store, collection, vector: query, topK: 10 })
            const expected = bruteForce(points, query, distance, 10)
            assert.deepStrictEqual(hits.map((h) => h.id), expected.map((e) => e.id))
            hits.forEach((h, i) => assert.closeTo(h.score, expected[i]!.score, 1e-4))
            const byId = new Map(points.map((p) => [p.id, p]))
            hits.forEach((h) => assert.deepStrictEqual(h.payload, byId.get(h.id)!.payload))
          }
        })))
    }

    it.live("euclid scores are distances, smallest first; cosine scores are similarities, largest first", () =>
      run(Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection: "e", dimension: 2, distance: "euclid" })
        yield* VectorStore.createCollection({ store, collection: "c", dimension: 2, distance: "cosine" })
        const points: ReadonlyArray<Point> = [{ id: 1, vector: [3, 4] }, { id: 2, vector: [1, 1] }, { id: 3, vector: [0, -2] }]
        yield* VectorStore.upsert({ store, collection: "e", points })
        yield* VectorStore.upsert({ store, collection: "c", points })
        const e = yield* VectorStore.search({ store, collection: "e", vector: [0, 0], topK: 3 })
        assert.deepStrictEqual(e.map((h) => h.id), [2, 3, 1])
        e.forEach((h, i) => assert.closeTo(h.score, [Math.SQRT2, 2, 5][i]!, 1e-6))
        const c = yield* VectorStore.search({ store, collection: "c", vector: [1, 1], topK: 3 })
        assert.deepStrictEqual(c.map((h) => h.id), [2, 1, 3])
        c.forEach((h, i) => assert.closeTo(h.score, [1, 7 / (5 * Math.SQRT2), -Math.SQRT1_2][i]!, 1e-6))
      })))

    it.live("topK larger than the collection returns every point; an empty collection returns []", () =>
      run(Effect.gen(function*() {
        yield* setup("dot")
        assert.deepStrictEqual(yield* VectorStore.search({ store, collection, vector: [1, 0, 0], topK: 3 }), [])
        yield* VectorStore.upsert({ store, collection, points: docs })
        const hits = yield* VectorStore.search({ store, collection, vector: [1, 0, 0], topK: 50 })
        assert.deepStrictEqual(hits.map((h) => h.id), [1, 2, 3, 4, "five", "six"])
        assert.deepStrictEqual(hits[5]!.payload, {}, "a point stored without payload has payload {}")
      })))

    it.live("upsert is idempotent by id: the second write replaces vector and payload; 1 and \"1\" are different ids", () =>
      run(Effect.gen(function*() {
        yield* setup("dot")
        yield* VectorStore.upsert({ store, collection, points: [{ id: "a", vector: [1, 0, 0], payload: { v: 1 } }, { id: 1, vector: [0, 1, 0] }] })
        yield* VectorStore.upsert({ store, collection, points: [{ id: "a", vector: [1, 0, 0], payload: { v: 1 } }] })
        assert.strictEqual((yield* VectorStore.getCollection({ store, collection })).pointsCount, 2)
        yield* VectorStore.upsert({ store, collection, points: [{ id: "a", vector: [0, 0, 2], payload: { v: 2 } }, { id: "1", vector: [0, 3, 0] }] })
        assert.strictEqual((yield* VectorStore.getCollection({ store, collection })).pointsCount, 3)
        const top = yield* VectorStore.search({ store, collection, vector: [0, 0, 1], topK: 1 })
        assert.deepStrictEqual(top, [{ id: "a", score: 2, payload: { v: 2 } }])
        const y = yield* VectorStore.search({ store, collection, vector: [0, 1, 0], topK: 2 })
        assert.deepStrictEqual(y.map((h) => [h.id, h.score]), [["1", 3], [1, 1]])
      })))

    it.live("delete removes points by id and ignores unknown ids", () =>
      run(Effect.gen(function*() {
        yield* setup("dot")
        yield* VectorStore.upsert({ store, collection, points: docs })
        yield* VectorStore.delete({ store, collection, ids: [1, "five", 999, "nope"] })
        assert.strictEqual((yield* VectorStore.getCollection({ store, collection })).pointsCount, 4)
        const hits = yield* VectorStore.search({ store, collection, vector: [1, 0, 0], topK: 10 })
        assert.deepStrictEqual(hits.map((h) => h.id), [2, 3, 4, "six"])
        yield* VectorStore.delete({ store, collection, ids: [] })
        assert.strictEqual((yield* VectorStore.getCollection({ store, collection })).pointsCount, 4)
      })))

    it.live("filters: match, any, range, must/should/must_not, nested, dotted keys, array payloads, missing fields", () =>
      run(Effect.gen(function*() {
        yield* setup("cosine")
        yield* VectorStore.upsert({ store, collection, points: docs })
        const cases: ReadonlyArray<readonly [Filter.Filter, ReadonlyArray<PointId>]> = [
          [{}, [1, 2, 3, 4, "five", "six"]],
          [Filter.all(Filter.match("lang", "en")), [1, 3, "five"]],
          [Filter.all(Filter.anyOf("lang", ["fr", "de"])), [2, 4]],
          [Filter.all(Filter.range("year", { gte: 2021, lt: 2025 })), [2, 3, 4]],
          [Filter.all(Filter.range("year", { gt: 2025 })), ["five"]],
          [Filter.all(Filter.match("lang", "en"), Filter.range("year", { lte: 2023 })), [1, 3]],
          [Filter.some(Filter.match("lang", "de"), Filter.match("draft", true)), [3, 4]],
          [Filter.none(Filter.match("lang", "en")), [2, 4, "six"]],
          [Filter.all(Filter.match("tags", "guide")), [1, 2]],
          [Filter.all(Filter.anyOf("tags", ["faq", "api"])), [1, 3]],
          [Filter.all(Filter.match("meta.team", "docs")), [2]],
          [Filter.none(Filter.match("draft", true)), [1, 2, 4, "five", "six"]],
          [{ must: [Filter.match("lang", "en")], must_not: [Filter.some(Filter.match("draft", true), Filter.range("year", { lt: 2020 }))] }, ["five"]],
          [{ must: [Filter.match("lang", "en")], should: [Filter.match("year", 2019), Filter.match("year", 2023)] }, [1, 3]],
          [Filter.all(Filter.match("year", 2024)), [4]],
          [Filter.all(Filter.match("nope", "x")), []]
        ]
        for (const [filter, expected] of cases) {
          assert.deepStrictEqual(
            yield* ids(filter),
            [...expected].sort((a, b) => String(a).localeCompare(String(b))),
            JSON.stringify(filter)
          )
        }
        const top = yield* VectorStore.search({ store, collection, vector: [1, 0, 0], topK: 2, filter: Filter.none(Filter.match("lang", "en")) })
        assert.deepStrictEqual(top.map((h) => h.id), [2, 4], "the filter applies before top-k")
      })))

    it.live("wrong dimensions fail with DimensionMismatch naming the field; an invalid batch writes nothing", () =>
      run(Effect.gen(function*() {
        yield* setup("cosine")
        const up = yield* Effect.flip(VectorStore.upsert({
          store,
          collection,
          points: [{ id: 1, vector: [1, 0, 0] }, { id: 2, vector: [1, 0] }]
        }))
        assert.strictEqual(up._tag, "DimensionMismatch")
        if (up._tag === "DimensionMismatch") assert.deepStrictEqual([up.field, up.expected, up.actual], ["points[1].vector", 3, 2])
        assert.strictEqual(up.message, `Vector store "${store}", collection "${collection}": points[1].vector has dimension 2, expected 3`)
        assert.strictEqual((yield* VectorStore.getCollection({ store, collection })).pointsCount, 0)
        const s = yield* Effect.flip(VectorStore.search({ store, collection, vector: [1, 2, 3, 4], topK: 1 }))
        assert.strictEqual(s._tag, "DimensionMismatch")
        if (s._tag === "DimensionMismatch") assert.deepStrictEqual([s.field, s.expected, s.actual], ["vector", 3, 4])
      })))

    it.live("an unknown collection fails with CollectionNotFound naming store and collection", () =>
      run(Effect.gen(function*() {
        const expected = `Vector store "${store}": collection "missing" does not exist`
        const errors = [
          yield* Effect.flip(VectorStore.search({ store, collection: "missing", vector: [1, 0, 0], topK: 1 })),
          yield* Effect.flip(VectorStore.upsert({ store, collection: "missing", points: [{ id: 1, vector: [1, 0, 0] }] })),
          yield* Effect.flip(VectorStore.delete({ store, collection: "missing", ids: [1] })),
          yield* Effect.flip(VectorStore.getCollection({ store, collection: "missing" }))
        ]
        for (const e of errors) {
          assert.strictEqual(e._tag, "CollectionNotFound")
          assert.strictEqual(e.message, expected)
          assert.strictEqual(e.retryable, false)
        }
      })))

    it.live("deleteCollection drops the collection; deleting an unknown one is a no-op", () =>
      run(Effect.gen(function*() {
        yield* setup("dot")
        yield* VectorStore.upsert({ store, collection, points: docs })
        yield* VectorStore.deleteCollection({ store, collection })
        yield* VectorStore.deleteCollection({ store, collection: "never-existed" })
        const e = yield* Effect.flip(VectorStore.getCollection({ store, collection }))
        assert.strictEqual(e._tag, "CollectionNotFound")
        yield* setup("dot", 2)
        assert.deepStrictEqual(yield* VectorStore.getCollection({ store, collection }), {
          collection,
          dimension: 2,
          distance: "dot",
          pointsCount: 0
        })
      })))

    it.live("bad arguments fail with VectorStoreError naming the field", () =>
      run(Effect.gen(function*() {
        yield* setup("dot")
        const bad = [
          [yield* Effect.flip(VectorStore.search({ store, collection, vector: [1, 0, 0], topK: 0 })), "search", "topK must be a positive integer, got 0"],
          [yield* Effect.flip(VectorStore.search({ store, collection, vector: [1, Number.NaN, 0], topK: 1 })), "search", "vector[1] must be a finite number"],
          [yield* Effect.flip(VectorStore.upsert({ store, collection, points: [{ id: -1, vector: [1, 0, 0] }] })), "upsert", "points[0].id must be a non-negative integer or a non-empty string, got -1"],
          [yield* Effect.flip(VectorStore.upsert({ store, collection, points: [{ id: "", vector: [1, 0, 0] }] })), "upsert", "points[0].id"],
          [yield* Effect.flip(VectorStore.delete({ store, collection, ids: [1.5] })), "delete", "ids[0] must be a non-negative integer"],
          [
            yield* Effect.flip(VectorStore.search({ store, collection, vector: [1, 0, 0], topK: 1, filter: { must: [{ key: "lang" } as never] } })),
            "search",
            "invalid filter.must[0]: condition on \"lang\" needs match or range"
          ],
          [
            yield* Effect.flip(VectorStore.search({ store, collection, vector: [1, 0, 0], topK: 1, filter: { musst: [] } as never })),
            "search",
            "filter.musst: unknown filter clause"
          ],
          [yield* Effect.flip(VectorStore.createCollection({ store, collection: "x", dimension: 0, distance: "dot" })), "createCollection", "dimension must be a positive integer, got 0"],
          [yield* Effect.flip(VectorStore.createCollection({ store, collection: "x", dimension: 2, distance: "manhattan" as never })), "createCollection", "distance must be one of cosine, dot, euclid"]
        ] as const
        for (const [e, operation, text] of bad) {
          assert.strictEqual(e._tag, "VectorStoreError", text)
          if (e._tag === "VectorStoreError") assert.strictEqual(e.operation, operation)
          assert.strictEqual(e.retryable, false)
          assert.include(e.message, `Vector store "${store}"`)
          assert.include(e.message, text)
        }
        assert.strictEqual((yield* VectorStore.getCollection({ store, collection })).pointsCount, 0)
      })))
  })
}

const texts: ReadonlyArray<Point> = [
  { id: 1, vector: [1, 0, 0], payload: { text: "Reset your password from the account settings page", lang: "en" } },
  { id: "2", vector: [0, 1, 0], payload: { text: "Billing invoices are emailed monthly", lang: "en" } },
  { id: 3, vector: [0, 0, 1], payload: { text: "Password rules: twelve characters, one digit", lang: "fr" } },
  { id: "four", vector: [1, 1, 0], payload: { text: "Webhooks retry failed deliveries", lang: "en" } },
  { id: 5, vector: [1, 0, 1], payload: { lang: "en" } }
]

/**
 * The keyword side of hybrid search, for stores that offer `keywordSearch`. Scores are the backend's (BM25,
 * ts_rank, ...), so only relations between results are asserted, never values.
 */
export const keywordSearchContract = (label: string, makeLayer: StoreLayerFactory): void => {
  const run = <A, E>(effect: Effect.Effect<A, E, VectorStoreFor<typeof store>>) => effect.pipe(Effect.provide(makeLayer(store)))
  const setup = Effect.gen(function*() {
    yield* VectorStore.createCollection({ store, collection, dimension: 3, distance: "cosine" })
    yield* VectorStore.upsert({ store, collection, points: texts })
  })
  const ids = (query: string, options: { readonly topK?: number; readonly filter?: Filter.Filter } = {}) =>
    VectorStore.keywordSearch({ store, collection, query, topK: options.topK ?? 10, ...(options.filter ? { filter: options.filter } : {}) }).pipe(
      Effect.map((hits) => hits.map((h) => h.id))
    )

  describe(`VectorStore keyword search contract: ${label}`, () => {
    it.live("returns only points whose text shares a term with the query, best first, with their payloads", () =>
      run(Effect.gen(function*() {
        yield* setup
        assert.isTrue(yield* VectorStore.hasKeywordSearch(store))
        const hits = yield* VectorStore.keywordSearch({ store, collection, query: "reset password", topK: 10 })
        assert.deepStrictEqual(hits.map((h) => h.id), [1, 3], "both terms beat one term")
        assert.deepStrictEqual(hits[0]!.payload, texts[0]!.payload)
        assert.isAbove(hits[0]!.score, hits[1]!.score)
        assert.deepStrictEqual(yield* ids("webhooks"), ["four"])
        assert.deepStrictEqual(yield* ids("kangaroo"), [])
        assert.deepStrictEqual(yield* ids("invoices"), ["2"], "string ids keep their type")
      })))

    it.live("topK and filters apply before the cut; points without text never match", () =>
      run(Effect.gen(function*() {
        yield* setup
        const all = yield* ids("password")
        assert.sameMembers(all, [1, 3])
        assert.deepStrictEqual(yield* ids("password", { topK: 1 }), all.slice(0, 1))
        assert.deepStrictEqual(yield* ids("password", { filter: Filter.all(Filter.match("lang", "en")) }), [1])
        assert.deepStrictEqual(yield* ids("password", { filter: Filter.none(Filter.match("lang", "en")) }), [3])
      })))

    it.live("updates and deletes are reflected", () =>
      run(Effect.gen(function*() {
        yield* setup
        yield* VectorStore.upsert({ store, collection, points: [{ id: 3, vector: [0, 0, 1], payload: { text: "Shipping takes five days" } }] })
        assert.deepStrictEqual(yield* ids("password"), [1])
        assert.deepStrictEqual(yield* ids("shipping"), [3])
        yield* VectorStore.delete({ store, collection, ids: [1] })
        assert.deepStrictEqual(yield* ids("password"), [])
      })))

    it.live("an unknown collection is CollectionNotFound; a bad topK is a VectorStoreError naming it", () =>
      run(Effect.gen(function*() {
        yield* setup
        const missing = yield* Effect.flip(VectorStore.keywordSearch({ store, collection: "missing", query: "x", topK: 1 }))
        assert.strictEqual(missing._tag, "CollectionNotFound")
        const bad = yield* Effect.flip(VectorStore.keywordSearch({ store, collection, query: "x", topK: 0 }))
        assert.strictEqual(bad._tag, "VectorStoreError")
        assert.include(bad.message, "topK must be a positive integer, got 0")
      })))
  })
}

import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { Filter, VectorStore } from "../../src/vector/index.ts"
import { Bm25 } from "../../src/vector/index.ts"
import { ORIGINAL_ID_FIELD, SPARSE_VECTOR, toQdrantId } from "../../src/vector/QdrantStore.ts"
import * as SparseBm25 from "../../src/vector/SparseBm25.ts"
import { keywordSearchContract, vectorStoreContract } from "./contract.ts"
import { type FakeQdrant, startFakeQdrant } from "./FakeQdrant.ts"

// Every contract test gets its own fake server, so each store starts empty.
vectorStoreContract("Qdrant over a fake Qdrant server", (name) =>
  Layer.unwrap(Effect.map(startFakeQdrant(), (fake) => VectorStore.layerQdrant(name, { url: fake.url }))))
vectorStoreContract("Qdrant (dense only, keywordSearch: false) over a fake Qdrant server", (name) =>
  Layer.unwrap(Effect.map(startFakeQdrant(), (fake) => VectorStore.layerQdrant(name, { url: fake.url, keywordSearch: false }))))
keywordSearchContract("Qdrant BM25 sparse vectors over a fake Qdrant server", (name) =>
  Layer.unwrap(Effect.map(startFakeQdrant(), (fake) => VectorStore.layerQdrant(name, { url: fake.url }))))

const secret = "s3cr3t-api-key-value"

const withStore = <A, E>(
  body: (fake: FakeQdrant) => Effect.Effect<A, E, VectorStore.VectorStoreFor<"docs">>,
  options: { readonly serverKey?: string; readonly clientKey?: string } = { serverKey: secret, clientKey: secret }
) =>
  Effect.scoped(Effect.gen(function*() {
    const fake = yield* startFakeQdrant(options.serverKey === undefined ? {} : { apiKey: options.serverKey })
    const layer = VectorStore.layerQdrant("docs", {
      url: fake.url,
      ...(options.clientKey === undefined ? {} : { apiKey: Redacted.make(options.clientKey) })
    })
    return yield* body(fake).pipe(Effect.provide(layer))
  }))

const store = "docs"
const collection = "documentation"

describe("VectorStore.layerQdrant (requests seen by the server)", () => {
  it.live("createCollection sends PUT /collections/{name} with size and Qdrant distance, and the api-key header", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 3, distance: "euclid" })
        const [req] = fake.requests
        assert.strictEqual(fake.requests.length, 1)
        assert.strictEqual(req!.method, "PUT")
        assert.strictEqual(req!.path, "/collections/documentation")
        assert.deepStrictEqual(req!.body, { vectors: { size: 3, distance: "Euclid" }, sparse_vectors: { bm25: { modifier: "idf" } } })
        assert.strictEqual(req!.headers["api-key"], secret)
      })
    ))

  it.live("upsert sends PUT .../points?wait=true; string ids become UUIDs with the original id in the payload", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "cosine" })
        const uuid = "6f1c2b7e-4a3d-4e5f-9a8b-0c1d2e3f4a5b"
        yield* VectorStore.upsert({
          store,
          collection,
          points: [
            { id: 7, vector: [1, 0], payload: { lang: "en", text: "Reset the password" } },
            { id: "doc-1", vector: [0, 1] },
            { id: uuid, vector: [1, 1], payload: { n: 1 } }
          ]
        })
        const sparse = SparseBm25.document("Reset the password")
        const req = fake.requests.at(-1)!
        assert.strictEqual(req.method, "PUT")
        assert.strictEqual(req.path, "/collections/documentation/points")
        assert.strictEqual(req.query["wait"], "true")
        assert.deepStrictEqual(req.body, {
          points: [
            // The dense vector is the default ("") one; the text's BM25 terms go to the sparse vector.
            { id: 7, vector: { "": [1, 0], bm25: { indices: [...sparse.indices], values: [...sparse.values] } }, payload: { lang: "en", text: "Reset the password" } },
            { id: toQdrantId("doc-1"), vector: { "": [0, 1] }, payload: { [ORIGINAL_ID_FIELD]: "doc-1" } },
            { id: uuid, vector: { "": [1, 1] }, payload: { n: 1, [ORIGINAL_ID_FIELD]: uuid } }
          ]
        })
        assert.match(String(toQdrantId("doc-1")), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
        assert.strictEqual(toQdrantId("doc-1"), toQdrantId("doc-1"))
        assert.notStrictEqual(toQdrantId("doc-1"), toQdrantId("doc-2"))
        assert.ok(fake.requests.every((r) => r.headers["api-key"] === secret))
      })
    ))

  it.live("search sends POST .../points/query with query, limit, with_payload and the filter as Qdrant JSON", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" })
        yield* VectorStore.upsert({ store, collection, points: [{ id: "doc-1", vector: [1, 0], payload: { lang: "en", year: 2024 } }] })
        const hits = yield* VectorStore.search({
          store,
          collection,
          vector: [0.5, 0.25],
          topK: 3,
          filter: { ...Filter.all(Filter.match("lang", "en"), Filter.range("year", { gte: 2020 })), must_not: [Filter.anyOf("tag", ["x", 2])] }
        })
        assert.deepStrictEqual(hits, [{ id: "doc-1", score: 0.5, payload: { lang: "en", year: 2024 } }])
        const req = fake.requests.at(-1)!
        assert.strictEqual(req.method, "POST")
        assert.strictEqual(req.path, "/collections/documentation/points/query")
        assert.deepStrictEqual(req.body, {
          query: [0.5, 0.25],
          limit: 3,
          with_payload: true,
          filter: {
            must: [{ key: "lang", match: { value: "en" } }, { key: "year", range: { gte: 2020 } }],
            must_not: [{ key: "tag", match: { any: ["x", 2] } }]
          }
        })
      })
    ))

  it.live("the collection's dimension is fetched once (GET /collections/{name}) and then cached", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        fake.collections.set(collection, { size: 2, distance: "Dot", points: new Map() })
        yield* VectorStore.upsert({ store, collection, points: [{ id: 1, vector: [1, 0] }] })
        yield* VectorStore.search({ store, collection, vector: [1, 0], topK: 1 })
        yield* VectorStore.search({ store, collection, vector: [1, 0], topK: 1 })
        assert.deepStrictEqual(fake.requests.map((r) => `${r.method} ${r.path}`), [
          "GET /collections/documentation",
          "PUT /collections/documentation/points",
          "POST /collections/documentation/points/query",
          "POST /collections/documentation/points/query"
        ])
      })
    ))

  it.live("large upserts are sent in batches of upsertBatchSize points", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* startFakeQdrant()
      const points = Array.from({ length: 600 }, (_, i) => ({ id: i, vector: [i, 1] }))
      yield* Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" })
        yield* VectorStore.upsert({ store, collection, points })
        assert.strictEqual((yield* VectorStore.getCollection({ store, collection })).pointsCount, 600)
      }).pipe(Effect.provide(VectorStore.layerQdrant(store, { url: fake.url, upsertBatchSize: 250 })))
      const batches = fake.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/points"))
      assert.deepStrictEqual(batches.map((r) => (r.body as { points: Array<{ id: number }> }).points.map((p) => p.id)), [
        points.slice(0, 250).map((p) => p.id),
        points.slice(250, 500).map((p) => p.id),
        points.slice(500).map((p) => p.id)
      ])
    })))

  it.live("delete sends POST .../points/delete?wait=true with the mapped ids", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" })
        yield* VectorStore.delete({ store, collection, ids: [3, "doc-1"] })
        const req = fake.requests.at(-1)!
        assert.strictEqual(`${req.method} ${req.path}`, "POST /collections/documentation/points/delete")
        assert.strictEqual(req.query["wait"], "true")
        assert.deepStrictEqual(req.body, { points: [3, toQdrantId("doc-1")] })
      })
    ))

  it.live("without apiKey no api-key header is sent", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" })
        assert.strictEqual(fake.requests[0]!.headers["api-key"], undefined)
      }), {}))
})

describe("VectorStore.layerQdrant (error mapping)", () => {
  it.live("401 from a wrong api key: VectorStoreError with status, server text, no secret anywhere", () =>
    withStore(() =>
      Effect.gen(function*() {
        const e = yield* Effect.flip(VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" }))
        assert.strictEqual(e._tag, "VectorStoreError")
        if (e._tag !== "VectorStoreError") return
        assert.strictEqual(e.status, 401)
        assert.strictEqual(e.retryable, false)
        assert.strictEqual(e.operation, "createCollection")
        assert.include(e.message, `Vector store "docs" (Qdrant at http://127.0.0.1:`)
        assert.include(e.message, `collection "documentation": HTTP 401: Must provide an API key`)
        for (const text of [e.message, String(e), JSON.stringify(e), e.stack ?? ""]) assert.notInclude(text, "wrong-key-value")
      }), { serverKey: secret, clientKey: "wrong-key-value" }))

  it.live("5xx: VectorStoreError with status and the server's error text; a secret echoed by the server is scrubbed", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" })
        fake.failNext(503, `Service Unavailable: overloaded (key ${secret})`)
        const e = yield* Effect.flip(VectorStore.search({ store, collection, vector: [1, 0], topK: 1 }))
        assert.strictEqual(e._tag, "VectorStoreError")
        if (e._tag !== "VectorStoreError") return
        assert.strictEqual(e.status, 503)
        assert.strictEqual(e.retryable, true)
        assert.strictEqual(e.operation, "search")
        assert.strictEqual(e.collection, collection)
        assert.include(e.message, "HTTP 503: Service Unavailable: overloaded (key <redacted>)")
        assert.notInclude(JSON.stringify(e), secret)
      })
    ))

  it.live("createCollection on an existing collection: 409 (Qdrant >= 1.8) or 400 \"already exists\" (older) both mean exists", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        fake.collections.set(collection, { size: 2, distance: "Dot", points: new Map() })
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" })
        fake.failNext(400, `Wrong input: Collection \`${collection}\` already exists!`)
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" })
        assert.deepStrictEqual(fake.requests.map((r) => `${r.method} ${r.path}`), [
          "PUT /collections/documentation",
          "GET /collections/documentation",
          "PUT /collections/documentation",
          "GET /collections/documentation"
        ])
        fake.failNext(400, "Wrong input: bad vectors config")
        const e = yield* Effect.flip(VectorStore.createCollection({ store, collection: "other", dimension: 2, distance: "dot" }))
        assert.strictEqual(e._tag, "VectorStoreError")
        assert.include(e.message, "HTTP 400: Wrong input: bad vectors config")
      })
    ))

  it.live("404 on any collection call is CollectionNotFound, and a server-side dimension error is DimensionMismatch", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" })
        // Recreated behind the adapter's back with another dimension: the cached dimension is stale, the server objects.
        fake.collections.set(collection, { size: 3, distance: "Dot", points: new Map() })
        const dim = yield* Effect.flip(VectorStore.upsert({ store, collection, points: [{ id: 1, vector: [1, 0] }] }))
        assert.strictEqual(dim._tag, "DimensionMismatch")
        if (dim._tag === "DimensionMismatch") assert.deepStrictEqual([dim.field, dim.expected, dim.actual], ["vector", 3, 2])
        fake.collections.delete(collection)
        const gone = yield* Effect.flip(VectorStore.search({ store, collection, vector: [1, 0], topK: 1 }))
        assert.strictEqual(gone._tag, "CollectionNotFound")
        // The 404 dropped the cached config: after re-creation with dimension 3, 3-d vectors are accepted.
        fake.collections.set(collection, { size: 3, distance: "Dot", points: new Map() })
        yield* VectorStore.upsert({ store, collection, points: [{ id: 1, vector: [1, 0, 0] }] })
      })
    ))

  it.live("a request slower than timeoutMillis fails with a retryable VectorStoreError; 429 is retryable, 400 is not", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* startFakeQdrant()
      yield* Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" })
        fake.delayNext(1000)
        const slow = yield* Effect.flip(VectorStore.search({ store, collection, vector: [1, 0], topK: 1 }))
        assert.strictEqual(slow._tag, "VectorStoreError")
        if (slow._tag === "VectorStoreError") {
          assert.include(slow.message, "timed out after 100 ms")
          assert.strictEqual(slow.retryable, true)
        }
        fake.failNext(429, "Too many requests")
        const limited = yield* Effect.flip(VectorStore.search({ store, collection, vector: [1, 0], topK: 1 }))
        assert.deepStrictEqual([limited._tag, limited.retryable], ["VectorStoreError", true])
        fake.failNext(400, "Bad request: something")
        const bad = yield* Effect.flip(VectorStore.search({ store, collection, vector: [1, 0], topK: 1 }))
        assert.deepStrictEqual([bad._tag, bad.retryable], ["VectorStoreError", false])
        assert.include(bad.message, "HTTP 400: Bad request: something")
      }).pipe(Effect.provide(VectorStore.layerQdrant(store, { url: fake.url, timeoutMillis: 100 })))
    })))

  it.live("interrupting a call (e.g. a step timeout) aborts its HTTP request", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* startFakeQdrant()
      yield* Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" })
        fake.delayNext(2000)
        const result = yield* VectorStore.search({ store, collection, vector: [1, 0], topK: 1 }).pipe(Effect.timeoutOption("50 millis"))
        assert.strictEqual(result._tag, "None")
      }).pipe(Effect.provide(VectorStore.layerQdrant(store, { url: fake.url })))
      // The server sees the connection closed without having answered.
      for (let i = 0; i < 100 && fake.aborted.length === 0; i++) yield* Effect.sleep("10 millis")
      assert.deepStrictEqual(fake.aborted, ["/collections/documentation/points/query"])
    })))

  it.live("an unreachable server: VectorStoreError naming the store, the URL and the operation", () =>
    Effect.gen(function*() {
      const url = yield* Effect.scoped(Effect.map(startFakeQdrant(), (f) => f.url)) // closed again: nothing listens there
      const e = yield* Effect.flip(
        VectorStore.search({ store, collection, vector: [1, 0], topK: 1 }).pipe(
          Effect.provide(VectorStore.layerQdrant(store, { url, apiKey: Redacted.make(secret) }))
        )
      )
      assert.strictEqual(e._tag, "VectorStoreError")
      if (e._tag !== "VectorStoreError") return
      assert.strictEqual(e.operation, "search")
      assert.strictEqual(e.retryable, true)
      assert.include(e.message, `Vector store "docs" (Qdrant at ${url}), collection "documentation"`)
      assert.include(e.message, "ECONNREFUSED")
      assert.notInclude(JSON.stringify(e), secret)
    }))

  it.live("an invalid URL fails the layer with VectorStoreError", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Layer.build(VectorStore.layerQdrant(store, { url: "localhost:6333" })).pipe(Effect.scoped))
      assert.strictEqual(e._tag, "VectorStoreError")
      assert.strictEqual(e.operation, "connect")
      assert.include(e.message, "`url` param expected to contain a valid URL")
    }))
})

describe("VectorStore.layerQdrantConfig", () => {
  it.live("reads <PREFIX>_URL and <PREFIX>_API_KEY", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* startFakeQdrant({ apiKey: secret })
      const layer = VectorStore.layerQdrantConfig(store, VectorStore.qdrantConfig("DOCS_QDRANT")).pipe(
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({ DOCS_QDRANT_URL: fake.url, DOCS_QDRANT_API_KEY: secret })))
      )
      yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" }).pipe(Effect.provide(layer))
      assert.strictEqual(fake.requests[0]!.headers["api-key"], secret)
    })))

  it.live("a missing URL fails the layer with a ConfigError naming the variable", () =>
    Effect.gen(function*() {
      const layer = VectorStore.layerQdrantConfig(store).pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({}))))
      const e = yield* Effect.flip(VectorStore.getCollection({ store, collection }).pipe(Effect.provide(layer)))
      assert.strictEqual(e._tag, "ConfigError")
      assert.include(String(e), "QDRANT_URL")
    }))
})

describe("VectorStore.layerQdrant keyword search (sparse BM25 vectors)", () => {
  const corpus = [
    "Reset your password from the account settings page",
    "Password rules: at least twelve characters, and the password expires yearly",
    "Billing runs on the first day of the month; invoices are emailed",
    "To reset two-factor authentication, contact support with your account id",
    "Webhooks retry failed deliveries with exponential backoff",
    "The settings page lists your sessions; sign out of old sessions there"
  ]

  it.live("sends the query's terms to POST .../points/query with using: bm25 and the filter; scores are BM25 (Bm25.Index as the oracle)", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "cosine" })
        yield* VectorStore.upsert({
          store,
          collection,
          points: corpus.map((text, i) => ({ id: `doc-${i}`, vector: [1, i], payload: { text, n: i } }))
        })
        const hits = yield* VectorStore.keywordSearch({ store, collection, query: "How do I reset my password?", topK: 10 })
        const req = fake.requests.at(-1)!
        assert.strictEqual(req.path, "/collections/documentation/points/query")
        const terms = SparseBm25.query("reset password")
        assert.deepStrictEqual(req.body, { query: { indices: [...terms.indices], values: [1, 1] }, using: SPARSE_VECTOR, limit: 10, with_payload: true })
        // The same ranking and scores as the in-memory BM25 index when averageLength is the corpus' mean term count.
        const index = new Bm25.Index<string>()
        corpus.forEach((text, i) => index.add(`doc-${i}`, text))
        const mean = corpus.reduce((sum, text) => sum + Bm25.terms(text).length, 0) / corpus.length
        const oracle = index.search("How do I reset my password?", 10)
        // With the default averageLength (100 terms) the short doc-0 is not penalised for length as it is against this
        // corpus' mean (~6 terms): the same matches, another order.
        assert.deepStrictEqual(hits.map((h) => h.id), ["doc-0", "doc-1", "doc-3"])
        assert.sameMembers(oracle.map((h) => h.key), ["doc-0", "doc-1", "doc-3"])
        assert.strictEqual(hits[0]!.payload["text"], corpus[0])
        assert.notProperty(hits[0]!.payload, ORIGINAL_ID_FIELD)
        // With averageLength set to the corpus' mean, Qdrant's idf × our document weights is BM25 exactly.
        const exact = yield* Effect.scoped(Effect.gen(function*() {
          const other = yield* startFakeQdrant()
          return yield* Effect.gen(function*() {
            yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "cosine" })
            yield* VectorStore.upsert({ store, collection, points: corpus.map((text, i) => ({ id: `doc-${i}`, vector: [1, i], payload: { text } })) })
            return yield* VectorStore.keywordSearch({ store, collection, query: "reset password", topK: 10 })
          }).pipe(Effect.provide(VectorStore.layerQdrant(store, { url: other.url, bm25: { ...SparseBm25.defaultParameters, averageLength: mean } })))
        }))
        assert.deepStrictEqual(exact.map((h) => h.id), oracle.map((h) => h.key))
        exact.forEach((h, i) => assert.approximately(h.score, oracle[i]!.score, 1e-9, `score of ${String(h.id)}`))

        const filtered = yield* VectorStore.keywordSearch({ store, collection, query: "settings", topK: 5, filter: Filter.all(Filter.range("n", { gte: 1 })) })
        assert.deepStrictEqual(filtered.map((h) => h.id), ["doc-5"])
        assert.deepStrictEqual((fake.requests.at(-1)!.body as any).filter, { must: [{ key: "n", range: { gte: 1 } }] })
        const before = fake.requests.length
        assert.deepStrictEqual(yield* VectorStore.keywordSearch({ store, collection, query: "the and of", topK: 5 }), [])
        assert.strictEqual(fake.requests.length, before, "a query of stop words sends nothing")
      })
    ))

  it.live("keywordSearch: false creates dense-only collections and keyword search fails naming the missing sparse vector; so does a collection made elsewhere", () =>
    Effect.gen(function*() {
      const e = yield* withStore((fake) =>
        Effect.gen(function*() {
          yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "dot" })
          assert.deepStrictEqual(fake.requests[0]!.body, { vectors: { size: 2, distance: "Dot" } })
          yield* VectorStore.upsert({ store, collection, points: [{ id: 1, vector: [1, 0], payload: { text: "password" } }] })
          assert.deepStrictEqual((fake.requests.at(-1)!.body as any).points[0].vector, [1, 0])
          return yield* Effect.flip(VectorStore.keywordSearch({ store, collection, query: "password", topK: 3 }))
        }).pipe(Effect.provide(VectorStore.layerQdrant(store, { url: fake.url, keywordSearch: false }))), { })
      assert.strictEqual(e._tag, "VectorStoreError")
      assert.include(e.message, `collection "documentation": has no sparse vector "bm25" (created with keywordSearch: false or not by this store)`)
      const e2 = yield* withStore((fake) =>
        Effect.gen(function*() {
          fake.collections.set(collection, { size: 2, distance: "Dot", points: new Map() })
          return yield* Effect.flip(VectorStore.keywordSearch({ store, collection, query: "password", topK: 3 }))
        }), {})
      assert.include(e2.message, `has no sparse vector "bm25"`)
    }))

  it.live("an update re-sends the sparse vector; a text emptied of terms drops it (upsert replaces the point)", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection, dimension: 2, distance: "cosine" })
        yield* VectorStore.upsert({ store, collection, points: [{ id: 1, vector: [1, 0], payload: { text: "password reset" } }, { id: 2, vector: [0, 1], payload: { text: "password" } }] })
        yield* VectorStore.upsert({ store, collection, points: [{ id: 1, vector: [1, 0], payload: { text: "..." } }] })
        assert.deepStrictEqual((fake.requests.at(-1)!.body as any).points[0].vector, { "": [1, 0] })
        assert.deepStrictEqual((yield* VectorStore.keywordSearch({ store, collection, query: "password reset", topK: 3 })).map((h) => h.id), [2])
      })
    ))
})

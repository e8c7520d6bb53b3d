// Weaviate through the official weaviate-client v3 against a local fake (test/vector/FakeWeaviate.ts): REST for the
// schema, gRPC (nice-grpc, the client's own proto definitions) for batch writes, searches, counts and deletes.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Status } from "nice-grpc"
import { Filter, VectorStore } from "../../src/vector/index.ts"
import { collectionName, fieldProperty, fieldsOf, toWeaviateId } from "../../src/vector/WeaviateStore.ts"
import { keywordSearchContract, vectorStoreContract } from "./contract.ts"
import { startFakeWeaviate } from "./FakeWeaviate.ts"

const secret = "weaviate-SECRET-key"

const layer = <const N extends string>(name: N) =>
  Layer.unwrap(Effect.map(startFakeWeaviate({ apiKey: secret }), (fake) =>
    VectorStore.layerWeaviate(name, { url: fake.url, grpcUrl: fake.grpcUrl, apiKey: Redacted.make(secret) })))

vectorStoreContract("Weaviate over a fake Weaviate (REST + gRPC)", layer)
keywordSearchContract("Weaviate BM25 over a fake Weaviate (REST + gRPC)", layer)

const withStore = <A, E>(
  body: (fake: Effect.Success<ReturnType<typeof startFakeWeaviate>>) => Effect.Effect<A, E, VectorStore.VectorStoreFor<"wv">>,
  options: { readonly apiKey?: string; readonly timeoutMillis?: number } = {}
) =>
  Effect.scoped(Effect.gen(function*() {
    const fake = yield* startFakeWeaviate({ apiKey: secret })
    return yield* body(fake).pipe(Effect.provide(VectorStore.layerWeaviate("wv", {
      url: fake.url,
      grpcUrl: fake.grpcUrl,
      apiKey: Redacted.make(options.apiKey ?? secret),
      ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis })
    })))
  }))

const store = "wv"

describe("Weaviate store (requests seen by the server)", () => {
  it.live("createCollection posts the class (named vector, distance, properties, indexNullState) over REST with the API key", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection: "documentation", dimension: 3, distance: "euclid" })
        const create = fake.rest.requests.find((r) => r.method === "POST" && r.path === "/v1/schema")!
        assert.strictEqual(create.headers["authorization"], `Bearer ${secret}`)
        assert.strictEqual(create.body.class, collectionName("", "documentation"))
        assert.match(create.body.class, /^Documentation_[0-9a-f]{8}$/)
        assert.strictEqual(create.body.description, "llm-orchestrator vector store; dimension=3")
        assert.deepStrictEqual(create.body.vectorConfig.default.vectorizer, { none: {} })
        assert.strictEqual(create.body.vectorConfig.default.vectorIndexType, "hnsw")
        assert.strictEqual(create.body.vectorConfig.default.vectorIndexConfig.distance, "l2-squared")
        assert.strictEqual(create.body.invertedIndexConfig.indexNullState, true)
        assert.deepStrictEqual(create.body.properties.map((p: any) => [p.name, p.dataType, p.tokenization, p.indexSearchable, p.indexFilterable]), [
          ["text", ["text"], "word", true, false],
          ["payload", ["text"], undefined, false, false],
          ["pointId", ["text"], "field", false, true]
        ])
        // The client's init checks: REST meta and the gRPC health check.
        assert.ok(fake.rest.requests.some((r) => r.path === "/v1/meta"))
        assert.strictEqual(collectionName("", "Docs"), "Docs")
        assert.notStrictEqual(collectionName("", "docs"), collectionName("", "Docs"))
      })))

  it.live("upsert adds the filterable properties first, then one gRPC BatchObjects with UUIDs, the named float32 vector and typed arrays", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection: "Docs", dimension: 2, distance: "cosine" })
        const payload = { text: "Reset the password", lang: "en", year: 2024, score: 0.5, draft: false, meta: { team: "x" }, tags: ["a", "b"] }
        yield* VectorStore.upsert({ store, collection: "Docs", points: [{ id: 7, vector: [0.25, 1], payload }, { id: "doc-1", vector: [1, 0] }] })
        const added = fake.rest.requests.filter((r) => r.path === "/v1/schema/Docs/properties").map((r) => [r.body.name, r.body.dataType, r.body.tokenization])
        assert.sameDeepMembers(added, [
          ["f_t_text", ["text[]"], "field"],
          ["f_t_lang", ["text[]"], "field"],
          ["f_n_year", ["number[]"], undefined],
          ["f_n_score", ["number[]"], undefined],
          ["f_b_draft", ["boolean[]"], undefined],
          ["f_t_meta_2Eteam", ["text[]"], "field"],
          ["f_t_tags", ["text[]"], "field"]
        ])
        const batch = fake.grpcCalls.filter((c) => c.method === "BatchObjects")
        assert.strictEqual(batch.length, 1)
        assert.strictEqual(batch[0]!.authorization, `Bearer ${secret}`)
        const [first, second] = batch[0]!.request.objects
        assert.strictEqual(first.uuid, toWeaviateId(7))
        assert.strictEqual(second.uuid, toWeaviateId("doc-1"))
        assert.notStrictEqual(toWeaviateId(7), toWeaviateId("7"))
        assert.strictEqual(first.collection, "Docs")
        assert.strictEqual(first.vectors[0].name, "default")
        assert.deepStrictEqual(Array.from(new Float32Array(new Uint8Array(first.vectors[0].vectorBytes).buffer)), [0.25, 1])
        assert.deepStrictEqual(first.properties.nonRefProperties, { text: "Reset the password", payload: JSON.stringify(payload), pointId: "#7" })
        assert.deepStrictEqual(first.properties.textArrayProperties.map((p: any) => [p.propName, p.values]).sort(), [
          ["f_t_lang", ["en"]],
          ["f_t_meta_2Eteam", ["x"]],
          ["f_t_tags", ["a", "b"]],
          ["f_t_text", ["Reset the password"]]
        ])
        assert.deepStrictEqual(first.properties.intArrayProperties.map((p: any) => [p.propName, p.values]), [["f_n_year", [2024]]])
        assert.deepStrictEqual(first.properties.numberArrayProperties.map((p: any) => p.propName), ["f_n_score"])
        assert.deepStrictEqual(first.properties.booleanArrayProperties.map((p: any) => [p.propName, p.values]), [["f_b_draft", [false]]])
        // A second upsert with the same fields adds no property.
        const before = fake.rest.requests.length
        yield* VectorStore.upsert({ store, collection: "Docs", points: [{ id: 8, vector: [1, 1], payload: { lang: "fr" } }] })
        assert.strictEqual(fake.rest.requests.filter((r) => r.path.endsWith("/properties")).length, 7)
        assert.ok(fake.rest.requests.length === before, "nothing over REST")
      })))

  it.live("search sends nearVector on the default vector with limit, the filter as a Filters tree (ContainsAny, ranges, Not) and asks for distance; scores come back as similarities", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection: "Docs", dimension: 2, distance: "dot" })
        yield* VectorStore.upsert({
          store,
          collection: "Docs",
          points: [
            { id: 1, vector: [1, 0], payload: { lang: "en", year: 2024 } },
            { id: 2, vector: [0, 1], payload: { lang: "fr", year: 2019 } },
            { id: 3, vector: [1, 1] }
          ]
        })
        const hits = yield* VectorStore.search({
          store,
          collection: "Docs",
          vector: [2, 1],
          topK: 5,
          filter: { must: [Filter.range("year", { gte: 2020 })], must_not: [Filter.match("lang", "fr")] }
        })
        assert.deepStrictEqual(hits, [{ id: 1, score: 2, payload: { lang: "en", year: 2024 } }])
        const search = fake.grpcCalls.filter((c) => c.method === "Search").at(-1)!.request
        assert.strictEqual(search.collection, "Docs")
        assert.strictEqual(search.limit, 5)
        assert.deepStrictEqual(search.nearVector.targets.targetVectors, ["default"])
        assert.strictEqual(search.metadata.distance, true)
        assert.deepStrictEqual(search.properties.nonRefProperties, ["payload", "pointId"])
        const f = search.filters
        assert.strictEqual(f.operator, 7, "And")
        assert.deepStrictEqual(f.filters.map((g: any) => g.operator), [4, 15], "GreaterThanEqual, Not")
        assert.strictEqual(f.filters[0].target.property, "f_n_year")
        assert.strictEqual(f.filters[0].valueInt, 2020)
        assert.strictEqual(f.filters[1].filters[0].operator, 12, "ContainsAny")
        assert.strictEqual(f.filters[1].filters[0].target.property, "f_t_lang")
        assert.deepStrictEqual(f.filters[1].filters[0].valueTextArray.values, ["fr"])
        // must_not on a field no point has: nothing to exclude, no condition on an unknown property is sent.
        const all = yield* VectorStore.search({ store, collection: "Docs", vector: [1, 0], topK: 5, filter: Filter.none(Filter.match("nope", 1)) })
        assert.strictEqual(all.length, 3)
        assert.strictEqual(fake.grpcCalls.filter((c) => c.method === "Search").at(-1)!.request.filters, undefined)
        // A match on a field no point has matches nothing without a request.
        const searches = fake.grpcCalls.length
        assert.deepStrictEqual(yield* VectorStore.search({ store, collection: "Docs", vector: [1, 0], topK: 5, filter: Filter.all(Filter.match("nope", 1)) }), [])
        // (one REST schema look-up for the unknown property, no gRPC search)
        assert.strictEqual(fake.grpcCalls.length, searches)
      })))

  it.live("fields another writer added are found by a fresh schema look-up before filtering", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* startFakeWeaviate({ apiKey: secret })
      const make = <N extends string>(name: N) => VectorStore.layerWeaviate(name, { url: fake.url, grpcUrl: fake.grpcUrl, apiKey: Redacted.make(secret) })
      yield* VectorStore.createCollection({ store: "a", collection: "Docs", dimension: 2, distance: "cosine" }).pipe(Effect.provide(make("a")))
      const reader = yield* Layer.build(make("b"))
      // b learns the schema before a writes a new field.
      yield* VectorStore.getCollection({ store: "b", collection: "Docs" }).pipe(Effect.provide(reader))
      yield* VectorStore.upsert({ store: "a", collection: "Docs", points: [{ id: 1, vector: [1, 0], payload: { lang: "en" } }] }).pipe(Effect.provide(make("a")))
      const hits = yield* VectorStore.search({ store: "b", collection: "Docs", vector: [1, 0], topK: 3, filter: Filter.all(Filter.match("lang", "en")) }).pipe(Effect.provide(reader))
      assert.deepStrictEqual(hits.map((h) => h.id), [1])
    })))

  it.live("keywordSearch is gRPC bm25 on the text property asking for the score", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection: "Docs", dimension: 2, distance: "cosine" })
        yield* VectorStore.upsert({ store, collection: "Docs", points: [{ id: 1, vector: [1, 0], payload: { text: "reset your password", lang: "en" } }, { id: 2, vector: [0, 1], payload: { text: "billing" } }] })
        const hits = yield* VectorStore.keywordSearch({ store, collection: "Docs", query: "password", topK: 4, filter: Filter.all(Filter.match("lang", "en")) })
        assert.deepStrictEqual(hits.map((h) => h.id), [1])
        assert.isAbove(hits[0]!.score, 0)
        const req = fake.grpcCalls.filter((c) => c.method === "Search").at(-1)!.request
        assert.deepStrictEqual({ query: req.bm25Search.query, properties: req.bm25Search.properties }, { query: "password", properties: ["text"] })
        assert.strictEqual(req.metadata.score, true)
        assert.strictEqual(req.limit, 4)
        assert.strictEqual(req.filters.target.property, "f_t_lang")
      })))

  it.live("getCollection counts with gRPC Aggregate; delete is one BatchDelete by id", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store, collection: "Docs", dimension: 2, distance: "cosine" })
        yield* VectorStore.upsert({ store, collection: "Docs", points: [{ id: 1, vector: [1, 0] }, { id: "b", vector: [0, 1] }] })
        assert.strictEqual((yield* VectorStore.getCollection({ store, collection: "Docs" })).pointsCount, 2)
        assert.strictEqual(fake.grpcCalls.at(-1)!.method, "Aggregate")
        assert.strictEqual(fake.grpcCalls.at(-1)!.request.objectsCount, true)
        yield* VectorStore.delete({ store, collection: "Docs", ids: [1, "missing"] })
        const del = fake.grpcCalls.at(-1)!
        assert.strictEqual(del.method, "BatchDelete")
        assert.strictEqual(del.request.filters.target.property, "_id")
        assert.sameMembers(del.request.filters.valueTextArray.values, [toWeaviateId(1), toWeaviateId("missing")])
        assert.strictEqual((yield* VectorStore.getCollection({ store, collection: "Docs" })).pointsCount, 1)
        // Dropped behind the store's back: a write and a search are CollectionNotFound.
        fake.classes.delete("Docs")
        assert.strictEqual((yield* Effect.flip(VectorStore.upsert({ store, collection: "Docs", points: [{ id: 1, vector: [1, 0] }] })))._tag, "CollectionNotFound")
      })))

  it.live("a wrong key is a 401 VectorStoreError without the secret; gRPC INTERNAL and RESOURCE_EXHAUSTED are retryable; a slow call times out; a foreign class is refused", () =>
    Effect.gen(function*() {
      const e = yield* withStore(() => Effect.flip(VectorStore.getCollection({ store, collection: "Docs" })), { apiKey: "wrong-key-value" })
      assert.strictEqual(e._tag, "VectorStoreError")
      if (e._tag === "VectorStoreError") {
        assert.include(e.message, "anonymous access not enabled")
        assert.strictEqual(e.status, 401)
        assert.strictEqual(e.retryable, false)
        assert.include(e.message, 'Vector store "wv" (Weaviate)')
        assert.notInclude(JSON.stringify(e), "wrong-key-value")
      }
      // (The SDK itself retries UNAVAILABLE up to 5 times with backoff; other statuses reach us at once.)
      const [internal, limited] = yield* withStore((fake) =>
        Effect.gen(function*() {
          yield* VectorStore.createCollection({ store, collection: "Docs", dimension: 2, distance: "cosine" })
          fake.failNextGrpc(Status.INTERNAL, `shard failure, key ${secret}`)
          const a = yield* Effect.flip(VectorStore.search({ store, collection: "Docs", vector: [1, 0], topK: 1 }))
          fake.failNextGrpc(Status.RESOURCE_EXHAUSTED, "too many requests")
          const b = yield* Effect.flip(VectorStore.keywordSearch({ store, collection: "Docs", query: "x", topK: 1 }))
          return [a, b] as const
        }))
      assert.strictEqual(internal._tag, "VectorStoreError")
      if (internal._tag === "VectorStoreError") {
        assert.strictEqual(internal.status, 500)
        assert.strictEqual(internal.retryable, true)
        assert.notInclude(internal.message, secret)
        assert.include(internal.message, "<redacted>")
      }
      assert.strictEqual((limited as { status?: number }).status, 429)
      assert.strictEqual((limited as { retryable?: boolean }).retryable, true)
      const slow = yield* withStore((fake) =>
        Effect.gen(function*() {
          yield* VectorStore.createCollection({ store, collection: "Docs", dimension: 2, distance: "cosine" })
          fake.rest.delayNext(2_000)
          return yield* Effect.flip(VectorStore.deleteCollection({ store, collection: "Docs" }))
        }), { timeoutMillis: 300 })
      assert.strictEqual(slow._tag, "VectorStoreError")
      assert.include(slow.message, "timed out after 300 ms")
      assert.strictEqual((slow as { retryable?: boolean }).retryable, true)
      const foreign = yield* withStore((fake) =>
        Effect.gen(function*() {
          fake.classes.set("Docs", { schema: { class: "Docs", description: "theirs", properties: [], vectorConfig: {}, invertedIndexConfig: { bm25: { b: 0.75, k1: 1.2 }, cleanupIntervalSeconds: 60, stopwords: { preset: "en" } }, multiTenancyConfig: { enabled: false }, replicationConfig: { factor: 1 }, shardingConfig: { virtualPerPhysical: 128, desiredCount: 1, actualCount: 1, desiredVirtualCount: 128, actualVirtualCount: 128, key: "_id", strategy: "hash", function: "murmur3" } }, objects: new Map() })
          return yield* Effect.flip(VectorStore.search({ store, collection: "Docs", vector: [1, 0], topK: 1 }))
        }))
      assert.include(foreign.message, "was not created by this store")
    }))

  it("fieldProperty escapes paths to valid, distinct property names; fieldsOf collects values by path and type", () => {
    assert.strictEqual(fieldProperty("meta.team", "text"), "f_t_meta_2Eteam")
    assert.strictEqual(fieldProperty("a_b", "number"), "f_n_a_5Fb")
    assert.notStrictEqual(fieldProperty("a_b", "text"), fieldProperty("a.b", "text"))
    assert.strictEqual(fieldProperty("é", "boolean"), "f_b__C3A9")
    assert.match(fieldProperty("x".repeat(300), "text"), /^f_t_h[0-9a-f]{40}$/)
    assert.deepStrictEqual(fieldsOf({ tags: ["a", 1, "b"], items: [{ k: "u" }, { k: "v" }], n: null }), {
      f_t_tags: ["a", "b"],
      f_n_tags: [1],
      f_t_items_2Ek: ["u", "v"]
    })
  })
})

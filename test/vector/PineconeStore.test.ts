// Pinecone through the official SDK against a local fake of the REST calls it makes (test/vector/FakePinecone.ts).
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Filter, VectorStore } from "../../src/vector/index.ts"
import { fromPineconeId, indexName, toMetadata, toPineconeFilter, toPineconeId } from "../../src/vector/PineconeStore.ts"
import { vectorStoreContract } from "./contract.ts"
import { startFakePinecone } from "./FakePinecone.ts"

const secret = "pc-SECRET-key-0001"

vectorStoreContract("Pinecone over a fake Pinecone server", (name) =>
  Layer.unwrap(Effect.map(startFakePinecone({ apiKey: secret }), (fake) =>
    VectorStore.layerPinecone(name, { apiKey: Redacted.make(secret), controllerHostUrl: fake.url }))))

const withStore = <A, E>(body: (fake: Effect.Success<ReturnType<typeof startFakePinecone>>) => Effect.Effect<A, E, VectorStore.VectorStoreFor<"pc">>, key = secret) =>
  Effect.scoped(Effect.gen(function*() {
    const fake = yield* startFakePinecone({ apiKey: secret })
    return yield* body(fake).pipe(Effect.provide(VectorStore.layerPinecone("pc", { apiKey: Redacted.make(key), controllerHostUrl: fake.url, namespace: "tenant-1" })))
  }))

describe("Pinecone store (requests seen by the server)", () => {
  it.live("createCollection creates a serverless index with the metric, then upserts go to its host and namespace", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store: "pc", collection: "My Docs", dimension: 2, distance: "dot" })
        const create = fake.requests.find((r) => r.method === "POST" && r.path === "/indexes")!
        assert.deepStrictEqual(create.body, { name: indexName("", "My Docs"), dimension: 2, metric: "dotproduct", spec: { serverless: { cloud: "aws", region: "us-east-1" } } })
        assert.strictEqual(create.headers["api-key"], secret)
        yield* VectorStore.upsert({ store: "pc", collection: "My Docs", points: [{ id: 7, vector: [1, 0], payload: { lang: "en", meta: { team: "x" }, tags: ["a", "b"] } }] })
        const up = fake.requests.at(-1)!
        assert.strictEqual(up.path, `/idx/${indexName("", "My Docs")}/vectors/upsert`)
        assert.deepStrictEqual(up.body, {
          namespace: "tenant-1",
          vectors: [{ id: "#7", values: [1, 0], metadata: { lang: "en", "meta.team": "x", tags: ["a", "b"], __payload: JSON.stringify({ lang: "en", meta: { team: "x" }, tags: ["a", "b"] }) } }]
        })
        const hits = yield* VectorStore.search({ store: "pc", collection: "My Docs", vector: [1, 0], topK: 3, filter: Filter.all(Filter.match("meta.team", "x")) })
        assert.deepStrictEqual(hits, [{ id: 7, score: 1, payload: { lang: "en", meta: { team: "x" }, tags: ["a", "b"] } }])
        const q = fake.requests.at(-1)!
        assert.deepStrictEqual(q.body, { namespace: "tenant-1", vector: [1, 0], topK: 3, includeMetadata: true, filter: { "meta.team": { $eq: "x" } } })
      })))

  it.live("a wrong key is a VectorStoreError with status 401 and no secret in it; 5xx is retryable (the SDK hides its status)", () =>
    Effect.gen(function*() {
      const e = yield* withStore(() => Effect.flip(VectorStore.getCollection({ store: "pc", collection: "c" })), "wrong-key-value")
      assert.strictEqual(e._tag, "VectorStoreError")
      if (e._tag === "VectorStoreError") {
        assert.strictEqual(e.status, 401)
        assert.strictEqual(e.retryable, false)
        assert.notInclude(JSON.stringify(e), "wrong-key-value")
      }
      const e5 = yield* withStore((fake) =>
        Effect.gen(function*() {
          yield* VectorStore.createCollection({ store: "pc", collection: "c", dimension: 2, distance: "cosine" })
          fake.failNext(503, { message: "overloaded" })
          return yield* Effect.flip(VectorStore.search({ store: "pc", collection: "c", vector: [1, 0], topK: 1 }))
        }))
      assert.strictEqual(e5._tag, "VectorStoreError")
      if (e5._tag === "VectorStoreError") {
        assert.strictEqual(e5.retryable, true)
        assert.include(e5.message, "server error (5xx)")
      }
    }))

  it.live("a slow server times out with a retryable error; hybrid search says Pinecone has no keyword search", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* startFakePinecone()
      yield* Effect.gen(function*() {
        yield* VectorStore.createCollection({ store: "pc", collection: "c", dimension: 2, distance: "cosine" })
        fake.delayNext(1000)
        const slow = yield* Effect.flip(VectorStore.search({ store: "pc", collection: "c", vector: [1, 0], topK: 1 }))
        assert.include(slow.message, "timed out after 100 ms")
        assert.strictEqual(slow.retryable, true)
        const k = yield* Effect.flip(VectorStore.keywordSearch({ store: "pc", collection: "c", query: "x", topK: 1 }))
        assert.include(k.message, `Vector store "pc" has no keyword search`)
      }).pipe(Effect.provide(VectorStore.layerPinecone("pc", { apiKey: Redacted.make("k"), controllerHostUrl: fake.url, timeoutMillis: 100 })))
    })))
})

describe("Pinecone encodings", () => {
  it("ids round-trip and 1 / \"1\" / \"#1\" stay apart", () => {
    for (const id of [1, "1", "#1", "##x", "doc-1", 0]) assert.strictEqual(fromPineconeId(toPineconeId(id)), id)
    assert.strictEqual(new Set([1, "1", "#1"].map(toPineconeId)).size, 3)
  })

  it("metadata is flattened for filters; lists of non-strings are not filterable; the payload is kept whole", () => {
    assert.deepStrictEqual(toMetadata({ a: { b: 1, c: [{ d: "x" }, { d: "y" }] }, n: [1, 2], s: null }), {
      "a.b": 1,
      "a.c.d": ["x", "y"],
      __payload: JSON.stringify({ a: { b: 1, c: [{ d: "x" }, { d: "y" }] }, n: [1, 2], s: null })
    })
  })

  it("must_not is rewritten by De Morgan with $exists: false for missing fields", () => {
    assert.deepStrictEqual(toPineconeFilter(Filter.none(Filter.match("lang", "en"), Filter.range("year", { gte: 2020 }))), {
      $and: [
        { $or: [{ lang: { $exists: false } }, { lang: { $ne: "en" } }] },
        { $or: [{ year: { $exists: false } }, { year: { $lt: 2020 } }] }
      ]
    })
    assert.strictEqual(toPineconeFilter({}), undefined)
    assert.strictEqual(toPineconeFilter(Filter.all(Filter.anyOf("x", []))), false)
  })
})

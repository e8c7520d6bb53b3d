// Chroma through the official `chromadb` SDK against a local fake of the REST calls it makes (test/vector/FakeChroma.ts).
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { collectionName, toChromaWhere, toMetadata } from "../../src/vector/ChromaStore.ts"
import { Filter, VectorStore } from "../../src/vector/index.ts"
import { vectorStoreContract } from "./contract.ts"
import { startFakeChroma } from "./FakeChroma.ts"

const secret = "chroma-SECRET-token-01"

vectorStoreContract("Chroma over a fake Chroma server", (name) =>
  Layer.unwrap(Effect.map(startFakeChroma({ token: secret }), (fake) => VectorStore.layerChroma(name, { url: fake.url, token: Redacted.make(secret) }))))

const withStore = <A, E>(
  body: (fake: Effect.Success<ReturnType<typeof startFakeChroma>>) => Effect.Effect<A, E, VectorStore.VectorStoreFor<"ch">>,
  options: { readonly token?: string; readonly timeoutMillis?: number } = {}
) =>
  Effect.scoped(Effect.gen(function*() {
    const fake = yield* startFakeChroma({ token: secret })
    return yield* body(fake).pipe(Effect.provide(VectorStore.layerChroma("ch", {
      url: fake.url,
      token: Redacted.make(options.token ?? secret),
      ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis })
    })))
  }))

describe("Chroma store (requests seen by the server)", () => {
  it.live("createCollection sends the space and dimension; upserts send base64 float32 embeddings, flattened metadata and the text as document", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store: "ch", collection: "My Docs", dimension: 2, distance: "dot" })
        const create = fake.requests.find((r) => r.method === "POST" && r.path.endsWith("/collections"))!
        assert.strictEqual(create.path, "/api/v2/tenants/default_tenant/databases/default_database/collections")
        assert.strictEqual(create.body.name, collectionName("", "My Docs"))
        assert.deepStrictEqual(create.body.configuration.hnsw, { space: "ip" })
        assert.deepStrictEqual(create.body.metadata, { llm_orchestrator_dimension: 2 })
        assert.strictEqual(create.headers["x-chroma-token"], secret)
        const payload = { text: "hello", lang: "en", meta: { team: "x" }, tags: ["a", "b"] }
        yield* VectorStore.upsert({ store: "ch", collection: "My Docs", points: [{ id: 7, vector: [1, 0.5], payload }] })
        const up = fake.requests.find((r) => r.path.endsWith("/upsert"))!
        assert.deepStrictEqual(up.body.ids, ["#7"])
        assert.strictEqual(typeof up.body.embeddings[0], "string", "the SDK sends base64 when the server supports it")
        assert.deepStrictEqual(up.body.documents, ["hello"])
        assert.deepStrictEqual(up.body.metadatas, [{
          text: "hello",
          lang: "en",
          "meta.team": "x",
          tags: ["a", "b"],
          __keys: ["text", "lang", "meta.team", "tags"],
          __payload: JSON.stringify(payload)
        }])
        const hits = yield* VectorStore.search({ store: "ch", collection: "My Docs", vector: [1, 0], topK: 3, filter: Filter.all(Filter.match("meta.team", "x")) })
        assert.deepStrictEqual(hits, [{ id: 7, score: 1, payload }])
        const q = fake.requests.at(-1)!
        assert.deepStrictEqual(q.body.where, { $or: [{ "meta.team": { $eq: "x" } }, { "meta.team": { $contains: "x" } }] })
        assert.deepStrictEqual(q.body.include, ["metadatas", "distances"])
      })))

  it.live("a wrong token is a VectorStoreError with status 401 and no secret in it; 5xx is retryable; slow calls time out", () =>
    Effect.gen(function*() {
      const e = yield* withStore(() => Effect.flip(VectorStore.getCollection({ store: "ch", collection: "c" })), { token: "wrong-token-value" })
      assert.strictEqual(e._tag, "VectorStoreError")
      if (e._tag === "VectorStoreError") {
        assert.strictEqual(e.status, 401)
        assert.strictEqual(e.retryable, false)
        assert.notInclude(JSON.stringify(e), "wrong-token-value")
      }
      const e5 = yield* withStore((fake) =>
        Effect.gen(function*() {
          yield* VectorStore.createCollection({ store: "ch", collection: "c", dimension: 2, distance: "cosine" })
          fake.failNext(503, { error: "Unavailable", message: "overloaded" })
          return yield* Effect.flip(VectorStore.search({ store: "ch", collection: "c", vector: [1, 0], topK: 1 }))
        }))
      assert.strictEqual(e5._tag, "VectorStoreError")
      if (e5._tag === "VectorStoreError") {
        assert.strictEqual(e5.status, 500)
        assert.strictEqual(e5.retryable, true)
      }
      const slow = yield* withStore((fake) =>
        Effect.gen(function*() {
          yield* VectorStore.createCollection({ store: "ch", collection: "c", dimension: 2, distance: "cosine" })
          fake.delayNext(1000)
          return yield* Effect.flip(VectorStore.search({ store: "ch", collection: "c", vector: [1, 0], topK: 1 }))
        }), { timeoutMillis: 100 })
      assert.include(slow.message, "timed out after 100 ms")
      assert.strictEqual(slow.retryable, true)
    }))

  it.live("hybrid search says Chroma has no keyword search; a collection made elsewhere is refused by name", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store: "ch", collection: "c", dimension: 2, distance: "cosine" })
        const k = yield* Effect.flip(VectorStore.keywordSearch({ store: "ch", collection: "c", query: "x", topK: 1 }))
        assert.include(k.message, `Vector store "ch" has no keyword search`)
        fake.collections.set("foreign", { id: "f-1", name: "foreign", space: "l2", metadata: null, dimension: 3, records: new Map() })
        const f = yield* Effect.flip(VectorStore.getCollection({ store: "ch", collection: "foreign" }))
        assert.include(f.message, `Vector store "ch" (Chroma), collection "foreign": Chroma collection foreign was not created by this store`)
      })))
})

describe("Chroma encodings", () => {
  it("collection names Chroma rejects become a slug with a hash; valid ones stay", () => {
    assert.strictEqual(collectionName("", "items"), "items")
    assert.match(collectionName("", "My Docs!"), /^My-Docs-[0-9a-f]{8}$/)
    assert.match(collectionName("", "a"), /^a-[0-9a-f]{8}$/, "too short")
    assert.notStrictEqual(collectionName("", "a b"), collectionName("", "a_b"))
  })

  it("metadata keeps scalars and one-type lists, drops mixed lists, and lists the keys", () => {
    assert.deepStrictEqual(toMetadata({ a: { b: 1 }, n: [1, 2], m: [1, "x"], s: null }), {
      "a.b": 1,
      n: [1, 2],
      __keys: ["a.b", "n"],
      __payload: JSON.stringify({ a: { b: 1 }, n: [1, 2], m: [1, "x"], s: null })
    })
    assert.deepStrictEqual(toMetadata(undefined), { __payload: "{}" })
  })

  it("must_not is rewritten by De Morgan; ranges use the key list for missing fields; empty any matches nothing", () => {
    assert.deepStrictEqual(toChromaWhere(Filter.none(Filter.range("year", { gte: 2020 }))), {
      $or: [{ __keys: { $not_contains: "year" } }, { year: { $lt: 2020 } }]
    })
    assert.deepStrictEqual(toChromaWhere(Filter.all(Filter.anyOf("x", ["a", 1]))), {
      $or: [{ x: { $in: ["a"] } }, { x: { $in: [1] } }, { x: { $contains: "a" } }, { x: { $contains: 1 } }]
    })
    assert.strictEqual(toChromaWhere({}), undefined)
    assert.strictEqual(toChromaWhere(Filter.all(Filter.anyOf("x", []))), false)
  })
})

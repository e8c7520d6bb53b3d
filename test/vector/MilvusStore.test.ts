// Milvus through the official SDK's RESTful client against a local fake of the /v2/vectordb calls it makes
// (test/vector/FakeMilvus.ts). The SDK's MilvusClient speaks gRPC only and is not used.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Filter, VectorStore } from "../../src/vector/index.ts"
import { collectionName, toMilvusFilter } from "../../src/vector/MilvusStore.ts"
import { keywordSearchContract, vectorStoreContract } from "./contract.ts"
import { startFakeMilvus } from "./FakeMilvus.ts"

const secret = "root:Milvus-SECRET"

const layer = <const N extends string>(name: N) =>
  Layer.unwrap(Effect.map(startFakeMilvus({ token: secret }), (fake) => VectorStore.layerMilvus(name, { url: fake.url, token: Redacted.make(secret) })))

vectorStoreContract("Milvus over a fake Milvus REST server", layer)
keywordSearchContract("Milvus BM25 full-text over a fake Milvus REST server", layer)

const withStore = <A, E>(
  body: (fake: Effect.Success<ReturnType<typeof startFakeMilvus>>) => Effect.Effect<A, E, VectorStore.VectorStoreFor<"mv">>,
  options: { readonly token?: string; readonly timeoutMillis?: number; readonly keywordSearch?: boolean } = {}
) =>
  Effect.scoped(Effect.gen(function*() {
    const fake = yield* startFakeMilvus({ token: secret })
    return yield* body(fake).pipe(Effect.provide(VectorStore.layerMilvus("mv", {
      url: fake.url,
      token: Redacted.make(options.token ?? secret),
      ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis }),
      ...(options.keywordSearch === undefined ? {} : { keywordSearch: options.keywordSearch })
    })))
  }))

describe("Milvus store (requests seen by the server)", () => {
  it.live("createCollection sends the schema (VarChar id, vector, JSON payload, analyzed text with a BM25 function) and Strong consistency", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store: "mv", collection: "My Docs", dimension: 2, distance: "euclid" })
        const create = fake.requests.find((r) => r.path === "/v2/vectordb/collections/create")!
        assert.strictEqual(create.headers["authorization"], `Bearer ${secret}`)
        assert.strictEqual(create.body.collectionName, collectionName("", "My Docs"))
        assert.deepStrictEqual(create.body.schema.fields.map((f: any) => [f.fieldName, f.dataType]), [
          ["id", "VarChar"],
          ["vector", "FloatVector"],
          ["payload", "JSON"],
          ["text", "VarChar"],
          ["sparse", "SparseFloatVector"]
        ])
        assert.deepStrictEqual(create.body.schema.functions, [{ name: "text_bm25", type: "BM25", inputFieldNames: ["text"], outputFieldNames: ["sparse"], params: {} }])
        assert.deepStrictEqual(create.body.indexParams.map((i: any) => [i.fieldName, i.metricType]), [["vector", "L2"], ["sparse", "BM25"]])
        assert.strictEqual(create.body.params.consistencyLevel, "Strong")
        yield* VectorStore.upsert({ store: "mv", collection: "My Docs", points: [{ id: 7, vector: [3, 4], payload: { text: "hello world", tags: ["a"] } }] })
        const up = fake.requests.find((r) => r.path === "/v2/vectordb/entities/upsert")!
        assert.deepStrictEqual(up.body.data, [{ id: "#7", vector: [3, 4], payload: { text: "hello world", tags: ["a"] }, text: "hello world" }])
        const hits = yield* VectorStore.search({ store: "mv", collection: "My Docs", vector: [0, 0], topK: 3, filter: Filter.all(Filter.match("tags", "a")) })
        assert.deepStrictEqual(hits, [{ id: 7, score: 5, payload: { text: "hello world", tags: ["a"] } }], "L2 comes back as the distance, not its square")
        const q = fake.requests.at(-1)!
        assert.strictEqual(q.body.filter, `(payload["tags"] == "a" or json_contains(payload["tags"], "a"))`)
        assert.strictEqual(q.body.consistencyLevel, "Strong")
        yield* VectorStore.delete({ store: "mv", collection: "My Docs", ids: [7, "x"] })
        assert.strictEqual(fake.requests.at(-1)!.body.filter, `id in ["#7", "x"]`)
      })))

  it.live("a wrong token is a VectorStoreError with status 401 and no secret; HTTP 5xx is retryable; slow calls time out", () =>
    Effect.gen(function*() {
      const e = yield* withStore(() => Effect.flip(VectorStore.getCollection({ store: "mv", collection: "c" })), { token: "wrong-token-value" })
      assert.strictEqual(e._tag, "VectorStoreError")
      if (e._tag === "VectorStoreError") {
        assert.strictEqual(e.status, 401)
        assert.include(e.message, "Milvus error 1800: user hasn't authenticated")
        assert.notInclude(JSON.stringify(e), "wrong-token-value")
      }
      const e5 = yield* withStore((fake) =>
        Effect.gen(function*() {
          yield* VectorStore.createCollection({ store: "mv", collection: "c", dimension: 2, distance: "cosine" })
          fake.failNext(503, { message: "overloaded" })
          return yield* Effect.flip(VectorStore.search({ store: "mv", collection: "c", vector: [1, 0], topK: 1 }))
        }))
      assert.strictEqual(e5._tag, "VectorStoreError")
      if (e5._tag === "VectorStoreError") {
        assert.strictEqual(e5.status, 503)
        assert.strictEqual(e5.retryable, true)
      }
      const slow = yield* withStore((fake) =>
        Effect.gen(function*() {
          yield* VectorStore.createCollection({ store: "mv", collection: "c", dimension: 2, distance: "cosine" })
          fake.delayNext(1000)
          return yield* Effect.flip(VectorStore.search({ store: "mv", collection: "c", vector: [1, 0], topK: 1 }))
        }), { timeoutMillis: 100 })
      assert.include(slow.message, "timed out after 100 ms")
      assert.strictEqual(slow.retryable, true)
    }))

  it.live("keywordSearch: false makes collections without the full-text field, and keyword search says so", () =>
    withStore((fake) =>
      Effect.gen(function*() {
        yield* VectorStore.createCollection({ store: "mv", collection: "c", dimension: 2, distance: "cosine" })
        assert.deepStrictEqual(fake.collections.get("c")!.request.schema.fields.map((f: any) => f.fieldName), ["id", "vector", "payload"])
        const k = yield* Effect.flip(VectorStore.keywordSearch({ store: "mv", collection: "c", query: "x", topK: 1 }))
        assert.include(k.message, `Vector store "mv" (Milvus), collection "c": this collection has no full-text field`)
      }), { keywordSearch: false }))
})

describe("Milvus encodings", () => {
  it("collection names Milvus rejects become a slug with a hash", () => {
    assert.strictEqual(collectionName("", "items"), "items")
    assert.match(collectionName("", "My Docs"), /^My_Docs_[0-9a-f]{8}$/)
    assert.match(collectionName("", "1st"), /^c_1st_[0-9a-f]{8}$/)
  })

  it("filters compile to Milvus expressions: nested paths, not, exists, empty any", () => {
    assert.strictEqual(
      toMilvusFilter(Filter.none(Filter.match("meta.team", "x"), Filter.range("year", { gte: 2020, lt: 2025 }))),
      `((not (payload["meta"]["team"] == "x" or json_contains(payload["meta"]["team"], "x"))) and (not (payload["year"] >= 2020 and payload["year"] < 2025)))`
    )
    assert.strictEqual(toMilvusFilter(Filter.all(Filter.range("n", {}))), `exists payload["n"]`)
    assert.strictEqual(toMilvusFilter(Filter.all(Filter.match("s", "a \"quoted\" value"))), `(payload["s"] == "a \\"quoted\\" value" or json_contains(payload["s"], "a \\"quoted\\" value"))`)
    assert.strictEqual(toMilvusFilter({}), undefined)
    assert.strictEqual(toMilvusFilter(Filter.all(Filter.anyOf("x", []))), false)
    assert.strictEqual(toMilvusFilter(Filter.none(Filter.anyOf("x", []))), undefined)
  })
})

import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeChromaStore } from "../../src/vector/ChromaStore.ts"
import { httpEndpoint } from "../../src/vector/HttpEndpoint.ts"
import { makeMilvusStore } from "../../src/vector/MilvusStore.ts"
import { makeWeaviateStore } from "../../src/vector/WeaviateStore.ts"

describe("httpEndpoint", () => {
  it("splits an http(s) URL the way the SDKs take it", () => {
    assert.deepStrictEqual(httpEndpoint("https://[::1]/base/"), { origin: "https://[::1]", host: "::1", port: 443, secure: true, path: "/base" })
    assert.deepStrictEqual(httpEndpoint("http://db.local:8000"), { origin: "http://db.local:8000", host: "db.local", port: 8000, secure: false, path: "" })
    assert.strictEqual(httpEndpoint("http://h")?.port, 80)
  })

  it("refuses other schemes and malformed URLs", () => {
    assert.isUndefined(httpEndpoint("grpc://h:50051"))
    assert.isUndefined(httpEndpoint("not a url"))
    assert.isUndefined(httpEndpoint(""))
  })

  // The three stores that take an http(s) URL refuse a bad one the same way, before loading their SDK.
  it.effect("Chroma, Milvus and Weaviate fail a bad URL with one message naming the store", () =>
    Effect.gen(function*() {
      const errors = [
        ["Chroma", yield* Effect.flip(makeChromaStore("docs", { url: "ftp://x" }))],
        ["Milvus", yield* Effect.flip(makeMilvusStore("docs", { url: "ftp://x" }))],
        ["Weaviate", yield* Effect.scoped(Effect.flip(makeWeaviateStore("docs", { url: "ftp://x" })))]
      ] as const
      for (const [kind, e] of errors) {
        assert.strictEqual(e._tag, "VectorStoreError")
        assert.strictEqual(e.operation, "connect")
        assert.include(e.message, 'url must be an http(s) URL, got "ftp://x"')
        assert.include(e.message, kind)
      }
    }))
})

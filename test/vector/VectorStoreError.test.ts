import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { CollectionNotFound, DimensionMismatch, VectorStoreError, VectorStoreFailure } from "../../src/vector/index.ts"

describe("vector store errors", () => {
  it("messages name the store, the collection and the field", () => {
    assert.strictEqual(
      new CollectionNotFound({ store: "docs", collection: "documentation" }).message,
      'Vector store "docs": collection "documentation" does not exist'
    )
    assert.strictEqual(
      new DimensionMismatch({ store: "docs", collection: "documentation", field: "points[3].vector", expected: 384, actual: 3 }).message,
      'Vector store "docs", collection "documentation": points[3].vector has dimension 3, expected 384'
    )
    assert.isFalse(new CollectionNotFound({ store: "a", collection: "b" }).retryable)
  })

  it("round-trip through the VectorStoreFailure schema", () => {
    const errors = [
      new VectorStoreError({ store: "docs", operation: "search", collection: "c", status: 503, retryable: true, message: "down" }),
      new CollectionNotFound({ store: "docs", collection: "c" }),
      new DimensionMismatch({ store: "docs", collection: "c", field: "vector", expected: 2, actual: 3 })
    ]
    for (const e of errors) {
      const json = JSON.parse(JSON.stringify(Schema.encodeSync(VectorStoreFailure)(e)))
      const back = Schema.decodeUnknownSync(VectorStoreFailure)(json)
      assert.strictEqual(back._tag, e._tag)
      assert.strictEqual(back.message, e.message)
      assert.strictEqual(back.retryable, e.retryable)
    }
  })
})

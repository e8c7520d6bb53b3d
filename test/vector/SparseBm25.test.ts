import { assert, describe, it } from "@effect/vitest"
import { Bm25, SparseBm25 } from "../../src/vector/index.ts"

describe("SparseBm25", () => {
  it("dimension is the 32-bit FNV-1a hash of the term's UTF-8 bytes", () => {
    // Published FNV-1a test vectors.
    assert.strictEqual(SparseBm25.dimension(""), 0x811c9dc5)
    assert.strictEqual(SparseBm25.dimension("a"), 0xe40c292c)
    assert.strictEqual(SparseBm25.dimension("foobar"), 0xbf9cf968)
    assert.notStrictEqual(SparseBm25.dimension("é"), SparseBm25.dimension("e"))
  })

  it("document: BM25's saturated, length-normalised tf per distinct term, indices ascending", () => {
    const v = SparseBm25.document("Password password RESET, the password", { k1: 1.2, b: 0.75, averageLength: 2 })
    // terms: password ×3, reset ×1 (the dropped); |d| = 4, norm = 1 - 0.75 + 0.75 * 4 / 2 = 1.75
    const weight = (tf: number) => (tf * 2.2) / (tf + 1.2 * 1.75)
    const byDim = new Map(v.indices.map((d, i) => [d, v.values[i]!]))
    assert.strictEqual(v.indices.length, 2)
    assert.approximately(byDim.get(SparseBm25.dimension("password"))!, weight(3), 1e-12)
    assert.approximately(byDim.get(SparseBm25.dimension("reset"))!, weight(1), 1e-12)
    assert.deepStrictEqual([...v.indices], [...v.indices].sort((a, b) => a - b))
    assert.deepStrictEqual(SparseBm25.document("the of and"), { indices: [], values: [] })
  })

  it("query: 1 per distinct term, the same terms as Bm25.terms", () => {
    const q = SparseBm25.query("How do I reset my password? Password!")
    assert.deepStrictEqual(q.values, [1, 1])
    assert.sameMembers([...q.indices], Bm25.terms("reset password").map(SparseBm25.dimension))
  })
})

// The BM25 index against the formula computed from scratch over the whole corpus, on seeded random corpora with
// incremental adds, replaces and removes.
import { assert, describe, it } from "@effect/vitest"
import { seededRandom } from "../../src/testing/index.ts"
import * as Bm25 from "../../src/vector/Bm25.ts"

const vocabulary = ["vector", "search", "keyword", "fusion", "rank", "chunk", "token", "budget", "citation", "store", "embed", "model"]

const oracleScores = (docs: ReadonlyMap<number, string>, query: string, { b, k1 }: Bm25.Parameters) => {
  const tokenized = new Map([...docs].map(([k, t]) => [k, Bm25.terms(t)]))
  const n = tokenized.size
  const avgdl = [...tokenized.values()].reduce((s, t) => s + t.length, 0) / n
  const out = new Map<number, number>()
  for (const [key, terms] of tokenized) {
    let score = 0
    for (const q of new Set(Bm25.terms(query))) {
      const tf = terms.filter((t) => t === q).length
      if (tf === 0) continue
      const df = [...tokenized.values()].filter((t) => t.includes(q)).length
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5))
      score += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * terms.length) / avgdl))
    }
    if (score > 0) out.set(key, score)
  }
  return out
}

describe("Bm25.Index", () => {
  it("scores equal the BM25 formula after random adds, replaces and removes (200 seeded corpora)", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = seededRandom(seed)
      const index = new Bm25.Index<number>()
      const docs = new Map<number, string>()
      for (let op = 0; op < 40; op++) {
        const key = Math.floor(next() * 15)
        if (next() < 0.2) {
          index.remove(key)
          docs.delete(key)
        } else {
          const text = Array.from({ length: 1 + Math.floor(next() * 12) }, () => vocabulary[Math.floor(next() * vocabulary.length)]).join(" ")
          index.add(key, text)
          docs.set(key, text)
        }
      }
      assert.strictEqual(index.size, docs.size)
      const query = `the ${vocabulary[Math.floor(next() * 12)]} and ${vocabulary[Math.floor(next() * 12)]}`
      const expected = oracleScores(docs, query, Bm25.defaultParameters)
      const hits = index.search(query, 100)
      assert.strictEqual(hits.length, expected.size, `seed ${seed}`)
      for (const h of hits) assert.closeTo(h.score, expected.get(h.key)!, 1e-9, `seed ${seed}`)
      for (let i = 1; i < hits.length; i++) assert.isAtMost(hits[i]!.score, hits[i - 1]!.score)
    }
  })

  it("terms: lower-cased, diacritics removed, stop words dropped; keep filters before topK", () => {
    assert.deepStrictEqual(Bm25.terms("How do I reset my Pässword? (v2)"), ["reset", "password", "v2"])
    const index = new Bm25.Index<string>()
    index.add("a", "reset password")
    index.add("b", "reset password now")
    index.add("c", "billing")
    assert.deepStrictEqual(index.search("reset", 1).map((h) => h.key), ["a"], "shorter document first")
    assert.deepStrictEqual(index.search("reset", 1, (k) => k !== "a").map((h) => h.key), ["b"])
    assert.deepStrictEqual(index.search("the of and", 5), [], "a query of stop words matches nothing")
    index.clear()
    assert.strictEqual(index.size, 0)
  })
})

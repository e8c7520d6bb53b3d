// Re-ranking: MMR against an independent brute-force oracle (every greedy step recomputed from its definition),
// topN enforcement whatever the backend returns, and the offline MMR layer over embeddings.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Reranker from "../../src/rag/Reranker.ts"
import { OfflineEmbedding, seededRandom } from "../../src/testing/index.ts"
import { gaussianVector } from "../vector/random.ts"

const cos = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => {
  const dot = a.reduce((s, x, i) => s + x * b[i]!, 0)
  const n = Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0))
  return n === 0 ? 0 : dot / n
}

const oracle = (q: ReadonlyArray<number>, docs: ReadonlyArray<ReadonlyArray<number>>, lambda: number, topN: number) => {
  const picked: Array<number> = []
  while (picked.length < Math.min(topN, docs.length)) {
    const candidates = docs.map((d, i) => i).filter((i) => !picked.includes(i))
    const score = (i: number) => lambda * cos(q, docs[i]!) - (1 - lambda) * (picked.length === 0 ? 0 : Math.max(...picked.map((j) => cos(docs[i]!, docs[j]!))))
    picked.push(candidates.reduce((best, i) => (score(i) > score(best) ? i : best)))
  }
  return picked
}

describe("Reranker.mmr", () => {
  it("equals the greedy definition on 200 seeded random sets", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = seededRandom(seed)
      const dim = 2 + Math.floor(next() * 6)
      const docs = Array.from({ length: 1 + Math.floor(next() * 25) }, () => gaussianVector(next, dim))
      const q = gaussianVector(next, dim)
      const lambda = Math.round(next() * 10) / 10
      const topN = 1 + Math.floor(next() * 10)
      assert.deepStrictEqual(Reranker.mmr(q, docs, lambda, topN).map((r) => r.index), oracle(q, docs, lambda, topN), `seed ${seed}`)
    }
  })

  it("lambda 1 is pure relevance; lower lambdas skip near-duplicates", () => {
    const q = [1, 0]
    const docs = [[1, 0], [0.99, 0.01], [0.7, 0.7]]
    assert.deepStrictEqual(Reranker.mmr(q, docs, 1, 3).map((r) => r.index), [0, 1, 2])
    assert.deepStrictEqual(Reranker.mmr(q, docs, 0.3, 2).map((r) => r.index), [0, 2])
  })
})

describe("Reranker services", () => {
  it.effect("rerank enforces topN even when the backend returns more, and validates it", () =>
    Effect.gen(function*() {
      const documents = ["a", "b", "c"].map((t, i) => ({ id: i, text: t }))
      const ranked = yield* Reranker.rerank({ reranker: "greedy", query: "q", documents, topN: 2 })
      assert.deepStrictEqual(ranked.map((r) => r.id), [2, 1])
      const bad = yield* Effect.flip(Reranker.rerank({ reranker: "greedy", query: "q", documents, topN: 0 }))
      assert.strictEqual(bad.message, "topN must be a positive integer, got 0")
      assert.deepStrictEqual(yield* Reranker.rerank({ reranker: "greedy", query: "q", documents: [] }), [])
    }).pipe(Effect.provide(Reranker.layer("greedy", {
      name: "greedy",
      // ignores topN on purpose, like a backend with a silently ignored limit
      rerank: ({ documents }) => Effect.succeed(documents.map((d, i) => ({ index: i, id: d.id, score: i })).reverse())
    }))))

  it.effect("layerMmr embeds the query and the documents without vectors through the embedding provider", () =>
    Effect.gen(function*() {
      const passages = [
        { id: "p0", documentId: "a", source: "a.md", start: 0, end: 30, text: "reset your password in settings", score: 0.9, headings: [] },
        { id: "p1", documentId: "a", source: "a.md", start: 25, end: 60, text: "reset your password in settings now", score: 0.8, headings: [] },
        { id: "p2", documentId: "b", source: "b.md", start: 0, end: 30, text: "password rules and length", score: 0.7, headings: [] }
      ]
      const ranked = yield* Reranker.rerankPassages({ reranker: "mmr", query: "reset password", passages, topN: 2 })
      assert.deepStrictEqual(ranked.map((p) => p.id), ["p0", "p2"], "the near-duplicate p1 gives way")
      assert.notStrictEqual(ranked[0]!.score, 0.9, "scores are the re-ranker's")
      const byVector = yield* Reranker.rerank({ reranker: "mmr", query: "reset password", documents: [{ id: "x", text: "", vector: OfflineEmbedding.embed("reset password", { dimensions: 32 }) }] })
      assert.closeTo(byVector[0]!.score, 0.3, 1e-9, "lambda 0.3 times cosine 1")
    }).pipe(Effect.provide(Layer.provide(Reranker.layerMmr("mmr", { provider: "offline", model: "m", lambda: 0.3 }), OfflineEmbedding.layer("offline", { dimensions: 32 })))))
})

// Reciprocal rank fusion against a brute-force oracle, plus its invariants, on seeded random rankings.
import { assert, describe, it } from "@effect/vitest"
import * as Fusion from "../../src/rag/Fusion.ts"
import { seededRandom } from "../../src/testing/index.ts"
import type { PointId, SearchHit } from "../../src/vector/index.ts"

const hit = (id: PointId, score = 0): SearchHit => ({ id, score, payload: { id } })

const randomRankings = (next: () => number): Array<Fusion.Ranking> => {
  const pool: Array<PointId> = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? i : `p${i}`))
  const lists = 1 + Math.floor(next() * 3)
  return Array.from({ length: lists }, (_, l) => {
    const ids = pool.filter(() => next() < 0.5).sort(() => next() - 0.5)
    return {
      name: `list${l}`,
      weight: l === 0 ? 0.1 + next() * 2 : next() < 0.2 ? 0 : next() * 2,
      hits: ids.map((id, i) => hit(id, 100 - i))
    }
  })
}

// The definition, written out directly.
const oracle = (rankings: ReadonlyArray<Fusion.Ranking>, k: number) => {
  const max = rankings.reduce((s, r) => s + r.weight / (k + 1), 0)
  const ids = new Map<string, PointId>()
  for (const r of rankings) for (const h of r.hits) ids.set(`${typeof h.id}:${h.id}`, h.id)
  return [...ids.values()].map((id) => {
    let sum = 0
    for (const r of rankings) {
      const rank = r.hits.findIndex((h) => h.id === id)
      if (rank !== -1) sum += r.weight / (k + rank + 1)
    }
    return { id, score: sum / max }
  })
}

describe("Fusion.reciprocalRank", () => {
  it("equals the brute-force definition on 300 seeded random rankings", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = seededRandom(seed)
      const rankings = randomRankings(next)
      const k = next() < 0.5 ? 60 : Math.floor(next() * 100)
      const fused = Fusion.reciprocalRank(rankings, { k })
      const expected = new Map(oracle(rankings, k).map((e) => [`${typeof e.id}:${e.id}`, e.score]))
      assert.strictEqual(fused.length, expected.size, `seed ${seed}`)
      for (const f of fused) assert.closeTo(f.score, expected.get(`${typeof f.id}:${f.id}`)!, 1e-12, `seed ${seed}`)
      // normalised, sorted
      for (let i = 0; i < fused.length; i++) {
        assert.isAtLeast(fused[i]!.score, 0)
        assert.isAtMost(fused[i]!.score, 1)
        if (i > 0) assert.isAtMost(fused[i]!.score, fused[i - 1]!.score, `seed ${seed}: sorted`)
      }
      // ranks and scores say where each hit came from
      for (const f of fused) {
        for (const r of rankings) {
          const rank = r.hits.findIndex((h) => h.id === f.id)
          assert.strictEqual(f.ranks[r.name], rank === -1 ? undefined : rank + 1)
        }
      }
    }
  })

  it("a point first in every list scores exactly 1", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const next = seededRandom(seed)
      const rankings = randomRankings(next).map((r) => ({ ...r, hits: [hit("top"), ...r.hits] }))
      const fused = Fusion.reciprocalRank(rankings)
      assert.strictEqual(fused[0]!.id, "top")
      assert.strictEqual(fused[0]!.score, 1)
    }
  })

  it("moving a point up in one list never lowers its fused score", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = seededRandom(seed)
      const rankings = randomRankings(next)
      const list = rankings[0]!
      if (list.hits.length < 2) continue
      const i = 1 + Math.floor(next() * (list.hits.length - 1))
      const moved = [...list.hits]
      ;[moved[i - 1], moved[i]] = [moved[i]!, moved[i - 1]!]
      const id = list.hits[i]!.id
      const before = Fusion.reciprocalRank(rankings).find((h) => h.id === id)!.score
      const after = Fusion.reciprocalRank([{ ...list, hits: moved }, ...rankings.slice(1)]).find((h) => h.id === id)!.score
      assert.isAtLeast(after, before, `seed ${seed}`)
    }
  })

  it("a zero weight removes the list's influence on the order", () => {
    const a = [hit("x"), hit("y"), hit("z")]
    const b = [hit("z"), hit("y"), hit("w")]
    const without = Fusion.reciprocalRank([{ name: "a", weight: 1, hits: a }])
    const zero = Fusion.reciprocalRank([{ name: "a", weight: 1, hits: a }, { name: "b", weight: 0, hits: b }])
    assert.deepStrictEqual(zero.filter((h) => h.id !== "w").map((h) => [h.id, h.score]), without.map((h) => [h.id, h.score]))
    assert.strictEqual(zero.find((h) => h.id === "w")!.score, 0)
  })

  it("weights shift the order; ties break by best rank, then id; duplicates count once at their best rank; topK keeps the best", () => {
    const vector = [hit("a", 0.9), hit("b", 0.8)]
    const keyword = [hit("b", 12), hit("a", 3)]
    assert.deepStrictEqual(Fusion.reciprocalRank([{ name: "vector", weight: 1, hits: vector }, { name: "keyword", weight: 1, hits: keyword }]).map((h) => h.id), ["a", "b"])
    assert.deepStrictEqual(Fusion.reciprocalRank([{ name: "vector", weight: 1, hits: vector }, { name: "keyword", weight: 2, hits: keyword }]).map((h) => h.id), ["b", "a"])
    const dup = Fusion.reciprocalRank([{ name: "v", weight: 1, hits: [hit(1), hit(2), hit(1)] }])
    assert.deepStrictEqual(dup.map((h) => [h.id, h.ranks["v"]]), [[1, 1], [2, 2]])
    const fused = Fusion.reciprocalRank([{ name: "v", weight: 1, hits: [hit(1, 0.5), hit("x", 0.4)] }, { name: "k", weight: 1, hits: [hit("x", 9)] }], { topK: 1 })
    assert.deepStrictEqual(fused, [{ id: "x", score: (1 / 62 + 1 / 61) / (2 / 61), payload: { id: "x" }, ranks: { v: 2, k: 1 }, scores: { v: 0.4, k: 9 } }])
  })

  it("rejects negative or non-finite weights, all-zero weights and a negative k", () => {
    assert.throws(() => Fusion.reciprocalRank([{ name: "v", weight: -1, hits: [] }]), /weight of "v" must be a finite number >= 0, got -1/)
    assert.throws(() => Fusion.reciprocalRank([{ name: "v", weight: Number.NaN, hits: [] }]), /weight of "v"/)
    assert.throws(() => Fusion.reciprocalRank([{ name: "v", weight: 0, hits: [] }]), /at least one weight must be positive/)
    assert.throws(() => Fusion.reciprocalRank([], { k: -1 }), /k must be/)
    assert.deepStrictEqual(Fusion.reciprocalRank([]), [])
  })
})

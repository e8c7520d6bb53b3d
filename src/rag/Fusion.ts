/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): several ranked lists of the same points (vector hits,
 * keyword hits) fused by rank, never by their raw scores, whose scales differ (a cosine of 0.8 and a BM25 of 12 are
 * not comparable: a weighted sum of them lets one side dominate).
 *
 * fused(d) = Σ_i w_i / (k + rank_i(d)), ranks from 1, a list that misses d contributes 0; then divided by the largest
 * possible value Σ_i w_i / (k + 1), so scores are in [0, 1] and 1 means "first in every list". The raw values
 * (about 0.016–0.033 for k = 60) mean nothing to a person or an LLM judge; the normalised ones do.
 *
 * Invariants (property tests in `test/rag/Fusion.test.ts` against a brute-force oracle): scores in [0, 1]; sorted
 * descending; a point first in every list with positive weight scores exactly 1; raising a point's rank in any list
 * never lowers its fused score; a zero weight removes that list's influence.
 *
 * @example
 * ```ts
 * import { Fusion } from "llm-orchestrator/rag"
 * const fused = Fusion.reciprocalRank([
 *   { name: "vector", weight: 1, hits: vectorHits },
 *   { name: "keyword", weight: 0.5, hits: keywordHits }
 * ], { k: 60, topK: 10 })
 * fused[0].score // in [0, 1]; fused[0].ranks // { vector: 1, keyword: 3 }
 * ```
 */
import type { PointId, SearchHit } from "../vector/VectorStoreShape.ts"

/**
 * One ranked list: its hits, best first, and its weight (a finite number ≥ 0).
 *
 * @example
 * ```ts
 * const r: Fusion.Ranking = { name: "keyword", weight: 1, hits: [{ id: "a", score: 7.1, payload: {} }] }
 * ```
 */
export interface Ranking {
  readonly name: string
  readonly weight: number
  readonly hits: ReadonlyArray<SearchHit>
}

/**
 * A fused hit: `score` is the normalised fused score in [0, 1]; `ranks` and `scores` give, per list name, the hit's
 * 1-based rank and original score there (absent when that list did not return it).
 *
 * @example
 * ```ts
 * const explain = (h: Fusion.FusedHit) => `${h.id}: ${h.score.toFixed(2)} (vector #${h.ranks["vector"] ?? "-"})`
 * ```
 */
export interface FusedHit extends SearchHit {
  readonly ranks: Readonly<Record<string, number>>
  readonly scores: Readonly<Record<string, number>>
}

/**
 * Options of {@link reciprocalRank}: `k` (default 60, the paper's constant: larger values flatten the rank curve) and
 * how many fused hits to keep (default: all).
 *
 * @example
 * ```ts
 * const o: Fusion.Options = { k: 60, topK: 10 }
 * ```
 */
export interface Options {
  readonly k?: number | undefined
  readonly topK?: number | undefined
}

/**
 * Bad fusion arguments (negative or non-finite weights, all weights zero, `k` < 0).
 *
 * @example
 * ```ts
 * try { Fusion.reciprocalRank([{ name: "v", weight: -1, hits: [] }]) } catch (e) { (e as Fusion.InvalidFusion).message }
 * ```
 */
export class InvalidFusion extends Error {
  constructor(message: string) {
    super(message)
    this.name = "InvalidFusion"
  }
}

const keyOf = (id: PointId) => (typeof id === "number" ? `n:${id}` : `s:${id}`)

/**
 * Fuses ranked lists by reciprocal rank (see the module description). A point listed twice in one list counts at its
 * best rank. Ties are broken by the best rank in any list, then by id, so the order is deterministic. The payload is
 * the one of the first list that returned the point.
 *
 * @example
 * ```ts
 * Fusion.reciprocalRank([{ name: "a", weight: 1, hits: a }, { name: "b", weight: 1, hits: b }])[0].score // 1 if first in both
 * ```
 */
export const reciprocalRank = (rankings: ReadonlyArray<Ranking>, options: Options = {}): Array<FusedHit> => {
  const k = options.k ?? 60
  if (!Number.isFinite(k) || k < 0) throw new InvalidFusion(`k must be a finite number >= 0, got ${k}`)
  let max = 0
  for (const r of rankings) {
    if (!Number.isFinite(r.weight) || r.weight < 0) {
      throw new InvalidFusion(`weight of "${r.name}" must be a finite number >= 0, got ${r.weight}`)
    }
    max += r.weight / (k + 1)
  }
  if (rankings.length > 0 && max === 0) throw new InvalidFusion("at least one weight must be positive")
  const fused = new Map<string, { id: PointId; payload: SearchHit["payload"]; sum: number; best: number; ranks: Record<string, number>; scores: Record<string, number> }>()
  for (const r of rankings) {
    const seen = new Set<string>()
    r.hits.forEach((hit, i) => {
      const key = keyOf(hit.id)
      if (seen.has(key)) return
      seen.add(key)
      const rank = i + 1
      let entry = fused.get(key)
      if (entry === undefined) {
        entry = { id: hit.id, payload: hit.payload, sum: 0, best: rank, ranks: {}, scores: {} }
        fused.set(key, entry)
      }
      entry.sum += r.weight / (k + rank)
      entry.best = Math.min(entry.best, rank)
      entry.ranks[r.name] = rank
      entry.scores[r.name] = hit.score
    })
  }
  const out = [...fused.values()]
    .map((e) => ({ e, score: max === 0 ? 0 : Math.min(1, e.sum / max) }))
    .sort((a, b) =>
      b.score - a.score || a.e.best - b.e.best || (keyOf(a.e.id) < keyOf(b.e.id) ? -1 : keyOf(a.e.id) > keyOf(b.e.id) ? 1 : 0)
    )
    .map(({ e, score }): FusedHit => ({ id: e.id, score, payload: e.payload, ranks: e.ranks, scores: e.scores }))
  return options.topK === undefined ? out : out.slice(0, options.topK)
}

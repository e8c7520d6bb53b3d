/**
 * An incremental BM25 keyword index (Robertson–Spärck Jones weighting with Lucene's always-positive idf), used by the
 * in-memory vector store for the keyword side of hybrid search (`VectorStoreShape.keywordSearch`), and usable alone.
 *
 * score(q, d) = Σ_{t ∈ q} idf(t) · tf(t, d) · (k1 + 1) / (tf(t, d) + k1 · (1 − b + b · |d| / avgdl)),
 * idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5)).
 *
 * Terms are lower-cased Unicode letter/digit runs with diacritics removed and common English stop words dropped (see
 * {@link terms}); there is no stemming, so "install" and "installing" are different terms.
 *
 * @example
 * ```ts
 * import { Bm25 } from "llm-orchestrator/vector"
 * const index = new Bm25.Index<string>()
 * index.add("a", "Reset your password from the settings page")
 * index.add("b", "Billing and invoices")
 * index.search("how do I reset my password", 5) // [{ key: "a", score: 1.3… }]
 * ```
 */

/**
 * BM25 parameters: `k1` (term-frequency saturation, default 1.2) and `b` (length normalisation, default 0.75).
 *
 * @example
 * ```ts
 * const p: Bm25.Parameters = { k1: 1.5, b: 0.75 }
 * ```
 */
export interface Parameters {
  readonly k1: number
  readonly b: number
}

/**
 * The usual parameters (Lucene's and Elasticsearch's defaults).
 *
 * @example
 * ```ts
 * Bm25.defaultParameters // { k1: 1.2, b: 0.75 }
 * ```
 */
export const defaultParameters: Parameters = { k1: 1.2, b: 0.75 }

const STOP_WORDS = new Set(
  ("a an and are as at be but by do does did for from had has have how i if in into is it its me my no not of on or " +
    "our so such than that the their them then there these they this to too us was we were what when where which who " +
    "why will with you your can could should would am been being he her him his she than those our ours yours").split(" ")
)

/**
 * The terms of a text: lower-cased letter/digit runs, diacritics removed, English stop words dropped.
 *
 * @example
 * ```ts
 * Bm25.terms("How do I reset my Pässword?") // ["reset", "password"]
 * ```
 */
export const terms = (text: string): Array<string> => {
  const out: Array<string> = []
  const words = text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase().match(/[\p{L}\p{N}]+/gu)
  if (words === null) return out
  for (const w of words) if (!STOP_WORDS.has(w)) out.push(w)
  return out
}

/**
 * A scored key.
 *
 * @example
 * ```ts
 * const best = (hits: ReadonlyArray<Bm25.Hit<string>>) => hits[0]?.key
 * ```
 */
export interface Hit<K> {
  readonly key: K
  readonly score: number
}

/**
 * The index: add, replace and remove documents by key; search with a query text.
 *
 * @example
 * ```ts
 * const index = new Bm25.Index<number>({ k1: 1.2, b: 0.75 })
 * index.add(1, "vector search")
 * index.remove(1)
 * ```
 */
export class Index<K> {
  private readonly postings = new Map<string, Map<K, number>>()
  private readonly lengths = new Map<K, number>()
  private readonly termsOf = new Map<K, ReadonlyArray<string>>()
  private totalLength = 0
  readonly parameters: Parameters

  constructor(parameters: Parameters = defaultParameters) {
    this.parameters = parameters
  }

  /** Number of documents indexed. */
  get size(): number {
    return this.lengths.size
  }

  /** Indexes `text` under `key`, replacing what `key` held. */
  add(key: K, text: string): void {
    this.remove(key)
    const ts = terms(text)
    const counts = new Map<string, number>()
    for (const t of ts) counts.set(t, (counts.get(t) ?? 0) + 1)
    for (const [t, tf] of counts) {
      let posting = this.postings.get(t)
      if (posting === undefined) {
        posting = new Map()
        this.postings.set(t, posting)
      }
      posting.set(key, tf)
    }
    this.lengths.set(key, ts.length)
    this.termsOf.set(key, [...counts.keys()])
    this.totalLength += ts.length
  }

  /** Removes `key` (no-op when absent). */
  remove(key: K): void {
    const length = this.lengths.get(key)
    if (length === undefined) return
    for (const t of this.termsOf.get(key) ?? []) {
      const posting = this.postings.get(t)
      posting?.delete(key)
      if (posting !== undefined && posting.size === 0) this.postings.delete(t)
    }
    this.lengths.delete(key)
    this.termsOf.delete(key)
    this.totalLength -= length
  }

  /** Removes everything. */
  clear(): void {
    this.postings.clear()
    this.lengths.clear()
    this.termsOf.clear()
    this.totalLength = 0
  }

  /** The BM25 score of one indexed key for `query` (0 when it shares no term). */
  score(query: string, key: K): number {
    return this.scores(terms(query)).get(key) ?? 0
  }

  private scores(queryTerms: ReadonlyArray<string>): Map<K, number> {
    const { b, k1 } = this.parameters
    const n = this.lengths.size
    const avgdl = n === 0 ? 0 : this.totalLength / n
    const scores = new Map<K, number>()
    for (const t of new Set(queryTerms)) {
      const posting = this.postings.get(t)
      if (posting === undefined) continue
      const idf = Math.log(1 + (n - posting.size + 0.5) / (posting.size + 0.5))
      for (const [key, tf] of posting) {
        const dl = this.lengths.get(key)!
        const norm = avgdl === 0 ? 1 : 1 - b + (b * dl) / avgdl
        scores.set(key, (scores.get(key) ?? 0) + (idf * tf * (k1 + 1)) / (tf + k1 * norm))
      }
    }
    return scores
  }

  /**
   * The `topK` keys with the highest score among those sharing a term with `query` and passing `keep`; best first,
   * ties in key order (numbers before strings, then ascending).
   */
  search(query: string, topK: number, keep?: (key: K) => boolean): Array<Hit<K>> {
    const hits: Array<Hit<K>> = []
    for (const [key, score] of this.scores(terms(query))) if (keep === undefined || keep(key)) hits.push({ key, score })
    hits.sort((x, y) => y.score - x.score || compareKeys(x.key, y.key))
    return hits.slice(0, topK)
  }
}

const compareKeys = (a: unknown, b: unknown): number =>
  typeof a === typeof b ? (a! < b! ? -1 : a! > b! ? 1 : 0) : typeof a === "number" ? -1 : 1

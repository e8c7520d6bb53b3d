/**
 * BM25 as sparse vectors, for stores that rank sparse vectors by dot product and can weight each dimension by its
 * inverse document frequency themselves (Qdrant's sparse vectors with `modifier: "idf"`): the document side carries
 * BM25's saturated, length-normalised term frequency, the query side a 1 per distinct term, and the store multiplies
 * in idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5)) from its own statistics. Their product summed over shared
 * terms is exactly BM25 (as in {@link Bm25.Index}), except that the average document length is a fixed parameter
 * rather than the collection's (the store does not know it): choose one near your chunks' term count.
 *
 * Terms are {@link Bm25.terms} (lower-cased letter/digit runs, no diacritics, English stop words dropped); each term is
 * a dimension given by a 32-bit FNV-1a hash of its UTF-8 bytes, so no vocabulary has to be stored or shared between
 * writers (two terms colliding on one dimension is possible and only blurs their scores).
 *
 * @example
 * ```ts
 * import { SparseBm25 } from "llm-orchestrator/vector"
 * SparseBm25.document("Reset the password, then reset the token") // { indices: [...], values: [...] }
 * SparseBm25.query("how to reset a password") // { indices: [h("reset"), h("password")], values: [1, 1] }
 * ```
 */
import * as Bm25 from "./Bm25.ts"

/**
 * A sparse vector: parallel lists of distinct dimensions (ascending) and their values.
 *
 * @example
 * ```ts
 * const v: SparseBm25.SparseVector = { indices: [17, 4096], values: [1.2, 0.8] }
 * ```
 */
export interface SparseVector {
  readonly indices: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
}

/**
 * Document-side parameters: BM25's `k1` and `b` and the average document length in terms that `b` normalises by.
 *
 * @example
 * ```ts
 * const p: SparseBm25.Parameters = { k1: 1.2, b: 0.75, averageLength: 120 }
 * ```
 */
export interface Parameters extends Bm25.Parameters {
  readonly averageLength: number
}

/**
 * Lucene's k1 and b, and 100 terms as the average length (a chunk of ~256 tokens holds about that many terms once
 * stop words are dropped).
 *
 * @example
 * ```ts
 * SparseBm25.defaultParameters.averageLength // 100
 * ```
 */
export const defaultParameters: Parameters = { ...Bm25.defaultParameters, averageLength: 100 }

/**
 * The dimension of a term: the 32-bit FNV-1a hash of its UTF-8 bytes (an unsigned integer, as Qdrant wants).
 *
 * @example
 * ```ts
 * SparseBm25.dimension("password") // always the same number in [0, 2^32)
 * ```
 */
export const dimension = (term: string): number => {
  let h = 0x811c9dc5
  for (const byte of new TextEncoder().encode(term)) {
    h ^= byte
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

const counts = (text: string): Map<number, number> => {
  const tf = new Map<number, number>()
  for (const t of Bm25.terms(text)) {
    const d = dimension(t)
    tf.set(d, (tf.get(d) ?? 0) + 1)
  }
  return tf
}

const sorted = (entries: Iterable<readonly [number, number]>): SparseVector => {
  const list = [...entries].sort((a, b) => a[0] - b[0])
  return { indices: list.map(([i]) => i), values: list.map(([, v]) => v) }
}

/**
 * The document-side vector of a text: tf · (k1 + 1) / (tf + k1 · (1 − b + b · |d| / averageLength)) per term
 * (`|d|` the text's term count). Empty for a text without terms.
 *
 * @example
 * ```ts
 * SparseBm25.document("password password reset").values.length // 2
 * ```
 */
export const document = (text: string, parameters: Parameters = defaultParameters): SparseVector => {
  const tf = counts(text)
  let length = 0
  for (const n of tf.values()) length += n
  const { k1, b, averageLength } = parameters
  const norm = 1 - b + (b * length) / (averageLength > 0 ? averageLength : 1)
  return sorted([...tf].map(([d, n]) => [d, (n * (k1 + 1)) / (n + k1 * norm)] as const))
}

/**
 * The query-side vector of a text: 1 for each distinct term (a repeated query word does not count twice, as in
 * {@link Bm25.Index.search}). Empty when the query has no terms (only stop words, punctuation).
 *
 * @example
 * ```ts
 * SparseBm25.query("the password, the PASSWORD").values // [1]
 * ```
 */
export const query = (text: string): SparseVector => sorted([...counts(text).keys()].map((d) => [d, 1] as const))

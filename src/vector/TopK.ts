/**
 * Keeps the k largest (score, row) pairs seen so far in a binary min-heap over typed arrays: O(n log k) for n offers,
 * no allocation per offer, instead of sorting all n scores. Used by the in-memory store's exact search.
 *
 * @example
 * ```ts
 * const top = new TopK(2)
 * top.offer(0.3, 0); top.offer(0.9, 1); top.offer(0.5, 2)
 * top.drain() // { rows: [1, 2], scores: [0.9, 0.5] }
 * ```
 */
export class TopK {
  private readonly scores: Float64Array
  private readonly rows: Int32Array
  private size = 0

  readonly k: number

  constructor(k: number) {
    this.k = k
    this.scores = new Float64Array(k)
    this.rows = new Int32Array(k)
  }

  /** A candidate must score strictly above this to enter (−∞ until k candidates were kept). */
  get threshold(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : this.scores[0]!
  }

  /** Offers a candidate; call only when `score > threshold` (checked again here for safety). */
  offer(score: number, row: number): void {
    const scores = this.scores
    const rows = this.rows
    if (this.size < this.k) {
      // Sift up from the new leaf.
      let i = this.size++
      while (i > 0) {
        const parent = (i - 1) >> 1
        if (scores[parent]! <= score) break
        scores[i] = scores[parent]!
        rows[i] = rows[parent]!
        i = parent
      }
      scores[i] = score
      rows[i] = row
      return
    }
    if (!(score > scores[0]!)) return
    // Replace the root (the smallest kept) and sift down.
    const n = this.size
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      const child = right < n && scores[right]! < scores[left]! ? right : left
      if (scores[child]! >= score) break
      scores[i] = scores[child]!
      rows[i] = rows[child]!
      i = child
    }
    scores[i] = score
    rows[i] = row
  }

  /** The kept pairs, best first. */
  drain(): { readonly rows: Array<number>; readonly scores: Array<number> } {
    const order = Array.from({ length: this.size }, (_, i) => i)
    order.sort((a, b) => this.scores[b]! - this.scores[a]! || this.rows[a]! - this.rows[b]!)
    return { rows: order.map((i) => this.rows[i]!), scores: order.map((i) => this.scores[i]!) }
  }
}

/**
 * Hybrid search: the store's vector search and its keyword search (BM25 in memory, Postgres full-text in pgvector,
 * Qdrant sparse BM25 vectors, Milvus BM25), run concurrently, each over-fetching `candidates` hits, fused by reciprocal rank
 * ({@link Fusion.reciprocalRank}) with configurable weights. `mode: "vector"` or `"keyword"` runs one side only, through
 * the same fusion, so scores are normalised the same way in every mode.
 *
 * Settings are plain values: {@link defaultSettings}, overridden with {@link settings}.
 *
 * @example
 * ```ts
 * import { HybridSearch } from "llm-orchestrator/rag"
 * const hits = yield* HybridSearch.search({
 *   store: "docs",
 *   collection: "documentation",
 *   query: "how do I reset my password",
 *   vector: queryVector,
 *   settings: HybridSearch.settings({ topK: 8, weights: { vector: 1, keyword: 0.5 } })
 * })
 * ```
 */
import { Effect } from "effect"
import type { Filter } from "../vector/Filter.ts"
import * as VectorStore from "../vector/VectorStore.ts"
import { VectorStoreError, type VectorStoreFailure } from "../vector/VectorStoreError.ts"
import * as Fusion from "./Fusion.ts"

/**
 * Which sides to run.
 *
 * @example
 * ```ts
 * const m: HybridSearch.Mode = "hybrid"
 * ```
 */
export type Mode = "hybrid" | "vector" | "keyword"

/**
 * Search settings.
 *
 * @example
 * ```ts
 * const s: HybridSearch.Settings = { ...HybridSearch.defaultSettings, topK: 5 }
 * ```
 */
export interface Settings {
  readonly mode: Mode
  /** Fused hits returned. */
  readonly topK: number
  /** Hits fetched from each side before fusion (RRF needs deep enough lists; default: max(50, 4 × topK)). */
  readonly candidates?: number | undefined
  /** Weight of each side in the fusion (finite, ≥ 0). */
  readonly weights: { readonly vector: number; readonly keyword: number }
  /** The RRF constant. */
  readonly k: number
}

/**
 * The defaults: hybrid, 10 hits, equal weights, k = 60.
 *
 * @example
 * ```ts
 * HybridSearch.defaultSettings.k // 60
 * ```
 */
export const defaultSettings: Settings = { mode: "hybrid", topK: 10, weights: { vector: 1, keyword: 1 }, k: 60 }

/**
 * {@link defaultSettings} with overrides (`weights` may be given partially).
 *
 * @example
 * ```ts
 * HybridSearch.settings({ weights: { keyword: 0.3 } }) // vector weight stays 1
 * ```
 */
export const settings = (
  overrides: Partial<Omit<Settings, "weights">> & { readonly weights?: Partial<Settings["weights"]> | undefined } = {}
): Settings => ({
  ...defaultSettings,
  ...overrides,
  weights: { ...defaultSettings.weights, ...overrides.weights }
})

/**
 * The candidate depth used for `settings`.
 *
 * @example
 * ```ts
 * HybridSearch.candidatesOf(HybridSearch.settings({ topK: 20 })) // 80
 * ```
 */
export const candidatesOf = (s: Settings): number => s.candidates ?? Math.max(50, 4 * s.topK)

const invalid = (store: string, collection: string, message: string) =>
  new VectorStoreError({ store, operation: "hybridSearch", collection, retryable: false, message: `Hybrid search on "${store}": ${message}` })

/**
 * Checks settings; returns the problem as a message naming the field, or undefined.
 *
 * @example
 * ```ts
 * HybridSearch.validate(HybridSearch.settings({ topK: 0 })) // "topK must be a positive integer, got 0"
 * ```
 */
export const validate = (s: Settings): string | undefined => {
  if (s.mode !== "hybrid" && s.mode !== "vector" && s.mode !== "keyword") return `mode must be hybrid, vector or keyword, got ${JSON.stringify(s.mode)}`
  if (!Number.isSafeInteger(s.topK) || s.topK < 1) return `topK must be a positive integer, got ${s.topK}`
  const c = candidatesOf(s)
  if (!Number.isSafeInteger(c) || c < s.topK) return `candidates must be an integer >= topK (${s.topK}), got ${c}`
  for (const side of ["vector", "keyword"] as const) {
    const w = s.weights[side]
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) return `weights.${side} must be a finite number >= 0, got ${w}`
  }
  if (s.mode === "hybrid" && s.weights.vector === 0 && s.weights.keyword === 0) return "weights: at least one must be positive"
  if (!Number.isFinite(s.k) || s.k < 0) return `k must be a finite number >= 0, got ${s.k}`
  return undefined
}

/**
 * Options of {@link search}. `vector` is needed unless `mode` is `keyword`; `query` unless it is `vector`.
 *
 * @example
 * ```ts
 * const o: HybridSearch.SearchOptions<"docs"> = { store: "docs", collection: "c", query: "reset", vector: [0.1, 0.2] }
 * ```
 */
export interface SearchOptions<S extends string> {
  readonly store: S
  readonly collection: string
  readonly query: string
  readonly vector?: ReadonlyArray<number> | undefined
  readonly filter?: Filter | undefined
  readonly settings?: Settings | undefined
}

/**
 * Runs the search (see the module description). Fused scores are in [0, 1]; each hit's `ranks` and `scores` say where
 * it came from.
 *
 * @example
 * ```ts
 * const hits = yield* HybridSearch.search({ store: "docs", collection: "documentation", query, vector })
 * ```
 */
export const search = <const S extends string>(
  options: SearchOptions<S>
): Effect.Effect<ReadonlyArray<Fusion.FusedHit>, VectorStoreFailure, VectorStore.VectorStoreFor<S>> =>
  Effect.gen(function*() {
    const s = options.settings ?? defaultSettings
    const bad = validate(s)
    if (bad !== undefined) return yield* invalid(options.store, options.collection, bad)
    const candidates = candidatesOf(s)
    const runVector = s.mode !== "keyword" && (s.mode === "vector" || s.weights.vector > 0)
    const runKeyword = s.mode !== "vector" && (s.mode === "keyword" || s.weights.keyword > 0)
    if (runVector && options.vector === undefined) {
      return yield* invalid(options.store, options.collection, `mode ${s.mode} needs the query vector (embed the query first)`)
    }
    const filter = options.filter === undefined ? {} : { filter: options.filter }
    const [vectorHits, keywordHits] = yield* Effect.all([
      runVector
        ? VectorStore.search({ store: options.store, collection: options.collection, vector: options.vector!, topK: candidates, ...filter })
        : Effect.succeed([]),
      runKeyword
        ? VectorStore.keywordSearch({ store: options.store, collection: options.collection, query: options.query, topK: candidates, ...filter })
        : Effect.succeed([])
    ], { concurrency: 2 })
    const rankings: Array<Fusion.Ranking> = []
    if (runVector) rankings.push({ name: "vector", weight: s.mode === "vector" ? 1 : s.weights.vector, hits: vectorHits })
    if (runKeyword) rankings.push({ name: "keyword", weight: s.mode === "keyword" ? 1 : s.weights.keyword, hits: keywordHits })
    return Fusion.reciprocalRank(rankings, { k: s.k, topK: s.topK })
  }).pipe(
    Effect.withSpan("HybridSearch.search", {
      attributes: { "vector.store": options.store, "vector.collection": options.collection, "rag.mode": (options.settings ?? defaultSettings).mode }
    })
  )

/**
 * What a vector store offers, whatever its backend: collections of fixed-dimension vectors with JSON payloads, idempotent
 * upsert by id, exact or approximate top-k search with a payload filter, and delete. Implement this interface to plug
 * another database in (`VectorStore.layer("pinecone", myStore)`).
 *
 * @example
 * ```ts
 * import type { VectorStoreShape } from "llm-orchestrator"
 * const count = (store: VectorStoreShape) => store.getCollection({ collection: "documentation" }).pipe(Effect.map((c) => c.pointsCount))
 * ```
 */
import type { Effect } from "effect"
import type { Filter } from "./Filter.ts"
import type { CollectionNotFound, DimensionMismatch, VectorStoreError, VectorStoreFailure } from "./VectorStoreError.ts"

/**
 * How similarity is measured. `cosine` and `dot` scores are similarities (higher is better, results sorted descending);
 * `euclid` scores are Euclidean distances (lower is better, results sorted ascending), as in Qdrant.
 *
 * @example
 * ```ts
 * const d: Distance = "cosine"
 * ```
 */
export type Distance = "cosine" | "dot" | "euclid"

/**
 * A point id: a non-negative integer or a non-empty string. `1` and `"1"` are different ids.
 *
 * @example
 * ```ts
 * const ids: ReadonlyArray<PointId> = [7, "doc-42"]
 * ```
 */
export type PointId = string | number

/**
 * A vector with its id and optional JSON payload.
 *
 * @example
 * ```ts
 * const p: Point = { id: "doc-1", vector: [0.1, 0.2, 0.3], payload: { lang: "en", year: 2024 } }
 * ```
 */
export interface Point {
  readonly id: PointId
  readonly vector: ReadonlyArray<number>
  readonly payload?: Readonly<Record<string, unknown>>
}

/**
 * One search result. `payload` is `{}` for a point stored without one.
 *
 * @example
 * ```ts
 * const best = (hits: ReadonlyArray<SearchHit>) => hits[0]?.payload["title"]
 * ```
 */
export interface SearchHit {
  readonly id: PointId
  readonly score: number
  readonly payload: Readonly<Record<string, unknown>>
}

/**
 * A collection's configuration and size (`pointsCount` is exact in memory; Qdrant reports an approximate count while it
 * is optimising segments).
 *
 * @example
 * ```ts
 * const info: CollectionInfo = { collection: "documentation", dimension: 384, distance: "cosine", pointsCount: 0 }
 * ```
 */
export interface CollectionInfo {
  readonly collection: string
  readonly dimension: number
  readonly distance: Distance
  readonly pointsCount: number
}

/**
 * Arguments of {@link VectorStoreShape.createCollection}.
 *
 * @example
 * ```ts
 * const o: CreateCollectionOptions = { collection: "documentation", dimension: 384, distance: "cosine" }
 * ```
 */
export interface CreateCollectionOptions {
  readonly collection: string
  readonly dimension: number
  readonly distance: Distance
}

/**
 * Arguments of {@link VectorStoreShape.upsert}.
 *
 * @example
 * ```ts
 * const o: UpsertOptions = { collection: "documentation", points: [{ id: 1, vector: [1, 0] }] }
 * ```
 */
export interface UpsertOptions {
  readonly collection: string
  readonly points: ReadonlyArray<Point>
}

/**
 * Arguments of {@link VectorStoreShape.search}. `topK` is a positive integer; `filter` restricts the candidates.
 *
 * @example
 * ```ts
 * const o: SearchOptions = { collection: "documentation", vector: [1, 0], topK: 5, filter: Filter.all(Filter.match("lang", "en")) }
 * ```
 */
export interface SearchOptions {
  readonly collection: string
  readonly vector: ReadonlyArray<number>
  readonly topK: number
  readonly filter?: Filter | undefined
}

/**
 * Arguments of {@link VectorStoreShape.keywordSearch}: a query text ranked against the points' text field (payload
 * `text` by default, see {@link TEXT_FIELD}).
 *
 * @example
 * ```ts
 * const o: KeywordSearchOptions = { collection: "documentation", query: "reset password", topK: 20 }
 * ```
 */
export interface KeywordSearchOptions {
  readonly collection: string
  readonly query: string
  readonly topK: number
  readonly filter?: Filter | undefined
}

/**
 * The payload field keyword search reads (ingestion writes each chunk's text there).
 *
 * @example
 * ```ts
 * const point = { id: "doc#0", vector, payload: { [TEXT_FIELD]: "chunk text" } }
 * ```
 */
export const TEXT_FIELD = "text"

/**
 * Arguments of {@link VectorStoreShape.delete}. Unknown ids are ignored.
 *
 * @example
 * ```ts
 * const o: DeleteOptions = { collection: "documentation", ids: ["doc-1", 7] }
 * ```
 */
export interface DeleteOptions {
  readonly collection: string
  readonly ids: ReadonlyArray<PointId>
}

/**
 * Names a collection.
 *
 * @example
 * ```ts
 * const o: CollectionOptions = { collection: "documentation" }
 * ```
 */
export interface CollectionOptions {
  readonly collection: string
}

/**
 * The service every named vector store provides.
 *
 * - `createCollection` succeeds when the collection already exists with the same dimension and distance, and fails with
 *   `DimensionMismatch` (field `"dimension"`) or `VectorStoreError` when it exists with another configuration.
 * - `upsert` is idempotent by id: a second upsert of an id replaces its vector and payload. All points are validated
 *   before any is written.
 * - `delete` ignores unknown ids; `deleteCollection` ignores an unknown collection.
 * - `keywordSearch` (optional) ranks points by their `text` payload field against a query.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function*() {
 *   const store = yield* VectorStore.service("docs")
 *   yield* store.createCollection({ collection: "c", dimension: 2, distance: "cosine" })
 *   yield* store.upsert({ collection: "c", points: [{ id: 1, vector: [1, 0] }] })
 *   return yield* store.search({ collection: "c", vector: [1, 0], topK: 1 })
 * })
 * ```
 */
export interface VectorStoreShape {
  /** The store's name, as in `database: docs`. */
  readonly store: string
  readonly createCollection: (options: CreateCollectionOptions) => Effect.Effect<void, DimensionMismatch | VectorStoreError>
  readonly getCollection: (options: CollectionOptions) => Effect.Effect<CollectionInfo, CollectionNotFound | VectorStoreError>
  readonly deleteCollection: (options: CollectionOptions) => Effect.Effect<void, VectorStoreError>
  readonly upsert: (options: UpsertOptions) => Effect.Effect<void, VectorStoreFailure>
  readonly search: (options: SearchOptions) => Effect.Effect<ReadonlyArray<SearchHit>, VectorStoreFailure>
  readonly delete: (options: DeleteOptions) => Effect.Effect<void, CollectionNotFound | VectorStoreError>
  /**
   * Keyword ranking with the store's own means (BM25 in memory, Postgres full-text in pgvector, ...), best first; scores
   * are the backend's and only their order is comparable. Absent when the store has none: hybrid search then fails
   * naming the store.
   */
  readonly keywordSearch?: ((options: KeywordSearchOptions) => Effect.Effect<ReadonlyArray<SearchHit>, VectorStoreFailure>) | undefined
}

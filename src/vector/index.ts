/**
 * Vector stores: named store services, the in-memory and Qdrant backends, the payload filter language and errors.
 *
 * @example
 * ```ts
 * import { Filter, VectorStore } from "./vector/index.ts"
 * const hits = VectorStore.search({ store: "docs", collection: "documentation", vector, topK: 5, filter: Filter.all(Filter.match("lang", "en")) })
 * ```
 */
export * as Bm25 from "./Bm25.ts"
export * as Filter from "./Filter.ts"
export * as PgExecutor from "./PgExecutor.ts"
export * as SparseBm25 from "./SparseBm25.ts"
export * as VectorStore from "./VectorStore.ts"
export type { VectorStoreFor } from "./VectorStore.ts"
export type { QdrantOptions } from "./QdrantStore.ts"
export type { PgVectorOptions } from "./PgVectorStore.ts"
export type { PineconeOptions } from "./PineconeStore.ts"
export type { ChromaOptions } from "./ChromaStore.ts"
export type { MilvusOptions } from "./MilvusStore.ts"
export type { WeaviateOptions } from "./WeaviateStore.ts"
export type { PgliteOptions } from "./VectorStore.ts"
export { CollectionNotFound, DimensionMismatch, VectorStoreError, VectorStoreFailure } from "./VectorStoreError.ts"
export type {
  CollectionInfo,
  CollectionOptions,
  CreateCollectionOptions,
  DeleteOptions,
  Distance,
  KeywordSearchOptions,
  Point,
  PointId,
  SearchHit,
  SearchOptions,
  UpsertOptions,
  VectorStoreShape
} from "./VectorStoreShape.ts"
export { TEXT_FIELD } from "./VectorStoreShape.ts"

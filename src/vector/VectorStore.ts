/**
 * Named vector stores. A workflow names the store it searches (`database: docs` in YAML, `store: "docs"` in code); each
 * name is its own service, so `VectorStore.search({ store: "pinecone", ... })` requires `VectorStoreFor<"pinecone">` and
 * running it without a `"pinecone"` store layer is a compile error. The step helpers (`search`, `upsert`, ...) read the
 * store from the context, so they drop straight into a workflow step.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Filter, VectorStore } from "llm-orchestrator"
 * const hits = VectorStore.search({
 *   store: "docs",
 *   collection: "documentation",
 *   vector,
 *   topK: 5,
 *   filter: Filter.all(Filter.match("lang", "en"))
 * }) // Effect<ReadonlyArray<SearchHit>, VectorStoreFailure, VectorStoreFor<"docs">>
 * const program = hits.pipe(Effect.provide(VectorStore.layerMemory("docs")))
 * ```
 */
import type { PGliteInterface } from "@electric-sql/pglite"
import { Config, Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as CallSpans from "../telemetry/CallSpans.ts"
import { makeMemoryStore } from "./MemoryStore.ts"
import * as PgExecutor from "./PgExecutor.ts"
import { makePgVectorStore, type PgVectorOptions } from "./PgVectorStore.ts"
import type { ChromaOptions } from "./ChromaStore.ts"
import type { MilvusOptions } from "./MilvusStore.ts"
import type { WeaviateOptions } from "./WeaviateStore.ts"
import type { PineconeOptions } from "./PineconeStore.ts"
import type { QdrantOptions } from "./QdrantStore.ts"
import { type CollectionNotFound, type DimensionMismatch, VectorStoreError, type VectorStoreFailure } from "./VectorStoreError.ts"
import type {
  CollectionInfo,
  CollectionOptions,
  CreateCollectionOptions,
  DeleteOptions,
  KeywordSearchOptions,
  Point,
  SearchHit,
  SearchOptions,
  UpsertOptions,
  VectorStoreShape
} from "./VectorStoreShape.ts"

// The Qdrant client is loaded when a Qdrant store is built, not when this module is imported (import cost).
const makeQdrantStore = (name: string, options: QdrantOptions): Effect.Effect<VectorStoreShape, VectorStoreError> =>
  Effect.flatMap(Effect.promise(() => import("./QdrantStore.ts")), (m) => m.makeQdrantStore(name, options))

/**
 * Identifier of the vector store named `Name`: what a workflow's `R` shows when it needs that store.
 *
 * @example
 * ```ts
 * type Needs = VectorStoreFor<"docs"> // { readonly key: "VectorStore/docs" }
 * ```
 */
export interface VectorStoreFor<Name extends string> {
  readonly key: `VectorStore/${Name}`
}

/**
 * Names a store in a step helper's options.
 *
 * @example
 * ```ts
 * const o: StoreOption<"docs"> = { store: "docs" }
 * ```
 */
export interface StoreOption<Name extends string> {
  readonly store: Name
}

const services = new Map<string, Context.Service<any, VectorStoreShape>>()

/**
 * The service key of the store named `name` (one key per name, memoised).
 *
 * @example
 * ```ts
 * const program = Effect.gen(function*() {
 *   const docs = yield* VectorStore.service("docs")
 *   return yield* docs.getCollection({ collection: "documentation" })
 * })
 * ```
 */
export const service = <const Name extends string>(name: Name): Context.Service<VectorStoreFor<Name>, VectorStoreShape> => {
  let key = services.get(name)
  if (key === undefined) {
    key = Context.Service<VectorStoreFor<Name>, VectorStoreShape>(`llm-orchestrator/VectorStore/${name}`)
    services.set(name, key)
  }
  return key
}

/**
 * Provides the store `name` from your own implementation (any database).
 *
 * @example
 * ```ts
 * const PineconeLive = VectorStore.layer("pinecone", myPineconeStore) // myPineconeStore: VectorStoreShape
 * ```
 */
export const layer = <const Name extends string>(name: Name, store: VectorStoreShape): Layer.Layer<VectorStoreFor<Name>> =>
  Layer.succeed(service(name), store)

/**
 * Provides the store `name` from an effect building it (for stores needing other services or resources).
 *
 * @example
 * ```ts
 * const DocsLive = VectorStore.layerEffect("docs", makeMyStore)
 * ```
 */
export const layerEffect = <const Name extends string, E, R>(
  name: Name,
  make: Effect.Effect<VectorStoreShape, E, R>
): Layer.Layer<VectorStoreFor<Name>, E, R> => Layer.effect(service(name), make)

/**
 * Builds an in-memory store named `name` (for layers that seed it, or wrap it, before providing it).
 *
 * @example
 * ```ts
 * const Seeded = VectorStore.layerEffect("docs", Effect.gen(function*() {
 *   const store = yield* VectorStore.makeMemory("docs")
 *   yield* Effect.orDie(store.createCollection({ collection: "documentation", dimension: 3, distance: "cosine" }))
 *   return store
 * }))
 * ```
 */
export const makeMemory = (name: string): Effect.Effect<VectorStoreShape> => makeMemoryStore(name)

/**
 * Builds a Qdrant-backed store named `name` (see {@link layerQdrant}).
 *
 * @example
 * ```ts
 * const store = yield* VectorStore.makeQdrant("docs", { url: "http://127.0.0.1:6333" })
 * ```
 */
export const makeQdrant = (name: string, options: QdrantOptions): Effect.Effect<VectorStoreShape, VectorStoreError> =>
  makeQdrantStore(name, options)

/**
 * A collection {@link layerMemory} creates, optionally with initial points.
 *
 * @example
 * ```ts
 * const seed: MemoryCollectionSeed = { collection: "faq", dimension: 2, distance: "dot", points: [{ id: 1, vector: [1, 0] }] }
 * ```
 */
export interface MemoryCollectionSeed extends CreateCollectionOptions {
  readonly points?: ReadonlyArray<Point> | undefined
}

/**
 * Options of {@link layerMemory}: collections (and points) to create when the layer is built.
 *
 * @example
 * ```ts
 * const o: MemoryOptions = { collections: [{ collection: "documentation", dimension: 384, distance: "cosine" }] }
 * ```
 */
export interface MemoryOptions {
  readonly collections?: ReadonlyArray<MemoryCollectionSeed> | undefined
}

/**
 * The embedded in-memory store named `name` (exact search). Each build of the layer starts with just the `collections`
 * seeds. Invalid seeds are a defect (they are fixed in code).
 *
 * @example
 * ```ts
 * const DocsLive = VectorStore.layerMemory("docs", {
 *   collections: [{ collection: "documentation", dimension: 384, distance: "cosine" }]
 * })
 * ```
 */
export const layerMemory = <const Name extends string>(name: Name, options?: MemoryOptions): Layer.Layer<VectorStoreFor<Name>> =>
  Layer.effect(
    service(name),
    Effect.gen(function*() {
      const store = yield* makeMemoryStore(name)
      for (const { points, ...collection } of options?.collections ?? []) {
        yield* Effect.orDie(store.createCollection(collection))
        if (points !== undefined) yield* Effect.orDie(store.upsert({ collection: collection.collection, points }))
      }
      return store
    })
  )

/**
 * The store `name` backed by a Qdrant server. Fails to build only on an invalid URL (no request is made at build time).
 *
 * @example
 * ```ts
 * const DocsLive = VectorStore.layerQdrant("docs", { url: "http://127.0.0.1:6333", apiKey: Redacted.make(key) })
 * ```
 */
export const layerQdrant = <const Name extends string>(
  name: Name,
  options: QdrantOptions
): Layer.Layer<VectorStoreFor<Name>, VectorStoreError> => Layer.effect(service(name), makeQdrantStore(name, options))

/**
 * Qdrant options read from configuration: `${prefix}_URL` (required) and `${prefix}_API_KEY` (optional, redacted).
 *
 * @example
 * ```ts
 * VectorStore.qdrantConfig("DOCS_QDRANT") // reads DOCS_QDRANT_URL, DOCS_QDRANT_API_KEY
 * ```
 */
export const qdrantConfig = (prefix = "QDRANT"): Config.Config<QdrantOptions> =>
  Config.all({ url: Config.String(`${prefix}_URL`), apiKey: Config.option(Config.Redacted(`${prefix}_API_KEY`)) }).pipe(
    Config.map(({ apiKey, url }): QdrantOptions => (Option.isSome(apiKey) ? { url, apiKey: apiKey.value } : { url }))
  )

/**
 * The Qdrant store `name` with options from configuration (default: `QDRANT_URL`, `QDRANT_API_KEY`).
 *
 * @example
 * ```ts
 * const DocsLive = VectorStore.layerQdrantConfig("docs", VectorStore.qdrantConfig("DOCS_QDRANT"))
 * ```
 */
export const layerQdrantConfig = <const Name extends string>(
  name: Name,
  config: Config.Config<QdrantOptions> = qdrantConfig()
): Layer.Layer<VectorStoreFor<Name>, VectorStoreError | Config.ConfigError> =>
  Layer.unwrap(Effect.map(config, (options) => layerQdrant(name, options)))

/**
 * Builds a pgvector store named `name` over an executor (see {@link PgExecutor}).
 *
 * @example
 * ```ts
 * const store = yield* VectorStore.makePgVector("docs", PgExecutor.fromSqlClient(sql), { schema: "rag" })
 * ```
 */
export const makePgVector = (
  name: string,
  executor: PgExecutor.PgExecutor,
  options?: PgVectorOptions
): Effect.Effect<VectorStoreShape, VectorStoreError> => makePgVectorStore(name, executor, options)

/**
 * The store `name` on a Postgres server with pgvector, through the `SqlClient` in context (`PgClient.layer` from
 * `@effect/sql-pg`). Fails to build with a `VectorStoreError` naming the problem when the extension is missing.
 *
 * @example
 * ```ts
 * const DocsLive = VectorStore.layerPgVector("docs", { schema: "rag" }).pipe(
 *   Layer.provide(PgClient.layer({ url: Redacted.make(process.env.DATABASE_URL!) }))
 * )
 * ```
 */
export const layerPgVector = <const Name extends string>(
  name: Name,
  options?: PgVectorOptions
): Layer.Layer<VectorStoreFor<Name>, VectorStoreError, SqlClient> =>
  Layer.effect(service(name), Effect.flatMap(SqlClient, (sql) => makePgVectorStore(name, PgExecutor.fromSqlClient(sql), options)))

/**
 * Options of {@link layerPglite}: where PGlite keeps its files (default: in memory) and the pgvector options.
 *
 * @example
 * ```ts
 * const o: PgliteOptions = { dataDir: "./.data/vectors" }
 * ```
 */
export interface PgliteOptions extends PgVectorOptions {
  /** A directory for a persistent database (default: in memory, gone when the layer is released). */
  readonly dataDir?: string | undefined
}

/**
 * The store `name` on an in-process PGlite database with pgvector (no server): started when the layer is built
 * (a few seconds: Postgres' initdb in WASM), closed when it is released.
 *
 * @example
 * ```ts
 * const DocsLive = VectorStore.layerPglite("docs", { dataDir: "./.data/vectors" })
 * ```
 */
export const layerPglite = <const Name extends string>(
  name: Name,
  options: PgliteOptions = {}
): Layer.Layer<VectorStoreFor<Name>, VectorStoreError> =>
  Layer.effect(
    service(name),
    Effect.gen(function*() {
      const db = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            const [{ PGlite }, { vector }] = await Promise.all([import("@electric-sql/pglite"), import("@electric-sql/pglite-pgvector")])
            return await PGlite.create({ ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }), extensions: { vector } })
          },
          catch: (e) =>
            new VectorStoreError({
              store: name,
              operation: "connect",
              retryable: false,
              message: `Vector store "${name}" (pgvector on PGlite): cannot start PGlite: ${e instanceof Error ? e.message : String(e)}`
            })
        }),
        (db) => Effect.promise(() => db.close()).pipe(Effect.ignore)
      )
      const executor = yield* PgExecutor.fromPglite(db)
      return yield* makePgVectorStore(name, executor, options)
    })
  )

/**
 * The store `name` on a PGlite database you created (with the pgvector extension loaded) and close yourself.
 *
 * @example
 * ```ts
 * const db = await PGlite.create({ extensions: { vector } })
 * const DocsLive = VectorStore.layerPgliteFrom("docs", db, { schema: "tenant_1" })
 * ```
 */
export const layerPgliteFrom = <const Name extends string>(
  name: Name,
  db: PGliteInterface,
  options?: PgVectorOptions
): Layer.Layer<VectorStoreFor<Name>, VectorStoreError> =>
  Layer.effect(service(name), Effect.flatMap(PgExecutor.fromPglite(db), (executor) => makePgVectorStore(name, executor, options)))

/**
 * The store `name` on Pinecone (one index per collection; see `PineconeStore.ts`). The SDK loads when the layer is
 * built; no request is made until the first call.
 *
 * @example
 * ```ts
 * const DocsLive = VectorStore.layerPinecone("docs", { apiKey: Redacted.make(process.env.PINECONE_API_KEY!), region: "us-east-1" })
 * ```
 */
export const layerPinecone = <const Name extends string>(
  name: Name,
  options: PineconeOptions
): Layer.Layer<VectorStoreFor<Name>, VectorStoreError> =>
  Layer.effect(service(name), Effect.flatMap(Effect.promise(() => import("./PineconeStore.ts")), (m) => m.makePineconeStore(name, options)))

/**
 * The store `name` on a Chroma server (one Chroma collection per collection; see `ChromaStore.ts`). The SDK loads
 * when the layer is built; no request is made until the first call.
 *
 * @example
 * ```ts
 * const DocsLive = VectorStore.layerChroma("docs", { url: "http://127.0.0.1:8000" })
 * ```
 */
export const layerChroma = <const Name extends string>(
  name: Name,
  options: ChromaOptions
): Layer.Layer<VectorStoreFor<Name>, VectorStoreError> =>
  Layer.effect(service(name), Effect.flatMap(Effect.promise(() => import("./ChromaStore.ts")), (m) => m.makeChromaStore(name, options)))

/**
 * The store `name` on Milvus through the SDK's RESTful client (one Milvus collection per collection, with BM25
 * full-text search for hybrid search on Milvus 2.5+; see `MilvusStore.ts`). No request is made until the first call.
 *
 * @example
 * ```ts
 * const DocsLive = VectorStore.layerMilvus("docs", { url: "http://127.0.0.1:19530", token: Redacted.make("root:Milvus") })
 * ```
 */
export const layerMilvus = <const Name extends string>(
  name: Name,
  options: MilvusOptions
): Layer.Layer<VectorStoreFor<Name>, VectorStoreError> =>
  Layer.effect(service(name), Effect.flatMap(Effect.promise(() => import("./MilvusStore.ts")), (m) => m.makeMilvusStore(name, options)))

/**
 * The store `name` on Weaviate 1.33+ (one Weaviate collection per collection, schema over REST, data over gRPC, BM25
 * keyword search for hybrid search; see `WeaviateStore.ts`). The SDK loads when the layer is built; it connects on
 * the first call and closes with the layer.
 *
 * @example
 * ```ts
 * const DocsLive = VectorStore.layerWeaviate("docs", { url: "http://127.0.0.1:8080", grpcUrl: "http://127.0.0.1:50051" })
 * ```
 */
export const layerWeaviate = <const Name extends string>(
  name: Name,
  options: WeaviateOptions
): Layer.Layer<VectorStoreFor<Name>, VectorStoreError> =>
  Layer.effect(service(name), Effect.flatMap(Effect.promise(() => import("./WeaviateStore.ts")), (m) => m.makeWeaviateStore(name, options)))

/**
 * Step helper: creates a collection in store `store` (no-op when it exists with the same configuration).
 *
 * @example
 * ```ts
 * yield* VectorStore.createCollection({ store: "docs", collection: "documentation", dimension: 384, distance: "cosine" })
 * ```
 */
export const createCollection = <const Name extends string>(
  options: StoreOption<Name> & CreateCollectionOptions
): Effect.Effect<void, DimensionMismatch | VectorStoreError, VectorStoreFor<Name>> =>
  Effect.flatMap(service(options.store), (s) => s.createCollection(options)).pipe(
    CallSpans.vector({ store: options.store, operation: "create_collection", collection: options.collection })
  )

/**
 * Step helper: a collection's dimension, distance and size.
 *
 * @example
 * ```ts
 * const { pointsCount } = yield* VectorStore.getCollection({ store: "docs", collection: "documentation" })
 * ```
 */
export const getCollection = <const Name extends string>(
  options: StoreOption<Name> & CollectionOptions
): Effect.Effect<CollectionInfo, CollectionNotFound | VectorStoreError, VectorStoreFor<Name>> =>
  Effect.flatMap(service(options.store), (s) => s.getCollection(options)).pipe(
    CallSpans.vector({ store: options.store, operation: "get_collection", collection: options.collection })
  )

/**
 * Step helper: drops a collection and its points (no-op when it does not exist).
 *
 * @example
 * ```ts
 * yield* VectorStore.deleteCollection({ store: "docs", collection: "scratch" })
 * ```
 */
export const deleteCollection = <const Name extends string>(
  options: StoreOption<Name> & CollectionOptions
): Effect.Effect<void, VectorStoreError, VectorStoreFor<Name>> =>
  Effect.flatMap(service(options.store), (s) => s.deleteCollection(options)).pipe(
    CallSpans.vector({ store: options.store, operation: "delete_collection", collection: options.collection })
  )

/**
 * Step helper: inserts or replaces points by id.
 *
 * @example
 * ```ts
 * yield* VectorStore.upsert({ store: "docs", collection: "documentation", points: [{ id: "doc-1", vector, payload: { lang: "en" } }] })
 * ```
 */
export const upsert = <const Name extends string>(
  options: StoreOption<Name> & UpsertOptions
): Effect.Effect<void, VectorStoreFailure, VectorStoreFor<Name>> =>
  Effect.flatMap(service(options.store), (s) => s.upsert(options)).pipe(
    CallSpans.vector({ store: options.store, operation: "upsert", collection: options.collection })
  )

/**
 * Step helper: the `topK` best points for `vector` among those passing `filter`, best first (cosine/dot: highest
 * similarity first; euclid: smallest distance first, `score` being the distance).
 *
 * @example
 * ```ts
 * const hits = yield* VectorStore.search({ store: "docs", collection: "documentation", vector, topK: 5, filter })
 * ```
 */
export const search = <const Name extends string>(
  options: StoreOption<Name> & SearchOptions
): Effect.Effect<ReadonlyArray<SearchHit>, VectorStoreFailure, VectorStoreFor<Name>> =>
  Effect.flatMap(service(options.store), (s) => s.search(options)).pipe(
    CallSpans.vector({ store: options.store, operation: "search", collection: options.collection, topK: options.topK })
  )

/**
 * Step helper: keyword ranking of the points' `text` field with the store's own means (BM25 in memory, full-text in
 * pgvector, ...). Fails with a `VectorStoreError` naming the store when it has none.
 *
 * @example
 * ```ts
 * const hits = yield* VectorStore.keywordSearch({ store: "docs", collection: "documentation", query: "reset password", topK: 20 })
 * ```
 */
export const keywordSearch = <const Name extends string>(
  options: StoreOption<Name> & KeywordSearchOptions
): Effect.Effect<ReadonlyArray<SearchHit>, VectorStoreFailure, VectorStoreFor<Name>> =>
  Effect.flatMap(service(options.store), (s) =>
    s.keywordSearch === undefined
      ? Effect.fail(
        new VectorStoreError({
          store: options.store,
          operation: "keywordSearch",
          collection: options.collection,
          retryable: false,
          message: `Vector store "${options.store}" has no keyword search, so it cannot serve hybrid search; use a store that has one (memory, pgvector, qdrant, weaviate, milvus) or vector search`
        })
      )
      : s.keywordSearch(options)).pipe(
    CallSpans.vector({ store: options.store, operation: "keyword_search", collection: options.collection, topK: options.topK })
  )

/**
 * True when the store `name` offers {@link keywordSearch}.
 *
 * @example
 * ```ts
 * const hybrid = yield* VectorStore.hasKeywordSearch("docs")
 * ```
 */
export const hasKeywordSearch = <const Name extends string>(name: Name): Effect.Effect<boolean, never, VectorStoreFor<Name>> =>
  Effect.map(service(name), (s) => s.keywordSearch !== undefined)

const remove = <const Name extends string>(
  options: StoreOption<Name> & DeleteOptions
): Effect.Effect<void, CollectionNotFound | VectorStoreError, VectorStoreFor<Name>> =>
  Effect.flatMap(service(options.store), (s) => s.delete(options)).pipe(
    CallSpans.vector({ store: options.store, operation: "delete", collection: options.collection })
  )

export {
  /**
   * Step helper: deletes points by id (unknown ids are ignored).
   *
   * @example
   * ```ts
   * yield* VectorStore.delete({ store: "docs", collection: "documentation", ids: ["doc-1"] })
   * ```
   */
  remove as delete
}

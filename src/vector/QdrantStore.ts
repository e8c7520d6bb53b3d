/**
 * Vector store backed by a Qdrant server through `@qdrant/js-client-rest`.
 *
 * - Distances map to Qdrant's `Cosine` / `Dot` / `Euclid`; Qdrant reports Euclid scores as distances, like the memory store.
 * - Qdrant only accepts unsigned integers and UUIDs as point ids. Other string ids (`"doc-1"`) are sent as a deterministic
 *   UUID derived from the string, and the original id travels in the payload field {@link ORIGINAL_ID_FIELD}, which search
 *   results read back and strip; so any `PointId` round-trips unchanged.
 * - The collection's dimension is fetched once per collection (GET /collections/{name}) and cached, so wrong-dimension
 *   vectors fail with the same `DimensionMismatch` (naming `points[i].vector`) as the memory store, before any write.
 * - The api key is `Redacted`; it is only put in the `api-key` header and scrubbed from every error message.
 * - Keyword search (the keyword side of hybrid search) runs on Qdrant's sparse vectors: new collections get a sparse
 *   vector {@link SPARSE_VECTOR} with `modifier: "idf"` (Qdrant 1.10 or later), each point's payload `text` is sent
 *   as its BM25 document vector ({@link SparseBm25.document}) next to the dense one, and `keywordSearch` queries it
 *   through the Query API (`using: "bm25"`) with the query's terms, so Qdrant sums idf × the document weights: BM25
 *   with Qdrant's own document frequencies. Fusion with the vector side stays ours ({@link HybridSearch}: weighted
 *   RRF), not Qdrant's `prefetch` + `fusion: "rrf"`, which takes no weights. `keywordSearch: false` creates dense-only
 *   collections (for older servers); a collection without the sparse vector fails keyword search naming it.
 * - Each request carries an AbortSignal: interrupting the effect (a step timeout, a failed sibling) cancels the HTTP
 *   request. The per-request timeout is an Effect timeout, so it follows the Effect clock.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { VectorStore } from "llm-orchestrator"
 * const DocsLive = VectorStore.layerQdrant("docs", { url: "http://127.0.0.1:6333", apiKey: Redacted.make("secret") })
 * ```
 */
import { QdrantClient, type Schemas } from "@qdrant/js-client-rest"
import { createHash } from "node:crypto"
import { Effect, Predicate, Redacted } from "effect"
import * as Filter from "./Filter.ts"
import * as SparseBm25 from "./SparseBm25.ts"
import { cachedConfig } from "./ConfigCache.ts"
import * as V from "./validation.ts"
import { CollectionNotFound, DimensionMismatch, VectorStoreError } from "./VectorStoreError.ts"
import type {
  CollectionInfo,
  CollectionOptions,
  CreateCollectionOptions,
  DeleteOptions,
  Distance,
  KeywordSearchOptions,
  PointId,
  SearchHit,
  SearchOptions,
  UpsertOptions,
  VectorStoreShape
} from "./VectorStoreShape.ts"
import { TEXT_FIELD } from "./VectorStoreShape.ts"

/**
 * Connection options of a Qdrant store.
 *
 * @example
 * ```ts
 * const options: QdrantOptions = { url: "https://xyz.cloud.qdrant.io:6333", apiKey: Redacted.make(key), timeoutMillis: 10_000 }
 * ```
 */
export interface QdrantOptions {
  /** Base URL with scheme and port, e.g. `http://127.0.0.1:6333`. */
  readonly url: string
  /** Sent as the `api-key` header; never logged. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Per-request timeout (default 30 s). */
  readonly timeoutMillis?: number | undefined
  /** Ask the server for its version at start-up and warn on a mismatch (default false: no request at construction). */
  readonly checkCompatibility?: boolean | undefined
  /**
   * Points per upsert request (default 256), keeping request bodies under Qdrant's size limit. All points are validated
   * before the first request; a transport failure midway can leave the earlier batches written (upsert is idempotent,
   * so retrying the whole call is safe).
   */
  readonly upsertBatchSize?: number | undefined
  /**
   * Create collections with the BM25 sparse vector {@link SPARSE_VECTOR} and send each point's `text` as one, for
   * keyword and hybrid search (default true; needs Qdrant 1.10 or later for the idf modifier).
   */
  readonly keywordSearch?: boolean | undefined
  /** The document side of BM25 (default {@link SparseBm25.defaultParameters}); keep it fixed for a collection's life. */
  readonly bm25?: SparseBm25.Parameters | undefined
}

/**
 * Name of the sparse vector that carries each point's BM25 terms.
 *
 * @example
 * ```ts
 * SPARSE_VECTOR // "bm25"
 * ```
 */
export const SPARSE_VECTOR = "bm25"

/**
 * Payload field carrying the original id of points whose string id is not a UUID.
 *
 * @example
 * ```ts
 * ORIGINAL_ID_FIELD // "__point_id"
 * ```
 */
export const ORIGINAL_ID_FIELD = "__point_id"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The id Qdrant stores for a point id: integers and UUIDs as is, other strings as a name-based (v5-style) UUID.
 *
 * @example
 * ```ts
 * toQdrantId(7) // 7
 * toQdrantId("doc-1") // "…-5…-…" (always the same UUID for "doc-1")
 * ```
 */
export const toQdrantId = (id: PointId): string | number => {
  if (typeof id === "number" || UUID.test(id)) return id
  const h = createHash("sha1").update("llm-orchestrator/point-id/").update(id).digest()
  h[6] = (h[6]! & 0x0f) | 0x50
  h[8] = (h[8]! & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString("hex")
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}

const toQdrantDistance = { cosine: "Cosine", dot: "Dot", euclid: "Euclid" } as const
const fromQdrantDistance = (d: unknown): Distance | undefined =>
  d === "Cosine" ? "cosine" : d === "Dot" ? "dot" : d === "Euclid" ? "euclid" : undefined

type QdrantFailure = CollectionNotFound | DimensionMismatch | VectorStoreError

interface Config {
  readonly dimension: number
  readonly distance: Distance
  /** The collection has the sparse vector SPARSE_VECTOR. */
  readonly keyword: boolean
}

/**
 * Builds a Qdrant-backed store named `store`.
 *
 * @example
 * ```ts
 * const store = yield* makeQdrantStore("docs", { url: "http://127.0.0.1:6333" })
 * ```
 */
export const makeQdrantStore = (store: string, options: QdrantOptions): Effect.Effect<VectorStoreShape, VectorStoreError> =>
  Effect.gen(function*() {
    const secret = options.apiKey === undefined ? undefined : Redacted.value(options.apiKey)
    const where = (() => {
      try {
        const u = new URL(options.url)
        return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}` // drops any user:password@
      } catch {
        return "(invalid url)"
      }
    })()
    const scrub = (text: string): string =>
      secret === undefined || secret.length === 0 ? text : text.split(secret).join("<redacted>")

    // Collection configurations seen so far, to check dimensions before writing (see the module description).
    const configs = new Map<string, Config>()
    const keywordDefault = options.keywordSearch ?? true
    const bm25 = options.bm25 ?? SparseBm25.defaultParameters

    const client = yield* Effect.try({
      try: () =>
        new QdrantClient({
          url: options.url,
          // Sent as a plain header rather than `apiKey`, so the client does not console.warn on loopback http; we warn
          // through the Effect logger instead, only for a remote plain-http server (see below).
          ...(secret === undefined ? {} : { headers: { "api-key": secret } }),
          // No client-side timeout: its middleware would replace our AbortSignal. `call` times requests out instead.
          timeout: Number.POSITIVE_INFINITY,
          checkCompatibility: options.checkCompatibility ?? false
        }),
      catch: (e) =>
        new VectorStoreError({
          store,
          operation: "connect",
          retryable: false,
          message: scrub(`Vector store "${store}": invalid Qdrant options: ${e instanceof Error ? e.message : String(e)}`)
        })
    })

    if (secret !== undefined && options.url.startsWith("http://") && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(options.url)) {
      yield* Effect.logWarning(`Vector store "${store}": the Qdrant api key is sent over plain http to ${where}`)
    }

    const fail = (
      operation: string,
      collection: string | undefined,
      message: string,
      failure: { readonly status?: number; readonly retryable?: boolean } = {}
    ): VectorStoreError =>
      new VectorStoreError({
        store,
        operation,
        ...(collection === undefined ? {} : { collection }),
        ...(failure.status === undefined ? {} : { status: failure.status }),
        retryable: failure.retryable ?? false,
        message: scrub(
          collection === undefined
            ? `Vector store "${store}" (Qdrant at ${where}): ${message}`
            : `Vector store "${store}" (Qdrant at ${where}), collection "${collection}": ${message}`
        )
      })

    const mapError = (operation: string, collection: string | undefined) => (e: unknown): QdrantFailure => {
      if (Predicate.hasProperty(e, "status") && typeof e.status === "number") {
        const data = Predicate.hasProperty(e, "data") ? e.data : undefined
        const serverMessage = Predicate.hasProperty(data, "status") && Predicate.hasProperty(data.status, "error") &&
            typeof data.status.error === "string"
          ? data.status.error
          : Predicate.hasProperty(e, "statusText") && typeof e.statusText === "string" && e.statusText.length > 0
          ? e.statusText
          : `HTTP ${e.status}`
        if (e.status === 404 && collection !== undefined) {
          configs.delete(collection) // dropped behind our back: forget its cached dimension
          return new CollectionNotFound({ store, collection })
        }
        const dim = /expected dim: (\d+), got (\d+)/.exec(serverMessage)
        if (e.status === 400 && dim !== null && collection !== undefined) {
          return new DimensionMismatch({ store, collection, field: "vector", expected: Number(dim[1]), actual: Number(dim[2]) })
        }
        return fail(operation, collection, `HTTP ${e.status}: ${serverMessage}`, {
          status: e.status,
          retryable: V.isRetryableStatus(e.status)
        })
      }
      if (e instanceof Error) {
        if (e.name === "QdrantClientResourceExhaustedError") {
          return fail(operation, collection, `rate limited: ${e.message}`, { status: 429, retryable: true })
        }
        // Anything else thrown by fetch is a transport failure (refused, reset, DNS): worth retrying.
        const cause = Predicate.hasProperty(e, "cause") && Predicate.hasProperty(e.cause, "code") ? ` (${String(e.cause.code)})` : ""
        return fail(operation, collection, `${e.message}${cause}`, { retryable: true })
      }
      return fail(operation, collection, String(e))
    }

    const api = client.api()
    const timeoutMillis = options.timeoutMillis ?? 30_000

    // One REST call: aborted on interruption, failed with a retryable VectorStoreError after timeoutMillis.
    const call = <A>(
      operation: string,
      collection: string | undefined,
      f: (init: { readonly signal: AbortSignal }) => Promise<{ readonly data: { readonly result?: A | null | undefined } }>
    ): Effect.Effect<A, QdrantFailure> =>
      Effect.tryPromise({ try: (signal) => f({ signal }), catch: mapError(operation, collection) }).pipe(
        Effect.flatMap((response) =>
          response.data.result === undefined || response.data.result === null
            ? Effect.fail(fail(operation, collection, "the server answered without a result"))
            : Effect.succeed(response.data.result)
        ),
        Effect.timeoutOrElse({
          duration: timeoutMillis,
          orElse: () => Effect.fail(fail(operation, collection, `timed out after ${timeoutMillis} ms`, { retryable: true }))
        })
      )

    const fetchInfo = (operation: string, collection: string): Effect.Effect<CollectionInfo, QdrantFailure> =>
      call(operation, collection, (init) => api.getCollection({ collection_name: collection }, init)).pipe(
        Effect.flatMap((info) => {
          const params: unknown = info.config?.params?.vectors
          const size = Predicate.hasProperty(params, "size") ? params.size : undefined
          const distance = Predicate.hasProperty(params, "distance") ? fromQdrantDistance(params.distance) : undefined
          if (typeof size !== "number" || distance === undefined) {
            return Effect.fail(
              fail(operation, collection, "has no single unnamed vector with Cosine, Dot or Euclid distance (named vectors are not supported)")
            )
          }
          const sparse: unknown = info.config?.params?.sparse_vectors
          configs.set(collection, { dimension: size, distance, keyword: Predicate.hasProperty(sparse, SPARSE_VECTOR) })
          return Effect.succeed({ collection, dimension: size, distance, pointsCount: info.points_count ?? 0 })
        })
      )

    const configOf = (operation: string, collection: string): Effect.Effect<Config, QdrantFailure> =>
      cachedConfig(store, configs, operation, collection, () => Effect.map(fetchInfo(operation, collection), () => configs.get(collection)!))

    const attributes = (collection: string) => ({ "vector.store": store, "vector.collection": collection, "vector.backend": "qdrant" })
    const batchSize = options.upsertBatchSize !== undefined && Number.isSafeInteger(options.upsertBatchSize) &&
        options.upsertBatchSize > 0
      ? options.upsertBatchSize
      : 256

    const qdrantFilter = (collection: string, operation: string, filter: Filter.Filter | undefined) =>
      filter === undefined ? Effect.succeed(undefined) : Effect.try({
        try: () => Filter.toQdrant(filter),
        catch: (e) => V.invalidFilter(store, collection, operation, e instanceof Error ? e.message : String(e))
      })

    const hitOf = (p: { readonly id: string | number; readonly score: number; readonly payload?: Record<string, unknown> | null | undefined }): SearchHit => {
      const { [ORIGINAL_ID_FIELD]: original, ...payload } = (p.payload ?? {}) as Record<string, unknown>
      return { id: typeof original === "string" ? original : p.id, score: p.score, payload }
    }

    const createCollection = Effect.fn("VectorStore.createCollection")(function*(o: CreateCollectionOptions) {
      const bad = V.checkCreate(store, o)
      if (bad !== undefined) return yield* bad
      yield* Effect.annotateCurrentSpan(attributes(o.collection))
      const created = yield* call("createCollection", o.collection, (init) =>
        api.createCollection(
          {
            collection_name: o.collection,
            vectors: { size: o.dimension, distance: toQdrantDistance[o.distance] },
            ...(keywordDefault ? { sparse_vectors: { [SPARSE_VECTOR]: { modifier: "idf" as const } } } : {})
          },
          init
        )
      ).pipe(
        Effect.as(true),
        // Qdrant >= 1.8 answers 409 for an existing collection, older servers 400 with the same "already exists" text.
        Effect.catchIf(
          (e) => e._tag === "VectorStoreError" && (e.status === 409 || (e.status === 400 && e.message.includes("already exists"))),
          () => Effect.succeed(false)
        ),
        Effect.catchTag("CollectionNotFound", (e) => Effect.fail(fail("createCollection", o.collection, e.message)))
      )
      if (created) {
        configs.set(o.collection, { dimension: o.dimension, distance: o.distance, keyword: keywordDefault })
        return
      }
      // Already there: fine when it has the requested configuration.
      const existing = yield* fetchInfo("createCollection", o.collection).pipe(
        Effect.catchTag("CollectionNotFound", (e) => Effect.fail(fail("createCollection", o.collection, e.message))),
        Effect.catchTag("DimensionMismatch", (e) => Effect.fail(fail("createCollection", o.collection, e.message)))
      )
      const conflict = V.checkExisting(store, o, existing)
      if (conflict !== undefined) return yield* conflict
    })

    const getCollection = Effect.fn("VectorStore.getCollection")(function*(o: CollectionOptions) {
      const bad = V.checkCollection(store, "getCollection", o.collection)
      if (bad !== undefined) return yield* bad
      return yield* fetchInfo("getCollection", o.collection).pipe(
        Effect.catchTag("DimensionMismatch", (e) => Effect.fail(fail("getCollection", o.collection, e.message)))
      )
    })

    const deleteCollection = Effect.fn("VectorStore.deleteCollection")(function*(o: CollectionOptions) {
      const bad = V.checkCollection(store, "deleteCollection", o.collection)
      if (bad !== undefined) return yield* bad
      configs.delete(o.collection)
      yield* call("deleteCollection", o.collection, (init) => api.deleteCollection({ collection_name: o.collection }, init)).pipe(
        Effect.catchTag("CollectionNotFound", () => Effect.void),
        Effect.catchTag("DimensionMismatch", (e) => Effect.fail(fail("deleteCollection", o.collection, e.message)))
      )
    })

    const upsert = Effect.fn("VectorStore.upsert")(function*(o: UpsertOptions) {
      const config = yield* configOf("upsert", o.collection)
      yield* Effect.annotateCurrentSpan({ ...attributes(o.collection), "vector.points": o.points.length })
      const bad = V.checkPoints(store, o.collection, config.dimension, o.points)
      if (bad !== undefined) return yield* bad
      const points = o.points.map((p) => {
        const payload: Record<string, unknown> = { ...p.payload }
        if (typeof p.id === "string") payload[ORIGINAL_ID_FIELD] = p.id
        const text = p.payload?.[TEXT_FIELD]
        const sparse = config.keyword && typeof text === "string" ? SparseBm25.document(text, bm25) : undefined
        // The dense vector is Qdrant's default (unnamed, "") one; a point without terms has no sparse vector.
        const vector = config.keyword
          ? { "": [...p.vector], ...(sparse === undefined || sparse.indices.length === 0 ? {} : { [SPARSE_VECTOR]: { indices: [...sparse.indices], values: [...sparse.values] } }) }
          : [...p.vector]
        return { id: toQdrantId(p.id), vector, payload }
      })
      for (let i = 0; i < points.length; i += batchSize) {
        const batch = points.slice(i, i + batchSize)
        yield* call("upsert", o.collection, (init) => api.upsertPoints({ collection_name: o.collection, wait: true, points: batch }, init))
      }
    })

    const search = Effect.fn("VectorStore.search")(function*(o: SearchOptions) {
      const config = yield* configOf("search", o.collection)
      yield* Effect.annotateCurrentSpan({ ...attributes(o.collection), "vector.top_k": o.topK })
      const bad = V.checkSearch(store, o.collection, config.dimension, o.vector, o.topK)
      if (bad !== undefined) return yield* bad
      const filter = yield* qdrantFilter(o.collection, "search", o.filter)
      const result = yield* call("search", o.collection, (init) =>
        api.queryPoints({
          collection_name: o.collection,
          query: [...o.vector],
          limit: o.topK,
          with_payload: true,
          ...(filter === undefined ? {} : { filter: filter as Schemas["Filter"] })
        }, init)
      )
      return result.points.map(hitOf)
    })

    const keywordSearch = (o: KeywordSearchOptions): Effect.Effect<ReadonlyArray<SearchHit>, QdrantFailure> =>
      Effect.gen(function*() {
        const config = yield* configOf("keywordSearch", o.collection)
        yield* Effect.annotateCurrentSpan({ ...attributes(o.collection), "vector.top_k": o.topK })
        const bad = V.checkKeywordSearch(store, o.collection, o.query, o.topK)
        if (bad !== undefined) return yield* bad
        if (!config.keyword) {
          return yield* fail("keywordSearch", o.collection, `has no sparse vector "${SPARSE_VECTOR}" (created with keywordSearch: false or not by this store)`)
        }
        const filter = yield* qdrantFilter(o.collection, "keywordSearch", o.filter)
        const terms = SparseBm25.query(o.query)
        if (terms.indices.length === 0) return []
        const result = yield* call("keywordSearch", o.collection, (init) =>
          api.queryPoints({
            collection_name: o.collection,
            query: { indices: [...terms.indices], values: [...terms.values] },
            using: SPARSE_VECTOR,
            limit: o.topK,
            with_payload: true,
            ...(filter === undefined ? {} : { filter: filter as Schemas["Filter"] })
          }, init)
        )
        return result.points.map(hitOf).filter((h) => h.score > 0)
      }).pipe(Effect.withSpan("VectorStore.keywordSearch"))

    const remove = Effect.fn("VectorStore.delete")(function*(o: DeleteOptions) {
      yield* configOf("delete", o.collection).pipe(
        Effect.catchTag("DimensionMismatch", (e) => Effect.fail(fail("delete", o.collection, e.message)))
      )
      const bad = V.checkIds(store, o.collection, o.ids)
      if (bad !== undefined) return yield* bad
      if (o.ids.length === 0) return
      yield* call("delete", o.collection, (init) =>
        api.deletePoints({ collection_name: o.collection, wait: true, points: o.ids.map(toQdrantId) }, init)
      ).pipe(
        Effect.catchTag("DimensionMismatch", (e) => Effect.fail(fail("delete", o.collection, e.message)))
      )
    })

    return { store, createCollection, getCollection, deleteCollection, upsert, search, keywordSearch, delete: remove }
  })

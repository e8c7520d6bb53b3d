/**
 * Vector store on Pinecone through the official `@pinecone-database/pinecone` SDK.
 *
 * - Each collection is a Pinecone index (dimension and metric are per index in Pinecone): `createCollection` creates a
 *   serverless index (`cloud`, `region`) and waits until it is ready; names are made index-safe (lowercase letters,
 *   digits and `-`, at most 45 characters, a hash suffix when the name had to change). All points go to `namespace`
 *   (default `""`), so several stores can share indexes by namespace.
 * - Metrics: cosine ↔ `cosine`, dot ↔ `dotproduct`, euclid ↔ `euclidean` (Pinecone scores euclidean by squared
 *   distance; scores are returned as the distance, like every store here).
 * - Ids: Pinecone ids are strings; a number id `7` is stored as `#7` and a string starting with `#` gets one more
 *   `#`, so `7` and `"7"` stay different ids and round-trip unchanged.
 * - Payloads: Pinecone metadata is flat (strings, numbers, booleans, lists of strings). The payload is kept whole as
 *   JSON in `__payload` (returned by searches) and flattened for filtering: nested keys become dotted keys
 *   (`meta.team`), lists of strings stay lists. Lists of numbers or booleans cannot be filtered on (a Pinecone limit).
 *   Pinecone limits metadata to 40 KB per record.
 * - The filter compiles to Pinecone's `$eq`/`$in`/`$gt…`/`$and`/`$or`; `must_not` is rewritten by De Morgan with
 *   `$ne`/`$nin` and `$exists: false`, so a missing field passes `must_not` as in the other stores.
 * - No keyword search: Pinecone ranks text only through sparse vectors computed by the caller, so hybrid search
 *   fails naming the store (use pgvector, Qdrant, Milvus or memory for hybrid).
 * - The SDK's retries are off (retrying is the reliability layer's job); its calls take no AbortSignal, so a timeout
 *   or interruption stops waiting but the request runs to its end.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { VectorStore } from "llm-orchestrator"
 * const DocsLive = VectorStore.layerPinecone("docs", { apiKey: Redacted.make(process.env.PINECONE_API_KEY!), cloud: "aws", region: "us-east-1" })
 * ```
 */
import type { Pinecone } from "@pinecone-database/pinecone"
import { createHash } from "node:crypto"
import { Effect, Redacted, Schedule } from "effect"
import * as Filter from "./Filter.ts"
import * as StringIds from "./StringIds.ts"
import { cachedConfig } from "./ConfigCache.ts"
import * as V from "./validation.ts"
import { CollectionNotFound, VectorStoreError, storeFailures } from "./VectorStoreError.ts"
import type {
  CollectionInfo,
  CollectionOptions,
  CreateCollectionOptions,
  DeleteOptions,
  Distance,
  Point,
  PointId,
  SearchHit,
  SearchOptions,
  UpsertOptions,
  VectorStoreShape
} from "./VectorStoreShape.ts"

/**
 * Options of a Pinecone store.
 *
 * @example
 * ```ts
 * const o: PineconeOptions = { apiKey: Redacted.make(key), cloud: "aws", region: "us-east-1", namespace: "tenant-1" }
 * ```
 */
export interface PineconeOptions {
  readonly apiKey: Redacted.Redacted<string>
  /** Cloud of the serverless indexes `createCollection` creates (default `aws`). */
  readonly cloud?: "aws" | "gcp" | "azure" | undefined
  /** Region of those indexes (default `us-east-1`). */
  readonly region?: string | undefined
  /** Namespace of every index the store uses (default `""`, the default namespace). */
  readonly namespace?: string | undefined
  /** Prefix of index names (default none). */
  readonly indexPrefix?: string | undefined
  /** The control plane URL (default: the SDK's, api.pinecone.io); for tests and private deployments. */
  readonly controllerHostUrl?: string | undefined
  /** Per-request timeout (default 30 s). */
  readonly timeoutMillis?: number | undefined
  /** How long `createCollection` waits for a new index to be ready (default 5 minutes). */
  readonly readyTimeoutMillis?: number | undefined
  /** Records per upsert request (default 100; Pinecone takes at most 1,000 records or 2 MB). */
  readonly upsertBatchSize?: number | undefined
}

/** Payload field holding the whole payload as JSON. */
export const PAYLOAD_FIELD = "__payload"

/**
 * The index name of a collection: as is when it is a valid Pinecone name, else a slug with a hash suffix.
 *
 * @example
 * ```ts
 * indexName("", "items") // "items"
 * indexName("", "My Docs") // "my-docs-5d41402a"
 * ```
 */
export const indexName = (prefix: string, collection: string): string => {
  const name = `${prefix}${collection}`
  if (/^[a-z0-9](?:[a-z0-9-]{0,43}[a-z0-9])?$/.test(name)) return name
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 36)
  return `${slug.length > 0 ? `${slug}-` : ""}${createHash("sha1").update(name).digest("hex").slice(0, 8)}`
}

/**
 * A point id as a Pinecone id (see the module description).
 *
 * @example
 * ```ts
 * toPineconeId(7) // "#7"
 * toPineconeId("#x") // "##x"
 * ```
 */
export const toPineconeId = (id: PointId): string => StringIds.encode(id)

/**
 * The point id of a Pinecone id.
 *
 * @example
 * ```ts
 * fromPineconeId("#7") // 7
 * ```
 */
export const fromPineconeId = (id: string): PointId => StringIds.decode(id)

type Metadata = Record<string, string | number | boolean | Array<string>>

/**
 * Pinecone metadata of a payload: the payload as JSON plus its flattened filterable fields.
 *
 * @example
 * ```ts
 * toMetadata({ meta: { team: "docs" }, tags: ["a"] }) // { __payload: "…", "meta.team": "docs", tags: ["a"] }
 * ```
 */
export const toMetadata = (payload: Readonly<Record<string, unknown>> | undefined): Metadata => {
  const out: Metadata = {}
  const lists = new Map<string, Array<string>>()
  const walk = (value: unknown, path: string, inList: boolean): void => {
    if (value === null || value === undefined) return
    if (Array.isArray(value)) {
      for (const v of value) walk(v, path, true)
      return
    }
    if (typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, path === "" ? k : `${path}.${k}`, inList)
      return
    }
    if (inList) {
      // Pinecone lists hold strings only: other array elements cannot be filtered on.
      if (typeof value === "string") lists.set(path, [...(lists.get(path) ?? []), value])
      return
    }
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[path] = value
  }
  if (payload !== undefined) walk(payload, "", false)
  for (const [path, values] of lists) if (out[path] === undefined) out[path] = values
  out[PAYLOAD_FIELD] = JSON.stringify(payload ?? {})
  return out
}

// Each condition compiles to its positive form and its negation (De Morgan, `Filter.deMorgan`); `true` is "no
// constraint", `false` "nothing".
type Node = Filter.Folded<Record<string, unknown>>
const { and, or } = Filter.connectives<Record<string, unknown>>((nodes) => ({ $and: nodes }), (nodes) => ({ $or: nodes }))
const missing = (key: string) => ({ [key]: { $exists: false } })

/**
 * Compiles a payload filter to a Pinecone metadata filter (undefined: no filter; `false`: matches nothing).
 * Throws `Filter.InvalidFilter` for an ill-formed filter.
 *
 * @example
 * ```ts
 * toPineconeFilter(Filter.none(Filter.match("lang", "en")))
 * // { $or: [{ lang: { $exists: false } }, { lang: { $ne: "en" } }] }
 * ```
 */
export const toPineconeFilter = (filter: Filter.Filter): Record<string, unknown> | undefined | false => {
  const c = Filter.fold<Filter.Signed<Record<string, unknown>>>(filter, {
    match: (key, _s, value) => ({ pos: { [key]: { $eq: value } }, neg: or([missing(key), { [key]: { $ne: value } }]) }),
    any: (key, _s, values) =>
      values.length === 0 ? { pos: false, neg: true } : { pos: { [key]: { $in: [...values] } }, neg: or([missing(key), { [key]: { $nin: [...values] } }]) },
    range: (key, _s, { gt, gte, lt, lte }) => {
      const bounds: Record<string, number> = {}
      const outside: Array<Node> = [missing(key)]
      if (gt !== undefined) (bounds["$gt"] = gt), outside.push({ [key]: { $lte: gt } })
      if (gte !== undefined) (bounds["$gte"] = gte), outside.push({ [key]: { $lt: gte } })
      if (lt !== undefined) (bounds["$lt"] = lt), outside.push({ [key]: { $gte: lt } })
      if (lte !== undefined) (bounds["$lte"] = lte), outside.push({ [key]: { $gt: lte } })
      // An unbounded range holds for any number: "the field is a number" is not expressible, so it means "exists".
      return Object.keys(bounds).length === 0
        ? { pos: { [key]: { $exists: true } }, neg: missing(key) }
        : { pos: { [key]: bounds }, neg: or(outside) }
    },
    bool: Filter.deMorgan(and, or)
  })
  return c.pos === true ? undefined : c.pos === false ? false : c.pos
}

const toMetric = { cosine: "cosine", dot: "dotproduct", euclid: "euclidean" } as const
const fromMetric = (m: unknown): Distance | undefined => (m === "cosine" ? "cosine" : m === "dotproduct" ? "dot" : m === "euclidean" ? "euclid" : undefined)

const errorStatus: Readonly<Record<string, number>> = {
  PineconeBadRequestError: 400,
  PineconeAuthorizationError: 401,
  PineconeNotFoundError: 404,
  PineconeConflictError: 409,
  PineconeUnprocessableEntityError: 422,
  PineconeInternalServerError: 500,
  PineconeNotImplementedError: 501,
  PineconeUnavailableError: 503
}
const statusOf = (e: unknown): number | undefined => V.statusOfNamedError(errorStatus, e)

interface Config {
  readonly index: string
  readonly host: string
  readonly dimension: number
  readonly distance: Distance
}

/**
 * Builds a Pinecone-backed store named `store`.
 *
 * @example
 * ```ts
 * const store = yield* makePineconeStore("docs", { apiKey })
 * ```
 */
export const makePineconeStore = (store: string, options: PineconeOptions): Effect.Effect<VectorStoreShape, VectorStoreError> =>
  Effect.gen(function*() {
    const secret = Redacted.value(options.apiKey)
    const { fail, scrub } = storeFailures(store, "Pinecone", options.apiKey)
    const { Pinecone: Client } = yield* Effect.promise(() => import("@pinecone-database/pinecone"))
    const client: Pinecone = yield* Effect.try({
      try: () =>
        new Client({
          apiKey: secret,
          maxRetries: 0,
          ...(options.controllerHostUrl === undefined ? {} : { controllerHostUrl: options.controllerHostUrl })
        }),
      catch: (e) => new VectorStoreError({ store, operation: "connect", retryable: false, message: scrub(`Vector store "${store}" (Pinecone): ${e instanceof Error ? e.message : String(e)}`) })
    })
    const namespace = options.namespace ?? ""
    const prefix = options.indexPrefix ?? ""
    const timeoutMillis = options.timeoutMillis ?? 30_000
    const batchSize = options.upsertBatchSize !== undefined && options.upsertBatchSize > 0 ? Math.min(1000, options.upsertBatchSize) : 100


    const configs = new Map<string, Config>()

    const call = <A>(operation: string, collection: string, f: () => Promise<A>): Effect.Effect<A, CollectionNotFound | VectorStoreError> =>
      Effect.tryPromise({
        try: f,
        catch: (e): CollectionNotFound | VectorStoreError => {
          const status = statusOf(e)
          const message = e instanceof Error ? e.message : String(e)
          if (status === 404) {
            configs.delete(collection)
            return new CollectionNotFound({ store, collection })
          }
          if (status !== undefined) {
            return fail(operation, collection, `HTTP ${status}: ${message}`, { status, retryable: V.isRetryableStatus(status) })
          }
          if (e instanceof Error && e.name === "PineconeMaxRetriesExceededError") {
            // The SDK reports a 5xx answer (or a dropped connection) this way, without the status.
            return fail(operation, collection, "Pinecone answered with a server error (5xx) or the connection failed", { retryable: true })
          }
          const rateLimited = /429|rate limit|too many requests/i.test(message)
          // PineconeConnectionError and anything else thrown by fetch: a transport failure, worth retrying.
          return fail(operation, collection, message, rateLimited ? { status: 429, retryable: true } : { retryable: true })
        }
      }).pipe(
        Effect.timeoutOrElse({
          duration: timeoutMillis,
          orElse: () => Effect.fail(fail(operation, collection, `timed out after ${timeoutMillis} ms`, { retryable: true }))
        })
      )

    const describe = (operation: string, collection: string): Effect.Effect<Config, CollectionNotFound | VectorStoreError> =>
      Effect.flatMap(call(operation, collection, () => client.describeIndex(indexName(prefix, collection))), (model) => {
        const distance = fromMetric(model.metric)
        if (typeof model.dimension !== "number" || distance === undefined) {
          return Effect.fail(fail(operation, collection, `index ${model.name} is not a dense index with cosine, dotproduct or euclidean metric`))
        }
        const config: Config = { index: model.name, host: model.host, dimension: model.dimension, distance }
        if (model.status?.ready === true) configs.set(collection, config)
        return Effect.succeed(config)
      })

    const configOf = (operation: string, collection: string) =>
      cachedConfig(store, configs, operation, collection, () => describe(operation, collection))

    const dataPlane = (config: Config) => client.index({ name: config.index, host: config.host }).namespace(namespace)

    const createCollection = Effect.fn("VectorStore.createCollection")(function*(o: CreateCollectionOptions) {
      const bad = V.checkCreate(store, o)
      if (bad !== undefined) return yield* bad
      const existing = yield* describe("createCollection", o.collection).pipe(
        Effect.map((c): Config | undefined => c),
        Effect.catchTag("CollectionNotFound", () => Effect.succeed(undefined))
      )
      if (existing === undefined) {
        yield* call("createCollection", o.collection, () =>
          client.createIndex({
            name: indexName(prefix, o.collection),
            dimension: o.dimension,
            metric: toMetric[o.distance],
            spec: { serverless: { cloud: options.cloud ?? "aws", region: options.region ?? "us-east-1" } },
            suppressConflicts: true
          })).pipe(Effect.catchTag("CollectionNotFound", (e) => Effect.fail(fail("createCollection", o.collection, e.message))))
        // Pinecone creates indexes asynchronously: wait until it says ready.
        const readyTimeout = options.readyTimeoutMillis ?? 300_000
        const ready = yield* describe("createCollection", o.collection).pipe(
          Effect.flatMap((c) => (configs.has(o.collection) ? Effect.succeed(c) : Effect.fail(fail("createCollection", o.collection, "index is not ready yet")))),
          Effect.retry(Schedule.spaced("1 second")),
          Effect.timeoutOrElse({
            duration: readyTimeout,
            orElse: () => Effect.fail(fail("createCollection", o.collection, `index did not become ready within ${readyTimeout} ms`, { retryable: true }))
          }),
          Effect.catchTag("CollectionNotFound", (e) => Effect.fail(fail("createCollection", o.collection, e.message)))
        )
        if (ready.dimension === o.dimension && ready.distance === o.distance) return
        // Created concurrently by someone else with another configuration: fall through to the comparison.
        return yield* compare(o, ready)
      }
      return yield* compare(o, existing)
    })

    const compare = (o: CreateCollectionOptions, existing: Config) => {
      const conflict = V.checkExisting(store, o, existing)
      return conflict === undefined ? Effect.void : Effect.fail(conflict)
    }

    const getCollection = Effect.fn("VectorStore.getCollection")(function*(o: CollectionOptions) {
      const config = yield* configOf("getCollection", o.collection)
      const stats = yield* call("getCollection", o.collection, () => client.index({ name: config.index, host: config.host }).describeIndexStats())
      const info: CollectionInfo = {
        collection: o.collection,
        dimension: config.dimension,
        distance: config.distance,
        // The SDK names the default namespace "__default__".
        pointsCount: stats.namespaces?.[namespace === "" ? "__default__" : namespace]?.recordCount ?? stats.namespaces?.[namespace]?.recordCount ?? 0
      }
      return info
    })

    const deleteCollection = Effect.fn("VectorStore.deleteCollection")(function*(o: CollectionOptions) {
      const bad = V.checkCollection(store, "deleteCollection", o.collection)
      if (bad !== undefined) return yield* bad
      configs.delete(o.collection)
      yield* call("deleteCollection", o.collection, () => client.deleteIndex(indexName(prefix, o.collection))).pipe(
        Effect.catchTag("CollectionNotFound", () => Effect.void)
      )
    })

    const upsert = Effect.fn("VectorStore.upsert")(function*(o: UpsertOptions) {
      const config = yield* configOf("upsert", o.collection)
      const bad = V.checkPoints(store, o.collection, config.dimension, o.points)
      if (bad !== undefined) return yield* bad
      const last = new Map<string, Point>()
      for (const p of o.points) last.set(toPineconeId(p.id), p)
      const records = [...last].map(([id, p]) => ({ id, values: [...p.vector], metadata: toMetadata(p.payload) }))
      for (let i = 0; i < records.length; i += batchSize) {
        const batch = records.slice(i, i + batchSize)
        yield* call("upsert", o.collection, () => dataPlane(config).upsert({ records: batch }))
      }
    })

    const search = Effect.fn("VectorStore.search")(function*(o: SearchOptions) {
      const config = yield* configOf("search", o.collection)
      const bad = V.checkSearch(store, o.collection, config.dimension, o.vector, o.topK)
      if (bad !== undefined) return yield* bad
      const filter = o.filter === undefined
        ? undefined
        : yield* Effect.try({
          try: () => toPineconeFilter(o.filter!),
          catch: (e) => V.invalidFilter(store, o.collection, "search", e instanceof Error ? e.message : String(e))
        })
      if (filter === false) return []
      const res = yield* call("search", o.collection, () =>
        dataPlane(config).query({ vector: [...o.vector], topK: o.topK, includeMetadata: true, ...(filter === undefined ? {} : { filter }) }))
      return (res.matches ?? []).map((m): SearchHit => {
        const raw = m.metadata?.[PAYLOAD_FIELD]
        let payload: Record<string, unknown> = {}
        if (typeof raw === "string") {
          try {
            payload = JSON.parse(raw)
          } catch {
            payload = {}
          }
        }
        const score = m.score ?? 0
        return { id: fromPineconeId(m.id), score: config.distance === "euclid" ? Math.sqrt(Math.max(0, score)) : score, payload }
      })
    })

    const remove = Effect.fn("VectorStore.delete")(function*(o: DeleteOptions) {
      const config = yield* configOf("delete", o.collection)
      const bad = V.checkIds(store, o.collection, o.ids)
      if (bad !== undefined) return yield* bad
      if (o.ids.length === 0) return
      for (let i = 0; i < o.ids.length; i += 1000) {
        const ids = o.ids.slice(i, i + 1000).map(toPineconeId)
        yield* call("delete", o.collection, () => dataPlane(config).deleteMany({ ids }))
      }
    })

    return { store, createCollection, getCollection, deleteCollection, upsert, search, delete: remove }
  })

/**
 * Vector store on Chroma (a server, 1.x) through the official `chromadb` SDK over its REST API.
 *
 * - Each collection is a Chroma collection in `tenant`/`database` (defaults `default_tenant`/`default_database`);
 *   names Chroma would reject become a slug with a hash suffix. Distances: cosine ↔ `cosine`, dot ↔ `ip`, euclid ↔
 *   `l2`. Chroma returns distances (`1 - cos`, `1 - dot`, squared L2); scores are turned back into cosine and dot
 *   similarities and the Euclidean distance, like every store here. The dimension is kept in the collection's metadata
 *   (Chroma only learns it from the first insert), so an empty collection reports it too.
 * - Ids are strings in Chroma: a number id `7` is stored as `#7` (see `StringIds.ts`).
 * - Payloads: Chroma metadata is flat (strings, numbers, booleans, lists of one of those). The payload is kept whole as
 *   JSON in `__payload` (returned by searches) and flattened for filtering: nested keys become dotted keys
 *   (`meta.team`), lists of scalars of one type become Chroma lists (mixed lists cannot be filtered on), and the list
 *   of present keys goes to `__keys` so that "the field is missing" can be expressed (Chroma has no `$exists`).
 *   The payload's `text` field is also sent as the record's document.
 * - The filter compiles to Chroma's `where` (`$eq`, `$in`, `$contains`, `$gt…`, `$and`, `$or`); `must_not` is
 *   rewritten by De Morgan with `$ne`/`$nin`/`$not_contains`, which match records without the key since Chroma
 *   0.5.12, and `__keys` for ranges, so a missing field passes `must_not` as in the other stores.
 * - No keyword search: open-source Chroma filters documents by substring (`$contains`) but does not rank them (BM25
 *   ranking is Chroma Cloud's search API), so hybrid search fails naming the store.
 * - The SDK's calls take no AbortSignal: a timeout or interruption stops waiting but the request runs to its end.
 *
 * @example
 * ```ts
 * import { VectorStore } from "llm-orchestrator"
 * const DocsLive = VectorStore.layerChroma("docs", { url: "http://127.0.0.1:8000" })
 * ```
 */
import type { ChromaClient, Collection, Metadata, Where } from "chromadb"
import { createHash } from "node:crypto"
import { Effect, Redacted } from "effect"
import * as Filter from "./Filter.ts"
import * as StringIds from "./StringIds.ts"
import { httpEndpoint } from "./HttpEndpoint.ts"
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
  SearchHit,
  SearchOptions,
  UpsertOptions,
  VectorStoreShape
} from "./VectorStoreShape.ts"

/**
 * Options of a Chroma store.
 *
 * @example
 * ```ts
 * const o: ChromaOptions = { url: "https://chroma.internal:8000", token: Redacted.make(token), database: "rag" }
 * ```
 */
export interface ChromaOptions {
  /** The server, e.g. `http://127.0.0.1:8000`. */
  readonly url: string
  /** Sent as `x-chroma-token` (Chroma's token authentication), when set. */
  readonly token?: Redacted.Redacted<string> | undefined
  /** Tenant (default `default_tenant`). */
  readonly tenant?: string | undefined
  /** Database (default `default_database`). */
  readonly database?: string | undefined
  /** Prefix of collection names (default none). */
  readonly collectionPrefix?: string | undefined
  /** Per-request timeout (default 30 s). */
  readonly timeoutMillis?: number | undefined
  /** Records per upsert request (default 500; the server's `max_batch_size` caps it). */
  readonly upsertBatchSize?: number | undefined
}

/** Metadata field holding the whole payload as JSON. */
export const PAYLOAD_FIELD = "__payload"
/** Metadata field listing the flattened keys present in the payload (for "missing field" in `must_not`). */
export const KEYS_FIELD = "__keys"
const DIMENSION_KEY = "llm_orchestrator_dimension"

/**
 * The Chroma collection name of a collection: as is when Chroma accepts it (3-512 characters of letters, digits,
 * `.`, `_`, `-`, starting and ending with a letter or digit, no `..`), else a slug with a hash suffix.
 *
 * @example
 * ```ts
 * collectionName("", "items") // "items"
 * collectionName("", "My Docs!") // "My-Docs-…"
 * ```
 */
export const collectionName = (prefix: string, collection: string): string => {
  const name = `${prefix}${collection}`
  if (/^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$/.test(name) && !name.includes("..") && !/^\d+\.\d+\.\d+\.\d+$/.test(name)) return name
  const slug = name.replace(/[^a-zA-Z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60)
  return `${slug.length > 0 ? `${slug}-` : "c-"}${createHash("sha1").update(name).digest("hex").slice(0, 8)}`
}

type Scalar = string | number | boolean

/**
 * Chroma metadata of a payload: the payload as JSON, its flattened filterable fields and the list of their keys.
 *
 * @example
 * ```ts
 * toMetadata({ meta: { team: "docs" }, tags: ["a"] })
 * // { "meta.team": "docs", tags: ["a"], __keys: ["meta.team", "tags"], __payload: "…" }
 * ```
 */
export const toMetadata = (payload: Readonly<Record<string, unknown>> | undefined): Metadata => {
  const scalars = new Map<string, Scalar>()
  const lists = new Map<string, Array<Scalar>>()
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
    if (typeof value !== "string" && typeof value !== "boolean" && !(typeof value === "number" && Number.isFinite(value))) return
    if (inList) lists.set(path, [...(lists.get(path) ?? []), value])
    else scalars.set(path, value)
  }
  if (payload !== undefined) walk(payload, "", false)
  const out: Record<string, Scalar | Array<Scalar>> = {}
  for (const [k, v] of scalars) out[k] = v
  for (const [k, vs] of lists) {
    // Chroma lists hold one type: a mixed list cannot be filtered on; a key both scalar and list keeps the scalar.
    if (out[k] === undefined && vs.every((v) => typeof v === typeof vs[0])) out[k] = vs as Array<Scalar>
  }
  const keys = Object.keys(out).filter((k) => k !== PAYLOAD_FIELD && k !== KEYS_FIELD)
  const metadata: Record<string, Scalar | Array<Scalar>> = {}
  for (const k of keys) metadata[k] = out[k]!
  if (keys.length > 0) metadata[KEYS_FIELD] = keys
  metadata[PAYLOAD_FIELD] = JSON.stringify(payload ?? {})
  return metadata as Metadata
}

// Each condition compiles to its positive form and its negation (De Morgan, `Filter.deMorgan`); `true` is "no
// constraint", `false` "nothing".
type Node = Filter.Folded<Record<string, unknown>>
const { and, or } = Filter.connectives<Record<string, unknown>>((nodes) => ({ $and: nodes }), (nodes) => ({ $or: nodes }))
const missing = (key: string) => ({ [KEYS_FIELD]: { $not_contains: key } })
// `$in` lists must be of one type in Chroma.
const byType = (values: ReadonlyArray<string | number>): ReadonlyArray<Array<string | number>> => {
  const strings = values.filter((v) => typeof v === "string")
  const numbers = values.filter((v) => typeof v === "number")
  return [strings, numbers].filter((g) => g.length > 0)
}

/**
 * Compiles a payload filter to a Chroma `where` (undefined: no filter; `false`: matches nothing). A condition holds
 * for a scalar field equal to the value or a list field containing it. Throws `Filter.InvalidFilter` for an
 * ill-formed filter.
 *
 * @example
 * ```ts
 * toChromaWhere(Filter.all(Filter.match("lang", "en")))
 * // { $or: [{ lang: { $eq: "en" } }, { lang: { $contains: "en" } }] }
 * ```
 */
export const toChromaWhere = (filter: Filter.Filter): Record<string, unknown> | undefined | false => {
  const c = Filter.fold<Filter.Signed<Record<string, unknown>>>(filter, {
    match: (key, _s, value) => ({
      pos: or([{ [key]: { $eq: value } }, { [key]: { $contains: value } }]),
      // $ne and $not_contains also hold when the key is missing.
      neg: and([{ [key]: { $ne: value } }, { [key]: { $not_contains: value } }])
    }),
    any: (key, _s, values) =>
      values.length === 0 ? { pos: false, neg: true } : {
        pos: or([...byType(values).map((g) => ({ [key]: { $in: g } })), ...values.map((v) => ({ [key]: { $contains: v } }))]),
        neg: and([...byType(values).map((g) => ({ [key]: { $nin: g } })), ...values.map((v) => ({ [key]: { $not_contains: v } }))])
      },
    range: (key, _s, { gt, gte, lt, lte }) => {
      const bounds: Array<Node> = []
      const outside: Array<Node> = [missing(key)]
      if (gt !== undefined) bounds.push({ [key]: { $gt: gt } }), outside.push({ [key]: { $lte: gt } })
      if (gte !== undefined) bounds.push({ [key]: { $gte: gte } }), outside.push({ [key]: { $lt: gte } })
      if (lt !== undefined) bounds.push({ [key]: { $lt: lt } }), outside.push({ [key]: { $gte: lt } })
      if (lte !== undefined) bounds.push({ [key]: { $lte: lte } }), outside.push({ [key]: { $gt: lte } })
      // An unbounded range holds for any number: "the field is a number" is not expressible, so it means "exists".
      return bounds.length === 0
        ? { pos: { [KEYS_FIELD]: { $contains: key } }, neg: missing(key) }
        : { pos: and(bounds), neg: or(outside) }
    },
    bool: Filter.deMorgan(and, or)
  })
  return c.pos === true ? undefined : c.pos === false ? false : c.pos
}

const toSpace = { cosine: "cosine", dot: "ip", euclid: "l2" } as const
const fromSpace = (s: unknown): Distance | undefined => (s === "cosine" ? "cosine" : s === "ip" ? "dot" : s === "l2" ? "euclid" : undefined)

const errorStatus: Readonly<Record<string, number>> = {
  ChromaClientError: 400,
  ChromaValueError: 400,
  ChromaAuthError: 401,
  ChromaForbiddenError: 403,
  ChromaNotFoundError: 404,
  ChromaUniqueError: 409,
  ChromaQuotaExceededError: 422,
  ChromaRateLimitError: 429,
  ChromaServerError: 500
}
const statusOf = (e: unknown): number | undefined => V.statusOfNamedError(errorStatus, e)

interface Config {
  readonly handle: Collection
  readonly dimension: number
  readonly distance: Distance
}

/**
 * Builds a Chroma-backed store named `store` (no request is made until the first call).
 *
 * @example
 * ```ts
 * const store = yield* makeChromaStore("docs", { url: "http://127.0.0.1:8000" })
 * ```
 */
export const makeChromaStore = (store: string, options: ChromaOptions): Effect.Effect<VectorStoreShape, VectorStoreError> =>
  Effect.gen(function*() {
    const secret = options.token === undefined ? "" : Redacted.value(options.token)
    const { fail, scrub } = storeFailures(store, "Chroma", options.token)
    const url = httpEndpoint(options.url)
    if (url === undefined) return yield* fail("connect", undefined, `url must be an http(s) URL, got ${JSON.stringify(options.url)}`)
    const { ChromaClient: Client } = yield* Effect.promise(() => import("chromadb"))
    const client: ChromaClient = new Client({
      host: url.host,
      port: url.port,
      ssl: url.secure,
      tenant: options.tenant ?? "default_tenant",
      database: options.database ?? "default_database",
      ...(secret === "" ? {} : { headers: { "x-chroma-token": secret } })
    })
    const prefix = options.collectionPrefix ?? ""
    const timeoutMillis = options.timeoutMillis ?? 30_000
    const batchSize = options.upsertBatchSize !== undefined && options.upsertBatchSize > 0 ? options.upsertBatchSize : 500
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
          if (status !== undefined) return fail(operation, collection, `HTTP ${status}: ${message}`, { status, retryable: V.isRetryableStatus(status) })
          // ChromaConnectionError and anything fetch throws: a transport failure, worth retrying.
          return fail(operation, collection, message, { retryable: true })
        }
      }).pipe(
        Effect.timeoutOrElse({
          duration: timeoutMillis,
          orElse: () => Effect.fail(fail(operation, collection, `timed out after ${timeoutMillis} ms`, { retryable: true }))
        })
      )

    const configFrom = (operation: string, collection: string, handle: Collection): Effect.Effect<Config, VectorStoreError> => {
      const dimension = handle.metadata?.[DIMENSION_KEY]
      const space = (handle.configuration as { hnsw?: { space?: unknown } | null; spann?: { space?: unknown } | null } | undefined)
      const distance = fromSpace(space?.hnsw?.space ?? space?.spann?.space ?? handle.metadata?.["hnsw:space"] ?? "l2")
      if (typeof dimension !== "number" || distance === undefined) {
        return Effect.fail(fail(operation, collection, `Chroma collection ${handle.name} was not created by this store (no ${DIMENSION_KEY} in its metadata)`))
      }
      const config: Config = { handle, dimension, distance }
      configs.set(collection, config)
      return Effect.succeed(config)
    }

    const configOf = (operation: string, collection: string): Effect.Effect<Config, CollectionNotFound | VectorStoreError> =>
      cachedConfig(store, configs, operation, collection, () =>
        Effect.flatMap(
          call(operation, collection, () => client.getCollection({ name: collectionName(prefix, collection) })),
          (handle) => configFrom(operation, collection, handle)
        ))

    const createCollection = Effect.fn("VectorStore.createCollection")(function*(o: CreateCollectionOptions) {
      const bad = V.checkCreate(store, o)
      if (bad !== undefined) return yield* bad
      const existing = yield* configOf("createCollection", o.collection).pipe(
        Effect.map((c): Config | undefined => c),
        Effect.catchTag("CollectionNotFound", () => Effect.succeed(undefined))
      )
      const config = existing ?? (yield* call("createCollection", o.collection, () =>
        client.getOrCreateCollection({
          name: collectionName(prefix, o.collection),
          configuration: { hnsw: { space: toSpace[o.distance] } },
          metadata: { [DIMENSION_KEY]: o.dimension },
          // Vectors come from our own embedding models: no Chroma embedding function.
          embeddingFunction: null
        })).pipe(
          Effect.catchTag("CollectionNotFound", (e) => Effect.fail(fail("createCollection", o.collection, e.message))),
          Effect.flatMap((handle) => configFrom("createCollection", o.collection, handle))
        ))
      const conflict = V.checkExisting(store, o, config)
      if (conflict !== undefined) return yield* conflict
    })

    const getCollection = Effect.fn("VectorStore.getCollection")(function*(o: CollectionOptions) {
      const config = yield* configOf("getCollection", o.collection)
      const pointsCount = yield* call("getCollection", o.collection, () => config.handle.count())
      const info: CollectionInfo = { collection: o.collection, dimension: config.dimension, distance: config.distance, pointsCount }
      return info
    })

    const deleteCollection = Effect.fn("VectorStore.deleteCollection")(function*(o: CollectionOptions) {
      const bad = V.checkCollection(store, "deleteCollection", o.collection)
      if (bad !== undefined) return yield* bad
      configs.delete(o.collection)
      yield* call("deleteCollection", o.collection, () => client.deleteCollection({ name: collectionName(prefix, o.collection) })).pipe(
        Effect.catchTag("CollectionNotFound", () => Effect.void)
      )
    })

    const upsert = Effect.fn("VectorStore.upsert")(function*(o: UpsertOptions) {
      const config = yield* configOf("upsert", o.collection)
      const bad = V.checkPoints(store, o.collection, config.dimension, o.points)
      if (bad !== undefined) return yield* bad
      // Chroma rejects duplicate ids in one request: the last write of an id wins, as in the other stores.
      const last = new Map<string, Point>()
      for (const p of o.points) last.set(StringIds.encode(p.id), p)
      const records = [...last]
      for (let i = 0; i < records.length; i += batchSize) {
        const batch = records.slice(i, i + batchSize)
        yield* call("upsert", o.collection, () =>
          config.handle.upsert({
            ids: batch.map(([id]) => id),
            embeddings: batch.map(([, p]) => [...p.vector]),
            metadatas: batch.map(([, p]) => toMetadata(p.payload)),
            documents: batch.map(([, p]) => (typeof p.payload?.["text"] === "string" ? p.payload["text"] : ""))
          }))
      }
    })

    const search = Effect.fn("VectorStore.search")(function*(o: SearchOptions) {
      const config = yield* configOf("search", o.collection)
      const bad = V.checkSearch(store, o.collection, config.dimension, o.vector, o.topK)
      if (bad !== undefined) return yield* bad
      const where = o.filter === undefined ? undefined : yield* Effect.try({
        try: () => toChromaWhere(o.filter!),
        catch: (e) => V.invalidFilter(store, o.collection, "search", e instanceof Error ? e.message : String(e))
      })
      if (where === false) return []
      const res = yield* call("search", o.collection, () =>
        config.handle.query({
          queryEmbeddings: [[...o.vector]],
          nResults: o.topK,
          include: ["metadatas", "distances"] as never,
          ...(where === undefined ? {} : { where: where as Where })
        }))
      const ids = res.ids[0] ?? []
      const distances = res.distances[0] ?? []
      const metadatas = res.metadatas[0] ?? []
      return ids.map((id, i): SearchHit => {
        const raw = metadatas[i]?.[PAYLOAD_FIELD]
        let payload: Record<string, unknown> = {}
        if (typeof raw === "string") {
          try {
            payload = JSON.parse(raw)
          } catch {
            payload = {}
          }
        }
        const d = distances[i] ?? 0
        const score = config.distance === "euclid" ? Math.sqrt(Math.max(0, d)) : 1 - d
        return { id: StringIds.decode(id), score, payload }
      })
    })

    const remove = Effect.fn("VectorStore.delete")(function*(o: DeleteOptions) {
      const config = yield* configOf("delete", o.collection)
      const bad = V.checkIds(store, o.collection, o.ids)
      if (bad !== undefined) return yield* bad
      const ids = [...new Set(o.ids.map(StringIds.encode))]
      for (let i = 0; i < ids.length; i += batchSize) {
        const batch = ids.slice(i, i + batchSize)
        yield* call("delete", o.collection, () => config.handle.delete({ ids: batch }))
      }
    })

    return { store, createCollection, getCollection, deleteCollection, upsert, search, delete: remove }
  })

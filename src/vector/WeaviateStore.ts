/**
 * Vector store on Weaviate (1.33 or later) through the official `weaviate-client` v3 SDK: schema over REST
 * (`/v1/schema`), writes, searches, counts and deletes over gRPC (the SDK's only way for those).
 *
 * - Each collection is a Weaviate collection (class) with one self-provided named vector `default` (HNSW, distance
 *   `cosine`, `dot` or `l2-squared`) and the properties `text` (BM25-searchable, word tokenization), `payload` (the
 *   whole payload as JSON, not indexed) and `pointId` (the original id). Class names must start with a capital
 *   letter: a name that does not (`documentation`) becomes a capitalised slug with a hash suffix. The dimension is
 *   kept in the class description (Weaviate does not store it).
 * - Scores: Weaviate reports distances (`1 − cos`, `−dot`, squared L2); they are turned back into cosine and dot
 *   similarities and the Euclidean distance, like every store here.
 * - Ids must be UUIDs in Weaviate: a UUID string id is used as is, any other id as a name-based UUID of it; the
 *   original id travels in `pointId`, so ids round-trip unchanged.
 * - Filters: for each payload path and value type the store keeps a filterable array property (`f_t_…` text with
 *   field tokenization, `f_n_…` number, `f_b_…` boolean; the path escaped, see {@link fieldProperty}), added to the
 *   schema the first time a point has that field, and holding every value of that type at that path (array
 *   elements included), so a condition holds when any element does, as in the other stores. The filter compiles to
 *   `ContainsAny`, comparisons, `IsNull` (collections are created with `indexNullState`), `And`, `Or` and `Not`
 *   (Weaviate 1.33+), so a missing field passes `must_not`. A range with two bounds on a list field may be met by
 *   two different elements (each bound is its own condition).
 * - Keyword search is Weaviate's BM25 on `text` (`query.bm25`), the keyword side of hybrid search; the fusion with
 *   the vector side stays ours (weighted RRF), not Weaviate's `hybrid` query (one alpha, its own fusion).
 * - The SDK's calls take no AbortSignal: a timeout or interruption stops waiting but the request runs to its end.
 *
 * @example
 * ```ts
 * import { VectorStore } from "llm-orchestrator"
 * const DocsLive = VectorStore.layerWeaviate("docs", { url: "http://127.0.0.1:8080", grpcUrl: "http://127.0.0.1:50051" })
 * ```
 */
import { createHash } from "node:crypto"
import type { WeaviateClient } from "weaviate-client"
import { Effect, Redacted, type Scope } from "effect"
import * as Filter from "./Filter.ts"
import * as StringIds from "./StringIds.ts"
import { httpEndpoint } from "./HttpEndpoint.ts"
import { cachedConfig } from "./ConfigCache.ts"
import * as V from "./validation.ts"
import { CollectionNotFound, VectorStoreError, type VectorStoreFailure, storeFailures } from "./VectorStoreError.ts"
import type {
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
import { TEXT_FIELD } from "./VectorStoreShape.ts"

/**
 * Options of a Weaviate store.
 *
 * @example
 * ```ts
 * const o: WeaviateOptions = { url: "https://weaviate.internal", grpcUrl: "https://grpc-weaviate.internal", apiKey: Redacted.make(key) }
 * ```
 */
export interface WeaviateOptions {
  /** The REST endpoint, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** The gRPC endpoint (default: the REST host on port 50051, TLS when the REST url is https). */
  readonly grpcUrl?: string | undefined
  /** Sent as a Bearer API key (Weaviate's API-key authentication), when set. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Prefix of collection names (default none). */
  readonly collectionPrefix?: string | undefined
  /** Per-request timeout (default 30 s). */
  readonly timeoutMillis?: number | undefined
  /** Objects per batch request (default 200). */
  readonly upsertBatchSize?: number | undefined
}

/** The named vector of every collection. */
export const VECTOR_NAME = "default"
/** Property holding the whole payload as JSON. */
export const PAYLOAD_PROPERTY = "payload"
/** Property holding the point id (StringIds-encoded). */
export const ID_PROPERTY = "pointId"
const DESCRIPTION_PREFIX = "llm-orchestrator vector store; dimension="

/**
 * The Weaviate class name of a collection: as is when it is a valid class name starting with a capital letter,
 * else a capitalised slug with a hash suffix (Weaviate capitalises the first letter itself, which would merge
 * `docs` and `Docs`).
 *
 * @example
 * ```ts
 * collectionName("", "Docs") // "Docs"
 * collectionName("", "documentation") // "Documentation_…"
 * ```
 */
export const collectionName = (prefix: string, collection: string): string => {
  const name = `${prefix}${collection}`
  if (/^[A-Z][_0-9A-Za-z]{0,200}$/.test(name)) return name
  const slug = name.replace(/[^_0-9A-Za-z]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 60)
  const head = /^[A-Za-z]/.test(slug) ? slug[0]!.toUpperCase() + slug.slice(1) : `C${slug.length > 0 ? `_${slug}` : ""}`
  return `${head}_${createHash("sha1").update(name).digest("hex").slice(0, 8)}`
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The Weaviate object UUID of a point id: a UUID string as is (lower case), any other id a name-based (v5-style)
 * UUID of its StringIds encoding, so `7` and `"7"` stay different.
 *
 * @example
 * ```ts
 * toWeaviateId("doc-1") // always the same UUID for "doc-1"
 * ```
 */
export const toWeaviateId = (id: PointId): string => {
  if (typeof id === "string" && UUID.test(id)) return id.toLowerCase()
  const h = createHash("sha1").update("llm-orchestrator/weaviate-id/").update(StringIds.encode(id)).digest()
  h[6] = (h[6]! & 0x0f) | 0x50
  h[8] = (h[8]! & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString("hex")
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}

type FieldType = "text" | "number" | "boolean"
const typeTag = { text: "t", number: "n", boolean: "b" } as const
const dataTypeOf = { text: "text[]", number: "number[]", boolean: "boolean[]" } as const

/**
 * The filterable property holding the values of one type at one payload path: `f_` + a type letter + `_` + the
 * path with every character outside `[A-Za-z0-9]` written as `_` and its UTF-8 bytes in hex (a hash when that
 * would be too long for Weaviate).
 *
 * @example
 * ```ts
 * fieldProperty("meta.team", "text") // "f_t_meta_2Eteam"
 * fieldProperty("year", "number") // "f_n_year"
 * ```
 */
export const fieldProperty = (key: string, type: FieldType): string => {
  let escaped = ""
  for (const ch of key) {
    escaped += /[A-Za-z0-9]/.test(ch)
      ? ch
      : `_${[...new TextEncoder().encode(ch)].map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join("")}`
  }
  const name = `f_${typeTag[type]}_${escaped}`
  return name.length <= 200 ? name : `f_${typeTag[type]}_h${createHash("sha1").update(key).digest("hex")}`
}

/**
 * The filterable fields of a payload: for each dotted path and value type, every value found there (array
 * elements and objects inside arrays included).
 *
 * @example
 * ```ts
 * fieldsOf({ tags: ["a", "b"], meta: { n: 2 } }) // { f_t_tags: ["a", "b"], f_n_meta_2En: [2] }
 * ```
 */
export const fieldsOf = (payload: Readonly<Record<string, unknown>> | undefined): Record<string, Array<string | number | boolean>> => {
  const out: Record<string, Array<string | number | boolean>> = {}
  const walk = (value: unknown, path: string): void => {
    if (value === null || value === undefined) return
    if (Array.isArray(value)) {
      for (const v of value) walk(v, path)
      return
    }
    if (typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, path === "" ? k : `${path}.${k}`)
      return
    }
    const type: FieldType | undefined = typeof value === "string"
      ? "text"
      : typeof value === "boolean"
      ? "boolean"
      : typeof value === "number" && Number.isFinite(value)
      ? "number"
      : undefined
    if (type === undefined || path === "") return
    ;(out[fieldProperty(path, type)] ??= []).push(value as string | number | boolean)
  }
  if (payload !== undefined) walk(payload, "")
  return out
}

/** A filter value of the SDK (`FilterValue` in `weaviate-client`), serialized to gRPC by it. */
type WFilter = import("weaviate-client").FilterValue
type Filters = typeof import("weaviate-client").Filters

// What the SDK's `collection.filter.byProperty(name)` builds, without a collection handle at hand.
const onProperty = (property: string, operator: string, value: unknown): WFilter => ({ operator, target: { property }, value } as never)

/**
 * Compiles a payload filter to a Weaviate filter with the SDK's `Filters` (undefined: no filter; `false`: matches
 * nothing). Conditions on properties the collection does not have (`has` false) match nothing. Throws
 * `Filter.InvalidFilter` for an ill-formed filter.
 *
 * @example
 * ```ts
 * const where = toWeaviateFilter(Filters, Filter.all(Filter.match("lang", "en")), (p) => schema.has(p))
 * ```
 */
export const toWeaviateFilter = (
  filters: Filters,
  filter: Filter.Filter,
  has: (property: string) => boolean
): WFilter | undefined | false => {
  const { and, or } = Filter.connectives<WFilter>((nodes) => filters.and(...nodes), (nodes) => filters.or(...nodes))
  const not = (n: Filter.Folded<WFilter>): Filter.Folded<WFilter> => (n === true ? false : n === false ? true : filters.not(n))
  const typeOf = (v: string | number | boolean): FieldType => (typeof v === "string" ? "text" : typeof v === "number" ? "number" : "boolean")
  const containing = (key: string, values: ReadonlyArray<string | number | boolean>): Filter.Folded<WFilter> => {
    const groups = new Map<FieldType, Array<string | number | boolean>>()
    for (const v of values) groups.set(typeOf(v), [...(groups.get(typeOf(v)) ?? []), v])
    return or([...groups].map(([type, vs]) => {
      const name = fieldProperty(key, type)
      return has(name) ? onProperty(name, "ContainsAny", vs) : false
    }))
  }
  const where = Filter.fold<Filter.Folded<WFilter>>(filter, {
    match: (key, _s, value) => containing(key, [value]),
    any: (key, _s, values) => containing(key, values),
    range: (key, _s, { gt, gte, lt, lte }) => {
      const name = fieldProperty(key, "number")
      if (!has(name)) return false
      const bounds: Array<WFilter> = [
        ...(gt === undefined ? [] : [onProperty(name, "GreaterThan", gt)]),
        ...(gte === undefined ? [] : [onProperty(name, "GreaterThanEqual", gte)]),
        ...(lt === undefined ? [] : [onProperty(name, "LessThan", lt)]),
        ...(lte === undefined ? [] : [onProperty(name, "LessThanEqual", lte)])
      ]
      // An unbounded range holds for any number: the field has a number.
      return bounds.length === 0 ? onProperty(name, "IsNull", false) : and(bounds)
    },
    bool: Filter.boolWithNot(and, or, not)
  })
  return where === true ? undefined : where
}

const toMetric = { cosine: "cosine", dot: "dot", euclid: "l2-squared" } as const
const fromMetric = (m: unknown): Distance | undefined => (m === "cosine" ? "cosine" : m === "dot" ? "dot" : m === "l2-squared" ? "euclid" : undefined)

interface Config {
  readonly name: string
  readonly dimension: number
  readonly distance: Distance
  readonly properties: Set<string>
}

const statusOf = (e: unknown): number | undefined => {
  if (!(e instanceof Error)) return undefined
  const code = (e as { code?: unknown }).code
  if (e.name === "WeaviateUnexpectedStatusCodeError" && typeof code === "number") return code
  if (e.name === "WeaviateUnauthenticatedError") return 401
  if (e.name === "WeaviateInsufficientPermissionsError") return 403
  // A failed connection (WeaviateStartUpError) carries the REST answer that failed it in its text.
  const rest = /"code":\s*(\d{3})\b/.exec(e.message)?.[1]
  if (rest !== undefined) return Number(rest)
  if (/\bUnauthenticated\b/.test(e.message)) return 401
  // gRPC failures arrive as WeaviateQueryError & co. with the status in the text.
  const grpc = /\b(UNAUTHENTICATED|PERMISSION_DENIED|NOT_FOUND|INVALID_ARGUMENT|RESOURCE_EXHAUSTED|UNAVAILABLE|INTERNAL|DEADLINE_EXCEEDED)\b/.exec(e.message)?.[1]
  const byStatus: Record<string, number> = {
    UNAUTHENTICATED: 401,
    PERMISSION_DENIED: 403,
    NOT_FOUND: 404,
    INVALID_ARGUMENT: 422,
    RESOURCE_EXHAUSTED: 429,
    UNAVAILABLE: 503,
    INTERNAL: 500,
    DEADLINE_EXCEEDED: 504
  }
  return grpc === undefined ? undefined : byStatus[grpc]
}

const missingClass = (message: string) => /could not find class|class .* not found|collection .* not found|no such class|not found/i.test(message)

/**
 * Builds a Weaviate-backed store named `store`. The client connects (REST meta, gRPC health) on the first call.
 *
 * @example
 * ```ts
 * const store = yield* makeWeaviateStore("docs", { url: "http://127.0.0.1:8080" })
 * ```
 */
export const makeWeaviateStore = (store: string, options: WeaviateOptions): Effect.Effect<VectorStoreShape, VectorStoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const secret = options.apiKey === undefined ? "" : Redacted.value(options.apiKey)
    const { fail, scrub } = storeFailures(store, "Weaviate", options.apiKey)
    const http = httpEndpoint(options.url)
    if (http === undefined) return yield* fail("connect", undefined, `url must be an http(s) URL, got ${JSON.stringify(options.url)}`)
    const grpc = options.grpcUrl === undefined ? { ...http, port: 50051 } : httpEndpoint(options.grpcUrl)
    if (grpc === undefined) return yield* fail("connect", undefined, `grpcUrl must be an http(s) URL, got ${JSON.stringify(options.grpcUrl)}`)
    const sdk = yield* Effect.promise(() => import("weaviate-client"))
    const timeoutMillis = options.timeoutMillis ?? 30_000
    const seconds = Math.max(1, Math.ceil(timeoutMillis / 1000))
    const prefix = options.collectionPrefix ?? ""
    const batchSize = options.upsertBatchSize !== undefined && options.upsertBatchSize > 0 ? options.upsertBatchSize : 200
    const configs = new Map<string, Config>()

    // One client for the store's life, connected on first use (a failed connection is retried by the next call).
    let connecting: Promise<WeaviateClient> | undefined
    const connect = (): Promise<WeaviateClient> => {
      connecting ??= sdk.default.connectToCustom({
        httpHost: http.host,
        httpPort: http.port,
        httpSecure: http.secure,
        ...(http.path === "" ? {} : { httpPath: http.path }),
        grpcHost: grpc.host,
        grpcPort: grpc.port,
        grpcSecure: grpc.secure,
        ...(secret === "" ? {} : { authCredentials: new sdk.ApiKey(secret) }),
        timeout: { init: seconds, query: seconds, insert: seconds }
      }).catch((e) => {
        connecting = undefined
        throw e
      })
      return connecting
    }
    yield* Effect.addFinalizer(() =>
      connecting === undefined ? Effect.void : Effect.promise(() => connecting!.then((c) => c.close(), () => undefined)))

    const call = <A>(operation: string, collection: string, f: (client: WeaviateClient) => Promise<A>): Effect.Effect<A, CollectionNotFound | VectorStoreError> =>
      Effect.tryPromise({
        try: () => connect().then(f),
        catch: (e): CollectionNotFound | VectorStoreError => {
          const status = statusOf(e)
          const message = e instanceof Error ? e.message : String(e)
          if (status === 404 || (status === 422 && missingClass(message))) {
            configs.delete(collection)
            return new CollectionNotFound({ store, collection })
          }
          if (status !== undefined) return fail(operation, collection, message, { status, retryable: V.isRetryableStatus(status) })
          // Connection refused, gRPC unavailable, a request timeout: transport failures, worth retrying.
          return fail(operation, collection, message, { retryable: true })
        }
      }).pipe(
        Effect.timeoutOrElse({
          duration: timeoutMillis,
          orElse: () => Effect.fail(fail(operation, collection, `timed out after ${timeoutMillis} ms`, { retryable: true }))
        })
      )

    const describe = (operation: string, collection: string): Effect.Effect<Config, CollectionNotFound | VectorStoreError> =>
      Effect.gen(function*() {
        const name = collectionName(prefix, collection)
        // GET /v1/schema/{name}: a 404 is CollectionNotFound.
        const cfg = yield* call(operation, collection, (c) => c.collections.use(name).config.get())
        const dimension = cfg.description?.startsWith(DESCRIPTION_PREFIX) === true ? Number(cfg.description.slice(DESCRIPTION_PREFIX.length)) : Number.NaN
        const vector = (cfg.vectorizers as Record<string, { indexConfig?: { distance?: unknown } }> | undefined)?.[VECTOR_NAME]
        const distance = fromMetric(vector?.indexConfig?.distance)
        if (!Number.isSafeInteger(dimension) || distance === undefined) {
          return yield* fail(operation, collection, `Weaviate collection ${name} was not created by this store (no dimension in its description or no "${VECTOR_NAME}" vector)`)
        }
        const config: Config = { name, dimension, distance, properties: new Set(cfg.properties.map((p) => p.name)) }
        configs.set(collection, config)
        return config
      })

    const configOf = (operation: string, collection: string) =>
      cachedConfig(store, configs, operation, collection, () => describe(operation, collection))

    const createCollection = Effect.fn("VectorStore.createCollection")(function*(o: CreateCollectionOptions) {
      const bad = V.checkCreate(store, o)
      if (bad !== undefined) return yield* bad
      const existing = yield* describe("createCollection", o.collection).pipe(
        Effect.map((c): Config | undefined => c),
        Effect.catchTag("CollectionNotFound", () => Effect.succeed(undefined))
      )
      if (existing === undefined) {
        const name = collectionName(prefix, o.collection)
        const { configure, dataType, tokenization } = sdk
        const created = yield* call("createCollection", o.collection, (c) =>
          c.collections.create({
            name,
            description: `${DESCRIPTION_PREFIX}${o.dimension}`,
            properties: [
              { name: TEXT_FIELD, dataType: dataType.TEXT, tokenization: tokenization.WORD, indexSearchable: true, indexFilterable: false },
              { name: PAYLOAD_PROPERTY, dataType: dataType.TEXT, indexSearchable: false, indexFilterable: false },
              { name: ID_PROPERTY, dataType: dataType.TEXT, tokenization: tokenization.FIELD, indexSearchable: false, indexFilterable: true }
            ],
            vectorizers: configure.vectors.selfProvided({
              name: VECTOR_NAME,
              vectorIndexConfig: configure.vectorIndex.hnsw({ distanceMetric: toMetric[o.distance] })
            }),
            invertedIndex: configure.invertedIndex({ indexNullState: true })
          }).then(() => true)).pipe(
            Effect.catchTag("CollectionNotFound", (e) => Effect.fail(fail("createCollection", o.collection, e.message))),
            // Created concurrently by someone else: compare with what exists.
            Effect.catchTag("VectorStoreError", (e) => (/already exists/i.test(e.message) ? Effect.succeed(false) : Effect.fail(e)))
          )
        if (created) {
          configs.set(o.collection, { name, dimension: o.dimension, distance: o.distance, properties: new Set([TEXT_FIELD, PAYLOAD_PROPERTY, ID_PROPERTY]) })
          return
        }
      }
      const config = existing ?? (yield* describe("createCollection", o.collection).pipe(
        Effect.catchTag("CollectionNotFound", (e) => Effect.fail(fail("createCollection", o.collection, e.message)))
      ))
      const conflict = V.checkExisting(store, o, config)
      if (conflict !== undefined) return yield* conflict
    })

    const getCollection = Effect.fn("VectorStore.getCollection")(function*(o: CollectionOptions) {
      const config = yield* configOf("getCollection", o.collection)
      const counted = yield* call("getCollection", o.collection, (c) => c.collections.use(config.name).aggregate.overAll())
      const info: CollectionInfo = { collection: o.collection, dimension: config.dimension, distance: config.distance, pointsCount: counted.totalCount }
      return info
    })

    const deleteCollection = Effect.fn("VectorStore.deleteCollection")(function*(o: CollectionOptions) {
      const bad = V.checkCollection(store, "deleteCollection", o.collection)
      if (bad !== undefined) return yield* bad
      configs.delete(o.collection)
      yield* call("deleteCollection", o.collection, (c) => c.collections.delete(collectionName(prefix, o.collection))).pipe(
        Effect.catchTag("CollectionNotFound", () => Effect.void)
      )
    })

    // Adds the filterable properties a write needs that the schema lacks (another writer may have added them: fine).
    const ensureProperties = (collection: string, config: Config, wanted: Iterable<string>) =>
      Effect.forEach([...new Set(wanted)].filter((p) => !config.properties.has(p)), (property) => {
        const type = property.startsWith("f_t_") ? "text" : property.startsWith("f_n_") ? "number" : "boolean"
        return call("upsert", collection, (c) =>
          c.collections.use(config.name).config.addProperty({
            name: property,
            dataType: dataTypeOf[type],
            ...(type === "text" ? { tokenization: sdk.tokenization.FIELD } : {}),
            indexFilterable: true,
            indexSearchable: false
          } as never)).pipe(
            Effect.catchTag("VectorStoreError", (e) => (/already exists/i.test(e.message) ? Effect.void : Effect.fail(e))),
            Effect.tap(() => Effect.sync(() => config.properties.add(property)))
          )
      }, { discard: true })

    const upsert = Effect.fn("VectorStore.upsert")(function*(o: UpsertOptions) {
      const config = yield* configOf("upsert", o.collection)
      const bad = V.checkPoints(store, o.collection, config.dimension, o.points)
      if (bad !== undefined) return yield* bad
      const last = new Map<string, Point>()
      for (const p of o.points) last.set(toWeaviateId(p.id), p)
      const objects = [...last].map(([uuid, p]) => {
        const fields = fieldsOf(p.payload)
        const text = p.payload?.[TEXT_FIELD]
        return {
          id: uuid,
          properties: {
            ...fields,
            [TEXT_FIELD]: typeof text === "string" ? text : "",
            [PAYLOAD_PROPERTY]: JSON.stringify(p.payload ?? {}),
            [ID_PROPERTY]: StringIds.encode(p.id)
          },
          vectors: { [VECTOR_NAME]: [...p.vector] }
        }
      })
      yield* ensureProperties(o.collection, config, objects.flatMap((ob) => Object.keys(ob.properties).filter((k) => k.startsWith("f_"))))
      for (let i = 0; i < objects.length; i += batchSize) {
        const batch = objects.slice(i, i + batchSize)
        const res = yield* call("upsert", o.collection, (c) => c.collections.use(config.name).data.insertMany(batch as never))
        if (res.hasErrors) {
          const first = Object.values(res.errors)[0]
          // Dropped behind our back: every object fails with "class … not found".
          if (/class .* not found|could not find class/i.test(first?.message ?? "")) {
            configs.delete(o.collection)
            return yield* new CollectionNotFound({ store, collection: o.collection })
          }
          return yield* fail("upsert", o.collection, `${Object.keys(res.errors).length} of ${batch.length} objects were not written: ${first?.message ?? "unknown error"}`)
        }
      }
    })

    // Conditions on properties this store has not seen may be on fields another writer added: look once more.
    const compileFilter = (collection: string, operation: string, config: Config, filter: Filter.Filter | undefined) =>
      Effect.gen(function*() {
        if (filter === undefined) return { config, where: undefined }
        const compile = (c: Config) =>
          Effect.try({
            try: () => {
              let unknown = false
              const where = toWeaviateFilter(sdk.Filters, filter, (p) => c.properties.has(p) || ((unknown = true), false))
              return { where, unknown }
            },
            catch: (e) => V.invalidFilter(store, collection, operation, e instanceof Error ? e.message : String(e))
          })
        const first = yield* compile(config)
        if (!first.unknown) return { config, where: first.where }
        const fresh = yield* describe(operation, collection)
        return { config: fresh, where: (yield* compile(fresh)).where }
      })

    const hitOf = (distance: Distance | "bm25") => (o: { properties: Record<string, unknown>; metadata?: { distance?: number; score?: number } | undefined }): SearchHit => {
      const raw = o.properties[PAYLOAD_PROPERTY]
      let payload: Record<string, unknown> = {}
      if (typeof raw === "string") {
        try {
          payload = JSON.parse(raw)
        } catch {
          payload = {}
        }
      }
      const id = StringIds.decode(String(o.properties[ID_PROPERTY]))
      if (distance === "bm25") return { id, score: o.metadata?.score ?? 0, payload }
      const d = o.metadata?.distance ?? 0
      const score = distance === "cosine" ? 1 - d : distance === "dot" ? -d : Math.sqrt(Math.max(0, d))
      return { id, score, payload }
    }

    const search = Effect.fn("VectorStore.search")(function*(o: SearchOptions) {
      const cached = yield* configOf("search", o.collection)
      const bad = V.checkSearch(store, o.collection, cached.dimension, o.vector, o.topK)
      if (bad !== undefined) return yield* bad
      const { config, where } = yield* compileFilter(o.collection, "search", cached, o.filter)
      if (where === false) return []
      const res = yield* call("search", o.collection, (c) =>
        c.collections.use(config.name).query.nearVector([...o.vector], {
          limit: o.topK,
          targetVector: VECTOR_NAME,
          returnMetadata: ["distance"],
          returnProperties: [PAYLOAD_PROPERTY, ID_PROPERTY],
          ...(where === undefined ? {} : { filters: where })
        } as never))
      return res.objects.map(hitOf(config.distance))
    })

    const keywordSearch = (o: KeywordSearchOptions): Effect.Effect<ReadonlyArray<SearchHit>, VectorStoreFailure> =>
      Effect.gen(function*() {
        const cached = yield* configOf("keywordSearch", o.collection)
        const bad = V.checkKeywordSearch(store, o.collection, o.query, o.topK)
        if (bad !== undefined) return yield* bad
        const { config, where } = yield* compileFilter(o.collection, "keywordSearch", cached, o.filter)
        if (where === false || o.query.trim() === "") return []
        const res = yield* call("keywordSearch", o.collection, (c) =>
          c.collections.use(config.name).query.bm25(o.query, {
            limit: o.topK,
            queryProperties: [TEXT_FIELD],
            returnMetadata: ["score"],
            returnProperties: [PAYLOAD_PROPERTY, ID_PROPERTY],
            ...(where === undefined ? {} : { filters: where })
          } as never))
        return res.objects.map(hitOf("bm25")).filter((h) => h.score > 0)
      }).pipe(Effect.withSpan("VectorStore.keywordSearch"))

    const remove = Effect.fn("VectorStore.delete")(function*(o: DeleteOptions) {
      const config = yield* configOf("delete", o.collection)
      const bad = V.checkIds(store, o.collection, o.ids)
      if (bad !== undefined) return yield* bad
      const uuids = [...new Set(o.ids.map(toWeaviateId))]
      for (let i = 0; i < uuids.length; i += 500) {
        const batch = uuids.slice(i, i + 500)
        yield* call("delete", o.collection, (c) => c.collections.use(config.name).data.deleteMany(c.collections.use(config.name).filter.byId().containsAny(batch)))
      }
    })

    return { store, createCollection, getCollection, deleteCollection, upsert, search, keywordSearch, delete: remove }
  })

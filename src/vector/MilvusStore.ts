/**
 * Vector store on Milvus through the official `@zilliz/milvus2-sdk-node` SDK's RESTful client (`HttpClient`, Milvus'
 * `/v2/vectordb` API). The SDK's main `MilvusClient` speaks gRPC only; its RESTful client covers everything a store
 * needs, runs on `fetch` (interruptible, no native gRPC stack) and is what the tests drive against a local fake.
 *
 * - Each collection is a Milvus collection with a fixed schema: `id` (VarChar primary key), `vector` (FloatVector of
 *   the dimension, AUTOINDEX with COSINE / IP / L2), `payload` (JSON) and, with `keywordSearch` (default on, Milvus
 *   2.5 or later), `text` (VarChar with an analyzer) feeding a BM25 function into `sparse` (SparseFloatVector):
 *   Milvus' own full-text search serves the keyword side of hybrid search. Collections are created with Strong
 *   consistency and searched with it, so a search sees the writes before it (Milvus' default, Bounded, may not).
 * - Scores: COSINE and IP are similarities; Milvus' L2 is the squared distance, returned here as the distance.
 * - Ids are strings (`StringIds.ts`: `7` is stored as `#7`).
 * - Payloads are stored whole in the JSON field; the filter compiles to a Milvus boolean expression over it
 *   (`payload["meta"]["team"] == "x"`, `json_contains` for list fields, `in`, comparisons, `exists`, `not`, `and`,
 *   `or`). A comparison on a missing key is false in Milvus, so a missing field passes `must_not` as elsewhere.
 *   Dotted keys walk nested objects; conditions on objects inside lists (`a.c.d` with `c` a list) are not
 *   expressible and match nothing.
 *
 * @example
 * ```ts
 * import { VectorStore } from "llm-orchestrator"
 * const DocsLive = VectorStore.layerMilvus("docs", { url: "http://127.0.0.1:19530", token: Redacted.make("root:Milvus") })
 * ```
 */
import type { HttpClient } from "@zilliz/milvus2-sdk-node/dist/milvus/HttpClient.js"
import { createHash } from "node:crypto"
import { Effect, Redacted } from "effect"
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
  SearchHit,
  SearchOptions,
  UpsertOptions,
  VectorStoreShape
} from "./VectorStoreShape.ts"

/**
 * Options of a Milvus store.
 *
 * @example
 * ```ts
 * const o: MilvusOptions = { url: "http://127.0.0.1:19530", token: Redacted.make("root:Milvus"), database: "rag" }
 * ```
 */
export interface MilvusOptions {
  /** The server's HTTP endpoint (Milvus serves REST on its gRPC port, 19530 by default). */
  readonly url: string
  /** Bearer token: an API key or `user:password`. */
  readonly token?: Redacted.Redacted<string> | undefined
  /** Database (default `default`). */
  readonly database?: string | undefined
  /** Prefix of collection names (default none). */
  readonly collectionPrefix?: string | undefined
  /** Full-text (BM25) field and function in new collections, for hybrid search (default true; Milvus 2.5 or later). */
  readonly keywordSearch?: boolean | undefined
  /** Per-request timeout (default 30 s). */
  readonly timeoutMillis?: number | undefined
  /** Records per upsert request (default 500). */
  readonly upsertBatchSize?: number | undefined
}

/**
 * The Milvus collection name of a collection: as is when Milvus accepts it (a letter or `_`, then letters, digits and
 * `_`, at most 255 characters), else a slug with a hash suffix.
 *
 * @example
 * ```ts
 * collectionName("", "items") // "items"
 * collectionName("", "My Docs") // "My_Docs_…"
 * ```
 */
export const collectionName = (prefix: string, collection: string): string => {
  const name = `${prefix}${collection}`
  if (/^[A-Za-z_][A-Za-z0-9_]{0,254}$/.test(name)) return name
  const slug = name.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 60)
  return `${/^[A-Za-z_]/.test(slug) ? slug : `c_${slug}`}_${createHash("sha1").update(name).digest("hex").slice(0, 8)}`
}

const path = (segments: ReadonlyArray<string>) => `payload${segments.map((s) => `[${JSON.stringify(s)}]`).join("")}`
const literal = (v: string | number | boolean) => (typeof v === "string" ? JSON.stringify(v) : String(v))

// `true` is "no constraint", `false` "nothing"; folded away where possible.
type Node = Filter.Folded<string>
const { and, or } = Filter.connectives<string>((nodes) => `(${nodes.join(" and ")})`, (nodes) => `(${nodes.join(" or ")})`)
const not = (n: Node): Node => (n === true ? false : n === false ? true : `(not ${n})`)

/**
 * Compiles a payload filter to a Milvus boolean expression over the `payload` JSON field (undefined: no filter;
 * `false`: matches nothing). Throws `Filter.InvalidFilter` for an ill-formed filter.
 *
 * @example
 * ```ts
 * toMilvusFilter(Filter.all(Filter.match("lang", "en")))
 * // '(payload["lang"] == "en" or json_contains(payload["lang"], "en"))'
 * ```
 */
export const toMilvusFilter = (filter: Filter.Filter): string | undefined | false => {
  const expr = Filter.fold<Node>(filter, {
    match: (_k, segments, value) => or([`${path(segments)} == ${literal(value)}`, `json_contains(${path(segments)}, ${literal(value)})`]),
    any: (_k, segments, values) =>
      values.length === 0
        ? false
        : or([`${path(segments)} in [${values.map(literal).join(", ")}]`, `json_contains_any(${path(segments)}, [${values.map(literal).join(", ")}])`]),
    range: (_k, segments, { gt, gte, lt, lte }) => {
      const p = path(segments)
      const bounds = [
        ...(gt === undefined ? [] : [`${p} > ${gt}`]),
        ...(gte === undefined ? [] : [`${p} >= ${gte}`]),
        ...(lt === undefined ? [] : [`${p} < ${lt}`]),
        ...(lte === undefined ? [] : [`${p} <= ${lte}`])
      ]
      return bounds.length === 0 ? `exists ${p}` : and(bounds)
    },
    bool: Filter.boolWithNot(and, or, not)
  })
  return expr === true ? undefined : expr
}

const toMetric = { cosine: "COSINE", dot: "IP", euclid: "L2" } as const
const fromMetric = (m: unknown): Distance | undefined => (m === "COSINE" ? "cosine" : m === "IP" ? "dot" : m === "L2" ? "euclid" : undefined)

interface Config {
  readonly name: string
  readonly dimension: number
  readonly distance: Distance
  readonly keyword: boolean
}

interface MilvusReply {
  readonly code: number
  readonly message?: string
  readonly data?: any
}

/**
 * Builds a Milvus-backed store named `store` (no request is made until the first call).
 *
 * @example
 * ```ts
 * const store = yield* makeMilvusStore("docs", { url: "http://127.0.0.1:19530" })
 * ```
 */
export const makeMilvusStore = (store: string, options: MilvusOptions): Effect.Effect<VectorStoreShape, VectorStoreError> =>
  Effect.gen(function*() {
    const secret = options.token === undefined ? "" : Redacted.value(options.token)
    const { fail, scrub } = storeFailures(store, "Milvus", options.token)
    const url = httpEndpoint(options.url)
    if (url === undefined) return yield* fail("connect", undefined, `url must be an http(s) URL, got ${JSON.stringify(options.url)}`)
    // The RESTful client only: the package's main entry loads the gRPC stack.
    const { HttpClient: Client } = yield* Effect.promise(() => import("@zilliz/milvus2-sdk-node/dist/milvus/HttpClient.js"))
    const timeoutMillis = options.timeoutMillis ?? 30_000
    const client: HttpClient = new Client({
      endpoint: url.origin + url.path,
      ...(secret === "" ? {} : { token: secret }),
      database: options.database ?? "default",
      // The Effect timeout below governs; the SDK's own (which logs a warning when it fires) is only a backstop.
      timeout: timeoutMillis + 60_000,
      fetch: async (input: any, init?: any) => {
        try {
          return await fetch(input, init)
        } catch (e) {
          // Renamed so the SDK does not log its "request was timeout" warning for our own interruptions.
          if (e instanceof Error && e.name === "AbortError") throw new Error("request aborted")
          throw e
        }
      }
    })
    const prefix = options.collectionPrefix ?? ""
    const keywordDefault = options.keywordSearch ?? true
    const batchSize = options.upsertBatchSize !== undefined && options.upsertBatchSize > 0 ? options.upsertBatchSize : 500
    const configs = new Map<string, Config>()

    const call = (
      operation: string,
      collection: string,
      f: (options: { abortController: AbortController; timeout: number }) => Promise<MilvusReply>
    ): Effect.Effect<any, CollectionNotFound | VectorStoreError> =>
      Effect.tryPromise({
        try: (signal) => {
          const abortController = new AbortController()
          signal.addEventListener("abort", () => abortController.abort(), { once: true })
          return f({ abortController, timeout: timeoutMillis + 60_000 })
        },
        catch: (e): VectorStoreError => {
          const status = typeof (e as { status?: unknown }).status === "number" ? (e as { status: number }).status : undefined
          const message = e instanceof Error ? e.message : String(e)
          if (status !== undefined) return fail(operation, collection, message, { status, retryable: V.isRetryableStatus(status) })
          return fail(operation, collection, message, { retryable: true })
        }
      }).pipe(
        Effect.flatMap((reply): Effect.Effect<any, CollectionNotFound | VectorStoreError> => {
          if (reply.code === 0 || reply.code === 200) return Effect.succeed(reply.data)
          const message = reply.message ?? `error code ${reply.code}`
          if (reply.code === 100 || /collection not found|can't find collection/i.test(message)) {
            configs.delete(collection)
            return Effect.fail(new CollectionNotFound({ store, collection }))
          }
          // 1800: not authenticated; 1100: invalid parameter; 8: rate limited (Zilliz Cloud); 90011: too many requests.
          const status = reply.code === 1800 ? 401 : reply.code === 8 || reply.code === 90011 ? 429 : undefined
          return Effect.fail(fail(operation, collection, `Milvus error ${reply.code}: ${message}`, {
            ...(status === undefined ? {} : { status }),
            retryable: status === 429
          }))
        }),
        Effect.timeoutOrElse({
          duration: timeoutMillis,
          orElse: () => Effect.fail(fail(operation, collection, `timed out after ${timeoutMillis} ms`, { retryable: true }))
        })
      )

    const describe = (operation: string, collection: string): Effect.Effect<Config, CollectionNotFound | VectorStoreError> =>
      Effect.flatMap(
        call(operation, collection, (o) => client.describeCollection({ collectionName: collectionName(prefix, collection) }, o) as Promise<MilvusReply>),
        (data) => {
          const fields: ReadonlyArray<{ name: string; type: string; params?: ReadonlyArray<{ key: string; value: string }> }> = data?.fields ?? []
          const vector = fields.find((f) => f.name === "vector" && f.type === "FloatVector")
          const dimension = Number(vector?.params?.find((p) => p.key === "dim")?.value)
          const distance = fromMetric((data?.indexes ?? []).find((i: { fieldName?: string }) => i.fieldName === "vector")?.metricType)
          const payload = fields.some((f) => f.name === "payload" && f.type === "JSON")
          if (vector === undefined || !Number.isSafeInteger(dimension) || distance === undefined || !payload) {
            return Effect.fail(fail(operation, collection, `Milvus collection ${collectionName(prefix, collection)} was not created by this store (needs id, vector with an index, payload)`))
          }
          const config: Config = { name: collectionName(prefix, collection), dimension, distance, keyword: fields.some((f) => f.name === "sparse") }
          configs.set(collection, config)
          return Effect.succeed(config)
        }
      )

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
        const request = {
          collectionName: name,
          schema: {
            autoID: false,
            enableDynamicField: false,
            fields: [
              { fieldName: "id", dataType: "VarChar", isPrimary: true, elementTypeParams: { max_length: 1024 } },
              { fieldName: "vector", dataType: "FloatVector", elementTypeParams: { dim: o.dimension } },
              { fieldName: "payload", dataType: "JSON" },
              ...(keywordDefault
                ? [
                  { fieldName: "text", dataType: "VarChar", elementTypeParams: { max_length: 65535, enable_analyzer: true } },
                  { fieldName: "sparse", dataType: "SparseFloatVector" }
                ]
                : [])
            ],
            ...(keywordDefault ? { functions: [{ name: "text_bm25", type: "BM25", inputFieldNames: ["text"], outputFieldNames: ["sparse"], params: {} }] } : {})
          },
          indexParams: [
            { fieldName: "vector", indexName: "vector", metricType: toMetric[o.distance], params: { index_type: "AUTOINDEX" } },
            ...(keywordDefault ? [{ fieldName: "sparse", indexName: "sparse", metricType: "BM25", params: { index_type: "SPARSE_INVERTED_INDEX" } }] : [])
          ],
          params: { consistencyLevel: "Strong" }
        }
        const created = yield* call("createCollection", o.collection, (opts) => client.createCollection(request as never, opts) as Promise<MilvusReply>).pipe(
          Effect.as(true),
          Effect.catchTag("CollectionNotFound", (e) => Effect.fail(fail("createCollection", o.collection, e.message))),
          // Created concurrently by someone else: compare with what exists.
          Effect.catchTag("VectorStoreError", (e) => (/already exist/i.test(e.message) ? Effect.succeed(false) : Effect.fail(e)))
        )
        if (created) {
          configs.set(o.collection, { name, dimension: o.dimension, distance: o.distance, keyword: keywordDefault })
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
      // count(*) is exact; get_stats' row count includes deleted rows until compaction.
      const rows = yield* call("getCollection", o.collection, (opts) =>
        client.query({ collectionName: config.name, filter: "", outputFields: ["count(*)"], consistencyLevel: "Strong" } as never, opts) as Promise<MilvusReply>)
      const info: CollectionInfo = {
        collection: o.collection,
        dimension: config.dimension,
        distance: config.distance,
        pointsCount: Number(rows?.[0]?.["count(*)"] ?? 0)
      }
      return info
    })

    const deleteCollection = Effect.fn("VectorStore.deleteCollection")(function*(o: CollectionOptions) {
      const bad = V.checkCollection(store, "deleteCollection", o.collection)
      if (bad !== undefined) return yield* bad
      configs.delete(o.collection)
      yield* call("deleteCollection", o.collection, (opts) => client.dropCollection({ collectionName: collectionName(prefix, o.collection) }, opts) as Promise<MilvusReply>).pipe(
        Effect.catchTag("CollectionNotFound", () => Effect.void)
      )
    })

    const upsert = Effect.fn("VectorStore.upsert")(function*(o: UpsertOptions) {
      const config = yield* configOf("upsert", o.collection)
      const bad = V.checkPoints(store, o.collection, config.dimension, o.points)
      if (bad !== undefined) return yield* bad
      const last = new Map<string, Point>()
      for (const p of o.points) last.set(StringIds.encode(p.id), p)
      const rows = [...last].map(([id, p]) => ({
        id,
        vector: [...p.vector],
        payload: p.payload ?? {},
        ...(config.keyword ? { text: typeof p.payload?.["text"] === "string" ? p.payload["text"] : "" } : {})
      }))
      for (let i = 0; i < rows.length; i += batchSize) {
        const data = rows.slice(i, i + batchSize)
        yield* call("upsert", o.collection, (opts) => client.upsert({ collectionName: config.name, data } as never, opts) as Promise<MilvusReply>)
      }
    })

    const compileFilter = (collection: string, operation: string, filter: Filter.Filter | undefined) =>
      filter === undefined ? Effect.succeed(undefined) : Effect.try({
        try: () => toMilvusFilter(filter),
        catch: (e) => V.invalidFilter(store, collection, operation, e instanceof Error ? e.message : String(e))
      })

    const hitsOf = (config: Config, data: unknown, scoreOf: (d: number) => number): ReadonlyArray<SearchHit> =>
      (Array.isArray(data) ? data : []).map((row: { id: string; distance?: number; score?: number; payload?: Record<string, unknown> }) => ({
        id: StringIds.decode(String(row.id)),
        score: scoreOf(row.distance ?? row.score ?? 0),
        payload: row.payload ?? {}
      }))

    const search = Effect.fn("VectorStore.search")(function*(o: SearchOptions) {
      const config = yield* configOf("search", o.collection)
      const bad = V.checkSearch(store, o.collection, config.dimension, o.vector, o.topK)
      if (bad !== undefined) return yield* bad
      const filter = yield* compileFilter(o.collection, "search", o.filter)
      if (filter === false) return []
      const data = yield* call("search", o.collection, (opts) =>
        client.search({
          collectionName: config.name,
          data: [[...o.vector]],
          annsField: "vector",
          limit: o.topK,
          outputFields: ["payload"],
          consistencyLevel: "Strong",
          searchParams: { metricType: toMetric[config.distance] },
          ...(filter === undefined ? {} : { filter })
        } as never, opts) as Promise<MilvusReply>)
      return hitsOf(config, data, (d) => (config.distance === "euclid" ? Math.sqrt(Math.max(0, d)) : d))
    })

    const keywordSearch = (o: KeywordSearchOptions): Effect.Effect<ReadonlyArray<SearchHit>, VectorStoreFailure> =>
      Effect.gen(function*() {
        const config = yield* configOf("keywordSearch", o.collection)
        const bad = V.checkKeywordSearch(store, o.collection, o.query, o.topK)
        if (bad !== undefined) return yield* bad
        if (!config.keyword) {
          return yield* fail("keywordSearch", o.collection, "this collection has no full-text field (created with keywordSearch: false or not by this store)")
        }
        const filter = yield* compileFilter(o.collection, "keywordSearch", o.filter)
        if (filter === false || o.query.trim() === "") return []
        const data = yield* call("keywordSearch", o.collection, (opts) =>
          client.search({
            collectionName: config.name,
            data: [o.query],
            annsField: "sparse",
            limit: o.topK,
            outputFields: ["payload"],
            consistencyLevel: "Strong",
            searchParams: { metricType: "BM25" },
            ...(filter === undefined ? {} : { filter })
          } as never, opts) as Promise<MilvusReply>)
        // A text without any query term scores 0 in BM25: not a match.
        return hitsOf(config, data, (d) => d).filter((h) => h.score > 0)
      }).pipe(Effect.withSpan("VectorStore.keywordSearch"))

    const remove = Effect.fn("VectorStore.delete")(function*(o: DeleteOptions) {
      const config = yield* configOf("delete", o.collection)
      const bad = V.checkIds(store, o.collection, o.ids)
      if (bad !== undefined) return yield* bad
      const ids = [...new Set(o.ids.map(StringIds.encode))]
      for (let i = 0; i < ids.length; i += batchSize) {
        const filter = `id in [${ids.slice(i, i + batchSize).map((id) => JSON.stringify(id)).join(", ")}]`
        yield* call("delete", o.collection, (opts) => client.delete({ collectionName: config.name, filter } as never, opts) as Promise<MilvusReply>)
      }
    })

    return { store, createCollection, getCollection, deleteCollection, upsert, search, keywordSearch, delete: remove }
  })

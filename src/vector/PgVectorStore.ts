/**
 * Vector store on Postgres with pgvector, over a {@link PgExecutor} (effect's `@effect/sql-pg` client for a server, or
 * PGlite in process): the same SQL on both.
 *
 * - Each collection is a table `<tablePrefix><name>_<hash>` in `schema`: `id jsonb` primary key (so `1` and `"1"` stay
 *   different ids), `embedding vector(d)`, `payload jsonb`, and a generated `tsvector` over `payload->>'text'` with a
 *   GIN index, which serves keyword search (the keyword side of hybrid search).
 * - A registry table `<tablePrefix>collections` records each collection's dimension and distance.
 * - An HNSW index per collection with the operator class of its distance (`vector_cosine_ops`, `vector_ip_ops`,
 *   `vector_l2_ops`); pgvector indexes at most 2,000 dimensions, so wider collections are searched exactly (no index).
 * - Scores follow the contract: cosine similarity (`1 - (a <=> b)`), dot product (`-(a <#> b)`), Euclidean distance
 *   (`a <-> b`, smallest first).
 * - The payload filter compiles to SQL/JSON path predicates (`payload @? '$."lang" ? (@ == "en")'`, lax mode, so array
 *   fields match when any element does, as in Qdrant and the memory store), with a `jsonb_path_ops` GIN index.
 * - Filtered searches use pgvector's iterative index scans (0.8+), so a selective filter still fills `topK`.
 * - Keyword ranking is Postgres full-text search (`ts_rank` with length normalisation, the query's lexemes OR-ed,
 *   stemming by `textSearchConfig`), not BM25: only its order is used by hybrid search.
 *
 * @example
 * ```ts
 * import { PgClient } from "@effect/sql-pg"
 * import { Layer, Redacted } from "effect"
 * import { VectorStore } from "llm-orchestrator"
 * const DocsLive = VectorStore.layerPgVector("docs").pipe(Layer.provide(PgClient.layer({ url: Redacted.make(process.env.DATABASE_URL!) })))
 * ```
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as Filter from "./Filter.ts"
import type { PgExecutor, PgFailure } from "./PgExecutor.ts"
import { cachedConfig } from "./ConfigCache.ts"
import * as V from "./validation.ts"
import { CollectionNotFound, VectorStoreError } from "./VectorStoreError.ts"
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

/**
 * Options of a pgvector store.
 *
 * @example
 * ```ts
 * const o: PgVectorOptions = { schema: "rag", efSearch: 100, textSearchConfig: "simple" }
 * ```
 */
export interface PgVectorOptions {
  /** Schema holding the tables (created when missing; default `public`). */
  readonly schema?: string | undefined
  /** Prefix of table names (default `llmo_`). */
  readonly tablePrefix?: string | undefined
  /** Text search configuration of keyword search (default `english`: stemming and English stop words; `simple` for none). */
  readonly textSearchConfig?: string | undefined
  /** `hnsw.ef_search` for each search (default: the server's, 40). Higher: better recall, slower. */
  readonly efSearch?: number | undefined
  /** HNSW build parameters, or `false` for no vector index (exact search). Default `{ m: 16, efConstruction: 64 }`. */
  readonly hnsw?: { readonly m?: number | undefined; readonly efConstruction?: number | undefined } | false | undefined
  /** Run `CREATE EXTENSION IF NOT EXISTS vector` at start-up (default true; needs the privilege). */
  readonly createExtension?: boolean | undefined
  /** Rows per INSERT statement of an upsert (default 500); all batches of one upsert commit together. */
  readonly upsertBatchSize?: number | undefined
}

interface Config {
  readonly table: string
  readonly dimension: number
  readonly distance: Distance
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, "\"\"")}"`

/**
 * The table name of a collection: a readable slug and a hash of the full name (Postgres names stop at 63 bytes).
 *
 * @example
 * ```ts
 * tableName("llmo_", "My Docs") // "llmo_my_docs_5d41402a"
 * ```
 */
export const tableName = (prefix: string, collection: string): string => {
  const slug = collection.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 40)
  const hash = createHash("sha1").update(collection).digest("hex").slice(0, 8)
  return `${prefix}${slug.length > 0 ? `${slug}_` : ""}${hash}`
}

const operators: Record<Distance, { readonly op: string; readonly ops: string; readonly score: (d: number) => number }> = {
  cosine: { op: "<=>", ops: "vector_cosine_ops", score: (d) => 1 - d },
  dot: { op: "<#>", ops: "vector_ip_ops", score: (d) => -d },
  euclid: { op: "<->", ops: "vector_l2_ops", score: (d) => d }
}

// SQL/JSON path of one condition with its values inlined as JSON literals (the whole path is a bind parameter, so
// this is not SQL injection; inlining lets a jsonb_path_ops GIN index serve `@?`).
const pathOf = (segments: ReadonlyArray<string>) => `$${segments.map((s) => `.${JSON.stringify(s)}`).join("")}`
const literal = (v: Filter.MatchValue) => (typeof v === "string" ? JSON.stringify(v) : String(v))

/**
 * Compiles a payload filter to a SQL predicate over the `payload` column; parameters are appended to `params` and
 * referenced as `$n`. Throws `Filter.InvalidFilter` for an ill-formed filter.
 *
 * @example
 * ```ts
 * const params: Array<unknown> = []
 * filterToSql(Filter.all(Filter.match("lang", "en")), params) // '((payload @? $1::jsonpath))', params: ['$."lang" ? (@ == "en")']
 * ```
 */
export const filterToSql = (filter: Filter.Filter, params: Array<unknown>, column = "payload"): string => {
  const leaf = (path: string) => {
    params.push(path)
    return `(${column} @? $${params.length}::jsonpath)`
  }
  return Filter.fold<string>(filter, {
    match: (_key, segments, value) => leaf(`${pathOf(segments)} ? (@ == ${literal(value)})`),
    any: (_key, segments, values) =>
      values.length === 0 ? "FALSE" : leaf(`${pathOf(segments)} ? (${values.map((v) => `@ == ${literal(v)}`).join(" || ")})`),
    range: (_key, segments, { gt, gte, lt, lte }) => {
      const bounds = [
        gt === undefined ? undefined : `@ > ${gt}`,
        gte === undefined ? undefined : `@ >= ${gte}`,
        lt === undefined ? undefined : `@ < ${lt}`,
        lte === undefined ? undefined : `@ <= ${lte}`
      ].filter((b) => b !== undefined)
      return leaf(`${pathOf(segments)} ? (@.type() == "number"${bounds.map((b) => ` && ${b}`).join("")})`)
    },
    bool: (must, should, mustNot) => {
      const parts: Array<string> = []
      if (must !== undefined && must.length > 0) parts.push(must.join(" AND "))
      if (should !== undefined && should.length > 0) parts.push(`(${should.join(" OR ")})`)
      if (mustNot !== undefined && mustNot.length > 0) parts.push(`NOT (${mustNot.join(" OR ")})`)
      return parts.length === 0 ? "TRUE" : `(${parts.join(" AND ")})`
    }
  })
}

const vectorLiteral = (v: ReadonlyArray<number>) => `[${v.join(",")}]`

/**
 * Builds a pgvector store named `store` on `executor` (creates the extension when asked, the schema and the registry
 * table when missing).
 *
 * @example
 * ```ts
 * const store = yield* makePgVectorStore("docs", executor, { schema: "rag" })
 * ```
 */
export const makePgVectorStore = (
  store: string,
  executor: PgExecutor,
  options: PgVectorOptions = {}
): Effect.Effect<VectorStoreShape, VectorStoreError> =>
  Effect.gen(function*() {
    const schema = options.schema ?? "public"
    const prefix = options.tablePrefix ?? "llmo_"
    const tsConfig = options.textSearchConfig ?? "english"
    const registry = `${quote(schema)}.${quote(`${prefix}collections`)}`
    const qualified = (table: string) => `${quote(schema)}.${quote(table)}`
    const batchSize = options.upsertBatchSize !== undefined && options.upsertBatchSize > 0 ? options.upsertBatchSize : 500
    const backend = executor.kind === "pglite" ? "pgvector on PGlite" : "pgvector"

    const fail = (operation: string, collection: string | undefined, f: PgFailure | string): VectorStoreError =>
      new VectorStoreError({
        store,
        operation,
        ...(collection === undefined ? {} : { collection }),
        retryable: typeof f === "string" ? false : f.retryable,
        message: `Vector store "${store}" (${backend})${collection === undefined ? "" : `, collection "${collection}"`}: ${
          typeof f === "string" ? f : `${f.message}${f.code === undefined ? "" : ` (SQLSTATE ${f.code})`}`
        }`
      })

    const setup = Effect.gen(function*() {
      if (options.createExtension ?? true) {
        yield* executor.query("CREATE EXTENSION IF NOT EXISTS vector").pipe(
          // Two sessions creating it at once: one wins, the other sees a duplicate.
          Effect.catchIf((e) => e.code === "23505" || e.code === "42710", () => Effect.succeed([])),
          Effect.mapError((e) =>
            e.code === "0A000" || e.code === "58P01"
              ? fail("connect", undefined, `${e.message}: install pgvector on the server (https://github.com/pgvector/pgvector#installation), or use PGlite (VectorStore.layerPglite)`)
              : fail("connect", undefined, e)
          )
        )
      }
      yield* executor.query(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`).pipe(
        Effect.catchIf((e) => e.code === "23505" || e.code === "42P06", () => Effect.succeed([]))
      )
      yield* executor.query(
        `CREATE TABLE IF NOT EXISTS ${registry} (name text PRIMARY KEY, table_name text NOT NULL UNIQUE, dimension int NOT NULL, distance text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`
      ).pipe(Effect.catchIf((e) => e.code === "23505" || e.code === "42P07", () => Effect.succeed([])))
      const version = yield* executor.query("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
      const v = String(version[0]?.["extversion"] ?? "0")
      if (version.length === 0) return yield* fail("connect", undefined, "the pgvector extension is not installed in this database (CREATE EXTENSION vector)")
      const [major, minor] = v.split(".").map(Number)
      return { iterative: (major ?? 0) > 0 || (minor ?? 0) >= 8 }
    }).pipe(Effect.mapError((e) => (e instanceof VectorStoreError ? e : fail("connect", undefined, e))))
    const { iterative } = yield* setup

    const configs = new Map<string, Config>()

    const readConfig = (operation: string, collection: string): Effect.Effect<Config | undefined, VectorStoreError> =>
      executor.query(`SELECT table_name, dimension, distance FROM ${registry} WHERE name = $1`, [collection]).pipe(
        Effect.mapError((e) => fail(operation, collection, e)),
        Effect.map((rows) => {
          const row = rows[0]
          if (row === undefined) return undefined
          const config: Config = { table: String(row["table_name"]), dimension: Number(row["dimension"]), distance: row["distance"] as Distance }
          configs.set(collection, config)
          return config
        })
      )

    const configOf = (operation: string, collection: string): Effect.Effect<Config, CollectionNotFound | VectorStoreError> =>
      cachedConfig(store, configs, operation, collection, () =>
        Effect.flatMap(readConfig(operation, collection), (c) =>
          c === undefined ? Effect.fail(new CollectionNotFound({ store, collection })) : Effect.succeed(c)))

    // A statement on a collection's table: a table dropped behind our back is CollectionNotFound (and forgotten).
    const onTable = <A>(operation: string, collection: string, effect: Effect.Effect<A, PgFailure>) =>
      effect.pipe(Effect.mapError((e): CollectionNotFound | VectorStoreError => {
        if (e.code === "42P01") {
          configs.delete(collection)
          return new CollectionNotFound({ store, collection })
        }
        return fail(operation, collection, e)
      }))

    const attributes = (collection: string) => ({ "vector.store": store, "vector.collection": collection, "vector.backend": "pgvector" })

    const createCollection = Effect.fn("VectorStore.createCollection")(function*(o: CreateCollectionOptions) {
      const bad = V.checkCreate(store, o)
      if (bad !== undefined) return yield* bad
      yield* Effect.annotateCurrentSpan(attributes(o.collection))
      const compare = (existing: Config) => {
        const conflict = V.checkExisting(store, o, existing)
        return conflict === undefined ? Effect.void : Effect.fail(conflict)
      }
      const existing = yield* readConfig("createCollection", o.collection)
      if (existing !== undefined) return yield* compare(existing)
      const table = tableName(prefix, o.collection)
      const { ops } = operators[o.distance]
      const hnsw = options.hnsw === false || o.dimension > 2000
        ? undefined
        : `WITH (m = ${Math.trunc(options.hnsw?.m ?? 16)}, ef_construction = ${Math.trunc(options.hnsw?.efConstruction ?? 64)})`
      const created = yield* executor.transaction(Effect.gen(function*() {
        yield* executor.query(
          `CREATE TABLE ${qualified(table)} (id jsonb PRIMARY KEY, embedding vector(${o.dimension}) NOT NULL, payload jsonb NOT NULL DEFAULT '{}'::jsonb, ` +
            `text_search tsvector GENERATED ALWAYS AS (to_tsvector(${quoteLiteral(tsConfig)}::regconfig, coalesce(payload->>'text', ''))) STORED)`
        )
        if (hnsw !== undefined) yield* executor.query(`CREATE INDEX ON ${qualified(table)} USING hnsw (embedding ${ops}) ${hnsw}`)
        yield* executor.query(`CREATE INDEX ON ${qualified(table)} USING gin (text_search)`)
        yield* executor.query(`CREATE INDEX ON ${qualified(table)} USING gin (payload jsonb_path_ops)`)
        yield* executor.query(`INSERT INTO ${registry} (name, table_name, dimension, distance) VALUES ($1, $2, $3, $4)`, [o.collection, table, o.dimension, o.distance])
        return true
      })).pipe(
        // Created concurrently by someone else: compare with theirs.
        Effect.catchIf((e) => e.code === "23505" || e.code === "42P07", () => Effect.succeed(false)),
        Effect.mapError((e) => fail("createCollection", o.collection, e))
      )
      if (created) {
        configs.set(o.collection, { table, dimension: o.dimension, distance: o.distance })
        return
      }
      const theirs = yield* readConfig("createCollection", o.collection)
      if (theirs === undefined) return yield* fail("createCollection", o.collection, "was created and dropped concurrently; try again")
      return yield* compare(theirs)
    })

    const getCollection = Effect.fn("VectorStore.getCollection")(function*(o: CollectionOptions) {
      const bad = V.checkCollection(store, "getCollection", o.collection)
      if (bad !== undefined) return yield* bad
      const config = yield* readConfig("getCollection", o.collection)
      if (config === undefined) return yield* new CollectionNotFound({ store, collection: o.collection })
      const rows = yield* onTable("getCollection", o.collection, executor.query(`SELECT count(*)::int AS n FROM ${qualified(config.table)}`))
      const info: CollectionInfo = { collection: o.collection, dimension: config.dimension, distance: config.distance, pointsCount: Number(rows[0]?.["n"] ?? 0) }
      return info
    })

    const deleteCollection = Effect.fn("VectorStore.deleteCollection")(function*(o: CollectionOptions) {
      const bad = V.checkCollection(store, "deleteCollection", o.collection)
      if (bad !== undefined) return yield* bad
      configs.delete(o.collection)
      yield* executor.transaction(Effect.gen(function*() {
        const rows = yield* executor.query(`DELETE FROM ${registry} WHERE name = $1 RETURNING table_name`, [o.collection])
        for (const row of rows) yield* executor.query(`DROP TABLE IF EXISTS ${qualified(String(row["table_name"]))}`)
      })).pipe(Effect.mapError((e) => fail("deleteCollection", o.collection, e)))
    })

    const upsert = Effect.fn("VectorStore.upsert")(function*(o: UpsertOptions) {
      const config = yield* configOf("upsert", o.collection)
      yield* Effect.annotateCurrentSpan({ ...attributes(o.collection), "vector.points": o.points.length })
      const bad = V.checkPoints(store, o.collection, config.dimension, o.points)
      if (bad !== undefined) return yield* bad
      if (o.points.length === 0) return
      // One statement cannot touch a row twice (ON CONFLICT): the last write of an id wins, as with sequential upserts.
      const last = new Map<string, Point>()
      for (const p of o.points) last.set(JSON.stringify(p.id), p)
      const rows = [...last.values()].map((p) => ({ id: p.id, embedding: vectorLiteral(p.vector), payload: p.payload ?? {} }))
      const sql = `INSERT INTO ${qualified(config.table)} (id, embedding, payload) ` +
        `SELECT r.id, r.embedding::vector, r.payload FROM jsonb_to_recordset($1::jsonb) AS r(id jsonb, embedding text, payload jsonb) ` +
        `ON CONFLICT (id) DO UPDATE SET embedding = excluded.embedding, payload = excluded.payload`
      const write = Effect.forEach(
        Array.from({ length: Math.ceil(rows.length / batchSize) }, (_, i) => rows.slice(i * batchSize, (i + 1) * batchSize)),
        (batch) => executor.query(sql, [JSON.stringify(batch)]),
        { discard: true }
      )
      yield* onTable("upsert", o.collection, rows.length > batchSize ? executor.transaction(write) : write)
    })

    const run = (sql: string, params: ReadonlyArray<unknown>, settings: ReadonlyArray<string>) =>
      settings.length === 0
        ? executor.query(sql, params)
        : executor.transaction(Effect.gen(function*() {
          for (const s of settings) yield* executor.query(s)
          return yield* executor.query(sql, params)
        }))

    const compileFilter = (operation: string, collection: string, filter: Filter.Filter | undefined, params: Array<unknown>) =>
      Effect.try({
        try: () => (filter === undefined ? "TRUE" : filterToSql(filter, params)),
        catch: (e) => V.invalidFilter(store, collection, operation, e instanceof Error ? e.message : String(e))
      })

    const hitOf = (row: Record<string, unknown>, score: number): SearchHit => ({
      id: row["id"] as PointId,
      score,
      payload: (row["payload"] ?? {}) as Record<string, unknown>
    })

    const search = Effect.fn("VectorStore.search")(function*(o: SearchOptions) {
      const config = yield* configOf("search", o.collection)
      yield* Effect.annotateCurrentSpan({ ...attributes(o.collection), "vector.top_k": o.topK })
      const bad = V.checkSearch(store, o.collection, config.dimension, o.vector, o.topK)
      if (bad !== undefined) return yield* bad
      const params: Array<unknown> = [vectorLiteral(o.vector)]
      const where = yield* compileFilter("search", o.collection, o.filter, params)
      const { op, score } = operators[config.distance]
      params.push(o.topK)
      const settings: Array<string> = []
      if (options.efSearch !== undefined) settings.push(`SET LOCAL hnsw.ef_search = ${Math.max(1, Math.trunc(options.efSearch))}`)
      if (o.filter !== undefined && iterative) settings.push("SET LOCAL hnsw.iterative_scan = relaxed_order")
      const rows = yield* onTable(
        "search",
        o.collection,
        run(
          `SELECT id, payload, embedding ${op} $1::vector AS distance FROM ${qualified(config.table)} WHERE ${where} ` +
            `ORDER BY embedding ${op} $1::vector LIMIT $${params.length}`,
          params,
          settings
        )
      )
      // relaxed_order may return neighbours slightly out of order: sort by the exact distances returned.
      const hits = rows.map((row) => hitOf(row, score(Number(row["distance"]))))
      return config.distance === "euclid" ? hits.sort((a, b) => a.score - b.score) : hits.sort((a, b) => b.score - a.score)
    })

    const keywordSearch = Effect.fn("VectorStore.keywordSearch")(function*(o: KeywordSearchOptions) {
      const config = yield* configOf("keywordSearch", o.collection)
      yield* Effect.annotateCurrentSpan({ ...attributes(o.collection), "vector.top_k": o.topK })
      const bad = V.checkKeywordSearch(store, o.collection, o.query, o.topK)
      if (bad !== undefined) return yield* bad
      const params: Array<unknown> = [tsConfig, o.query]
      const where = yield* compileFilter("keywordSearch", o.collection, o.filter, params)
      params.push(o.topK)
      // plainto_tsquery ANDs the lexemes; a question rarely contains every one, so they are OR-ed and ranked.
      const rows = yield* onTable(
        "keywordSearch",
        o.collection,
        executor.query(
          `WITH query AS (SELECT replace(plainto_tsquery($1::regconfig, $2)::text, ' & ', ' | ')::tsquery AS q) ` +
            `SELECT id, payload, ts_rank(text_search, q, 1) AS rank FROM ${qualified(config.table)}, query ` +
            `WHERE text_search @@ q AND ${where} ORDER BY rank DESC, id LIMIT $${params.length}`,
          params
        )
      )
      return rows.map((row) => hitOf(row, Number(row["rank"])))
    })

    const remove = Effect.fn("VectorStore.delete")(function*(o: DeleteOptions) {
      const config = yield* configOf("delete", o.collection)
      const bad = V.checkIds(store, o.collection, o.ids)
      if (bad !== undefined) return yield* bad
      if (o.ids.length === 0) return
      yield* onTable(
        "delete",
        o.collection,
        executor.query(`DELETE FROM ${qualified(config.table)} WHERE id IN (SELECT jsonb_array_elements($1::jsonb))`, [JSON.stringify(o.ids)])
      )
    })

    return { store, createCollection, getCollection, deleteCollection, upsert, search, delete: remove, keywordSearch }
  })

const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`

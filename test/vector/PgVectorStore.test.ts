// pgvector: the vector-store and keyword contracts on PGlite (in process, pgvector bundled), the filter compiled to
// SQL checked against the in-memory evaluator on seeded random payloads and filters (on PGlite, and on the real
// Postgres server through @effect/sql-pg, where jsonpath needs no extension), and the real server's store when it has
// pgvector (it does not here: Debian's Postgres 15 ships none, so that part asserts the clear error and says so).
import { PGlite } from "@electric-sql/pglite"
import { vector } from "@electric-sql/pglite-pgvector"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { afterAll, beforeAll } from "vitest"
import { seededRandom } from "../../src/testing/index.ts"
import { Filter, PgExecutor, VectorStore } from "../../src/vector/index.ts"
import { filterToSql, tableName } from "../../src/vector/PgVectorStore.ts"
import { keywordSearchContract, vectorStoreContract } from "./contract.ts"

// One PGlite for the file (starting one costs seconds); every store gets its own schema, so each test starts empty.
let db: Promise<PGlite> | undefined
const pglite = () => (db ??= PGlite.create({ extensions: { vector } }))
// Started before the first test, with its own time limit: on a loaded 2-core machine PGlite's start (WASM compile,
// initdb) alone has taken longer than a test's 30 s.
beforeAll(async () => {
  await pglite()
}, 180_000)
afterAll(async () => {
  if (db !== undefined) await (await db).close()
})
let schemas = 0
const pgliteLayer = <const N extends string>(name: N) =>
  Layer.unwrap(Effect.promise(pglite).pipe(Effect.map((d) => VectorStore.layerPgliteFrom(name, d, { schema: `contract_${++schemas}`, efSearch: 1000 }))))

vectorStoreContract("pgvector on PGlite", pgliteLayer)
keywordSearchContract("pgvector on PGlite (Postgres full-text)", pgliteLayer)

// ---------------------------------------------------------------------------------------------------------------------
// The filter compiled to SQL agrees with Filter.compile on random payloads and filters.

const keys = ["lang", "year", "tags", "meta.team", "flag", "missing"]
const values = ["en", "fr", "de", 2019, 2021, 2024, true, false, "api", "guide", "docs"]

const randomPayload = (next: () => number): Record<string, unknown> => {
  const pick = () => values[Math.floor(next() * values.length)]!
  const p: Record<string, unknown> = {}
  if (next() < 0.8) p["lang"] = pick()
  if (next() < 0.8) p["year"] = next() < 0.8 ? [2019, 2021, 2024, 2024.5][Math.floor(next() * 4)] : "2024"
  if (next() < 0.6) p["tags"] = Array.from({ length: Math.floor(next() * 3) }, pick)
  if (next() < 0.5) p["meta"] = next() < 0.7 ? { team: pick() } : [{ team: pick() }, { team: pick() }]
  if (next() < 0.4) p["flag"] = next() < 0.5
  return p
}

const randomCondition = (next: () => number, depth: number): Filter.Condition => {
  const r = next()
  const key = keys[Math.floor(next() * keys.length)]!
  if (depth < 2 && r < 0.2) return randomFilter(next, depth + 1)
  if (r < 0.55) return Filter.match(key, values[Math.floor(next() * values.length)] as Filter.MatchValue)
  if (r < 0.75) return Filter.anyOf(key, values.filter((v) => typeof v !== "boolean" && next() < 0.3) as Array<string | number>)
  const lo = 2018 + Math.floor(next() * 8)
  return Filter.range(key, next() < 0.5 ? { gte: lo } : { gt: lo, lte: lo + 3 })
}

const randomFilter = (next: () => number, depth = 0): Filter.Filter => {
  const list = () => Array.from({ length: Math.floor(next() * 3) }, () => randomCondition(next, depth))
  const f: { must?: Array<Filter.Condition>; should?: Array<Filter.Condition>; must_not?: Array<Filter.Condition> } = {}
  if (next() < 0.7) f.must = list()
  if (next() < 0.4) f.should = list()
  if (next() < 0.4) f.must_not = list()
  // a nested filter needs a clause to be a condition
  if (depth > 0 && f.must === undefined && f.should === undefined && f.must_not === undefined) f.must = list()
  return f
}

const filterAgreement = (executor: PgExecutor.PgExecutor, schema: string) =>
  Effect.gen(function*() {
    const table = `"${schema}"."payloads"`
    yield* executor.query(`CREATE SCHEMA "${schema}"`)
    yield* executor.query(`CREATE TABLE ${table} (n int PRIMARY KEY, payload jsonb NOT NULL)`)
    const next = seededRandom(99)
    const payloads = Array.from({ length: 120 }, () => randomPayload(next))
    yield* executor.query(
      `INSERT INTO ${table} SELECT r.n, r.payload FROM jsonb_to_recordset($1::jsonb) AS r(n int, payload jsonb)`,
      [JSON.stringify(payloads.map((payload, n) => ({ n, payload })))]
    )
    for (let i = 0; i < 150; i++) {
      const filter = randomFilter(next)
      const params: Array<unknown> = []
      const where = filterToSql(filter, params)
      const rows = yield* executor.query(`SELECT n FROM ${table} WHERE ${where} ORDER BY n`, params)
      const keep = Filter.compile(filter)
      const expected = payloads.flatMap((p, n) => (keep(p) ? [n] : []))
      assert.deepStrictEqual(rows.map((r) => r["n"]), expected, JSON.stringify(filter))
    }
  })

describe("pgvector filter compilation", () => {
  it.live("the SQL/JSON path predicates select exactly what Filter.compile keeps (150 random filters, PGlite)", () =>
    Effect.gen(function*() {
      const executor = yield* PgExecutor.fromPglite(yield* Effect.promise(pglite))
      yield* filterAgreement(executor, "filters_pglite")
    }))

  it("values are inlined as JSON literals in a bound jsonpath, never as SQL", () => {
    const params: Array<unknown> = []
    const sql = filterToSql({ must: [Filter.match("a\"b", "x'); DROP TABLE t; --")], must_not: [Filter.range("y", { gt: 1 })] }, params)
    assert.strictEqual(sql, "((payload @? $1::jsonpath) AND NOT ((payload @? $2::jsonpath)))")
    assert.deepStrictEqual(params, ["$.\"a\\\"b\" ? (@ == \"x'); DROP TABLE t; --\")", "$.\"y\" ? (@.type() == \"number\" && @ > 1)"])
    assert.match(tableName("llmo_", "My Docs / 2024"), /^llmo_my_docs_2024_[0-9a-f]{8}$/)
    assert.isAtMost(tableName("llmo_", "x".repeat(500)).length, 63)
  })
})

describe("pgvector on PGlite", () => {
  it.live("search after many upserts in one call (several INSERT batches, one transaction) and a filtered search filling topK", () =>
    Effect.gen(function*() {
      const d = yield* Effect.promise(pglite)
      yield* Effect.gen(function*() {
        yield* VectorStore.createCollection({ store: "pg", collection: "big", dimension: 2, distance: "dot" })
        const points = Array.from({ length: 1200 }, (_, i) => ({ id: i, vector: [i / 1200, 1 - i / 1200], payload: { even: i % 2 === 0 } }))
        yield* VectorStore.upsert({ store: "pg", collection: "big", points })
        assert.strictEqual((yield* VectorStore.getCollection({ store: "pg", collection: "big" })).pointsCount, 1200)
        const odd = yield* VectorStore.search({ store: "pg", collection: "big", vector: [1, 0], topK: 10, filter: Filter.all(Filter.match("even", false)) })
        assert.deepStrictEqual(odd.map((h) => h.id), [1199, 1197, 1195, 1193, 1191, 1189, 1187, 1185, 1183, 1181])
        // a duplicate id inside one upsert: the last one wins (one statement cannot update a row twice)
        yield* VectorStore.upsert({ store: "pg", collection: "big", points: [{ id: 5, vector: [0, 0], payload: { v: 1 } }, { id: 5, vector: [9, 9], payload: { v: 2 } }] })
        const top = yield* VectorStore.search({ store: "pg", collection: "big", vector: [1, 1], topK: 1 })
        assert.deepStrictEqual(top, [{ id: 5, score: 18, payload: { v: 2 } }])
      }).pipe(Effect.provide(VectorStore.layerPgliteFrom("pg", d, { schema: "big_upserts" })))
    }))

  it.live("a table dropped behind the store's back is CollectionNotFound, and can be created again", () =>
    Effect.gen(function*() {
      const d = yield* Effect.promise(pglite)
      yield* Effect.gen(function*() {
        yield* VectorStore.createCollection({ store: "pg", collection: "c", dimension: 2, distance: "cosine" })
        yield* VectorStore.upsert({ store: "pg", collection: "c", points: [{ id: 1, vector: [1, 0] }] })
        yield* Effect.promise(() => d.exec(`DROP TABLE "dropped"."${tableName("llmo_", "c")}"; DELETE FROM "dropped"."llmo_collections"`))
        const e = yield* Effect.flip(VectorStore.search({ store: "pg", collection: "c", vector: [1, 0], topK: 1 }))
        assert.strictEqual(e._tag, "CollectionNotFound")
        yield* VectorStore.createCollection({ store: "pg", collection: "c", dimension: 3, distance: "cosine" })
        yield* VectorStore.upsert({ store: "pg", collection: "c", points: [{ id: 1, vector: [1, 0, 0] }] })
      }).pipe(Effect.provide(VectorStore.layerPgliteFrom("pg", d, { schema: "dropped" })))
    }))

  it.live("layerPglite starts its own database and closes it with the layer", () =>
    Effect.gen(function*() {
      const info = yield* Effect.gen(function*() {
        yield* VectorStore.createCollection({ store: "own", collection: "c", dimension: 2, distance: "euclid" })
        return yield* VectorStore.getCollection({ store: "own", collection: "c" })
      }).pipe(Effect.provide(VectorStore.layerPglite("own")))
      assert.deepStrictEqual(info, { collection: "c", dimension: 2, distance: "euclid", pointsCount: 0 })
    }), 60_000)
})

// ---------------------------------------------------------------------------------------------------------------------
// The real server, through @effect/sql-pg.

const url = process.env["PGVECTOR_URL"] ?? process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"
const ci = process.env["CI"] === "true"

const server = await Effect.runPromise(
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const rows = yield* sql.unsafe<{ ok: number }>("SELECT count(*)::int AS ok FROM pg_available_extensions WHERE name = 'vector'")
    return { reachable: true, pgvector: rows[0]!.ok > 0 }
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url), connectTimeout: "3 seconds" })),
    Effect.scoped,
    Effect.timeout("10 seconds"),
    Effect.catch(() => Effect.succeed({ reachable: false, pgvector: false }))
  )
)
if (!server.reachable) console.warn(`[pgvector] Postgres at ${url.replace(/\/\/[^@]*@/, "//…@")} is not reachable: the real-server tests are skipped${ci ? " (and fail under CI)" : ""}`)
else if (!server.pgvector) console.warn("[pgvector] this Postgres server has no pgvector extension (Debian's postgresql-15 ships none): the server contract is skipped; the clear error and the SQL filters are still tested on it")

const withSchema = <A, E>(body: (sql: SqlClient, schema: string) => Effect.Effect<A, E, never>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const schema = `llmo_test_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`
    return yield* body(sql, schema).pipe(Effect.ensuring(sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).pipe(Effect.ignore)))
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) })), Effect.scoped)

describe.runIf(server.reachable || ci)("pgvector on the Postgres server (@effect/sql-pg)", () => {
  it.live("the same filter SQL runs on the server and agrees with Filter.compile", () =>
    withSchema((sql, schema) => filterAgreement(PgExecutor.fromSqlClient(sql), schema)))

  it.live.runIf(!server.pgvector)("without the extension, building the store fails with a VectorStoreError that says what to do", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Layer.build(VectorStore.layerPgVector("docs")).pipe(Effect.scoped, Effect.provide(PgClient.layer({ url: Redacted.make(url) }))))
      assert.strictEqual(e._tag, "VectorStoreError")
      if (e._tag === "VectorStoreError") assert.strictEqual(e.operation, "connect")
      assert.include(e.message, `Vector store "docs" (pgvector): `)
      assert.include(e.message, "install pgvector on the server")
    }))
})

describe.runIf(server.pgvector)("pgvector on the Postgres server, contract", () => {
  // Each store in its own schema, dropped by the next build's finaliser at the end of the test.
  const serverLayer = <const N extends string>(name: N) =>
    Layer.unwrap(Effect.gen(function*() {
      const sql = yield* SqlClient
      const schema = `llmo_contract_${process.pid}_${++schemas}_${Date.now().toString(36)}`
      yield* Effect.addFinalizer(() => sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).pipe(Effect.ignore))
      return VectorStore.layerPgVector(name, { schema, efSearch: 1000 })
    })).pipe(Layer.provide(PgClient.layer({ url: Redacted.make(url) })))
  vectorStoreContract("pgvector on the server", serverLayer)
  keywordSearchContract("pgvector on the server", serverLayer)
})

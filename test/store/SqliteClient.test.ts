/**
 * The SqlClient on node:sqlite: statements, transactions, streams, error classification, and clear errors for a file
 * that is not a database or stays locked.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { SqliteClient } from "../../src/store/index.ts"

const dir = mkdtempSync(join(tmpdir(), "llmo-sqlite-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const file = () => join(dir, "nested", `db-${n++}.sqlite`)

const withSql = <A, E>(filename: string, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.flatMap(SqlClient.SqlClient, f).pipe(Effect.provide(SqliteClient.layer({ filename })))

describe("SqliteClient", () => {
  it.effect("creates the file and its directory, runs statements with parameters, in WAL mode", () =>
    withSql(file(), (sql) =>
      Effect.gen(function*() {
        const [mode] = yield* sql<{ journal_mode: string }>`PRAGMA journal_mode`
        assert.strictEqual(mode!.journal_mode, "wal")
        yield* sql`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)`
        yield* sql`INSERT INTO t ${sql.insert([{ id: 1, name: "a", score: 1.5 }, { id: 2, name: "b ✓", score: 2 }])}`
        const rows = yield* sql<{ id: number; name: string; score: number }>`SELECT * FROM t WHERE id >= ${1} ORDER BY id`
        assert.deepStrictEqual(rows, [{ id: 1, name: "a", score: 1.5 }, { id: 2, name: "b ✓", score: 2 }])
        const values = yield* sql`SELECT id, name FROM t ORDER BY id`.values
        assert.deepStrictEqual(values, [[1, "a"], [2, "b ✓"]])
        assert.strictEqual(sql.onDialectOrElse({ sqlite: () => "sqlite", orElse: () => "other" }), "sqlite")
        const streamed = yield* Stream.runCollect(sql<{ id: number }>`SELECT id FROM t ORDER BY id`.stream)
        assert.deepStrictEqual([...streamed].map((r) => r.id), [1, 2])
      })))

  it.effect("transactions commit, roll back on failure, and nest with savepoints", () =>
    withSql(file(), (sql) =>
      Effect.gen(function*() {
        yield* sql`CREATE TABLE t (id INTEGER PRIMARY KEY)`
        yield* sql.withTransaction(sql`INSERT INTO t (id) VALUES (1)`)
        const failed = yield* Effect.exit(sql.withTransaction(Effect.andThen(sql`INSERT INTO t (id) VALUES (2)`, Effect.fail("boom"))))
        assert.isTrue(Exit.isFailure(failed))
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO t (id) VALUES (3)`
          yield* Effect.exit(sql.withTransaction(Effect.andThen(sql`INSERT INTO t (id) VALUES (4)`, Effect.fail("inner"))))
        }))
        const ids = (yield* sql<{ id: number }>`SELECT id FROM t ORDER BY id`).map((r) => r.id)
        assert.deepStrictEqual(ids, [1, 3])
      })))

  it.effect("classifies errors: a duplicate key (primary or unique) is a UniqueViolation that names the statement", () =>
    withSql(file(), (sql) =>
      Effect.gen(function*() {
        yield* sql`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER NOT NULL)`
        yield* sql`INSERT INTO t (id, name, n) VALUES (1, 'a', 0)`
        const pk = yield* Effect.flip(sql`INSERT INTO t (id, name, n) VALUES (1, 'b', 0)`)
        assert.strictEqual(pk._tag, "SqlError")
        assert.strictEqual(pk.reason._tag, "UniqueViolation")
        assert.include(pk.message, "UNIQUE constraint failed: t.id")
        const unique = yield* Effect.flip(sql`INSERT INTO t (id, name, n) VALUES (2, 'a', 0)`)
        assert.strictEqual(unique.reason._tag, "UniqueViolation")
        const notNull = yield* Effect.flip(sql`INSERT INTO t (id, name) VALUES (3, 'c')`)
        assert.strictEqual(notNull.reason._tag, "ConstraintError")
        const syntax = yield* Effect.flip(sql`SELEKT 1`)
        assert.include(syntax.message, "SELEKT")
      })))

  it.effect("a file that is not a database fails to open with a reason that says so, and is left as it was", () =>
    Effect.gen(function*() {
      const path = join(dir, "garbage.db")
      const garbage = "not a database, just some text ".repeat(200)
      writeFileSync(path, garbage)
      const error = yield* Effect.flip(withSql(path, (sql) => sql`SELECT 1`))
      assert.strictEqual(error._tag, "SqliteOpenError")
      if (error._tag === "SqliteOpenError") {
        assert.strictEqual(error.filename, path)
        assert.include(error.message, "is not a SQLite database")
      }
      assert.strictEqual((yield* Effect.sync(() => require_("node:fs").readFileSync(path, "utf8"))), garbage)
    }))

  it.effect("a database another process keeps locked fails to open after the busy timeout, naming the lock", () =>
    Effect.gen(function*() {
      const path = file()
      yield* withSql(path, (sql) => sql`CREATE TABLE t (x)`)
      const other = new DatabaseSync(path)
      other.exec("PRAGMA journal_mode = DELETE")
      other.exec("BEGIN EXCLUSIVE")
      try {
        const started = Date.now()
        const error = yield* Effect.flip(
          Effect.flatMap(SqlClient.SqlClient, (sql) => sql`INSERT INTO t VALUES (1)`).pipe(
            Effect.provide(SqliteClient.layer({ filename: path, busyTimeoutMillis: 200 }))
          )
        )
        assert.isAtLeast(Date.now() - started, 150)
        assert.include(error.message, "locked")
      } finally {
        other.exec("ROLLBACK")
        other.close()
      }
    }))
})

// node:fs through a function so the test reads the file after the client is closed.
function require_(name: "node:fs"): typeof import("node:fs") {
  return process.getBuiltinModule(name)
}

/**
 * An effect `SqlClient` on Node's built-in `node:sqlite` (Node >= 22.5): the embedded store of durable runs, with no
 * native module and no server.
 *
 * Written here because no SQLite driver exists for effect 4.1 (`@effect/sql-sqlite-node` is published for effect 3
 * and 4.0 betas only, with stale imports). It is built on effect's own pieces: `SqlClient.makeSqliteAcquirers` (one
 * connection behind a semaphore, transactions on it), the SQLite statement compiler (so `sql.onDialect*` picks
 * `sqlite`, which effect's cluster storage switches on) and `classifySqliteError`.
 *
 * The file is opened in WAL mode with a busy timeout, so readers in other processes (`status`, `list`) never block the
 * runner and a writer waits for a lock instead of failing at once. A file that is not a database, or one that stays
 * locked, fails with `SqliteOpenError` naming the file and the reason, before anything is written.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqlClient } from "effect/sql"
 * import { SqliteClient } from "llm-orchestrator/store"
 *
 * const program = Effect.gen(function*() {
 *   const sql = yield* SqlClient.SqlClient
 *   return yield* sql`SELECT 1 AS one`
 * }).pipe(Effect.provide(SqliteClient.layer({ filename: ".llm-orchestrator/runs.db" })))
 * ```
 */
import { Context, Effect, Layer, Schema, type Scope, Semaphore, Stream } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient } from "effect/sql"
import type { Connection } from "effect/sql/SqlConnection"
import { classifySqliteError, SqlError } from "effect/sql/SqlError"
import * as Statement from "effect/sql/Statement"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { DatabaseSync, type StatementSync } from "node:sqlite"

/**
 * Options of the SQLite client.
 *
 * @example
 * ```ts
 * SqliteClient.layer({ filename: "runs.db", synchronous: "FULL", busyTimeoutMillis: 10_000 })
 * ```
 */
export interface Options {
  /** Path of the database file (created with its directory on first use), or `:memory:`. */
  readonly filename: string
  /**
   * `PRAGMA synchronous`. `NORMAL` (the default) is durable against a process crash in WAL mode (what kill -9 does);
   * `FULL` also survives a power loss, at about 2-8x the time per commit.
   */
  readonly synchronous?: "OFF" | "NORMAL" | "FULL" | undefined
  /** How long a statement waits for another process's write lock before failing (default 5 s). */
  readonly busyTimeoutMillis?: number | undefined
  /** Prepared statements kept (least recently used are finalized first; default 200). */
  readonly statementCacheSize?: number | undefined
  /** Open read-only (no directory or file is created). */
  readonly readOnly?: boolean | undefined
  /** Called with the text of every statement executed (counting them in tests and benchmarks; keep it cheap). */
  readonly onStatement?: ((sql: string) => void) | undefined
}

/**
 * The database file could not be opened or is not usable: not a database, locked by another process past the busy
 * timeout, or not writable. `filename` names the file, `reason` what is wrong.
 *
 * @example
 * ```ts
 * Effect.catchTag("SqliteOpenError", (e) => Console.error(`${e.filename}: ${e.reason}`))
 * ```
 */
export class SqliteOpenError extends Schema.TaggedError<SqliteOpenError>()("SqliteOpenError", {
  filename: Schema.String,
  reason: Schema.String,
  message: Schema.String
}) {}

const toSqlError = (cause: unknown, operation: string, sql?: string) => {
  const c = cause as { errcode?: unknown; errno?: unknown } | null
  // node:sqlite reports the SQLite result code as `errcode`; the classifier reads `errno`. A duplicate primary key
  // (SQLITE_CONSTRAINT_PRIMARYKEY, 1555) is a unique violation too, as on other databases.
  if (c !== null && typeof c === "object" && typeof c.errcode === "number" && !("errno" in c)) c.errno = c.errcode === 1555 ? 2067 : c.errcode
  const message = cause instanceof Error ? cause.message : String(cause)
  return new SqlError({
    reason: classifySqliteError(cause, { message: sql === undefined ? `Failed to ${operation}: ${message}` : `Failed to ${operation}: ${message} (${sql.slice(0, 120)})`, operation })
  })
}

/** What a SQLite error means for the person who has to fix it. */
const openReason = (cause: unknown): string => {
  const code = (cause as { errcode?: unknown } | null)?.errcode
  const message = cause instanceof Error ? cause.message : String(cause)
  switch (typeof code === "number" ? code & 0xff : -1) {
    case 26:
      return "the file is not a SQLite database (corrupt, or another kind of file); move it away to start a new store"
    case 11:
      return "the database file is corrupt (SQLITE_CORRUPT); restore it from a backup or move it away"
    case 5:
    case 6:
      return "the database is locked by another process (it did not release its write lock within the busy timeout)"
    case 8:
      return "the database file is read-only for this process"
    case 14:
      return `the file cannot be opened (${message})`
    default:
      return message
  }
}

/** A least-recently-used cache of prepared statements (a Map keeps insertion order: re-inserting marks as recent). */
const statementCache = (db: DatabaseSync, size: number) => {
  const cache = new Map<string, StatementSync>()
  return (sql: string): StatementSync => {
    let statement = cache.get(sql)
    if (statement !== undefined) {
      cache.delete(sql)
      cache.set(sql, statement)
      return statement
    }
    statement = db.prepare(sql)
    cache.set(sql, statement)
    if (cache.size > size) cache.delete(cache.keys().next().value!)
    return statement
  }
}

/**
 * Opens the database and builds the client; the connection is closed when the scope closes.
 *
 * @example
 * ```ts
 * const sql = yield* SqliteClient.make({ filename: ":memory:" })
 * ```
 */
export const make = (options: Options): Effect.Effect<SqlClient.SqlClient, SqliteOpenError, Reactivity.Reactivity | Scope.Scope> =>
  Effect.gen(function*() {
    const { filename } = options
    const db = yield* Effect.try({
      try: () => {
        if (filename !== ":memory:" && options.readOnly !== true) mkdirSync(dirname(filename), { recursive: true })
        const db = new DatabaseSync(filename, { readOnly: options.readOnly ?? false, timeout: options.busyTimeoutMillis ?? 5000 })
        try {
          // The first statements read the file: a file that is not a database or is locked fails here, not later.
          if (options.readOnly !== true) db.exec("PRAGMA journal_mode = WAL")
          db.exec(`PRAGMA synchronous = ${options.synchronous ?? "NORMAL"}`)
          db.prepare("SELECT count(*) FROM sqlite_master").get()
        } catch (cause) {
          db.close()
          throw cause
        }
        return db
      },
      catch: (cause) => {
        const reason = openReason(cause)
        return new SqliteOpenError({ filename, reason, message: `SQLite store ${filename}: ${reason}` })
      }
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => db.close()))
    const prepare = statementCache(db, options.statementCacheSize ?? 200)
    const onStatement = options.onStatement

    const run = (sql: string, params: ReadonlyArray<unknown>, mode: "rows" | "raw" | "values", prepared: boolean) =>
      Effect.withFiber<any, SqlError>((fiber) => {
        try {
          onStatement?.(sql)
          const statement = prepared ? prepare(sql) : db.prepare(sql)
          statement.setReadBigInts(Context.get(fiber.context, SqlClient.SafeIntegers))
          statement.setReturnArrays(mode === "values")
          if (statement.columns().length > 0) return Effect.succeed(statement.all(...(params as Array<any>)))
          const result = statement.run(...(params as Array<any>))
          return Effect.succeed(mode === "raw" ? { changes: result.changes, lastInsertRowid: result.lastInsertRowid } : [])
        } catch (cause) {
          return Effect.fail(toSqlError(cause, "execute statement", sql))
        }
      })

    const connection: Connection = {
      execute: (sql, params, transform) => transform ? Effect.map(run(sql, params, "rows", true), transform) : run(sql, params, "rows", true),
      executeRaw: (sql, params) => run(sql, params, "raw", true),
      executeValues: (sql, params) => run(sql, params, "values", true),
      executeValuesUnprepared: (sql, params) => run(sql, params, "values", false),
      executeUnprepared: (sql, params, transform) =>
        transform ? Effect.map(run(sql, params, "rows", false), transform) : run(sql, params, "rows", false),
      executeStream: (sql, params, transform) =>
        Stream.suspend(() => {
          let statement: StatementSync
          try {
            statement = db.prepare(sql)
            statement.setReturnArrays(false)
          } catch (cause) {
            return Stream.fail(toSqlError(cause, "prepare statement", sql))
          }
          const rows = Stream.fromIterable(statement.iterate(...(params as Array<any>)) as Iterable<any>)
          return transform === undefined ? rows : Stream.mapArray(rows, (chunk) => transform(chunk as unknown as Array<object>) as any)
        })
    }
    const acquirers = SqlClient.makeSqliteAcquirers({
      connection: Effect.succeed(connection),
      semaphore: yield* Semaphore.make(1),
      isTransaction: () => db.isTransaction
    })
    return yield* SqlClient.make({
      ...acquirers,
      compiler: Statement.makeCompilerSqlite(),
      driver: "node:sqlite",
      spanAttributes: [["db.system.name", "sqlite"], ["db.namespace", filename]]
    })
  })

/**
 * The client as a Layer (with its own `Reactivity`).
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(SqliteClient.layer({ filename: ".llm-orchestrator/runs.db" })))
 * ```
 */
export const layer = (options: Options): Layer.Layer<SqlClient.SqlClient, SqliteOpenError> =>
  Layer.effect(SqlClient.SqlClient, make(options)).pipe(Layer.provide(Reactivity.layer))

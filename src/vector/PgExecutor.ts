/**
 * The seam between the pgvector store and a Postgres connection: run one parameterised statement, or several in a
 * transaction. Two implementations run the same SQL:
 * - {@link fromSqlClient}: effect's `SqlClient` (from `@effect/sql-pg`, `PgClient.layer({ url })`), a pooled server;
 * - {@link fromPglite}: an in-process PGlite database (WASM Postgres with pgvector), for tests, demos and single-process
 *   apps. A thin executor rather than `@effect/sql-pglite`, whose beta never let the process exit here.
 *
 * @example
 * ```ts
 * import { PGlite } from "@electric-sql/pglite"
 * import { vector } from "@electric-sql/pglite-pgvector"
 * import { PgExecutor } from "llm-orchestrator/vector"
 * const db = await PGlite.create({ extensions: { vector } })
 * const executor = yield* PgExecutor.fromPglite(db)
 * ```
 */
import type { PGliteInterface } from "@electric-sql/pglite"
import { Context, Effect, Predicate, Semaphore } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"

/**
 * A failed statement: Postgres' SQLSTATE `code` when the server sent one, its message, and whether retrying the same
 * statement may work (connection loss, serialization failure, deadlock, shutdown).
 *
 * @example
 * ```ts
 * const f: PgExecutor.PgFailure = { code: "42P01", message: 'relation "x" does not exist', retryable: false }
 * ```
 */
export interface PgFailure {
  readonly code: string | undefined
  readonly message: string
  readonly retryable: boolean
}

/**
 * Runs SQL. Rows come back as plain objects keyed by column name, `jsonb` parsed.
 *
 * @example
 * ```ts
 * const rows = yield* executor.query("SELECT count(*)::int AS n FROM t WHERE id = $1", ["a"])
 * ```
 */
export interface PgExecutor {
  /** `pgvector` (the server) or `pglite`, for error messages and spans. */
  readonly kind: "postgres" | "pglite"
  readonly query: (sql: string, params?: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<Record<string, unknown>>, PgFailure>
  /** Runs `body` in one transaction (committed when it succeeds, rolled back otherwise). */
  readonly transaction: <A, E, R>(body: Effect.Effect<A, E, R>) => Effect.Effect<A, E | PgFailure, R>
}

// 08: connection exception, 40001 serialization failure, 40P01 deadlock, 53: insufficient resources, 57P: operator
// intervention (shutdown, crash recovery).
const retryableCode = (code: string | undefined) =>
  code !== undefined && (code.startsWith("08") || code === "40001" || code === "40P01" || code.startsWith("53") || code.startsWith("57P"))

const failureOf = (e: unknown): PgFailure => {
  // effect/sql wraps the driver error twice: SqlError -> reason -> the server's error fields.
  let node: unknown = e
  let code: string | undefined
  let message = e instanceof Error ? e.message : String(e)
  let retryable: boolean | undefined
  for (let depth = 0; depth < 4 && node !== undefined && node !== null; depth++) {
    if (Predicate.hasProperty(node, "isRetryable") && typeof node.isRetryable === "boolean") retryable ??= node.isRetryable
    if (Predicate.hasProperty(node, "code") && typeof node.code === "string" && /^[0-9A-Z]{5}$/.test(node.code)) {
      code = node.code
      if (Predicate.hasProperty(node, "message") && typeof node.message === "string" && node.message.length > 0) message = node.message
    }
    node = Predicate.hasProperty(node, "cause") ? node.cause : undefined
  }
  return { code, message, retryable: retryableCode(code) || (code === undefined && (retryable ?? false)) }
}

/**
 * An executor over effect's `SqlClient` (statements are sent with `sql.unsafe(text, params)`; transactions use
 * `sql.withTransaction`, which pins one pooled connection).
 *
 * @example
 * ```ts
 * const executor = PgExecutor.fromSqlClient(yield* SqlClient.SqlClient)
 * ```
 */
export const fromSqlClient = (sql: SqlClient): PgExecutor => ({
  kind: "postgres",
  query: (text, params = []) =>
    sql.unsafe<Record<string, unknown>>(text, params).pipe(
      Effect.map((rows) => rows as ReadonlyArray<Record<string, unknown>>),
      Effect.mapError(failureOf)
    ),
  transaction: (body) => sql.withTransaction(body).pipe(Effect.mapError((e) => (Predicate.hasProperty(e, "_tag") && e._tag === "SqlError" ? failureOf(e) : e) as never))
})

/**
 * An executor over a PGlite database. PGlite has one connection, so statements are serialised by a semaphore and a
 * transaction holds it from `BEGIN` to `COMMIT`. The caller owns `db` (close it when done).
 *
 * @example
 * ```ts
 * const executor = yield* PgExecutor.fromPglite(await PGlite.create({ extensions: { vector } }))
 * ```
 */
export const fromPglite = (db: PGliteInterface): Effect.Effect<PgExecutor> =>
  Effect.map(Semaphore.make(1), (lock) => {
    const run = (text: string, params: ReadonlyArray<unknown>) =>
      Effect.tryPromise({
        try: () => db.query<Record<string, unknown>>(text, [...params]),
        catch: failureOf
      }).pipe(Effect.map((r) => r.rows))
    // Which executor's transaction the current fiber (and its children) runs in: its statements skip the lock the
    // transaction holds.
    const token = {}
    const executor: PgExecutor = {
      kind: "pglite",
      query: (text, params = []) =>
        Effect.flatMap(InTransaction, (current) => (current === token ? run(text, params) : lock.withPermit(run(text, params)))),
      transaction: (body) =>
        lock.withPermit(
          Effect.acquireUseRelease(
            run("BEGIN", []),
            () => Effect.provideService(body, InTransaction, token),
            (_, exit) => run(exit._tag === "Success" ? "COMMIT" : "ROLLBACK", []).pipe(Effect.ignore)
          )
        )
    }
    return executor
  })

const InTransaction = Context.Reference<object | undefined>("llm-orchestrator/PgExecutor/InTransaction", {
  defaultValue: () => undefined
})

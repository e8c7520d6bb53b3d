/**
 * The tables of the server and its credentials, in the database of the run store (SQLite or Postgres): API keys
 * (`llmo_api_keys`), the audit log (`llmo_audit`, append-only) and registered YAML/JSON workflows
 * (`llmo_workflows`). Created by effect's `Migrator` with a migrations table of their own
 * (`llmo_server_migrations`), so they never interfere with the run store's migrations.
 *
 * @example
 * ```ts
 * import { Tables } from "llm-orchestrator/auth"
 * yield* Tables.migrate // idempotent
 * ```
 */
import { Effect } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"

const migrations = Migrator.fromRecord({
  "1_create_api_keys": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const time = sql.onDialectOrElse({ pg: () => sql.literal("DOUBLE PRECISION"), orElse: () => sql.literal("REAL") })
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_api_keys (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      role TEXT NOT NULL,
      workflows TEXT NOT NULL,
      salt TEXT NOT NULL,
      hash TEXT NOT NULL,
      created_at ${time} NOT NULL,
      expires_at ${time},
      revoked_at ${time}
    )`
  }),
  "2_create_audit_log": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const time = sql.onDialectOrElse({ pg: () => sql.literal("DOUBLE PRECISION"), orElse: () => sql.literal("REAL") })
    const serial = sql.onDialectOrElse({ pg: () => sql.literal("BIGSERIAL PRIMARY KEY"), orElse: () => sql.literal("INTEGER PRIMARY KEY AUTOINCREMENT") })
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_audit (
      seq ${serial},
      at ${time} NOT NULL,
      actor TEXT NOT NULL,
      actor_kind TEXT NOT NULL,
      role TEXT,
      action TEXT NOT NULL,
      target TEXT,
      request_id TEXT NOT NULL,
      outcome TEXT NOT NULL,
      status INTEGER NOT NULL,
      detail TEXT
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS llmo_audit_at ON llmo_audit (at)`
  }),
  "3_create_workflows": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const time = sql.onDialectOrElse({ pg: () => sql.literal("DOUBLE PRECISION"), orElse: () => sql.literal("REAL") })
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_workflows (
      name TEXT PRIMARY KEY,
      format TEXT NOT NULL,
      source TEXT NOT NULL,
      registered_at ${time} NOT NULL,
      registered_by TEXT NOT NULL
    )`
  })
})

/**
 * Creates the server's tables (keys, audit log, registered workflows) in the database of the `SqlClient` in context;
 * idempotent. Its own migrations table (`llmo_server_migrations`) keeps it apart from the run store's.
 *
 * @example
 * ```ts
 * yield* Tables.migrate
 * ```
 */
export const migrate: Effect.Effect<void, Migrator.MigrationError | SqlError, SqlClient.SqlClient> = Migrator.make({})({
  loader: migrations,
  table: "llmo_server_migrations"
}).pipe(Effect.asVoid)

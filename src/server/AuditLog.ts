/**
 * The audit log: every mutating request (who, with which role, what, on what, the request id, the outcome and HTTP
 * status, when), every refused one, and every run's start and end. Append-only by construction: the service has
 * `append` and `list` and nothing else, so no endpoint (and no code path) can alter or delete an entry. Entries never
 * hold a credential: the actor is a key id or a token subject.
 *
 * In memory (tests) or in the run store's database (`llmo_audit`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuditLog } from "llm-orchestrator/server"
 * const recent = Effect.flatMap(AuditLog.AuditLog, (log) => log.list({ action: "runs.start", limit: 20 }))
 * ```
 */
import { Clock, Context, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { migrate } from "../auth/Tables.ts"
import type { Actor, AuditEntry } from "./Model.ts"

/**
 * What is appended (the log numbers it).
 *
 * @example
 * ```ts
 * const e: AuditLog.NewEntry = { actor, action: "keys.revoke", target: "key:0123456789ab", requestId, outcome: "ok", status: 200 }
 * ```
 */
export interface NewEntry {
  readonly at?: number | undefined
  readonly actor: Actor
  readonly action: string
  readonly target?: string | undefined
  readonly requestId: string
  readonly outcome: AuditEntry["outcome"]
  readonly status: number
  readonly detail?: string | undefined
}

/**
 * Filters of `list` (oldest first, after `after`).
 *
 * @example
 * ```ts
 * log.list({ actor: "key:0123456789ab", since: Date.now() - 3_600_000 })
 * ```
 */
export interface Filter {
  readonly action?: string | undefined
  /** `kind:id`, e.g. `key:0123456789ab`, `jwt:alice`. */
  readonly actor?: string | undefined
  readonly since?: number | undefined
  /** What was acted on, e.g. `run:run-1`. */
  readonly target?: string | undefined
  /** Entries after this sequence number. */
  readonly after?: number | undefined
  readonly limit?: number | undefined
}

/**
 * The log could not be read or written.
 *
 * @example
 * ```ts
 * Effect.catchTag("AuditLogError", (e) => Console.error(e.message))
 * ```
 */
export class AuditLogError extends Schema.TaggedError<AuditLogError>()("AuditLogError", {
  operation: Schema.String,
  message: Schema.String
}) {}

/**
 * What the log does: append and read, nothing else.
 *
 * @example
 * ```ts
 * yield* log.append(entry)
 * ```
 */
export interface AuditLogShape {
  readonly append: (entry: NewEntry) => Effect.Effect<void, AuditLogError>
  readonly list: (filter?: Filter) => Effect.Effect<ReadonlyArray<AuditEntry>, AuditLogError>
}

/**
 * The service.
 *
 * @example
 * ```ts
 * const log = yield* AuditLog.AuditLog
 * ```
 */
export class AuditLog extends Context.Service<AuditLog, AuditLogShape>()("llm-orchestrator/server/AuditLog") {}

const matches = (e: AuditEntry, f: Filter) =>
  (f.action === undefined || e.action === f.action) &&
  (f.actor === undefined || `${e.actor.kind}:${e.actor.id}` === f.actor) &&
  (f.since === undefined || e.at >= f.since) &&
  (f.target === undefined || e.target === f.target) &&
  (f.after === undefined || e.seq > f.after)

const complete = (entry: NewEntry, seq: number, at: number): AuditEntry => ({
  seq,
  at: entry.at ?? at,
  actor: entry.actor,
  action: entry.action,
  ...(entry.target !== undefined ? { target: entry.target } : {}),
  requestId: entry.requestId,
  outcome: entry.outcome,
  status: entry.status,
  ...(entry.detail !== undefined ? { detail: entry.detail } : {})
})

/**
 * A log in memory.
 *
 * @example
 * ```ts
 * const log = AuditLog.makeMemory()
 * ```
 */
export const makeMemory = (): AuditLogShape => {
  const entries: Array<AuditEntry> = []
  return {
    append: (entry) => Effect.map(Clock.currentTimeMillis, (at) => void entries.push(Object.freeze(complete(entry, entries.length + 1, at)))),
    list: (filter = {}) => Effect.sync(() => entries.filter((e) => matches(e, filter)).slice(0, filter.limit ?? 100))
  }
}

/**
 * {@link makeMemory} as a layer.
 *
 * @example
 * ```ts
 * Layer.provide(AuditLog.layerMemory)
 * ```
 */
export const layerMemory: Layer.Layer<AuditLog> = Layer.sync(AuditLog, makeMemory)

interface Row {
  readonly seq: number
  readonly at: number
  readonly actor: string
  readonly actor_kind: string
  readonly role: string | null
  readonly action: string
  readonly target: string | null
  readonly request_id: string
  readonly outcome: string
  readonly status: number
  readonly detail: string | null
}

const fromRow = (r: Row): AuditEntry => {
  const actor = JSON.parse(r.actor) as Actor
  return {
    seq: Number(r.seq),
    at: Number(r.at),
    actor,
    action: r.action,
    ...(r.target !== null ? { target: r.target } : {}),
    requestId: r.request_id,
    outcome: r.outcome as AuditEntry["outcome"],
    status: Number(r.status),
    ...(r.detail !== null ? { detail: r.detail } : {})
  }
}

/**
 * A log on the `SqlClient` in context (tables created first).
 *
 * @example
 * ```ts
 * const log = yield* AuditLog.makeSql
 * ```
 */
export const makeSql: Effect.Effect<AuditLogShape, AuditLogError, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* Effect.mapError(migrate, (e) => new AuditLogError({ operation: "migrate", message: e.message }))
  const failed = (operation: string) => (e: { readonly message: string }) => new AuditLogError({ operation, message: e.message })
  return {
    append: (entry) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        sql`INSERT INTO llmo_audit (at, actor, actor_kind, role, action, target, request_id, outcome, status, detail) VALUES (
          ${entry.at ?? now}, ${JSON.stringify(entry.actor)}, ${`${entry.actor.kind}:${entry.actor.id}`}, ${entry.actor.role ?? null},
          ${entry.action}, ${entry.target ?? null}, ${entry.requestId}, ${entry.outcome}, ${entry.status}, ${entry.detail ?? null}
        )`).pipe(Effect.asVoid, Effect.mapError(failed("append"))),
    list: (filter = {}) =>
      sql<Row>`SELECT * FROM llmo_audit WHERE ${
        sql.and([
          filter.action === undefined ? sql`1 = 1` : sql`action = ${filter.action}`,
          filter.actor === undefined ? sql`1 = 1` : sql`actor_kind = ${filter.actor}`,
          filter.since === undefined ? sql`1 = 1` : sql`at >= ${filter.since}`,
          filter.target === undefined ? sql`1 = 1` : sql`target = ${filter.target}`,
          filter.after === undefined ? sql`1 = 1` : sql`seq > ${filter.after}`
        ])
      } ORDER BY seq LIMIT ${filter.limit ?? 100}`.pipe(Effect.map((rows) => rows.map(fromRow)), Effect.mapError(failed("list")))
  }
})

/**
 * {@link makeSql} as a layer.
 *
 * @example
 * ```ts
 * AuditLog.layerSql.pipe(Layer.provide(sqlClientLayer))
 * ```
 */
export const layerSql: Layer.Layer<AuditLog, AuditLogError, SqlClient.SqlClient> = Layer.effect(AuditLog, makeSql)

/**
 * Deletes the entries of `llmo_audit` older than `before` (retention: the log is append-only for every endpoint and
 * code path; only the retention schedule ages entries out). The number deleted.
 *
 * @example
 * ```ts
 * const n = yield* AuditLog.expireSql(Date.now() - 365 * 86_400_000)
 * ```
 */
export const expireSql = (before: number): Effect.Effect<number, AuditLogError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ seq: number }>`DELETE FROM llmo_audit WHERE at < ${before} RETURNING seq`
    return rows.length
  }).pipe(Effect.mapError((e) => new AuditLogError({ operation: "expire", message: e.message })))

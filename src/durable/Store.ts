/**
 * Where durable runs are kept, as users write it (`--store`, `LLM_ORCHESTRATOR_STORE`): `memory` (nothing survives
 * the process; tests), `sqlite:PATH` (an embedded file, the CLI's default `.llm-orchestrator/runs.db`), or a Postgres
 * URL `postgres://user@host:5432/db` (production, and several processes on one store).
 *
 * Opening a store checks that it answers, with a few quick retries, and fails with `StoreUnavailable` naming the store
 * and the reason (a file that is not a database, a lock held too long, a server that refuses connections).
 *
 * @example
 * ```ts
 * import { Store } from "llm-orchestrator/durable"
 * Store.parse("sqlite:.llm-orchestrator/runs.db") // { _tag: "sqlite", filename: ".llm-orchestrator/runs.db" }
 * ```
 */
import { Cause, Effect, Layer, Redacted, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import * as SqliteClient from "../store/SqliteClient.ts"
import { StoreUnavailable } from "./errors.ts"

/**
 * A store as configured.
 *
 * @example
 * ```ts
 * const spec: Store.Spec = { _tag: "postgres", url: "postgres://postgres@127.0.0.1:5432/runs" }
 * ```
 */
export type Spec =
  | { readonly _tag: "memory" }
  | {
    readonly _tag: "sqlite"
    readonly filename: string
    readonly synchronous?: "NORMAL" | "FULL" | undefined
    /** How long to wait for another process's lock before failing (5 s). */
    readonly busyTimeoutMillis?: number | undefined
    /** Called with every statement executed (tests and benchmarks count them). */
    readonly onStatement?: ((sql: string) => void) | undefined
  }
  | { readonly _tag: "postgres"; readonly url: string }

/**
 * The default store of the CLI: `.llm-orchestrator/runs.db` under the working directory.
 *
 * @example
 * ```ts
 * Store.defaultSpec("/srv/app") // { _tag: "sqlite", filename: "/srv/app/.llm-orchestrator/runs.db" }
 * ```
 */
export const defaultSpec = (cwd: string): Spec => ({ _tag: "sqlite", filename: `${cwd.replace(/\/$/, "")}/.llm-orchestrator/runs.db` })

/**
 * Reads a store from its written form; undefined when it is none of the three.
 *
 * @example
 * ```ts
 * Store.parse("memory") // { _tag: "memory" }
 * Store.parse("runs.db") // { _tag: "sqlite", filename: "runs.db" }
 * ```
 */
export const parse = (text: string): Spec | undefined => {
  const t = text.trim()
  if (t === "memory") return { _tag: "memory" }
  if (/^postgres(ql)?:\/\//.test(t)) return { _tag: "postgres", url: t }
  if (t.startsWith("sqlite:")) return t.length > "sqlite:".length ? { _tag: "sqlite", filename: t.slice("sqlite:".length) } : undefined
  if (/\.(db|sqlite|sqlite3)$/.test(t)) return { _tag: "sqlite", filename: t }
  return undefined
}

/**
 * The store as it may be printed: a Postgres password is masked.
 *
 * @example
 * ```ts
 * Store.show({ _tag: "postgres", url: "postgres://u:secret@h/db" }) // "postgres://u:***@h/db"
 * ```
 */
export const show = (spec: Spec): string => {
  switch (spec._tag) {
    case "memory":
      return "memory"
    case "sqlite":
      return `sqlite:${spec.filename}`
    case "postgres":
      return spec.url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, "$1:***@")
  }
}

const reasonOf = (error: unknown): string => {
  const e = error as { message?: unknown; reason?: { cause?: { code?: unknown; message?: unknown } } }
  const cause = e.reason?.cause
  const code = typeof cause?.code === "string" ? ` (${cause.code})` : ""
  const inner = typeof cause?.message === "string" ? `: ${cause.message}` : ""
  return `${typeof e.message === "string" ? e.message : String(error)}${inner}${code}`
}

/**
 * A `SqlClient` for a SQLite or Postgres store, checked to answer (`SELECT 1`, retried 4 times over about 3 s); a
 * store that does not answer fails with `StoreUnavailable`.
 *
 * @example
 * ```ts
 * const sql = Store.sqlLayer({ _tag: "sqlite", filename: "runs.db" })
 * ```
 */
export const sqlLayer = (spec: Exclude<Spec, { readonly _tag: "memory" }>): Layer.Layer<SqlClient.SqlClient, StoreUnavailable> => {
  const shown = show(spec)
  const client: Layer.Layer<SqlClient.SqlClient, unknown> = spec._tag === "sqlite"
    ? SqliteClient.layer({ filename: spec.filename, synchronous: spec.synchronous, busyTimeoutMillis: spec.busyTimeoutMillis, onStatement: spec.onStatement })
    // The Postgres client (and its driver) is loaded with the first Postgres store: a SQLite process never loads it.
    : Layer.unwrap(Effect.map(
      Effect.promise(() => import("@effect/sql-pg/PgClient")),
      (PgClient) => PgClient.layer({ url: Redacted.make(spec.url), connectTimeout: "3 seconds", applicationName: "llm-orchestrator" })
    ))
  const probe = Layer.effectDiscard(
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1`).pipe(
      Effect.retry({ times: 4, schedule: Schedule.exponential("200 millis") }),
      Effect.mapError((error) => new StoreUnavailable({ store: shown, message: `Store ${shown} does not answer: ${reasonOf(error)}` }))
    )
  )
  return probe.pipe(
    Layer.provideMerge(client),
    Layer.catchCause((cause) => {
      const error = Cause.squash(cause)
      return Layer.effect(
        SqlClient.SqlClient,
        Effect.fail(error instanceof StoreUnavailable ? error : new StoreUnavailable({ store: shown, message: (error as { message?: string }).message ?? String(error) }))
      )
    })
  )
}

/**
 * Which workers are alive on a store: the rows of effect/cluster's runner table (`cluster_runners`) that are healthy
 * and whose heartbeat (renewed every lock refresh) is recent. A process that opens a Postgres store uses it to decide
 * between the single-process runner and a client of the workers: two engines on one store would run the same steps
 * twice.
 *
 * @example
 * ```ts
 * import { Workers } from "llm-orchestrator/cluster"
 * const addresses = yield* Workers.alive() // ["10.0.0.7:34431", "10.0.0.8:34431"]
 * ```
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The addresses of the live workers (none when no cluster ever ran on this database, or the store is not Postgres).
 *
 * @example
 * ```ts
 * const live = yield* Workers.alive({ withinSeconds: 30 })
 * ```
 */
export const alive = (options: { readonly withinSeconds?: number | undefined } = {}): Effect.Effect<ReadonlyArray<string>, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const within = Math.max(1, Math.round(options.withinSeconds ?? 30))
    const rows = yield* sql.onDialectOrElse({
      pg: () =>
        Effect.flatMap(sql<{ present: boolean }>`SELECT to_regclass('cluster_runners') IS NOT NULL AS present`, ([row]) =>
          row?.present === true
            ? sql<{ address: string }>`SELECT address FROM cluster_runners WHERE healthy AND last_heartbeat > now() - make_interval(secs => ${within}) ORDER BY address`
            : Effect.succeed([] as ReadonlyArray<{ address: string }>)),
      orElse: () => Effect.succeed([] as ReadonlyArray<{ address: string }>)
    })
    return rows.map((r) => String(r.address))
  }).pipe(
    // No runner table: no cluster ever ran here.
    Effect.catchCause(() => Effect.succeed([]))
  )

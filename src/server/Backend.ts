/**
 * The services the server stands on, opened from one store: API keys, the audit log, registered workflows and runs.
 * `memory` keeps everything in the process (tests, trying it out); a Postgres URL keeps keys, audit log and
 * workflows in that database, shared with the CLI's `keys` command.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Backend, Server } from "llm-orchestrator/server"
 * Layer.launch(Server.layer({ port: 8080 }).pipe(Layer.provide(Backend.layer({ store: "postgres://postgres@127.0.0.1:5432/app" }))))
 * ```
 */
import { PgClient } from "@effect/sql-pg"
import { Cause, Effect, Layer, Redacted, Schema } from "effect"
import { SqlClient } from "effect/sql"
import * as KeyStore from "../auth/KeyStore.ts"
import * as AuditLog from "./AuditLog.ts"
import * as LocalRunService from "./LocalRunService.ts"
import type { RunService } from "./RunService.ts"
import * as WorkflowRegistry from "./WorkflowRegistry.ts"

/**
 * The store could not be opened.
 *
 * @example
 * ```ts
 * Effect.catchTag("BackendUnavailable", (e) => Console.error(e.message))
 * ```
 */
export class BackendUnavailable extends Schema.TaggedError<BackendUnavailable>()("BackendUnavailable", {
  store: Schema.String,
  message: Schema.String
}) {}

/**
 * Options: the store, and how registered workflows are validated.
 *
 * @example
 * ```ts
 * Backend.layer({ store: "memory", registry: { analyze: { providers: { llm: ["local"], embeddings: [] } } } })
 * ```
 */
export interface Options {
  readonly store: string
  readonly registry?: Omit<WorkflowRegistry.Options, "storage"> | undefined
  readonly onProblem?: ((message: string) => void) | undefined
}

/** A layer that fails with `error` when built. */
const failing = <A>(error: BackendUnavailable): Layer.Layer<A, BackendUnavailable> =>
  Layer.effectDiscard(Effect.fail(error)) as unknown as Layer.Layer<A, BackendUnavailable>

/**
 * The store as it may be printed (a Postgres password masked).
 *
 * @example
 * ```ts
 * Backend.show("postgres://u:secret@h/db") // "postgres://u:***@h/db"
 * ```
 */
export const show = (store: string): string => store.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, "$1:***@")

/**
 * The SQL client of a Postgres store, checked to answer.
 *
 * @example
 * ```ts
 * Backend.sqlLayer("postgres://postgres@127.0.0.1:5432/app")
 * ```
 */
export const sqlLayer = (store: string): Layer.Layer<SqlClient.SqlClient, BackendUnavailable> =>
  (Layer.effectDiscard(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1`)).pipe(
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(store), connectTimeout: "3 seconds", applicationName: "llm-orchestrator-server" })),
    Layer.catchCause((cause) => {
      const e = Cause.squash(cause) as { message?: unknown }
      return failing<SqlClient.SqlClient>(new BackendUnavailable({ store: show(store), message: `Store ${show(store)} does not answer: ${String(e?.message ?? e)}` }))
    })
  ) as Layer.Layer<SqlClient.SqlClient, BackendUnavailable>)

/**
 * Keys, audit log, registry and runs on `options.store`.
 *
 * @example
 * ```ts
 * Server.layer(options).pipe(Layer.provide(Backend.layer({ store: "memory" })))
 * ```
 */
export const layer = (options: Options): Layer.Layer<KeyStore.KeyStore | AuditLog.AuditLog | WorkflowRegistry.WorkflowRegistry | RunService, BackendUnavailable> => {
  const store = options.store.trim()
  const fail = (message: string) => new BackendUnavailable({ store: show(store), message })
  if (store === "memory") {
    return Layer.mergeAll(
      KeyStore.layerMemory,
      AuditLog.layerMemory,
      WorkflowRegistry.layer({ ...options.registry, storage: WorkflowRegistry.storageMemory() }).pipe(Layer.catchTag("RegistryError", (e) => failing(fail(e.message)))),
      LocalRunService.layer
    )
  }
  if (/^postgres(ql)?:\/\//.test(store)) {
    const registry = Layer.effect(
      WorkflowRegistry.WorkflowRegistry,
      Effect.flatMap(WorkflowRegistry.storageSql, (storage) => WorkflowRegistry.make({ ...options.registry, storage, onProblem: options.onProblem }))
    )
    const onSql = Layer.mergeAll(KeyStore.layerSql, AuditLog.layerSql, registry).pipe(
      Layer.catchCause((cause) => {
        const e = Cause.squash(cause) as { message?: unknown }
        return failing<KeyStore.KeyStore | AuditLog.AuditLog | WorkflowRegistry.WorkflowRegistry>(e instanceof BackendUnavailable ? e : fail(String(e?.message ?? e)))
      }),
      Layer.provide(sqlLayer(store))
    )
    return Layer.merge(onSql, LocalRunService.layer) as Layer.Layer<KeyStore.KeyStore | AuditLog.AuditLog | WorkflowRegistry.WorkflowRegistry | RunService, BackendUnavailable>
  }
  return failing<KeyStore.KeyStore | AuditLog.AuditLog | WorkflowRegistry.WorkflowRegistry | RunService>(fail(`Unknown store '${store}': use memory or postgres://user@host:port/db`))
}

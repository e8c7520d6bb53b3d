/**
 * The run store service (see `RunStoreShape.ts` for what a store keeps and does) and its layers: in memory, or SQL on
 * the `SqlClient` in context (SQLite through `SqliteClient`, Postgres through `@effect/sql-pg`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RunStore } from "llm-orchestrator/store"
 *
 * const failedToday = Effect.gen(function*() {
 *   const store = yield* RunStore.RunStore
 *   return yield* store.listRuns({ status: "failed", since: Date.now() - 86_400_000 })
 * }).pipe(Effect.provide(RunStore.layerMemory))
 * ```
 */
import { Context, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import { makeMemory } from "./MemoryRunStore.ts"
import type { RunStoreError, RunStoreShape } from "./RunStoreShape.ts"
import { makeSql } from "./SqlRunStore.ts"

export * from "./RunStoreShape.ts"

/**
 * The run store service.
 *
 * @example
 * ```ts
 * const store = yield* RunStore.RunStore
 * ```
 */
export class RunStore extends Context.Service<RunStore, RunStoreShape>()("llm-orchestrator/RunStore") {
  /** A fresh in-memory store (tests, `--store memory`). */
  static readonly layerMemory: Layer.Layer<RunStore> = Layer.sync(RunStore, makeMemory)
  /** The SQL store on the `SqlClient` in context (SQLite or Postgres); creates or migrates its tables. */
  static readonly layerSql: Layer.Layer<RunStore, RunStoreError, SqlClient.SqlClient> = Layer.effect(RunStore, makeSql)
}

/**
 * The in-memory store as a Layer.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(RunStore.layerMemory))
 * ```
 */
export const layerMemory = RunStore.layerMemory

/**
 * The SQL store as a Layer (needs a `SqlClient`: `SqliteClient.layer(...)` or `PgClient.layer(...)`).
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(RunStore.layerSql), Effect.provide(SqliteClient.layer({ filename: "runs.db" })))
 * ```
 */
export const layerSql = RunStore.layerSql

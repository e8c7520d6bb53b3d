/**
 * Stores of durable runs: the run index (`RunStore`, in memory or on SQL), the run state machine (`RunStatus`) and
 * the embedded SQLite client (`SqliteClient`, on Node's built-in `node:sqlite`).
 *
 * @example
 * ```ts
 * import { RunStore, SqliteClient } from "llm-orchestrator/store"
 * const layer = RunStore.layerSql.pipe(Layer.provide(SqliteClient.layer({ filename: ".llm-orchestrator/runs.db" })))
 * ```
 */
export * as RunStatus from "./RunStatus.ts"
export * as RunStore from "./RunStore.ts"
export * as SqliteClient from "./SqliteClient.ts"

/**
 * Scale-out: durable runs on several worker processes (effect/cluster on Postgres). Workers host the registered
 * workflows; submitters join as clients; `DurableRuns` is the same service either way. See docs/scale-out.md.
 *
 * @example
 * ```ts
 * import { ClusterRuns } from "llm-orchestrator/cluster"
 * const layer = ClusterRuns.layerWorker({ store: "postgres://app@db:5432/runs", address: "10.0.0.7:34431" })
 * ```
 */
export * as ClusterEngine from "./ClusterEngine.ts"
export * as ClusterRuns from "./ClusterRuns.ts"
export { ClusterSettingsInvalid } from "./errors.ts"
export * as HealthServer from "./HealthServer.ts"
export * as Settings from "./Settings.ts"
export * as Workers from "./Workers.ts"

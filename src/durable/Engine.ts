/**
 * The workflow engine of durable runs: effect/workflow's `ClusterWorkflowEngine` on a single runner (this process
 * owns every shard; no runner-to-runner transport), with its message storage in the run store's database (SQL) or in
 * memory. The sharding configuration is given here in full instead of read from the environment, because effect's
 * `layerFromEnv` reads un-prefixed variables such as `PORT` and `HOST`.
 *
 * Scale-out (several runners on Postgres, issue 15) swaps this layer for effect/cluster's socket runners; everything
 * above it (the journal, the run workflow, `DurableRuns`) stays.
 */
import { Duration, Layer } from "effect"
import { ClusterWorkflowEngine, MessageStorage, RunnerHealth, Runners, RunnerStorage, Sharding, ShardingConfig, SqlMessageStorage } from "effect/cluster"
import * as Digest from "effect/crypto/Digest"
import type { SqlClient } from "effect/sql"
import type { WorkflowEngine } from "effect/workflow"
import * as FastDigest from "./FastDigest.ts"

/**
 * Timing of the engine.
 *
 * @example
 * ```ts
 * const options: EngineOptions = { pollInterval: "250 millis", terminationTimeout: "30 seconds" }
 * ```
 */
export interface EngineOptions {
  /**
   * How often the engine reads its storage for messages it was not told about (work persisted by another process,
   * durable timers). Work submitted in this process is delivered at once.
   */
  readonly pollInterval: Duration.Input
  /** How long shutting down waits for the units in flight to finish (the grace period). */
  readonly terminationTimeout: Duration.Input
}

const config = (options: EngineOptions) =>
  ShardingConfig.layer({
    entityMessagePollInterval: Duration.fromInputUnsafe(options.pollInterval),
    entityTerminationTimeout: Duration.fromInputUnsafe(options.terminationTimeout),
    // Workflows are resident while they run; an idle one is evicted and replayed when woken.
    entityMaxIdleTime: Duration.minutes(1)
  })

const single = <S extends MessageStorage.MessageStorage, R>(storage: Layer.Layer<S, never, ShardingConfig.ShardingConfig | R>, options: EngineOptions) =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(
      Sharding.layer.pipe(
        Layer.provideMerge(Runners.layerNoop),
        Layer.provideMerge(storage),
        Layer.provide([RunnerStorage.layerMemory, RunnerHealth.layerNoop])
      )
    ),
    Layer.provide(config(options)),
    // Execution ids and idempotency keys hashed on this thread (see FastDigest); the workflows' handlers get it too.
    Layer.provideMerge(FastDigest.layer)
  )

/**
 * The engine with its messages in the SQL database of the `SqlClient` in context.
 *
 * @example
 * ```ts
 * const engine = Engine.layerSql({ pollInterval: "250 millis", terminationTimeout: "30 seconds" })
 * ```
 */
export const layerSql = (options: EngineOptions): Layer.Layer<WorkflowEngine.WorkflowEngine | Sharding.Sharding | MessageStorage.MessageStorage, never, SqlClient.SqlClient> =>
  single(SqlMessageStorage.layer.pipe(Layer.provide(Digest.layerWebCrypto)), options)

/**
 * The engine with its messages in memory (tests; nothing survives the process).
 *
 * @example
 * ```ts
 * const engine = Engine.layerMemory({ pollInterval: "250 millis", terminationTimeout: "5 seconds" })
 * ```
 */
export const layerMemory = (options: EngineOptions): Layer.Layer<WorkflowEngine.WorkflowEngine | Sharding.Sharding | MessageStorage.MessageStorage> =>
  single(MessageStorage.layerMemory, options)

/**
 * Rate limits shared by every process that uses one Redis: effect's `RateLimiter` store on Redis (atomic Lua token
 * buckets). `Reliability.make` (and so `Reliability.layer`, `layerLlm`, the pipeline's providers) counts in the
 * store of its context when there is one, so the same policy limits all workers together.
 *
 * What is shared: the buckets (requests and tokens per minute, per provider) and the queue of the calls waiting for
 * them, in priority order (`SharedPriorityLane`: a high-priority call on one worker goes before a low-priority call
 * on another). What stays per process: circuit breakers and concurrency limits.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Reliability } from "llm-orchestrator/reliability"
 * import { SharedLimits } from "llm-orchestrator/shared-state"
 * const policy = Reliability.policy({ rateLimit: { requestsPerMinute: 60, burst: 1 / 60 } })
 * const openai = Reliability.layerLlm(policy, "openai", OpenAi.layer(options)).pipe(
 *   Layer.provide(SharedLimits.layer({ url: "redis://127.0.0.1:6379", prefix: "prod:limits:" }))
 * )
 * ```
 */
import { Layer } from "effect"
import { RateLimiter } from "effect/persistence"
import type * as Redis from "effect/persistence/Redis"
import type { PriorityLanes } from "../reliability/PriorityLanes.ts"
import * as RedisConnection from "./RedisConnection.ts"
import * as SharedPriorityLane from "./SharedPriorityLane.ts"

/**
 * Options of the shared limits.
 *
 * @example
 * ```ts
 * const options: SharedLimits.Options = { prefix: "prod:limits:", priorities: "shared" }
 * ```
 */
export interface Options {
  /** Key prefix of the buckets and queues (default `llmo:limits:`). */
  readonly prefix?: string | undefined
  /**
   * `shared` (default): calls waiting for a limit queue in Redis, in priority order across the workers (two more
   * round trips per call). `per-worker`: each worker orders its own calls and the workers share the bucket first
   * come, first served (one round trip per call).
   */
  readonly priorities?: "shared" | "per-worker" | undefined
}

/** The default key prefix of the buckets (`<prefix><provider>:requests`, `<prefix><provider>:tokens`). */
export const defaultPrefix = "llmo:limits:"

/**
 * The rate-limit store on the `Redis` service of the context.
 *
 * @example
 * ```ts
 * const store = SharedLimits.layerRedis({ prefix: "staging:limits:" }).pipe(Layer.provide(RedisConnection.layer({ url })))
 * ```
 */
export const layerRedis = (options: Options = {}): Layer.Layer<RateLimiter.RateLimiterStore | PriorityLanes, never, Redis.Redis> => {
  const prefix = options.prefix ?? defaultPrefix
  const store = RateLimiter.layerStoreRedis({ prefix })
  return options.priorities === "per-worker"
    ? store as Layer.Layer<RateLimiter.RateLimiterStore | PriorityLanes, never, Redis.Redis>
    : Layer.merge(store, SharedPriorityLane.layer({ prefix }))
}

/**
 * The rate-limit store on a Redis of its own (connected for the layer's lifetime).
 *
 * @example
 * ```ts
 * const store = SharedLimits.layer({ url: "redis://127.0.0.1:6379" })
 * ```
 */
export const layer = (
  options: RedisConnection.Options & Options
): Layer.Layer<RateLimiter.RateLimiterStore | PriorityLanes, Redis.RedisError> => layerRedis(options).pipe(Layer.provide(RedisConnection.layer(options)))

/**
 * Rate limits shared by every process that uses one Redis: effect's `RateLimiter` store on Redis (atomic Lua token
 * buckets). `Reliability.make` (and so `Reliability.layer`, `layerLlm`, the pipeline's providers) counts in the
 * store of its context when there is one, so the same policy limits all workers together.
 *
 * What is shared: the buckets (requests and tokens per minute, per provider). What stays per process: the order in
 * which waiting calls take their turn (priorities), circuit breakers and concurrency limits.
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
import * as RedisConnection from "./RedisConnection.ts"

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
export const layerRedis = (options: { readonly prefix?: string | undefined } = {}): Layer.Layer<RateLimiter.RateLimiterStore, never, Redis.Redis> =>
  RateLimiter.layerStoreRedis({ prefix: options.prefix ?? defaultPrefix })

/**
 * The rate-limit store on a Redis of its own (connected for the layer's lifetime).
 *
 * @example
 * ```ts
 * const store = SharedLimits.layer({ url: "redis://127.0.0.1:6379" })
 * ```
 */
export const layer = (
  options: RedisConnection.Options & { readonly prefix?: string | undefined }
): Layer.Layer<RateLimiter.RateLimiterStore, Redis.RedisError> => layerRedis(options).pipe(Layer.provide(RedisConnection.layer(options)))

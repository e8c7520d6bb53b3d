/**
 * State shared by the workers of one deployment through Redis: rate limits per provider, the response cache, and
 * the Redis connection they use. Circuit breakers stay per worker (see docs/reliability.md).
 *
 * @example
 * ```ts
 * import { RedisConnection, SharedLimits } from "llm-orchestrator/shared-state"
 * const limits = SharedLimits.layer({ url: "redis://127.0.0.1:6379" })
 * ```
 */
export * as RedisConnection from "./RedisConnection.ts"
export * as SharedLimits from "./SharedLimits.ts"
export * as SharedCache from "./SharedCache.ts"
export * as SharedPriorityLane from "./SharedPriorityLane.ts"

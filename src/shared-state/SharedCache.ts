/**
 * The response cache in Redis, shared by every worker: `SharedCache.layer` provides the `ResponseCache.StorageFactory`
 * that every `ResponseCache.make` of its context uses (the YAML steps' `cache:` included), so an answer one worker
 * paid for is a hit in the others. Memory stays the default when this layer is absent.
 *
 * Each cache keeps its entries under `<prefix><name>:e:<key>` (the value as JSON, expiring after the cache's TTL)
 * and a sorted set `<prefix><name>:lru` of keys by last use; storing an entry evicts the least recently used ones past
 * the cache's capacity, atomically (one Lua script). Values must survive JSON: `wrapLanguageModel` stores responses
 * as their parts and structured outputs in their Schema's encoded form; `cached(...)` around your own effect needs a
 * JSON value. A Redis that is unreachable makes the cache miss (and the call go through), never fail the call.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { SharedCache } from "llm-orchestrator/shared-state"
 * const program = Workflow.run(wf, input).pipe(
 *   Effect.provide(SharedCache.layer({ url: "redis://127.0.0.1:6379", prefix: "prod:cache:" }))
 * )
 * ```
 */
import { Effect, Layer, Option } from "effect"
import { Redis } from "effect/persistence"
import { type Storage, StorageFactory } from "../reliability/ResponseCache.ts"
import * as RedisConnection from "./RedisConnection.ts"

/** The default key prefix of cache entries. */
export const defaultPrefix = "llmo:cache:"

// KEYS: entry, index; ARGV: value, ttl millis (or "inf"), now millis, capacity, entry key prefix
const setScript = `
if ARGV[2] == "inf" then redis.call("SET", KEYS[1], ARGV[1]) else redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2]) end
redis.call("ZADD", KEYS[2], ARGV[3], KEYS[1])
if ARGV[2] ~= "inf" then redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", "(" .. (tonumber(ARGV[3]) - tonumber(ARGV[2]))) end
local excess = redis.call("ZCARD", KEYS[2]) - tonumber(ARGV[4])
if excess > 0 then
  local old = redis.call("ZPOPMIN", KEYS[2], excess)
  for i = 1, #old, 2 do redis.call("DEL", old[i]) end
end
return 1
`

/**
 * The storage of one cache on the `Redis` service `redis`.
 *
 * @example
 * ```ts
 * const storage = SharedCache.storage(redis, "llmo:cache:")("answers", 1000)
 * ```
 */
export const storage = (redis: Redis.Redis["Service"], prefix: string = defaultPrefix) => (name: string, capacity: number): Storage => {
  const base = `${prefix}${name}:`
  const index = `${base}lru`
  const entry = (k: string) => `${base}e:${k}`
  const warn = (what: string) => (e: Redis.RedisError) =>
    Effect.logWarning(`response cache ${name}: ${what} failed (${e.cause instanceof Error ? e.cause.message : String(e.cause)})`)
  return {
    serializes: true,
    get: (k) =>
      redis.send<string | null>("GET", entry(k)).pipe(
        Effect.flatMap((text) =>
          text === null
            ? Effect.succeed(Option.none())
            : Effect.as(redis.send("ZADD", index, "XX", String(Date.now()), entry(k)), Option.some(JSON.parse(text) as unknown))
        ),
        Effect.catchTag("RedisError", (e) => Effect.as(warn("a read")(e), Option.none()))
      ),
    set: (k, value, ttlMillis) =>
      Effect.suspend(() => {
        const text = JSON.stringify(value)
        if (text === undefined) return Effect.void
        const ttl = Number.isFinite(ttlMillis) ? String(Math.max(1, Math.round(ttlMillis))) : "inf"
        return redis.send("EVAL", setScript, "2", entry(k), index, text, ttl, String(Date.now()), String(capacity)).pipe(
          Effect.asVoid,
          Effect.catchTag("RedisError", warn("a write"))
        )
      }),
    size: redis.send<number>("ZCARD", index).pipe(Effect.map(Number), Effect.catchTag("RedisError", (e) => Effect.as(warn("size")(e), 0))),
    clear: Effect.gen(function*() {
      const keys = yield* redis.send<Array<string>>("ZRANGE", index, "0", "-1")
      for (let i = 0; i < keys.length; i += 500) yield* redis.send("DEL", ...keys.slice(i, i + 500))
      yield* redis.send("DEL", index)
    }).pipe(Effect.catchTag("RedisError", warn("clear")))
  }
}

/**
 * Every response cache of the context in Redis (the `Redis` service of the context).
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(SharedCache.layerRedis({ prefix: "staging:cache:" })), Effect.provide(RedisConnection.layer({ url })))
 * ```
 */
export const layerRedis = (options: { readonly prefix?: string | undefined } = {}): Layer.Layer<never, never, Redis.Redis> =>
  Layer.effect(StorageFactory, Effect.map(Effect.service(Redis.Redis), (redis) => storage(redis, options.prefix ?? defaultPrefix))) as Layer.Layer<never, never, Redis.Redis>

/**
 * Every response cache of the context in a Redis of its own (connected for the layer's lifetime).
 *
 * @example
 * ```ts
 * const cache = SharedCache.layer({ url: "redis://127.0.0.1:6379" })
 * ```
 */
export const layer = (options: RedisConnection.Options & { readonly prefix?: string | undefined }): Layer.Layer<never, Redis.RedisError> =>
  layerRedis(options).pipe(Layer.provide(RedisConnection.layer(options)))

/**
 * The Redis connection of the shared state (rate limits, response cache, stream triggers): effect's `Redis` service
 * over node-redis (`@effect/platform-node/NodeRedis`, the client effect maintains an integration for), from a URL
 * that may carry a password and is kept `Redacted`.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { RedisConnection } from "llm-orchestrator/shared-state"
 * const redis = RedisConnection.layer({ url: Redacted.make("redis://:secret@10.0.0.5:6379/0") })
 * ```
 */
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { type Layer, Redacted } from "effect"
import type * as Redis from "effect/persistence/Redis"

/**
 * Connection options: the URL (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS).
 *
 * @example
 * ```ts
 * const options: RedisConnection.Options = { url: "redis://127.0.0.1:6379", name: "llmo-worker-1" }
 * ```
 */
export interface Options {
  readonly url: string | Redacted.Redacted<string>
  /**
   * The name the connections give themselves (`CLIENT SETNAME`), shown by `CLIENT LIST`: lets an operator tell a
   * worker's connections apart, and close them (`CLIENT KILL ID …`) without touching anyone else's.
   */
  readonly name?: string | undefined
}

/** The URL with any password replaced by `***` (for logs and messages). */
export const printable = (url: string | Redacted.Redacted<string>): string => {
  const text = Redacted.isRedacted(url) ? Redacted.value(url) : url
  try {
    const u = new URL(text)
    if (u.password !== "") u.password = "***"
    return u.toString()
  } catch {
    return "(invalid Redis URL)"
  }
}

/**
 * effect's `Redis` service connected to `options.url` for the lifetime of the layer (the first connection failing
 * fails the layer with a `RedisError`; once up, node-redis reconnects with backoff).
 *
 * @example
 * ```ts
 * const redis = RedisConnection.layer({ url: "redis://127.0.0.1:6379" })
 * ```
 */
export const layer = (options: Options): Layer.Layer<Redis.Redis, Redis.RedisError> =>
  NodeRedis.layer({
    url: Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url,
    // reserved connections (blocking reads) are duplicates of the client and carry the same name
    ...(options.name === undefined ? {} : { name: options.name })
  })

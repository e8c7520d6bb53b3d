/**
 * The server's limits, as a plain value with documented defaults (`defaults`, overridden field by field):
 * request body size, requests per key per window (429 with `Retry-After` beyond it, through effect's `RateLimiter`),
 * request timeout, runs going at once per key (429 `too_many_runs` beyond it), and the longest `wait=true`.
 *
 * @example
 * ```ts
 * import { Limits } from "llm-orchestrator/server"
 * const limits = Limits.make({ requestsPerWindow: 120, maxConcurrentRuns: 10 })
 * limits.bodyBytes // 1048576 (the default)
 * ```
 */
import { Duration } from "effect"

/**
 * The limits.
 *
 * @example
 * ```ts
 * const l: Limits.Limits = Limits.defaults
 * ```
 */
export interface Limits {
  /** Largest request body in bytes (413 beyond). Default 1 MiB. */
  readonly bodyBytes: number
  /** Requests per key (or token subject) per `window`. Default 600. */
  readonly requestsPerWindow: number
  /** The rate window. Default 1 minute. */
  readonly window: Duration.Duration
  /** Longest a request may take to answer (the event stream excepted: it lasts as long as the run). Default 30 s. */
  readonly requestTimeout: Duration.Duration
  /** Runs of one key (or subject) going at once. Default 100. */
  readonly maxConcurrentRuns: number
  /** Longest `wait=true` holds a start request (then 202). Default: the request timeout. */
  readonly maxWait: Duration.Duration
}

/**
 * The defaults.
 *
 * @example
 * ```ts
 * Limits.defaults.requestsPerWindow // 600
 * ```
 */
export const defaults: Limits = {
  bodyBytes: 1024 * 1024,
  requestsPerWindow: 600,
  window: Duration.minutes(1),
  requestTimeout: Duration.seconds(30),
  maxConcurrentRuns: 100,
  maxWait: Duration.seconds(30)
}

/**
 * The defaults with some fields overridden (durations as `"30 seconds"`, millis or Durations).
 *
 * @example
 * ```ts
 * Limits.make({ requestTimeout: "10 seconds" }).maxWait // 10 seconds, following the timeout
 * ```
 */
export const make = (overrides: {
  readonly bodyBytes?: number | undefined
  readonly requestsPerWindow?: number | undefined
  readonly window?: Duration.Input | undefined
  readonly requestTimeout?: Duration.Input | undefined
  readonly maxConcurrentRuns?: number | undefined
  readonly maxWait?: Duration.Input | undefined
} = {}): Limits => {
  const requestTimeout = overrides.requestTimeout === undefined ? defaults.requestTimeout : Duration.fromInputUnsafe(overrides.requestTimeout)
  return {
    bodyBytes: overrides.bodyBytes ?? defaults.bodyBytes,
    requestsPerWindow: overrides.requestsPerWindow ?? defaults.requestsPerWindow,
    window: overrides.window === undefined ? defaults.window : Duration.fromInputUnsafe(overrides.window),
    requestTimeout,
    maxConcurrentRuns: overrides.maxConcurrentRuns ?? defaults.maxConcurrentRuns,
    maxWait: overrides.maxWait === undefined ? requestTimeout : Duration.fromInputUnsafe(overrides.maxWait)
  }
}

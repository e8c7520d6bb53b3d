/**
 * Retry policy for LLM calls: exponential backoff with jitter and a cap, honouring the provider's Retry-After (the
 * delay is at least what the provider asked, still capped), and only for retryable errors (`isRetryable`: rate limits,
 * timeouts, outages, invalid structured output). Calls rejected by an open circuit are not retried: failing fast is
 * the point of the breaker (failover takes over).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "llm-orchestrator/reliability"
 * const call = model.generateText({ prompt: "hi" }).pipe(Effect.retry(Retry.schedule("openai", { times: 4, base: "100 millis" })))
 * ```
 */
import { Duration, Effect, Metric, Schedule } from "effect"
import { isRetryable } from "../llm/LlmError.ts"
import { classify } from "../providers/ErrorMapping.ts"
import { isCircuitOpen } from "./CircuitOpen.ts"
import * as ReliabilityEvent from "./ReliabilityEvent.ts"
import * as ReliabilityMetrics from "./ReliabilityMetrics.ts"

/**
 * Retry options; every field has a default.
 *
 * @example
 * ```ts
 * const options: Retry.RetryOptions = { times: 3, base: "100 millis", jitter: false }
 * Effect.retry(call, Retry.schedule("openai", options))
 * ```
 */
export interface RetryOptions {
  /** Retries after the first attempt (default 8: with 30 % random failures a call still fails 0.002 % of the time). */
  readonly times?: number | undefined
  /** First backoff delay (default 200 ms). */
  readonly base?: Duration.Input | undefined
  /** Backoff growth factor (default 2). */
  readonly factor?: number | undefined
  /** Upper bound of any single delay, Retry-After included (default 20 s). */
  readonly maxDelay?: Duration.Input | undefined
  /** Randomise delays (effect's `Schedule.jittered`, 80–120 %) so callers do not retry in lock-step (default true). */
  readonly jitter?: boolean | undefined
  /** Wait at least the provider's Retry-After (default true). */
  readonly honourRetryAfter?: boolean | undefined
}

/**
 * Defaults of {@link RetryOptions}.
 *
 * @example
 * ```ts
 * Retry.defaults.times // 8
 * ```
 */
export const defaults = {
  times: 8,
  base: "200 millis",
  factor: 2,
  maxDelay: "20 seconds",
  jitter: true,
  honourRetryAfter: true
} as const

/**
 * True when retrying `error` may help (a retryable LlmError/AiError that is not a circuit-open rejection).
 *
 * @example
 * ```ts
 * Retry.shouldRetry(new RateLimited({ provider: "openai", message: "429" })) // true
 * ```
 */
export const shouldRetry = (error: unknown): boolean => !isCircuitOpen(error) && isRetryable(classify(error))

/**
 * The retry schedule for calls to `provider`; it emits `Retrying` events and counts `llm_retries_total`.
 *
 * @example
 * ```ts
 * effect.pipe(Effect.retry(Retry.schedule("openai", { times: 2, jitter: false })))
 * ```
 */
export const schedule = (provider: string, options: RetryOptions = {}): Schedule.Schedule<Duration.Duration, unknown> => {
  const o = {
    times: options.times ?? defaults.times,
    base: options.base ?? defaults.base,
    factor: options.factor ?? defaults.factor,
    maxDelay: options.maxDelay ?? defaults.maxDelay,
    jitter: options.jitter ?? defaults.jitter,
    honourRetryAfter: options.honourRetryAfter ?? defaults.honourRetryAfter
  }
  const cap = Duration.toMillis(Duration.fromInputUnsafe(o.maxDelay))
  const backoff = Schedule.exponential(o.base, o.factor)
  return Schedule.max([o.jitter ? Schedule.jittered(backoff) : backoff, Schedule.recurs(o.times)]).pipe(
    Schedule.setInputType<unknown>(),
    Schedule.while(({ input }) => shouldRetry(input)),
    Schedule.modifyDelay(({ attempt, duration, input }) =>
      Effect.gen(function*() {
        const error = classify(input, provider)!
        const retryAfter = o.honourRetryAfter && error._tag === "RateLimited" ? error.retryAfterMillis ?? 0 : 0
        const delayMillis = Math.min(cap, Math.max(Duration.toMillis(duration), retryAfter))
        yield* Metric.update(ReliabilityMetrics.retries.pipe(Metric.withAttributes({ provider })), 1)
        yield* ReliabilityEvent.emit({ _tag: "Retrying", provider, attempt, delayMillis, error })
        return Duration.millis(delayMillis)
      })
    )
  )
}

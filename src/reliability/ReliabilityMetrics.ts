/**
 * Metrics of the reliability layer (effect `Metric`, exported by any metrics backend, e.g. `PrometheusMetrics`).
 * Names are `llm_*` and follow the Prometheus conventions (base units, `_total` on counters); attributes are
 * `provider` (plus `to`, `from`, `limit`, `cache`, `outcome` where noted).
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { ReliabilityMetrics } from "llm-orchestrator/reliability"
 * const retries = yield* Metric.value(ReliabilityMetrics.retries.pipe(Metric.withAttributes({ provider: "openai" })))
 * ```
 */
import { Metric } from "effect"

/**
 * Calls that reached the provider, by `provider` and `outcome` (`success` / the LlmError tag).
 *
 * @example
 * ```ts
 * yield* Metric.value(ReliabilityMetrics.calls.pipe(Metric.withAttributes({ provider: "openai", outcome: "success" })))
 * ```
 */
export const calls = Metric.counter("llm_calls_total", { description: "LLM provider calls", incremental: true })
/**
 * Retries scheduled, by `provider`.
 *
 * @example
 * ```ts
 * yield* Metric.value(ReliabilityMetrics.retries.pipe(Metric.withAttributes({ provider: "openai" })))
 * ```
 */
export const retries = Metric.counter("llm_retries_total", { description: "LLM call retries", incremental: true })
/**
 * Circuit state changes, by `provider` and `to`.
 *
 * @example
 * ```ts
 * yield* Metric.value(ReliabilityMetrics.circuitTransitions.pipe(Metric.withAttributes({ provider: "openai", to: "Open" })))
 * ```
 */
export const circuitTransitions = Metric.counter("llm_circuit_transitions_total", { description: "Circuit breaker state changes", incremental: true })
/**
 * Current circuit state by `provider`: 0 closed, 1 half-open, 2 open.
 *
 * @example
 * ```ts
 * yield* Metric.value(ReliabilityMetrics.circuitState.pipe(Metric.withAttributes({ provider: "openai" }))) // { value: 0 } when closed
 * ```
 */
export const circuitState = Metric.gauge("llm_circuit_state", { description: "Circuit state (0 closed, 1 half-open, 2 open)" })
/**
 * Calls rejected by an open circuit, by `provider`.
 *
 * @example
 * ```ts
 * yield* Metric.value(ReliabilityMetrics.circuitRejections.pipe(Metric.withAttributes({ provider: "openai" })))
 * ```
 */
export const circuitRejections = Metric.counter("llm_circuit_rejections_total", { description: "Calls rejected by an open circuit", incremental: true })
/**
 * Time spent waiting for the rate limiter in seconds, by `provider` and `limit` (`requests` / `tokens`).
 *
 * @example
 * ```ts
 * yield* Metric.value(ReliabilityMetrics.rateLimitWait.pipe(Metric.withAttributes({ provider: "openai", limit: "requests" })))
 * ```
 */
export const rateLimitWait = Metric.histogram("llm_rate_limit_wait_seconds", {
  description: "Rate limiter wait (seconds)",
  // 1 ms to ~4.4 min
  boundaries: Metric.exponentialBoundaries({ start: 0.001, factor: 4, count: 10 })
})
/**
 * Failovers, by `from` and `to`.
 *
 * @example
 * ```ts
 * yield* Metric.value(ReliabilityMetrics.failovers.pipe(Metric.withAttributes({ from: "openai", to: "anthropic" })))
 * ```
 */
export const failovers = Metric.counter("llm_failovers_total", { description: "Provider failovers", incremental: true })
/**
 * Response cache hits, by `cache`.
 *
 * @example
 * ```ts
 * yield* Metric.value(ReliabilityMetrics.cacheHits.pipe(Metric.withAttributes({ cache: "answers" })))
 * ```
 */
export const cacheHits = Metric.counter("llm_cache_hits_total", { description: "Response cache hits", incremental: true })
/**
 * Response cache misses, by `cache`.
 *
 * @example
 * ```ts
 * yield* Metric.value(ReliabilityMetrics.cacheMisses.pipe(Metric.withAttributes({ cache: "answers" })))
 * ```
 */
export const cacheMisses = Metric.counter("llm_cache_misses_total", { description: "Response cache misses", incremental: true })

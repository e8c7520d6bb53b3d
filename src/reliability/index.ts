/**
 * Reliability for LLM calls: policies (retry, circuit breaker, rate limit, concurrency, timeout), failover over
 * providers, an opt-in response cache, and the events and metrics they produce.
 *
 * @example
 * ```ts
 * import { Failover, Reliability, ResponseCache, ReliabilityEvent } from "llm-orchestrator/reliability"
 * const openai = Reliability.layerLlm(Reliability.defaultPolicy, "openai", OpenAi.layer({ model: "gpt-4o", apiKey }))
 * ```
 */
export * as Breaker from "./Breaker.ts"
export * as CircuitOpen from "./CircuitOpen.ts"
export * as Failover from "./Failover.ts"
export * as Priority from "./Priority.ts"
export * as PriorityLane from "./PriorityLane.ts"
export * as PriorityLanes from "./PriorityLanes.ts"
export * as Reliability from "./Reliability.ts"
export * as ReliabilityEvent from "./ReliabilityEvent.ts"
export * as ReliabilityMetrics from "./ReliabilityMetrics.ts"
export * as ResponseCache from "./ResponseCache.ts"
export * as Retry from "./Retry.ts"

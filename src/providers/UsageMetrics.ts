/**
 * Token and estimated-cost metrics of every adapter call: `llm_tokens_total{provider,model,direction}` and
 * `llm_cost_usd_total{provider,model}`. (Per-step / per-run token totals come from src/llm `trackUsage`; their cost is
 * `Pricing.costOf(table, totals.entries)`.)
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { UsageMetrics } from "llm-orchestrator/providers"
 * const tokens = yield* Metric.value(UsageMetrics.tokensTotal.pipe(Metric.withAttributes({ provider: "openai", model: "gpt-4o", direction: "input" })))
 * ```
 */
import { Effect, Metric } from "effect"
import * as Pricing from "./Pricing.ts"

/**
 * Tokens reported by providers, by provider, model and direction (`input` / `output`).
 *
 * @example
 * ```ts
 * yield* Metric.value(UsageMetrics.tokensTotal.pipe(Metric.withAttributes({ provider: "openai", model: "gpt-4o", direction: "output" })))
 * ```
 */
export const tokensTotal = Metric.counter("llm_tokens_total", { description: "Tokens reported by LLM providers", incremental: true })

/**
 * Estimated cost in USD, by provider and model.
 *
 * @example
 * ```ts
 * yield* Metric.value(UsageMetrics.costTotal.pipe(Metric.withAttributes({ provider: "openai", model: "gpt-4o" })))
 * ```
 */
export const costTotal = Metric.counter("llm_cost_usd_total", { description: "Estimated LLM cost (USD)", incremental: true })

/**
 * Records one call's usage in the metrics (adapters call this after every call).
 *
 * @example
 * ```ts
 * yield* UsageMetrics.record(Pricing.defaults, "openai", "gpt-4o", 120, 30)
 * ```
 */
export const record = (
  prices: Pricing.PriceTable,
  provider: string,
  model: string,
  inputTokens: number,
  outputTokens: number
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const attrs = { provider, model }
    yield* Metric.update(tokensTotal.pipe(Metric.withAttributes({ ...attrs, direction: "input" })), inputTokens)
    yield* Metric.update(tokensTotal.pipe(Metric.withAttributes({ ...attrs, direction: "output" })), outputTokens)
    const cost = Pricing.estimate(prices, model, { inputTokens, outputTokens })
    if (cost.usd > 0) yield* Metric.update(costTotal.pipe(Metric.withAttributes(attrs)), cost.usd)
  })

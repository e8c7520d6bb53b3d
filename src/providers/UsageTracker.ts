/**
 * Usage and estimated cost of every adapter call, collected per scope: wrap a step (or a whole run) in {@link track}
 * and get back the calls made inside it, their summed tokens and estimated cost. Nested scopes all see the inner calls,
 * so a run total and its per-step totals come from the same records. Every record also updates the metrics
 * `llm_tokens_total{provider,model,direction}` and `llm_cost_usd_total{provider,model}`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { UsageTracker } from "llm-orchestrator/providers"
 * const [text, summary] = yield* UsageTracker.track(model.generateText({ prompt: "hi" }).pipe(Effect.map((r) => r.text)))
 * summary.inputTokens; summary.costUsd; summary.calls.length
 * ```
 */
import { Context, Effect, Metric } from "effect"

/** One adapter call's usage. */
export interface UsageRecord {
  readonly provider: string
  readonly model: string
  readonly operation: "generateText" | "streamText" | "embedMany"
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
  readonly priced: boolean
}

/** Totals over a set of calls. */
export interface UsageSummary {
  readonly calls: ReadonlyArray<UsageRecord>
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
}

/** The collectors of the enclosing {@link track} scopes (innermost last). */
export const Collectors = Context.Reference<ReadonlyArray<Array<UsageRecord>>>("llm-orchestrator/providers/UsageTracker/Collectors", {
  defaultValue: () => []
})

/** Token counter, by provider, model and direction (`input` / `output`). */
export const tokensTotal = Metric.counter("llm_tokens_total", { description: "Tokens reported by LLM providers", incremental: true })
/** Estimated cost counter in USD, by provider and model. */
export const costTotal = Metric.counter("llm_cost_usd_total", { description: "Estimated LLM cost (USD)", incremental: true })

/** Records one call into every enclosing {@link track} scope and the metrics. Adapters call this; users rarely do. */
export const record = (entry: UsageRecord): Effect.Effect<void> =>
  Effect.gen(function*() {
    const collectors = yield* Collectors
    for (const c of collectors) c.push(entry)
    const attrs = { provider: entry.provider, model: entry.model }
    yield* Metric.update(tokensTotal.pipe(Metric.withAttributes({ ...attrs, direction: "input" })), entry.inputTokens)
    yield* Metric.update(tokensTotal.pipe(Metric.withAttributes({ ...attrs, direction: "output" })), entry.outputTokens)
    if (entry.costUsd > 0) yield* Metric.update(costTotal.pipe(Metric.withAttributes(attrs)), entry.costUsd)
  })

/** Sums a list of records. */
export const summarize = (calls: ReadonlyArray<UsageRecord>): UsageSummary => ({
  calls,
  inputTokens: calls.reduce((n, c) => n + c.inputTokens, 0),
  outputTokens: calls.reduce((n, c) => n + c.outputTokens, 0),
  costUsd: calls.reduce((n, c) => n + c.costUsd, 0)
})

/** Runs `self` and returns its value with the usage of the calls it made (also when they ran in child fibers). */
export const track = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<[A, UsageSummary], E, R> =>
  Effect.gen(function*() {
    const mine: Array<UsageRecord> = []
    const outer = yield* Collectors
    const a = yield* Effect.provideService(self, Collectors, [...outer, mine])
    return [a, summarize(mine)] as [A, UsageSummary]
  })

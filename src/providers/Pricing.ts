/**
 * Estimated cost of LLM calls: a price table in USD per million tokens, with defaults for current models that config
 * can override or extend. Lookup is by exact model id, then by the longest matching prefix (so dated snapshots such as
 * `gpt-4o-2024-08-06` use the `gpt-4o` price); unknown models cost 0 and are flagged `priced: false`.
 *
 * @example
 * ```ts
 * import { Pricing } from "llm-orchestrator/providers"
 * const table = Pricing.table({ "my-finetune": { input: 1, output: 2 } })   // defaults + overrides
 * Pricing.estimate(table, "gpt-4o-mini", { inputTokens: 1_000_000, outputTokens: 0 }).usd // 0.15
 * ```
 */
import { Context, Layer } from "effect"
import type { Usage } from "../llm/LlmError.ts"

/**
 * USD per one million tokens.
 *
 * @example
 * ```ts
 * const price: Pricing.Price = { input: 0.15, output: 0.6 } // USD per 1M tokens
 * ```
 */
export interface Price {
  readonly input: number
  readonly output: number
}

/**
 * Model id (or id prefix) -> price.
 *
 * @example
 * ```ts
 * const prices: Pricing.PriceTable = Pricing.table({ "my-finetune": { input: 1, output: 2 } })
 * ```
 */
export type PriceTable = Readonly<Record<string, Price>>

/**
 * List prices (USD / 1M tokens) at the time of writing; override them with {@link table}.
 *
 * @example
 * ```ts
 * Pricing.defaults["claude-sonnet-4"] // { input: 3, output: 15 }
 * ```
 */
export const defaults: PriceTable = {
  // OpenAI
  "gpt-5": { input: 1.25, output: 10 },
  "gpt-5-mini": { input: 0.25, output: 2 },
  "gpt-5-nano": { input: 0.05, output: 0.4 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  "o3": { input: 2, output: 8 },
  "o4-mini": { input: 1.1, output: 4.4 },
  "text-embedding-3-small": { input: 0.02, output: 0 },
  "text-embedding-3-large": { input: 0.13, output: 0 },
  // Anthropic
  "claude-opus-4": { input: 15, output: 75 },
  "claude-sonnet-4": { input: 3, output: 15 },
  "claude-haiku-4-5": { input: 1, output: 5 },
  "claude-3-7-sonnet": { input: 3, output: 15 },
  "claude-3-5-haiku": { input: 0.8, output: 4 },
  // Cohere
  "command-a": { input: 2.5, output: 10 },
  "command-r-plus": { input: 2.5, output: 10 },
  "command-r": { input: 0.15, output: 0.6 },
  "command-r7b": { input: 0.0375, output: 0.15 },
  "embed-v4.0": { input: 0.12, output: 0 },
  "embed-english-v3.0": { input: 0.1, output: 0 },
  "embed-multilingual-v3.0": { input: 0.1, output: 0 }
}

/**
 * The default table merged with `overrides` (overrides win).
 *
 * @example
 * ```ts
 * const prices = Pricing.table({ "my-finetune": { input: 3, output: 12 } })
 * ```
 */
export const table = (overrides: PriceTable = {}): PriceTable => ({ ...defaults, ...overrides })

/**
 * The price table in use for cost estimates and budgets (default: {@link defaults}); config overrides it with
 * {@link layer}.
 *
 * @example
 * ```ts
 * const prices = yield* Pricing.Prices
 * ```
 */
export const Prices: Context.Reference<PriceTable> = Context.Reference<PriceTable>("llm-orchestrator/Pricing/Prices", {
  defaultValue: () => defaults
})

/**
 * Uses the default table with `overrides` for cost estimates and budgets.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(Pricing.layer({ "my-finetune": { input: 3, output: 12 } })))
 * ```
 */
export const layer = (overrides: PriceTable = {}): Layer.Layer<never> => Layer.succeed(Prices, table(overrides))

/**
 * The price of `model`: exact id, else the longest prefix in the table.
 *
 * @example
 * ```ts
 * Pricing.lookup(Pricing.defaults, "gpt-4o-2024-08-06") // the gpt-4o price
 * ```
 */
export const lookup = (prices: PriceTable, model: string): Price | undefined => {
  const exact = prices[model]
  if (exact !== undefined) return exact
  let best: string | undefined
  for (const key of Object.keys(prices)) {
    if (model.startsWith(key) && (best === undefined || key.length > best.length)) best = key
  }
  return best === undefined ? undefined : prices[best]
}

/**
 * An estimated cost; `priced` is false when the model is not in the table (then `usd` is 0).
 *
 * @example
 * ```ts
 * const { usd, priced }: Pricing.Cost = Pricing.estimate(Pricing.defaults, "gpt-4o-mini", { inputTokens: 1000, outputTokens: 200 })
 * ```
 */
export interface Cost {
  readonly usd: number
  readonly priced: boolean
}

/**
 * Estimated cost of `usage` on `model`.
 *
 * @example
 * ```ts
 * Pricing.estimate(Pricing.defaults, "gpt-4o-mini", { inputTokens: 1000, outputTokens: 200 }).usd
 * ```
 */
export const estimate = (prices: PriceTable, model: string, usage: Usage): Cost => {
  const price = lookup(prices, model)
  if (price === undefined) return { usd: 0, priced: false }
  return { usd: (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000, priced: true }
}

/**
 * One call's usage, as reported by src/llm `trackUsage` (`UsageTotals.entries`).
 *
 * @example
 * ```ts
 * Pricing.costOf(Pricing.defaults, [{ provider: "openai", model: "gpt-4o-mini", usage: { inputTokens: 1000, outputTokens: 0 } }])
 * ```
 */
export interface UsageEntryLike {
  readonly provider: string
  readonly model: string
  readonly usage: Usage
}

/**
 * Estimated cost of a set of calls (a step's or a run's `trackUsage` entries); `unpriced` lists unknown models.
 *
 * @example
 * ```ts
 * const { usd } = Pricing.costOf(Pricing.table(), totals.entries)   // totals from trackUsage
 * ```
 */
export const costOf = (
  prices: PriceTable,
  entries: ReadonlyArray<UsageEntryLike>
): { readonly usd: number; readonly unpriced: ReadonlyArray<string> } => {
  let usd = 0
  const unpriced = new Set<string>()
  for (const e of entries) {
    const c = estimate(prices, e.model, e.usage)
    usd += c.usd
    if (!c.priced) unpriced.add(e.model)
  }
  return { usd, unpriced: [...unpriced] }
}

/**
 * Estimated cost of a run: total and per step (USD).
 *
 * @example
 * ```ts
 * const cost: Pricing.RunCost = Pricing.costOfRun(Pricing.defaults, yield* Workflow.execute(wf, input))
 * cost.steps["answer"] // USD spent by the answer step
 * ```
 */
export interface RunCost {
  readonly usd: number
  readonly steps: Readonly<Record<string, number>>
  readonly unpriced: ReadonlyArray<string>
}

/**
 * Estimated cost of a `Workflow.execute` result, per step and in total, from the usage the engine records.
 *
 * @example
 * ```ts
 * const result = yield* Workflow.execute(wf, input)
 * const cost = Pricing.costOfRun(Pricing.table(), result)   // { usd, steps: { answer: 0.0012, ... }, unpriced }
 * ```
 */
export const costOfRun = (
  prices: PriceTable,
  result: {
    readonly usage: { readonly entries: ReadonlyArray<UsageEntryLike> }
    readonly steps: Readonly<Record<string, { readonly usage?: { readonly entries: ReadonlyArray<UsageEntryLike> } | undefined }>>
  }
): RunCost => {
  const steps: Record<string, number> = {}
  for (const [id, step] of Object.entries(result.steps)) {
    if (step.usage !== undefined) steps[id] = costOf(prices, step.usage.entries).usd
  }
  const total = costOf(prices, result.usage.entries)
  return { usd: total.usd, steps, unpriced: total.unpriced }
}

/**
 * Token accounting. Every LLM / embedding call reports its {@link Usage} into the current {@link StepUsage} sink
 * (a `Context.Reference`, default: no-op). The engine provides a collecting sink per step with {@link trackUsage},
 * so run results can sum tokens per step and per run without the services knowing about steps.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { trackUsage, reportUsage } from "llm-orchestrator"
 * const program = trackUsage(reportUsage("openai", "gpt-4", { inputTokens: 10, outputTokens: 3 }))
 * // Effect<[void, UsageTotals]>: totals = { inputTokens: 10, outputTokens: 3, calls: 1, entries: [...] }
 * ```
 */
import { Context, Effect } from "effect"
import type { Usage } from "./LlmError.ts"

export type { Usage } from "./LlmError.ts"

/**
 * One reported call: which provider name (e.g. "openai", "primary"), which model, and its token counts.
 *
 * @example
 * ```ts
 * const e: UsageEntry = { provider: "openai", model: "gpt-4", usage: { inputTokens: 12, outputTokens: 3 } }
 * ```
 */
export interface UsageEntry {
  readonly provider: string
  readonly model: string
  readonly usage: Usage
}

/**
 * Where calls report their usage. `record` must not fail; it runs once per completed call.
 *
 * @example
 * ```ts
 * const log: UsageSink = { record: (provider, model, usage) => Effect.log(provider, model, usage.inputTokens) }
 * ```
 */
export interface UsageSink {
  readonly record: (provider: string, model: string, usage: Usage) => Effect.Effect<void>
}

/**
 * Sums of several {@link UsageEntry}s, plus the entries in report order.
 *
 * @example
 * ```ts
 * const totals: UsageTotals = sumUsage([{ provider: "openai", model: "gpt-4", usage: { inputTokens: 10, outputTokens: 2 } }])
 * totals.calls // 1
 * ```
 */
export interface UsageTotals {
  readonly inputTokens: number
  readonly outputTokens: number
  readonly calls: number
  readonly entries: ReadonlyArray<UsageEntry>
}

/**
 * A sink that drops everything (the default when nothing collects usage).
 *
 * @example
 * ```ts
 * Effect.provideService(effect, StepUsage, noopUsageSink)
 * ```
 */
export const noopUsageSink: UsageSink = { record: () => Effect.void }

/**
 * The current usage sink. Default: {@link noopUsageSink}. The engine replaces it per step (see {@link trackUsage}).
 *
 * @example
 * ```ts
 * const sink = yield* StepUsage
 * yield* sink.record("openai", "gpt-4", { inputTokens: 1, outputTokens: 2 })
 * ```
 */
export const StepUsage: Context.Reference<UsageSink> = Context.Reference<UsageSink>("llm-orchestrator/StepUsage", {
  defaultValue: () => noopUsageSink
})

/**
 * Usage of zero calls.
 *
 * @example
 * ```ts
 * usages.reduce(addUsage, emptyUsage)
 * ```
 */
export const emptyUsage: Usage = { inputTokens: 0, outputTokens: 0 }

/**
 * Adds two usages.
 *
 * @example
 * ```ts
 * addUsage({ inputTokens: 1, outputTokens: 2 }, { inputTokens: 3, outputTokens: 4 }) // { inputTokens: 4, outputTokens: 6 }
 * ```
 */
export const addUsage = (a: Usage, b: Usage): Usage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens
})

/**
 * Sums entries into {@link UsageTotals}.
 *
 * @example
 * ```ts
 * sumUsage([]) // { inputTokens: 0, outputTokens: 0, calls: 0, entries: [] }
 * ```
 */
export const sumUsage = (entries: ReadonlyArray<UsageEntry>): UsageTotals => {
  let inputTokens = 0
  let outputTokens = 0
  for (const e of entries) {
    inputTokens += e.usage.inputTokens
    outputTokens += e.usage.outputTokens
  }
  return { inputTokens, outputTokens, calls: entries.length, entries }
}

/**
 * Reports one call's usage to the current sink. Called by the Llm / Embeddings services after each call.
 *
 * @example
 * ```ts
 * yield* reportUsage("anthropic", "claude-3-5-haiku", { inputTokens: 120, outputTokens: 40 })
 * ```
 */
export const reportUsage = (provider: string, model: string, usage: Usage): Effect.Effect<void> =>
  Effect.flatMap(StepUsage, (sink) => sink.record(provider, model, usage))

/**
 * Runs `effect` with a collecting sink and returns its result with the usage of every call made inside it (also on
 * failure, through `onUsage`). Entries are forwarded to the enclosing sink too, so nested tracking (step inside run)
 * sums correctly.
 *
 * @example
 * ```ts
 * const [answer, usage] = yield* trackUsage(Llm.generate({ provider: "openai", model: "gpt-4", prompt: "hi" }))
 * usage.inputTokens // tokens of that call
 * ```
 */
export const trackUsage = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: { readonly onUsage?: (totals: UsageTotals) => Effect.Effect<void> }
): Effect.Effect<readonly [A, UsageTotals], E, R> =>
  Effect.gen(function*() {
    const parent = yield* StepUsage
    const entries: Array<UsageEntry> = []
    const sink: UsageSink = {
      record: (provider, model, usage) =>
        Effect.suspend(() => {
          entries.push({ provider, model, usage })
          return parent.record(provider, model, usage)
        })
    }
    const result = yield* effect.pipe(
      Effect.provideService(StepUsage, sink),
      Effect.onExit(() => options?.onUsage ? options.onUsage(sumUsage(entries)) : Effect.void)
    )
    return [result, sumUsage(entries)] as const
  })

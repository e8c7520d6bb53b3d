/**
 * Per-call generation settings, exposed to effect/ai `LanguageModel` implementations as a `Context.Reference`.
 *
 * effect/ai's provider hooks (`LanguageModel.make({ generateText, streamText })`) receive the prompt but no model id,
 * temperature, token limit or stop sequences: those are provider configuration in effect/ai. The Llm service provides
 * this reference around every call it forwards to a wrapped `LanguageModel`, so provider adapters read it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LanguageModel } from "effect/ai"
 * import { GenerationOptions } from "llm-orchestrator"
 * const model = LanguageModel.make({
 *   generateText: (options) => Effect.gen(function*() {
 *     const { model, temperature, maxTokens, stopSequences } = yield* GenerationOptions
 *     // ... call the SDK with them
 *     return [{ type: "text", text: "hi" }]
 *   }),
 *   streamText: () => Stream.empty
 * })
 * ```
 */
import { Context } from "effect"

/**
 * Settings of the current call. `model` is "" outside an Llm call.
 *
 * @example
 * ```ts
 * const s: GenerationSettings = { provider: "openai", model: "gpt-4", temperature: 0 }
 * ```
 */
export interface GenerationSettings {
  readonly provider: string
  readonly model: string
  readonly temperature?: number
  readonly maxTokens?: number
  readonly stopSequences?: ReadonlyArray<string>
}

/**
 * The settings of the call in progress (read it inside a `LanguageModel` / `EmbeddingModel` implementation).
 *
 * @example
 * ```ts
 * const { model, temperature } = yield* GenerationOptions // inside a LanguageModel implementation
 * ```
 */
export const GenerationOptions: Context.Reference<GenerationSettings> = Context.Reference<GenerationSettings>(
  "llm-orchestrator/GenerationOptions",
  { defaultValue: () => ({ provider: "", model: "" }) }
)

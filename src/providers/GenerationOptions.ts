/**
 * Sampling parameters for adapter calls (effect/ai's `generateText` has none): a `Context.Reference`, so a default can
 * be set on the adapter and overridden per call or per step with {@link withGenerationOptions}. Part of the response
 * cache key.
 *
 * @example
 * ```ts
 * import { LanguageModel } from "effect/ai"
 * import { GenerationOptions } from "llm-orchestrator/providers"
 * const answer = LanguageModel.generateText({ prompt: "Name a colour" }).pipe(
 *   GenerationOptions.withGenerationOptions({ temperature: 0, maxTokens: 16, stopSequences: ["\n"] })
 * )
 * ```
 */
import { Context, Effect } from "effect"

/** Sampling parameters; unset fields use the provider's defaults. */
export interface GenerationOptions {
  readonly temperature?: number | undefined
  readonly topP?: number | undefined
  readonly maxTokens?: number | undefined
  readonly stopSequences?: ReadonlyArray<string> | undefined
  readonly seed?: number | undefined
}

/** The current {@link GenerationOptions} (default: none set). */
export const CurrentGenerationOptions = Context.Reference<GenerationOptions>(
  "llm-orchestrator/providers/GenerationOptions",
  { defaultValue: () => ({}) }
)

/** Runs `self` with `options` merged over the current generation options. */
export const withGenerationOptions = (options: GenerationOptions) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const current = yield* CurrentGenerationOptions
    return yield* Effect.provideService(self, CurrentGenerationOptions, { ...current, ...options })
  })

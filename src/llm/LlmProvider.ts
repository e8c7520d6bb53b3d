/**
 * Provider identity in the type. Each provider name ("openai", "anthropic", "primary", "cheap", ...) gets its own
 * service key, so a step calling `openai` requires `LlmProvider<"openai">` and a workflow's requirements list exactly
 * the providers it uses: a missing Layer is a compile error.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LlmProvider } from "llm-orchestrator"
 * const program = Effect.gen(function*() {
 *   const openai = yield* LlmProvider.key("openai")   // Effect<LlmProviderShape, never, LlmProvider<"openai">>
 *   return yield* openai.generateText({ model: "gpt-4", prompt: "hi" })
 * })
 * ```
 */
import { Context } from "effect"
import type { Effect, Stream } from "effect"
import type { LanguageModel } from "effect/ai"
import type { LlmError } from "./LlmError.ts"
import type { ObjectRequest, ObjectResponse, TextRequest, TextResponse, TextStreamPart } from "./LlmRequest.ts"

/**
 * Identifier of the language-model provider named `Name`; its `key` is what missing-requirement messages print.
 *
 * @example
 * ```ts
 * type R = LlmProvider<"openai"> // printed as "Llm/openai" when a Layer does not provide it
 * ```
 */
export interface LlmProvider<Name extends string> {
  readonly key: `Llm/${Name}`
}

/**
 * The requirement of a call to provider(s) `N`: distributes over unions, so a call whose provider is chosen at run
 * time (`"openai" | "anthropic"`) requires both services.
 *
 * @example
 * ```ts
 * type R = LlmProviderFor<"openai" | "anthropic"> // LlmProvider<"openai"> | LlmProvider<"anthropic">
 * ```
 */
export type LlmProviderFor<N extends string> = N extends string ? LlmProvider<N> : never

/**
 * What a language-model provider implements (real adapter, effect/ai wrapper or mock).
 *
 * @example
 * ```ts
 * const provider: LlmProviderShape = yield* LlmProvider.key("openai")
 * const res = yield* provider.generateText({ model: "gpt-4", prompt: "hi" })
 * ```
 */
export interface LlmProviderShape {
  /** The provider name this instance serves (used in errors and usage records). */
  readonly name: string
  readonly generateText: (request: TextRequest) => Effect.Effect<TextResponse, LlmError>
  readonly generateObject: <A, I>(request: ObjectRequest<A, I>) => Effect.Effect<ObjectResponse<A>, LlmError>
  /** Deltas, then exactly one `Finish` part carrying the usage. */
  readonly streamText: (request: TextRequest) => Stream.Stream<TextStreamPart, LlmError>
  /** The effect/ai model behind this provider, when it wraps one (see `Llm.withLanguageModel`). */
  readonly languageModel?: LanguageModel.LanguageModel
}

const keys = new Map<string, Context.Service<any, LlmProviderShape>>()

/**
 * The service key of provider `name` (memoised: the same name always gives the same key).
 *
 * @example
 * ```ts
 * const key = LlmProvider.key("openai")  // Context.Service<LlmProvider<"openai">, LlmProviderShape>
 * Layer.succeed(key, shape)
 * ```
 */
const key = <const Name extends string>(name: Name): Context.Service<LlmProvider<Name>, LlmProviderShape> => {
  let k = keys.get(name)
  if (k === undefined) {
    k = Context.Service<LlmProvider<Name>, LlmProviderShape>(`llm-orchestrator/Llm/${name}`)
    keys.set(name, k)
  }
  return k
}

/**
 * Namespace of {@link LlmProvider} helpers.
 *
 * @example
 * ```ts
 * const provider = yield* LlmProvider.key("anthropic") // the service of provider "anthropic"
 * ```
 */
export const LlmProvider = { key } as const

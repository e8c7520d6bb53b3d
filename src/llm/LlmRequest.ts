/**
 * The requests a language-model provider receives and the responses it returns. Provider-neutral: the same shapes
 * are served by effect/ai `LanguageModel` wrappers ({@link fromLanguageModel}) and by the mocks in `src/testing/`.
 *
 * @example
 * ```ts
 * const request: TextRequest = { model: "gpt-4", prompt: "Say hi", system: "Be brief", temperature: 0 }
 * ```
 */
import type { Prompt } from "effect/ai"
import type { Schema } from "effect"
import type { Usage } from "./LlmError.ts"

/**
 * Options shared by every language-model call.
 *
 * @example
 * ```ts
 * const o: LlmCallOptions = { model: "gpt-4", prompt: "Summarise: ...", system: "Be brief", temperature: 0, maxTokens: 200 }
 * ```
 */
export interface LlmCallOptions {
  /** Provider model id, e.g. "gpt-4" or "claude-3-5-haiku-20241022". */
  readonly model: string
  /** A string, effect/ai messages, or an effect/ai `Prompt`. */
  readonly prompt: Prompt.RawInput
  /** System prompt; replaces a system message already in `prompt`. */
  readonly system?: string
  readonly temperature?: number
  readonly maxTokens?: number
  readonly stopSequences?: ReadonlyArray<string>
}

/**
 * A plain-text generation (also used for streaming).
 *
 * @example
 * ```ts
 * const res = yield* provider.generateText({ model: "gpt-4", prompt: "hi" } satisfies TextRequest)
 * ```
 */
export interface TextRequest extends LlmCallOptions {}

/**
 * A structured generation: the answer must decode with `schema`.
 *
 * @example
 * ```ts
 * const req: ObjectRequest<{ readonly score: number }> = { model: "gpt-4", prompt: "Rate it", schema: Schema.Struct({ score: Schema.Number }) }
 * ```
 */
export interface ObjectRequest<A, I = A> extends LlmCallOptions {
  readonly schema: Schema.Codec<A, I>
  /** Name given to the object in the provider's structured-output request. Default "output". */
  readonly objectName?: string
}

/**
 * Why the model stopped. "unknown" when the provider does not say.
 *
 * @example
 * ```ts
 * if (res.finishReason === "length") yield* Effect.logWarning("answer truncated")
 * ```
 */
export type FinishReason = "stop" | "length" | "content-filter" | "tool-calls" | "error" | "other" | "unknown"

/**
 * Result of {@link TextRequest}.
 *
 * @example
 * ```ts
 * const { text, usage, finishReason }: TextResponse = yield* provider.generateText({ model: "gpt-4", prompt: "hi" })
 * ```
 */
export interface TextResponse {
  readonly text: string
  readonly usage: Usage
  readonly finishReason: FinishReason
}

/**
 * Result of {@link ObjectRequest}: the decoded value and the raw text it came from.
 *
 * @example
 * ```ts
 * const { value, raw }: ObjectResponse<{ readonly score: number }> = yield* provider.generateObject(req)
 * ```
 */
export interface ObjectResponse<A> {
  readonly value: A
  readonly raw: string
  readonly usage: Usage
}

/**
 * One element of a provider's text stream: a text delta, or the final usage.
 *
 * @example
 * ```ts
 * Stream.runForEach(provider.streamText(req), (p: TextStreamPart) =>
 *   p._tag === "Delta" ? Effect.sync(() => process.stdout.write(p.text)) : Effect.log(`done: ${p.finishReason}`))
 * ```
 */
export type TextStreamPart =
  | { readonly _tag: "Delta"; readonly text: string }
  | { readonly _tag: "Finish"; readonly usage: Usage; readonly finishReason: FinishReason }

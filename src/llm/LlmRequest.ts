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

/** Options shared by every language-model call. */
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

/** A plain-text generation (also used for streaming). */
export interface TextRequest extends LlmCallOptions {}

/** A structured generation: the answer must decode with `schema`. */
export interface ObjectRequest<A, I = A> extends LlmCallOptions {
  readonly schema: Schema.Codec<A, I>
  /** Name given to the object in the provider's structured-output request. Default "output". */
  readonly objectName?: string
}

/** Why the model stopped. "unknown" when the provider does not say. */
export type FinishReason = "stop" | "length" | "content-filter" | "tool-calls" | "error" | "other" | "unknown"

/** Result of {@link TextRequest}. */
export interface TextResponse {
  readonly text: string
  readonly usage: Usage
  readonly finishReason: FinishReason
}

/** Result of {@link ObjectRequest}: the decoded value and the raw text it came from. */
export interface ObjectResponse<A> {
  readonly value: A
  readonly raw: string
  readonly usage: Usage
}

/** One element of a provider's text stream: a text delta, or the final usage. */
export type TextStreamPart =
  | { readonly _tag: "Delta"; readonly text: string }
  | { readonly _tag: "Finish"; readonly usage: Usage; readonly finishReason: FinishReason }

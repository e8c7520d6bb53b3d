/**
 * Converts our {@link LlmError}s back into effect/ai `AiError`s, for adapters implementing `LanguageModel.make` hooks
 * (which must fail with `AiError`). Kept apart from `fromAiError` because it needs effect/ai at run time, which the
 * package entry does not load (see effectAi.ts).
 *
 * @example
 * ```ts
 * fromAiError("openai", toAiError(new RateLimited({ provider: "openai", message: "429" })))._tag // "RateLimited"
 * ```
 */
import { Duration } from "effect"
import { AiError } from "effect/ai"
import type { LlmError } from "./LlmError.ts"

/**
 * Converts an {@link LlmError} into an effect/ai `AiError`, for adapters implementing `LanguageModel.make` hooks
 * (which must fail with `AiError`). `fromAiError(p, toAiError(e))` keeps the tag (and retry-after, raw text).
 *
 * @example
 * ```ts
 * fromAiError("openai", toAiError(new RateLimited({ provider: "openai", message: "429" })))._tag // "RateLimited"
 * ```
 */
export const toAiError = (error: LlmError, method = "generateText"): AiError.AiError => {
  const module = `llm-orchestrator/${error.provider}`
  switch (error._tag) {
    case "RateLimited":
      return AiError.make({
        module,
        method,
        reason: new AiError.RateLimitError(
          error.retryAfterMillis === undefined ? {} : { retryAfter: Duration.millis(error.retryAfterMillis) }
        )
      })
    case "ProviderTimeout":
      return AiError.make({ module, method, reason: new AiError.UnknownError({ description: `timeout: ${error.message}` }) })
    case "ProviderUnavailable":
      return AiError.make({ module, method, reason: new AiError.InternalProviderError({ description: error.message }) })
    case "InvalidRequest":
      return AiError.make({ module, method, reason: new AiError.InvalidRequestError({ description: error.message }) })
    case "ContextLengthExceeded":
      return AiError.make({
        module,
        method,
        reason: new AiError.InvalidRequestError({ description: `context length exceeded: ${error.message}` })
      })
    case "ContentFiltered":
      return AiError.make({ module, method, reason: new AiError.ContentPolicyError({ description: error.message }) })
    case "InvalidOutput":
      return AiError.make({
        module,
        method,
        reason: new AiError.StructuredOutputError({ description: error.message, responseText: error.raw })
      })
    case "BudgetExceeded":
      // refused before sending: the request cannot be served within the run's budget; retrying will not help
      return AiError.make({ module, method, reason: new AiError.InvalidRequestError({ description: `budget exceeded: ${error.message}` }) })
    case "PiiRefused":
    case "PromptLimitExceeded":
      // refused locally before any request: a non-retryable invalid request for effect/ai
      return AiError.make({ module, method, reason: new AiError.InvalidRequestError({ description: error.message }) })
  }
}

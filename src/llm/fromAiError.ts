/**
 * Maps effect/ai `AiError`s (what `LanguageModel` / `EmbeddingModel` implementations fail with) to the
 * provider-neutral {@link LlmError}s workflows handle, and back (for adapters that want to fail with ours).
 *
 * @example
 * ```ts
 * import type { AiError } from "effect/ai"
 * const e = fromAiError("openai", AiError.make({ module: "x", method: "y", reason: AiError.reasonFromHttpStatus({ status: 429 }) }))
 * e._tag // "RateLimited"
 * ```
 */
import { Duration } from "effect"
import type { AiError } from "effect/ai"
import {
  ContentFiltered,
  ContextLengthExceeded,
  InvalidOutput,
  InvalidRequest,
  type LlmError,
  ProviderTimeout,
  ProviderUnavailable,
  RateLimited
} from "./LlmError.ts"

const contextLength = /context[ _-]?length|context window|maximum context|too many tokens|prompt is too long/i
const timeout = /time[ -]?out|timed out|deadline/i

const statusOf = (reason: { readonly http?: { readonly response?: { readonly status: number } | undefined } | undefined }) =>
  reason.http?.response?.status

/**
 * Converts an effect/ai `AiError` raised by provider `provider` into an {@link LlmError}.
 *
 * @example
 * ```ts
 * model.generateText({ prompt }).pipe(Effect.mapError((e) => fromAiError("openai", e)))
 * ```
 */
export const fromAiError = (provider: string, error: AiError.AiError): LlmError => {
  const reason = error.reason
  const message = error.message
  switch (reason._tag) {
    case "RateLimitError": {
      const retryAfter = reason.retryAfter
      return retryAfter === undefined
        ? new RateLimited({ provider, message })
        : new RateLimited({ provider, message, retryAfterMillis: Duration.toMillis(retryAfter) })
    }
    case "QuotaExhaustedError":
      return new InvalidRequest({ provider, message, status: 429 })
    case "AuthenticationError": {
      const status = statusOf(reason)
      return new InvalidRequest({ provider, message, ...(status === undefined ? {} : { status }) })
    }
    case "ContentPolicyError":
      return new ContentFiltered({ provider, message })
    case "InvalidRequestError": {
      const status = statusOf(reason)
      if (contextLength.test(message)) return new ContextLengthExceeded({ provider, message })
      return new InvalidRequest({ provider, message, ...(status === undefined ? {} : { status }) })
    }
    case "InternalProviderError":
    case "InvalidResponseError": {
      const status = statusOf(reason)
      if (status === 408 || status === 504) return new ProviderTimeout({ provider, message })
      return new ProviderUnavailable({ provider, message, ...(status === undefined ? {} : { status }) })
    }
    case "NetworkError":
      return timeout.test(message)
        ? new ProviderTimeout({ provider, message })
        : new ProviderUnavailable({ provider, message })
    case "StructuredOutputError":
      return new InvalidOutput({ provider, message, raw: reason.responseText })
    case "InvalidOutputError":
      return new InvalidOutput({ provider, message, raw: "" })
    case "UnknownError": {
      const status = statusOf(reason)
      if (status === 408 || status === 504 || timeout.test(message)) return new ProviderTimeout({ provider, message })
      if (status !== undefined && status >= 400 && status < 500) return new InvalidRequest({ provider, message, status })
      return new ProviderUnavailable({ provider, message, ...(status === undefined ? {} : { status }) })
    }
    default:
      // Tool/toolkit/schema configuration problems: the request is wrong, retrying will not help.
      return new InvalidRequest({ provider, message })
  }
}

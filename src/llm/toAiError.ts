/**
 * Converts our {@link LlmError}s back into effect/ai `AiError`s, for adapters implementing `LanguageModel.make` hooks
 * (which must fail with `AiError`). Kept apart from `fromAiError` because it needs effect/ai at run time, which the
 * package entry does not load (see effectAi.ts). The one conversion: the providers' `ErrorMapping.toAiError` calls it.
 *
 * @example
 * ```ts
 * fromAiError("openai", toAiError(new RateLimited({ provider: "openai", message: "429" })))._tag // "RateLimited"
 * ```
 */
import { Duration } from "effect"
import { AiError } from "effect/ai"
import type { LlmError } from "./LlmError.ts"

type Json = string | number | boolean | null

/** The fields of an {@link LlmError} as JSON, carried in `reason.metadata.llm` (decoded by the providers' ErrorMapping). */
const encode = (e: LlmError): { readonly [k: string]: Json } => {
  const base: Record<string, Json> = { _tag: e._tag, provider: e.provider, message: e.message }
  if ("status" in e && e.status !== undefined) base.status = e.status
  if ("retryAfterMillis" in e && e.retryAfterMillis !== undefined) base.retryAfterMillis = e.retryAfterMillis
  if ("raw" in e) base.raw = e.raw
  if (e._tag === "BudgetExceeded") {
    const { _tag, provider, message, stepId, ...amounts } = e
    Object.assign(base, amounts, stepId === undefined ? {} : { stepId })
  }
  if ("step" in e && e.step !== undefined) base.step = e.step
  if (e._tag === "PiiRefused") base.kinds = e.kinds.join(",")
  if (e._tag === "PromptLimitExceeded") {
    base.limit = e.limit
    base.tokens = e.tokens
    base.max = e.max
  }
  return base
}

/**
 * Converts an {@link LlmError} into an effect/ai `AiError`. The reason is the closest effect/ai reason, chosen so that
 * `fromAiError` (reason based) gives back the same tag and status; `reason.metadata.llm` keeps the exact error.
 *
 * @example
 * ```ts
 * fromAiError("openai", toAiError(new RateLimited({ provider: "openai", message: "429" })))._tag // "RateLimited"
 * ```
 */
export const toAiError = (error: LlmError, method = "generateText"): AiError.AiError => {
  const metadata = { llm: encode(error) }
  const description = error.message
  const http = (status: number | undefined) => (status === undefined ? {} : { http: { response: { status, headers: {} } } })
  const reason = ((): AiError.AiErrorReason => {
    switch (error._tag) {
      case "RateLimited":
        return new AiError.RateLimitError({
          metadata,
          ...http(429),
          ...(error.retryAfterMillis === undefined ? {} : { retryAfter: Duration.millis(error.retryAfterMillis) })
        })
      case "ProviderTimeout":
        // a transport-level failure: retryable for effect/ai too; "timeout" in the text for src/llm fromAiError
        return new AiError.NetworkError({ reason: "TransportError", method, url: error.provider, description: `timeout: ${description}` })
      case "ProviderUnavailable":
        return new AiError.InternalProviderError({ description, metadata, ...http(error.status) })
      case "InvalidRequest":
        return error.status === 401 || error.status === 403
          ? new AiError.AuthenticationError({
            kind: error.status === 401 ? "InvalidKey" : "InsufficientPermissions",
            description,
            metadata,
            ...http(error.status)
          })
          : new AiError.InvalidRequestError({ description, metadata, ...http(error.status) })
      case "ContextLengthExceeded":
        return new AiError.InvalidRequestError({ description: `context length exceeded: ${description}`, metadata })
      case "ContentFiltered":
        return new AiError.ContentPolicyError({ description, metadata })
      case "InvalidOutput":
        return new AiError.StructuredOutputError({ description, responseText: error.raw, metadata })
      case "BudgetExceeded":
        return new AiError.InvalidRequestError({ description: `budget exceeded: ${description}`, metadata })
      case "PiiRefused":
      case "PromptLimitExceeded":
        return new AiError.InvalidRequestError({ description, metadata })
    }
  })()
  return AiError.make({ module: `llm-orchestrator/${error.provider}`, method, reason })
}

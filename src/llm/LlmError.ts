/**
 * The errors every language-model and embedding call can fail with, whatever the provider (real SDK adapter or mock).
 * Each carries the provider name and a `retryable` flag so retry policies can decide without knowing the provider.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RateLimited, isRetryable } from "llm-orchestrator"
 * const e = new RateLimited({ provider: "openai", message: "slow down", retryAfterMillis: 2000 })
 * isRetryable(e) // true
 * ```
 */
import { Schema } from "effect"

/** HTTP 429 or the provider's equivalent; `retryAfterMillis` carries the Retry-After header when present. */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  provider: Schema.String,
  message: Schema.String,
  retryAfterMillis: Schema.optionalKey(Schema.Number)
}) {
  readonly retryable = true
}

/** The call took longer than its deadline (client-side timeout or provider 408/504). */
export class ProviderTimeout extends Schema.TaggedError<ProviderTimeout>()("ProviderTimeout", {
  provider: Schema.String,
  message: Schema.String
}) {
  readonly retryable = true
}

/** 5xx, overloaded, connection refused or dropped: the provider could not serve the call. */
export class ProviderUnavailable extends Schema.TaggedError<ProviderUnavailable>()("ProviderUnavailable", {
  provider: Schema.String,
  message: Schema.String,
  status: Schema.optionalKey(Schema.Number)
}) {
  readonly retryable = true
}

/** 4xx other than 429: the request itself is wrong (bad model name, bad parameter, auth). Never retried. */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  provider: Schema.String,
  message: Schema.String,
  status: Schema.optionalKey(Schema.Number)
}) {
  readonly retryable = false
}

/** The prompt (plus max tokens) does not fit the model's context window. Never retried as is. */
export class ContextLengthExceeded extends Schema.TaggedError<ContextLengthExceeded>()("ContextLengthExceeded", {
  provider: Schema.String,
  message: Schema.String
}) {
  readonly retryable = false
}

/** The provider refused or truncated the answer because of its content policy. */
export class ContentFiltered extends Schema.TaggedError<ContentFiltered>()("ContentFiltered", {
  provider: Schema.String,
  message: Schema.String
}) {
  readonly retryable = false
}

/** Structured output that does not satisfy its Schema (or is not JSON); `raw` is the model's text. Retrying may help. */
export class InvalidOutput extends Schema.TaggedError<InvalidOutput>()("InvalidOutput", {
  provider: Schema.String,
  message: Schema.String,
  raw: Schema.String
}) {
  readonly retryable = true
}

/** Any failure of a language-model or embedding call. */
export type LlmError =
  | RateLimited
  | ProviderTimeout
  | ProviderUnavailable
  | InvalidRequest
  | ContextLengthExceeded
  | ContentFiltered
  | InvalidOutput

/** Schema of {@link LlmError}, for persistence and transport. */
export const LlmError = Schema.Union([
  RateLimited,
  ProviderTimeout,
  ProviderUnavailable,
  InvalidRequest,
  ContextLengthExceeded,
  ContentFiltered,
  InvalidOutput
])

const tags = new Set(["RateLimited", "ProviderTimeout", "ProviderUnavailable", "InvalidRequest", "ContextLengthExceeded", "ContentFiltered", "InvalidOutput"])

/** True for any {@link LlmError}. */
export const isLlmError = (u: unknown): u is LlmError =>
  typeof u === "object" && u !== null && "_tag" in u && tags.has((u as { _tag: string })._tag)

/**
 * True when retrying the same call may succeed: LLM rate limits, timeouts, outages and invalid structured output, and
 * any other error that says so with `retryable: true` (vector-store errors do). Use it as a step's retry predicate:
 * `retry: { schedule, while: isRetryable }`.
 */
export const isRetryable = (u: unknown): boolean =>
  isLlmError(u) ? u.retryable : typeof u === "object" && u !== null && (u as { retryable?: unknown }).retryable === true

/** Token counts reported by one call (or summed over several). */
export interface Usage {
  readonly inputTokens: number
  readonly outputTokens: number
}

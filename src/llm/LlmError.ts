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

/**
 * HTTP 429 or the provider's equivalent; `retryAfterMillis` carries the Retry-After header when present.
 *
 * @example
 * ```ts
 * new RateLimited({ provider: "openai", message: "429", retryAfterMillis: 2000 }).retryable // true
 * ```
 */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  provider: Schema.String,
  message: Schema.String,
  retryAfterMillis: Schema.optionalKey(Schema.Number)
}) {
  readonly retryable = true
}

/**
 * The call took longer than its deadline (client-side timeout or provider 408/504).
 *
 * @example
 * ```ts
 * new ProviderTimeout({ provider: "anthropic", message: "no answer after 30s" }).retryable // true
 * ```
 */
export class ProviderTimeout extends Schema.TaggedError<ProviderTimeout>()("ProviderTimeout", {
  provider: Schema.String,
  message: Schema.String
}) {
  readonly retryable = true
}

/**
 * 5xx, overloaded, connection refused or dropped: the provider could not serve the call.
 *
 * @example
 * ```ts
 * new ProviderUnavailable({ provider: "openai", message: "503 overloaded", status: 503 }).retryable // true
 * ```
 */
export class ProviderUnavailable extends Schema.TaggedError<ProviderUnavailable>()("ProviderUnavailable", {
  provider: Schema.String,
  message: Schema.String,
  status: Schema.optionalKey(Schema.Number)
}) {
  readonly retryable = true
}

/**
 * 4xx other than 429: the request itself is wrong (bad model name, bad parameter, auth). Never retried.
 *
 * @example
 * ```ts
 * new InvalidRequest({ provider: "openai", message: "unknown model", status: 404 }).retryable // false
 * ```
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  provider: Schema.String,
  message: Schema.String,
  status: Schema.optionalKey(Schema.Number)
}) {
  readonly retryable = false
}

/**
 * The prompt (plus max tokens) does not fit the model's context window. Never retried as is.
 *
 * @example
 * ```ts
 * Llm.generate(request).pipe(Effect.catchTag("ContextLengthExceeded", () => Llm.generate({ ...request, prompt: shorter })))
 * ```
 */
export class ContextLengthExceeded extends Schema.TaggedError<ContextLengthExceeded>()("ContextLengthExceeded", {
  provider: Schema.String,
  message: Schema.String
}) {
  readonly retryable = false
}

/**
 * The provider refused or truncated the answer because of its content policy.
 *
 * @example
 * ```ts
 * Llm.generate(request).pipe(Effect.catchTag("ContentFiltered", () => Effect.succeed("(answer withheld)")))
 * ```
 */
export class ContentFiltered extends Schema.TaggedError<ContentFiltered>()("ContentFiltered", {
  provider: Schema.String,
  message: Schema.String
}) {
  readonly retryable = false
}

/**
 * Structured output that does not satisfy its Schema (or is not JSON); `raw` is the model's text. Retrying may help.
 *
 * @example
 * ```ts
 * Llm.generateObject(request).pipe(Effect.catchTag("InvalidOutput", (e) => Effect.logWarning(`bad JSON: ${e.raw}`)))
 * ```
 */
export class InvalidOutput extends Schema.TaggedError<InvalidOutput>()("InvalidOutput", {
  provider: Schema.String,
  message: Schema.String,
  raw: Schema.String
}) {
  readonly retryable = true
}

/**
 * A call refused before it was sent because the run's budget could not cover its worst case (its maximum output
 * tokens and estimated input at the model's price, plus what the run already spent and reserved). Nothing was sent
 * and nothing was spent; `stepId` names the step that asked, the other fields say by how much it would go over.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { budget: { usd: 0.5 } }).pipe(
 *   Effect.catchTag("StepFailed", (e) => e.error._tag === "BudgetExceeded" ? Effect.succeed(e.error.spentUsd) : Effect.fail(e)))
 * ```
 */
export class BudgetExceeded extends Schema.TaggedError<BudgetExceeded>()("BudgetExceeded", {
  provider: Schema.String,
  message: Schema.String,
  model: Schema.String,
  /** The step that made the call (absent outside a workflow step). */
  stepId: Schema.optionalKey(Schema.String),
  /** Which limit the call would pass. */
  limit: Schema.Literals(["usd", "tokens"]),
  /** The limit's value (USD or tokens). */
  limitValue: Schema.Number,
  /** Spent by finished calls when this one was refused. */
  spentUsd: Schema.Number,
  spentTokens: Schema.Number,
  /** Reserved by calls still in flight. */
  reservedUsd: Schema.Number,
  reservedTokens: Schema.Number,
  /** The worst case of the refused call. */
  requestedUsd: Schema.Number,
  requestedTokens: Schema.Number,
  /** Which budget refused, when not the run's own: `daily` (the workflow's daily budget in the server). */
  budget: Schema.optionalKey(Schema.Literals(["daily"])),
  /** The workflow and day (`YYYY-MM-DD`, UTC) of a daily budget. */
  workflow: Schema.optionalKey(Schema.String),
  day: Schema.optionalKey(Schema.String)
}) {
  readonly retryable = false
}

/**
 * A data-protection policy refused the call before it was sent: the prompt holds personal data (e-mail addresses,
 * phone numbers, card numbers, IBANs, configured patterns) and the policy says `refuse`. `kinds` lists what was
 * found (never the data itself); `step` is the workflow step that made the call. Never retried.
 *
 * @example
 * ```ts
 * Llm.generate(request).pipe(Effect.catchTag("PiiRefused", (e) => Effect.fail(`step ${e.step} sent ${e.kinds.join(", ")}`)))
 * ```
 */
export class PiiRefused extends Schema.TaggedError<PiiRefused>()("PiiRefused", {
  provider: Schema.String,
  message: Schema.String,
  step: Schema.optionalKey(Schema.String),
  kinds: Schema.Array(Schema.String)
}) {
  readonly retryable = false
}

/**
 * A prompt limit refused the call before it was sent: the prompt is larger than the step's limit
 * (`promptTokens`), the step's or the run's prompts together would exceed theirs (`stepPromptTokens`,
 * `runPromptTokens`), or the call asks for more output than allowed (`outputTokens`). Never retried.
 *
 * @example
 * ```ts
 * new PromptLimitExceeded({ provider: "openai", step: "summarize", limit: "promptTokens", tokens: 9120, max: 8000, message: "…" }).retryable // false
 * ```
 */
export class PromptLimitExceeded extends Schema.TaggedError<PromptLimitExceeded>()("PromptLimitExceeded", {
  provider: Schema.String,
  message: Schema.String,
  step: Schema.optionalKey(Schema.String),
  limit: Schema.Literals(["promptTokens", "stepPromptTokens", "runPromptTokens", "outputTokens"]),
  tokens: Schema.Number,
  max: Schema.Number
}) {
  readonly retryable = false
}

/**
 * Any failure of a language-model or embedding call.
 *
 * @example
 * ```ts
 * const describe = (e: LlmError) => `${e._tag} from ${e.provider}: ${e.message}`
 * ```
 */
export type LlmError =
  | RateLimited
  | ProviderTimeout
  | ProviderUnavailable
  | InvalidRequest
  | ContextLengthExceeded
  | ContentFiltered
  | InvalidOutput
  | BudgetExceeded
  | PiiRefused
  | PromptLimitExceeded

/**
 * Schema of {@link LlmError}, for persistence and transport.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(LlmError)({ _tag: "RateLimited", provider: "openai", message: "429" })
 * ```
 */
export const LlmError = Schema.Union([
  RateLimited,
  ProviderTimeout,
  ProviderUnavailable,
  InvalidRequest,
  ContextLengthExceeded,
  ContentFiltered,
  InvalidOutput,
  BudgetExceeded,
  PiiRefused,
  PromptLimitExceeded
])

const tags = new Set(["RateLimited", "ProviderTimeout", "ProviderUnavailable", "InvalidRequest", "ContextLengthExceeded", "ContentFiltered", "InvalidOutput", "BudgetExceeded", "PiiRefused", "PromptLimitExceeded"])

/**
 * True for any {@link LlmError}.
 *
 * @example
 * ```ts
 * isLlmError(new RateLimited({ provider: "openai", message: "429" })) // true
 * isLlmError(new Error("x")) // false
 * ```
 */
export const isLlmError = (u: unknown): u is LlmError =>
  typeof u === "object" && u !== null && "_tag" in u && tags.has((u as { _tag: string })._tag)

/**
 * True when retrying the same call may succeed: LLM rate limits, timeouts, outages and invalid structured output, and
 * any other error that says so with `retryable: true` (vector-store errors do). Use it as a step's retry predicate:
 * `retry: { schedule, while: isRetryable }`.
 *
 * @example
 * ```ts
 * wf.step("answer", { retry: { schedule: Schedule.exponential("200 millis"), times: 3, while: isRetryable } }, run)
 * ```
 */
export const isRetryable = (u: unknown): boolean =>
  isLlmError(u) ? u.retryable : typeof u === "object" && u !== null && (u as { retryable?: unknown }).retryable === true

/**
 * True when another provider or model may serve a call this one could not: the retryable failures of
 * {@link isRetryable}, and a {@link BudgetExceeded} refusal (a cheaper model may fit the budget). YAML `fallback`
 * entries move on for these.
 *
 * @example
 * ```ts
 * Llm.generate({ provider: "openai", model: "gpt-4o", prompt }).pipe(
 *   Effect.catchIf(canFallBack, () => Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt })))
 * ```
 */
export const canFallBack = (u: unknown): boolean =>
  isRetryable(u) || (isLlmError(u) && u._tag === "BudgetExceeded")

/**
 * Token counts reported by one call (or summed over several).
 *
 * @example
 * ```ts
 * const u: Usage = addUsage({ inputTokens: 10, outputTokens: 5 }, { inputTokens: 1, outputTokens: 1 }) // 11 / 6
 * ```
 */
export interface Usage {
  readonly inputTokens: number
  readonly outputTokens: number
}

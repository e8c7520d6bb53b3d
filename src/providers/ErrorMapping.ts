/**
 * Maps SDK / HTTP failures onto the shared {@link LlmError} vocabulary, and carries that vocabulary through effect/ai.
 *
 * effect/ai requires provider hooks to fail with `AiError`, so each adapter failure is an `AiError` whose reason is the
 * closest effect/ai reason AND whose `reason.metadata.llm` holds the encoded {@link LlmError}. {@link toLlmError} turns
 * any `AiError` (ours or effect/ai's own, e.g. a structured output that fails its Schema) back into an {@link LlmError},
 * so callers match on our tags and `retryable`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorMapping } from "llm-orchestrator/providers"
 * const program = model.generateText({ prompt: "hi" }).pipe(
 *   Effect.mapError(ErrorMapping.toLlmError("openai")),
 *   Effect.catchTag("RateLimited", (e) => Effect.succeed(`wait ${e.retryAfterMillis}ms`))
 * )
 * ```
 */
import { Predicate, Redacted, Schema } from "effect"
import { AiError } from "effect/ai"
import {
  BudgetExceeded,
  ContentFiltered,
  ContextLengthExceeded,
  InvalidOutput,
  InvalidRequest,
  isLlmError,
  type LlmError,
  PiiRefused,
  PromptLimitExceeded,
  ProviderTimeout,
  ProviderUnavailable,
  RateLimited
} from "../llm/LlmError.ts"
import { fromAiError } from "../llm/fromAiError.ts"
import { toAiError as llmToAiError } from "../llm/toAiError.ts"


/**
 * Replaces every occurrence of each secret's value in `text` by `<redacted>` (providers echo keys in 401 bodies).
 *
 * @example
 * ```ts
 * ErrorMapping.redactSecrets("bad key sk-123456", [apiKey]) // "bad key <redacted>"
 * ```
 */
export const redactSecrets = (text: string, secrets: ReadonlyArray<Redacted.Redacted<string> | undefined>): string => {
  let out = text
  for (const secret of secrets) {
    if (secret === undefined) continue
    const value = Redacted.value(secret)
    if (value.length >= 4) out = out.split(value).join("<redacted>")
  }
  return out
}

/**
 * Parses a Retry-After (seconds or HTTP date) / retry-after-ms header into milliseconds.
 *
 * @example
 * ```ts
 * ErrorMapping.parseRetryAfter(response.headers) // 2000 for "Retry-After: 2"
 * ```
 */
export const parseRetryAfter = (headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined => {
  if (headers === undefined) return undefined
  const ms = headers.get("retry-after-ms")
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms))
  const value = headers.get("retry-after")
  if (value === null || value.trim() === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const contextLengthPattern = /context[_ ]length|maximum context|too many tokens|prompt is too long|context window/i
const contentFilterPattern = /content[_ ]?(filter|policy)|safety system/i

interface SdkLikeError {
  readonly status?: number | undefined
  readonly headers?: { get(name: string): string | null } | undefined
  readonly code?: string | null | undefined
  readonly type?: string | undefined
  readonly message?: string
  readonly name?: string
  readonly error?: unknown
}

const errorType = (e: SdkLikeError): string => {
  const body = e.error
  if (Predicate.isObject(body)) {
    const inner = (body as { error?: unknown }).error
    if (Predicate.isObject(inner) && typeof (inner as { type?: unknown }).type === "string") {
      return (inner as { type: string }).type
    }
    if (typeof (body as { type?: unknown }).type === "string") return (body as { type: string }).type
  }
  return `${e.code ?? ""} ${e.type ?? ""}`
}

/**
 * Classifies a thrown SDK value (OpenAI or Anthropic: both SDKs share the Stainless error shapes) as an {@link LlmError}.
 * `secrets` are scrubbed from the message.
 *
 * @example
 * ```ts
 * const e = ErrorMapping.fromSdkError("openai", thrown, [apiKey]) // RateLimited | ProviderTimeout | ...
 * ```
 */
export const fromSdkError = (
  provider: string,
  error: unknown,
  secrets: ReadonlyArray<Redacted.Redacted<string> | undefined> = []
): LlmError => {
  if (isLlmError(error)) return error
  const e = (Predicate.isObject(error) ? error : {}) as SdkLikeError
  const name = `${e.name ?? ""} ${Predicate.isObject(error) ? error.constructor.name : ""}`
  const raw = error instanceof Error ? error.message : String(error)
  const message = redactSecrets(raw, secrets)
  const status = typeof e.status === "number" ? e.status : undefined
  if (/APIConnectionTimeoutError|TimeoutError/.test(name) || (status === undefined && /timed? ?out/i.test(raw))) {
    return new ProviderTimeout({ provider, message })
  }
  if (status === undefined) {
    // connection refused / reset / dropped mid-stream, malformed body, aborted fetch
    if (error instanceof SyntaxError) {
      return new ProviderUnavailable({ provider, message: `malformed response: ${message}` })
    }
    return new ProviderUnavailable({ provider, message })
  }
  const kind = `${errorType(e)} ${message}`
  if (status === 429) {
    const retryAfterMillis = parseRetryAfter(e.headers)
    return new RateLimited({ provider, message, ...(retryAfterMillis === undefined ? {} : { retryAfterMillis }) })
  }
  if (status === 408 || status === 504) return new ProviderTimeout({ provider, message })
  if (status === 529 || status >= 500) return new ProviderUnavailable({ provider, message, status })
  if (contextLengthPattern.test(kind)) return new ContextLengthExceeded({ provider, message })
  if (contentFilterPattern.test(kind)) return new ContentFiltered({ provider, message })
  return new InvalidRequest({ provider, message, status })
}

const decode = (u: unknown): LlmError | undefined => {
  if (!Predicate.isObject(u)) return undefined
  const m = u as Record<string, unknown>
  const provider = typeof m.provider === "string" ? m.provider : "unknown"
  const message = typeof m.message === "string" ? m.message : ""
  const status = typeof m.status === "number" ? { status: m.status } : {}
  switch (m._tag) {
    case "RateLimited":
      return new RateLimited({
        provider,
        message,
        ...(typeof m.retryAfterMillis === "number" ? { retryAfterMillis: m.retryAfterMillis } : {})
      })
    case "ProviderTimeout":
      return new ProviderTimeout({ provider, message })
    case "ProviderUnavailable":
      return new ProviderUnavailable({ provider, message, ...status })
    case "InvalidRequest":
      return new InvalidRequest({ provider, message, ...status })
    case "ContextLengthExceeded":
      return new ContextLengthExceeded({ provider, message })
    case "ContentFiltered":
      return new ContentFiltered({ provider, message })
    case "InvalidOutput":
      return new InvalidOutput({ provider, message, raw: typeof m.raw === "string" ? m.raw : "" })
    case "BudgetExceeded": {
      const decoded = Schema.decodeUnknownOption(BudgetExceeded)(m)
      return decoded._tag === "Some" ? decoded.value : new InvalidRequest({ provider, message })
    }
    case "PiiRefused":
      return new PiiRefused({
        provider,
        message,
        ...(typeof m.step === "string" ? { step: m.step } : {}),
        kinds: typeof m.kinds === "string" && m.kinds !== "" ? m.kinds.split(",") : []
      })
    case "PromptLimitExceeded": {
      const limit = m.limit === "stepPromptTokens" || m.limit === "runPromptTokens" || m.limit === "outputTokens" ? m.limit : "promptTokens"
      return new PromptLimitExceeded({
        provider,
        message,
        ...(typeof m.step === "string" ? { step: m.step } : {}),
        limit,
        tokens: typeof m.tokens === "number" ? m.tokens : 0,
        max: typeof m.max === "number" ? m.max : 0
      })
    }
  }
  return undefined
}

/**
 * Wraps an {@link LlmError} into the `AiError` effect/ai hooks must fail with (method first, as adapters call it):
 * the same conversion as `toAiError` of src/llm, whose `reason.metadata.llm` keeps the exact error for
 * {@link toLlmError}.
 *
 * @example
 * ```ts
 * Effect.fail(ErrorMapping.toAiError("generateText", new ProviderUnavailable({ provider: "openai", message: "503", status: 503 })))
 * ```
 */
export const toAiError = (method: string, error: LlmError): AiError.AiError => llmToAiError(error, method)

/**
 * Any failure (our `AiError`, effect/ai's own `AiError`, an {@link LlmError}, a thrown SDK error) as an {@link LlmError}.
 * Dual: `toLlmError("openai")(e)` or `toLlmError("openai", e)`.
 *
 * @example
 * ```ts
 * ErrorMapping.toLlmError("openai", new Error("ECONNREFUSED"))._tag // e.g. "ProviderUnavailable"
 * Effect.mapError(call, ErrorMapping.toLlmError("openai"))
 * ```
 */
export const toLlmError: {
  (provider: string): (error: unknown) => LlmError
  (provider: string, error: unknown): LlmError
} = function(provider: string, ...rest: [] | [unknown]): any {
  if (rest.length === 0) return (error: unknown) => convert(provider, error)
  return convert(provider, rest[0])
} as any

const convert = (provider: string, error: unknown): LlmError => {
  if (isLlmError(error)) return error
  if (!AiError.isAiError(error)) return fromSdkError(provider, error)
  const reason = error.reason
  const carried = "metadata" in reason ? decode((reason.metadata as Record<string, unknown> | undefined)?.llm) : undefined
  if (carried !== undefined) return carried
  return fromAiError(provider, error)
}

/**
 * The {@link LlmError} carried by any failure value, or `undefined` when it is not an LLM failure at all.
 *
 * @example
 * ```ts
 * ErrorMapping.classify(error)?.retryable
 * ```
 */
export const classify = (error: unknown, provider = "unknown"): LlmError | undefined =>
  isLlmError(error) || AiError.isAiError(error) ? convert(provider, error) : undefined

/**
 * The attributes of a GenAI client span (one per language-model or embedding call), named by the pinned convention
 * version: name `{operation} {model}`, kind `client`, request parameters when the call sets them, response model,
 * finish reason and token usage when it ends, `error.type` when it fails. Prompt and completion text are recorded only
 * when the user opts in ({@link CaptureContent}, or `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`):
 * privacy by default.
 *
 * @example
 * ```ts
 * import { GenAiSpan, Semconv } from "llm-orchestrator/telemetry"
 * GenAiSpan.requestAttributes(Semconv.v1_41, { operation: "chat", provider: "openai", model: "gpt-4o", temperature: 0 })
 * // { "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o", "gen_ai.request.temperature": 0 }
 * ```
 */
import { Context } from "effect"
import type { Names } from "./Semconv.ts"

/**
 * What a call asks for (the span's request side).
 *
 * @example
 * ```ts
 * const r: GenAiSpan.Request = { operation: "chat", provider: "anthropic", model: "claude-sonnet-4", maxTokens: 500 }
 * ```
 */
export interface Request {
  readonly operation: string
  readonly provider: string
  readonly model: string
  readonly maxTokens?: number | undefined
  readonly temperature?: number | undefined
  readonly topP?: number | undefined
  readonly stopSequences?: ReadonlyArray<string> | undefined
  /** The prompt (recorded only with {@link CaptureContent}). */
  readonly prompt?: unknown
  /** The system instructions (recorded only with {@link CaptureContent}). */
  readonly system?: string | undefined
}

/**
 * What a call returned (the span's response side).
 *
 * @example
 * ```ts
 * const r: GenAiSpan.Response = { model: "gpt-4o-2024-08-06", finishReason: "stop", usage: { inputTokens: 10, outputTokens: 3 } }
 * ```
 */
export interface Response {
  readonly model?: string | undefined
  readonly finishReason?: string | undefined
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number } | undefined
  /** The completion (recorded only with {@link CaptureContent}). */
  readonly output?: unknown
}

/**
 * Whether prompt and completion text go on spans. Default: the environment variable
 * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` (`true` to record), read once.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provideService(GenAiSpan.CaptureContent, true))
 * ```
 */
export const CaptureContent: Context.Reference<boolean> = Context.Reference<boolean>("llm-orchestrator/telemetry/CaptureContent", {
  defaultValue: () => globalThis.process?.env?.["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"]?.toLowerCase() === "true"
})

/**
 * The span name: `{operation} {model}`.
 *
 * @example
 * ```ts
 * GenAiSpan.spanName({ operation: "chat", provider: "openai", model: "gpt-4o" }) // "chat gpt-4o"
 * ```
 */
export const spanName = (request: Request): string => `${request.operation} ${request.model}`

const messagesOf = (prompt: unknown): string => {
  if (typeof prompt === "string") return JSON.stringify([{ role: "user", parts: [{ type: "text", content: prompt }] }])
  return JSON.stringify(prompt) ?? ""
}

/**
 * The request attributes of a call's span.
 *
 * @example
 * ```ts
 * GenAiSpan.requestAttributes(Semconv.latest, request, { capture: true }) // adds gen_ai.input.messages
 * ```
 */
export const requestAttributes = (
  names: Names,
  request: Request,
  options?: { readonly capture?: boolean | undefined }
): Record<string, unknown> => {
  const a = names.attributes
  const out: Record<string, unknown> = {
    [a.operationName]: request.operation,
    [a.providerName]: request.provider,
    [a.requestModel]: request.model
  }
  if (request.maxTokens !== undefined) out[a.requestMaxTokens] = request.maxTokens
  if (request.temperature !== undefined) out[a.requestTemperature] = request.temperature
  if (request.topP !== undefined) out[a.requestTopP] = request.topP
  if (request.stopSequences !== undefined) out[a.requestStopSequences] = [...request.stopSequences]
  if (options?.capture === true) {
    if (request.prompt !== undefined) out[a.inputMessages] = messagesOf(request.prompt)
    if (request.system !== undefined) out[a.systemInstructions] = JSON.stringify([{ type: "text", content: request.system }])
  }
  return out
}

/**
 * The response attributes of a call's span.
 *
 * @example
 * ```ts
 * GenAiSpan.responseAttributes(Semconv.v1_41, { model: "gpt-4o", usage: { inputTokens: 1, outputTokens: 2 } })
 * ```
 */
export const responseAttributes = (
  names: Names,
  response: Response,
  options?: { readonly capture?: boolean | undefined }
): Record<string, unknown> => {
  const a = names.attributes
  const out: Record<string, unknown> = {}
  if (response.model !== undefined) out[a.responseModel] = response.model
  if (response.finishReason !== undefined) out[a.responseFinishReasons] = [response.finishReason]
  if (response.usage !== undefined) {
    out[a.usageInputTokens] = response.usage.inputTokens
    out[a.usageOutputTokens] = response.usage.outputTokens
  }
  if (options?.capture === true && response.output !== undefined) {
    const parts = typeof response.output === "string"
      ? [{ type: "text", content: response.output }]
      : [{ type: "text", content: JSON.stringify(response.output) }]
    out[a.outputMessages] = JSON.stringify([{ role: "assistant", parts, ...(response.finishReason === undefined ? {} : { finish_reason: response.finishReason }) }])
  }
  return out
}

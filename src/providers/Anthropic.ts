/**
 * Anthropic adapter over the official `@anthropic-ai/sdk`: an effect/ai `LanguageModel` for the Messages API — text,
 * system prompts, stop sequences, tool calls passed through, SSE streaming, and structured output through a forced
 * tool whose `input_schema` is the output Schema (the tool input comes back as the JSON text effect/ai decodes).
 *
 * As with {@link OpenAi}: SDK retries off (`maxRetries: 0`), key `Redacted` and scrubbed from errors, failures are
 * `AiError`s carrying an `LlmError`, per-call model/settings from src/llm `GenerationOptions`, usage to `UsageMetrics`.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { LanguageModel } from "effect/ai"
 * import { Anthropic } from "llm-orchestrator/providers"
 * const layer = Anthropic.layer({ model: "claude-sonnet-4-5", apiKey: Redacted.make(process.env.ANTHROPIC_API_KEY!) })
 * const text = LanguageModel.generateText({ prompt: "Say hi" }).pipe(Effect.map((r) => r.text), Effect.provide(layer))
 * const fromEnv = Anthropic.layerConfig()   // ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, ANTHROPIC_MODEL
 * ```
 */
import AnthropicSdk from "@anthropic-ai/sdk"
import { Config, Duration, Effect, Layer, Option, Redacted, Stream } from "effect"
import { AnthropicStructuredOutput, LanguageModel, type Prompt, type Response, Tool } from "effect/ai"
import { GenerationOptions } from "../llm/GenerationOptions.ts"
import * as Llm from "../llm/Llm.ts"
import { ContentFiltered, ContextLengthExceeded, InvalidOutput, type LlmError, ProviderUnavailable } from "../llm/LlmError.ts"
import type { LlmProvider } from "../llm/LlmProvider.ts"
import { fromSdkError, toAiError } from "./ErrorMapping.ts"
import * as FileData from "./FileData.ts"
import * as Pricing from "./Pricing.ts"
import { openStream } from "./StreamRequest.ts"
import * as UsageMetrics from "./UsageMetrics.ts"

/**
 * Options of the Anthropic adapter.
 *
 * @example
 * ```ts
 * const options: Anthropic.Options = { model: "claude-sonnet-4-5", apiKey: Redacted.make(key), timeout: "60 seconds" }
 * ```
 */
export interface Options {
  /** Model id, e.g. `claude-sonnet-4-5`. */
  readonly model: string
  /** Provider name used in errors, events, metrics and costs (default `anthropic`). */
  readonly provider?: string | undefined
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Base URL (default: the SDK's, api.anthropic.com). */
  readonly baseUrl?: string | undefined
  /** Per-request deadline (default 60 s). */
  readonly timeout?: Duration.Input | undefined
  /** `max_tokens` when the call does not set one (the Messages API requires it). Default 4096. */
  readonly defaultMaxTokens?: number | undefined
  readonly prices?: Pricing.PriceTable | undefined
}

/**
 * Builds the SDK client: `maxRetries: 0`, logging off, environment ignored.
 *
 * @example
 * ```ts
 * const client = Anthropic.makeClient({ model: "claude-sonnet-4-5", apiKey })
 * ```
 */
export const makeClient = (options: Options): AnthropicSdk =>
  new AnthropicSdk({
    apiKey: options.apiKey === undefined ? null : Redacted.value(options.apiKey),
    authToken: null,
    baseURL: options.baseUrl ?? "https://api.anthropic.com",
    maxRetries: 0,
    timeout: Duration.toMillis(Duration.fromInputUnsafe(options.timeout ?? "60 seconds")),
    logLevel: "off",
    ...(options.apiKey === undefined ? { defaultHeaders: { "X-Api-Key": null, Authorization: null } } : {})
  })

type MessageParam = AnthropicSdk.Messages.MessageParam
type ContentBlockParam = AnthropicSdk.Messages.ContentBlockParam

/**
 * effect/ai prompt -> `{ system, messages }`.
 *
 * @example
 * ```ts
 * Anthropic.toMessages(Prompt.make("hi")) // { system: undefined, messages: [{ role: "user", content: [...] }] }
 * ```
 */
export const toMessages = (prompt: Prompt.Prompt): { system: string | undefined; messages: Array<MessageParam> } => {
  const system: Array<string> = []
  const messages: Array<MessageParam> = []
  for (const message of prompt.content) {
    switch (message.role) {
      case "system":
        system.push(message.content)
        break
      case "user": {
        // images go as image blocks in prompt order; other files are not sent
        const content: Array<ContentBlockParam> = message.content.flatMap((p): Array<ContentBlockParam> => {
          if (p.type === "text") return [{ type: "text", text: p.text }]
          if (p.type !== "file" || !FileData.isImage(p)) return []
          const url = FileData.remoteUrl(p)
          return [{
            type: "image",
            source: url !== undefined
              ? { type: "url", url }
              : { type: "base64", media_type: p.mediaType as "image/png", data: FileData.toBase64(p) }
          }]
        })
        messages.push({ role: "user", content })
        break
      }
      case "assistant": {
        const content: Array<ContentBlockParam> = message.content.flatMap((p): Array<ContentBlockParam> =>
          p.type === "text"
            ? [{ type: "text", text: p.text }]
            : p.type === "tool-call" && !p.providerExecuted
            ? [{ type: "tool_use", id: p.id, name: p.name, input: p.params as Record<string, unknown> }]
            : []
        )
        messages.push({ role: "assistant", content })
        break
      }
      case "tool": {
        const content: Array<ContentBlockParam> = message.content.flatMap((p): Array<ContentBlockParam> =>
          p.type === "tool-result"
            ? [{ type: "tool_result", tool_use_id: p.id, content: JSON.stringify(p.result), is_error: p.isFailure }]
            : []
        )
        messages.push({ role: "user", content })
        break
      }
    }
  }
  return { system: system.length === 0 ? undefined : system.join("\n\n"), messages }
}

const finishReason = (reason: string | null | undefined): Response.FinishReason => {
  switch (reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop"
    case "max_tokens":
      return "length"
    case "tool_use":
      return "tool-calls"
    case "refusal":
      return "content-filter"
    case "pause_turn":
      return "pause"
    default:
      return "unknown"
  }
}

const usageOf = (input: number, output: number, cacheRead?: number | null): typeof Response.Usage.Encoded => ({
  inputTokens: { total: input, ...(typeof cacheRead === "number" ? { cacheRead } : {}) },
  outputTokens: { total: output }
})

/**
 * The effect/ai `LanguageModel` of an Anthropic model.
 *
 * @example
 * ```ts
 * const model = yield* Anthropic.make({ model: "claude-sonnet-4-5", apiKey })
 * ```
 */
export const make = Effect.fnUntraced(function*(options: Options, client: AnthropicSdk = makeClient(options)) {
  const provider = options.provider ?? "anthropic"
  const prices = Pricing.table(options.prices)
  const secrets = [options.apiKey]
  const fail = (method: string) => (error: unknown) => toAiError(method, fromSdkError(provider, error, secrets))
  const failWith = (method: string, error: LlmError) => toAiError(method, error)

  const body = Effect.fnUntraced(function*(providerOptions: LanguageModel.ProviderOptions) {
    const gen = yield* GenerationOptions
    const { messages, system } = toMessages(providerOptions.prompt)
    const format = providerOptions.responseFormat
    const userTools = providerOptions.tools.filter((t) => Tool.isUserDefined(t) || Tool.isDynamic(t)).map((t) => ({
      name: t.name,
      ...(Tool.getDescription(t) === undefined ? {} : { description: Tool.getDescription(t)! }),
      input_schema: Tool.getJsonSchema(t) as AnthropicSdk.Messages.Tool.InputSchema
    }))
    // structured output: one forced tool whose input is the object
    const outputTool = format.type === "json"
      ? {
        name: format.objectName,
        description: `Respond with the ${format.objectName} as this tool's input.`,
        input_schema: AnthropicStructuredOutput.toCodecAnthropic(format.schema as any).jsonSchema as AnthropicSdk.Messages.Tool.InputSchema
      }
      : undefined
    const tools = outputTool === undefined ? userTools : [...userTools, outputTool]
    const choice = providerOptions.toolChoice
    const tool_choice: AnthropicSdk.Messages.ToolChoice | undefined = outputTool !== undefined
      ? { type: "tool", name: outputTool.name }
      : userTools.length === 0
      ? undefined
      : typeof choice === "string"
      ? (choice === "required" ? { type: "any" } : { type: choice })
      : "tool" in choice
      ? { type: "tool", name: choice.tool }
      : { type: choice.mode === "required" ? "any" : "auto" }
    return {
      request: {
        model: gen.model === "" ? options.model : gen.model,
        max_tokens: gen.maxTokens ?? options.defaultMaxTokens ?? 4096,
        messages,
        ...(system === undefined ? {} : { system }),
        ...(tools.length === 0 ? {} : { tools }),
        ...(tool_choice === undefined ? {} : { tool_choice }),
        ...(gen.temperature === undefined ? {} : { temperature: gen.temperature }),
        ...(gen.stopSequences === undefined ? {} : { stop_sequences: [...gen.stopSequences] })
      },
      outputTool: outputTool?.name
    }
  })

  const generateText = (providerOptions: LanguageModel.ProviderOptions) =>
    Effect.gen(function*() {
      const { outputTool, request } = yield* body(providerOptions)
      const res = yield* Effect.tryPromise({
        try: (signal) => client.messages.create({ ...request, stream: false }, { signal }),
        catch: fail("generateText")
      })
      if (res.stop_reason === "refusal") {
        return yield* Effect.fail(failWith("generateText", new ContentFiltered({ provider, message: "the model refused (stop_reason refusal)" })))
      }
      if (res.stop_reason === "model_context_window_exceeded") {
        return yield* Effect.fail(failWith("generateText", new ContextLengthExceeded({ provider, message: "model context window exceeded" })))
      }
      const parts: Array<Response.PartEncoded> = [{ type: "response-metadata", id: res.id, modelId: res.model }]
      for (const block of res.content) {
        if (block.type === "text") parts.push({ type: "text", text: block.text })
        else if (block.type === "tool_use") {
          parts.push(
            block.name === outputTool
              ? { type: "text", text: JSON.stringify(block.input) }
              : { type: "tool-call", id: block.id, name: block.name, params: block.input }
          )
        }
      }
      if (outputTool !== undefined && !res.content.some((b) => b.type === "tool_use" && b.name === outputTool)) {
        const raw = res.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("")
        return yield* Effect.fail(failWith("generateText", new InvalidOutput({ provider, message: `the model did not call the ${outputTool} tool`, raw })))
      }
      const reason = outputTool !== undefined && res.stop_reason === "tool_use" ? "stop" : finishReason(res.stop_reason)
      parts.push({ type: "finish", reason, usage: usageOf(res.usage.input_tokens, res.usage.output_tokens, res.usage.cache_read_input_tokens) })
      yield* UsageMetrics.record(prices, provider, res.model ?? request.model, res.usage.input_tokens, res.usage.output_tokens)
      return parts
    })

  const streamText = (providerOptions: LanguageModel.ProviderOptions) =>
    Stream.unwrap(Effect.gen(function*() {
      const { request } = yield* body(providerOptions)
      const events = yield* openStream((signal) => client.messages.create({ ...request, stream: true }, { signal }), fail("streamText"))
      let model = request.model
      let input = 0
      let output = 0
      let reason: Response.FinishReason = "unknown"
      const tools = new Map<number, { id: string; name: string; json: string }>()
      const onEvent = (event: AnthropicSdk.Messages.RawMessageStreamEvent): Stream.Stream<Response.StreamPartEncoded, import("effect/ai").AiError.AiError> => {
        switch (event.type) {
          case "message_start":
            model = event.message.model
            input = event.message.usage.input_tokens
            output = event.message.usage.output_tokens
            return Stream.empty
          case "content_block_start":
            if (event.content_block.type === "text") return Stream.make({ type: "text-start", id: String(event.index) })
            if (event.content_block.type === "tool_use") {
              tools.set(event.index, { id: event.content_block.id, name: event.content_block.name, json: "" })
            }
            return Stream.empty
          case "content_block_delta":
            if (event.delta.type === "text_delta") {
              return Stream.make({ type: "text-delta", id: String(event.index), delta: event.delta.text })
            }
            if (event.delta.type === "input_json_delta") {
              const t = tools.get(event.index)
              if (t !== undefined) t.json += event.delta.partial_json
            }
            return Stream.empty
          case "content_block_stop": {
            const t = tools.get(event.index)
            if (t === undefined) return Stream.make({ type: "text-end", id: String(event.index) })
            try {
              return Stream.make({ type: "tool-call", id: t.id, name: t.name, params: t.json === "" ? {} : JSON.parse(t.json) })
            } catch {
              return Stream.fail(failWith("streamText", new InvalidOutput({ provider, message: "tool input is not JSON", raw: t.json })))
            }
          }
          case "message_delta":
            if (event.usage.output_tokens !== null && event.usage.output_tokens !== undefined) output = event.usage.output_tokens
            if (event.usage.input_tokens) input = event.usage.input_tokens
            reason = finishReason(event.delta.stop_reason)
            if (event.delta.stop_reason === "refusal") {
              return Stream.fail(failWith("streamText", new ContentFiltered({ provider, message: "the model refused (stop_reason refusal)" })))
            }
            return Stream.empty
          case "message_stop":
            return Stream.make({ type: "finish", reason, usage: usageOf(input, output) }).pipe(
              Stream.concat(Stream.fromEffectDrain(UsageMetrics.record(prices, provider, model, input, output)))
            )
          default: {
            // the API may send `{ type: "error", error: { type: "overloaded_error", message } }` mid-stream
            const unknown = event as { type: string; error?: { type?: string; message?: string } }
            if (unknown.type === "error") {
              return Stream.fail(failWith("streamText", new ProviderUnavailable({ provider, message: unknown.error?.message ?? "stream error" })))
            }
            return Stream.empty
          }
        }
      }
      return Stream.fromAsyncIterable(events, fail("streamText")).pipe(Stream.flatMap(onEvent))
    }))

  return yield* LanguageModel.make({
    generateText,
    streamText,
    codecTransformer: AnthropicStructuredOutput.toCodecAnthropic as LanguageModel.CodecTransformer
  })
})

/**
 * Layer of the Anthropic `LanguageModel`.
 *
 * @example
 * ```ts
 * LanguageModel.generateText({ prompt: "hi" }).pipe(Effect.provide(Anthropic.layer({ model: "claude-haiku-4-5", apiKey })))
 * ```
 */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))

/**
 * The adapter as a named provider of the src/llm `Llm` service.
 *
 * @example
 * ```ts
 * Llm.generate({ provider: "claude", model: "claude-haiku-4-5", prompt: "hi" }).pipe(Effect.provide(Anthropic.layerLlm("claude", { model: "claude-haiku-4-5", apiKey })))
 * ```
 */
export const layerLlm = <const N extends string>(name: N, options: Options): Layer.Layer<LlmProvider<N>> =>
  Llm.layer(name, layer({ provider: name, ...options }))

/**
 * Adapter options from configuration: `ANTHROPIC_API_KEY` (Redacted), `ANTHROPIC_BASE_URL`, `ANTHROPIC_MODEL`
 * (default `claude-sonnet-4-5`), `ANTHROPIC_TIMEOUT`. `overrides` win.
 *
 * @example
 * ```ts
 * const options = yield* Anthropic.config()
 * ```
 */
export const config = (overrides: Partial<Options> = {}): Config.Config<Options> =>
  Config.all({
    apiKey: Config.option(Config.Redacted("ANTHROPIC_API_KEY")),
    baseUrl: Config.option(Config.String("ANTHROPIC_BASE_URL")),
    model: Config.String("ANTHROPIC_MODEL").pipe(Config.withDefault("claude-sonnet-4-5")),
    timeout: Config.option(Config.Duration("ANTHROPIC_TIMEOUT"))
  }).pipe(Config.map((c): Options => ({
    model: c.model,
    ...Option.match(c.apiKey, { onNone: () => ({}), onSome: (apiKey) => ({ apiKey }) }),
    ...Option.match(c.baseUrl, { onNone: () => ({}), onSome: (baseUrl) => ({ baseUrl }) }),
    ...Option.match(c.timeout, { onNone: () => ({}), onSome: (timeout) => ({ timeout }) }),
    ...overrides
  })))

/**
 * `LanguageModel` layer built from {@link config}.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(Anthropic.layerConfig()))   // reads ANTHROPIC_API_KEY, ANTHROPIC_MODEL, ...
 * ```
 */
export const layerConfig = (overrides: Partial<Options> = {}): Layer.Layer<LanguageModel.LanguageModel, Config.ConfigError> =>
  Layer.unwrap(Effect.map(config(overrides), layer))

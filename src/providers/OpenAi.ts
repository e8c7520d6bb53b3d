/**
 * OpenAI adapter (and every OpenAI-compatible server: Ollama, vLLM, llama.cpp, LM Studio) over the official `openai`
 * SDK: effect/ai `LanguageModel` (text, structured output through a JSON-schema response format, SSE streaming, tool
 * calls passed through) and `EmbeddingModel` (batched: one HTTP request per `maxBatchSize` texts).
 *
 * The SDK's own retries are off (`maxRetries: 0`): retrying is the reliability layer's job. The key is `Redacted`,
 * never logged (SDK logging is off) and scrubbed from error messages. Errors are `AiError`s carrying an `LlmError`
 * (see `ErrorMapping.toLlmError`). Per call, the model id and sampling settings come from src/llm `GenerationOptions`
 * when set (the `Llm` service sets them), else from these options. Tokens and estimated cost go to `UsageMetrics`.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { LanguageModel } from "effect/ai"
 * import { OpenAi } from "llm-orchestrator/providers"
 * const layer = OpenAi.layer({ model: "gpt-4o-mini", apiKey: Redacted.make(process.env.OPENAI_API_KEY!) })
 * const text = LanguageModel.generateText({ prompt: "Say hi" }).pipe(Effect.map((r) => r.text), Effect.provide(layer))
 * // or from the environment (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID, OPENAI_MODEL):
 * const fromEnv = OpenAi.layerConfig()
 * ```
 */
import { Config, Duration, Effect, Layer, Option, Redacted, Stream } from "effect"
import { EmbeddingModel, LanguageModel, OpenAiStructuredOutput, type Prompt, type Response, Tool } from "effect/ai"
import OpenAI from "openai"
import { ContentFiltered, InvalidOutput, type LlmError } from "../llm/LlmError.ts"
import { fromSdkError, toAiError } from "./ErrorMapping.ts"
import * as FileData from "./FileData.ts"
import { GenerationOptions } from "../llm/GenerationOptions.ts"
import * as Llm from "../llm/Llm.ts"
import type { LlmProvider } from "../llm/LlmProvider.ts"
import * as Pricing from "./Pricing.ts"
import { openStream } from "./StreamRequest.ts"
import * as UsageMetrics from "./UsageMetrics.ts"

/**
 * Options of the OpenAI adapter.
 *
 * @example
 * ```ts
 * const options: OpenAi.Options = { model: "gpt-4o-mini", apiKey: Redacted.make(key), embeddingModel: "text-embedding-3-small" }
 * ```
 */
export interface Options {
  /** Chat model id, e.g. `gpt-4o-mini` (or the local server's model name). */
  readonly model: string
  /** Embedding model id (default `text-embedding-3-small`). */
  readonly embeddingModel?: string | undefined
  /** Provider name used in errors, events, metrics and costs (default `openai`). */
  readonly provider?: string | undefined
  /** API key. Omit for local servers: then no Authorization header is sent at all. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Base URL, e.g. `http://127.0.0.1:11434/v1` for Ollama (default: the SDK's, api.openai.com). */
  readonly baseUrl?: string | undefined
  readonly organization?: string | undefined
  readonly project?: string | undefined
  /** Per-request deadline (default 60 s); past it the call fails with `ProviderTimeout`. */
  readonly timeout?: Duration.Input | undefined
  /** Texts per embeddings request (default 2048, OpenAI's limit). */
  readonly maxBatchSize?: number | undefined
  /** Price table overrides/additions (USD per 1M tokens). */
  readonly prices?: Pricing.PriceTable | undefined
  /** Send JSON-schema structured output as `strict` (default true; set false for servers that reject it). */
  readonly strictJsonSchema?: boolean | undefined
}

/**
 * Builds the SDK client. `maxRetries: 0` (our policies retry), logging off, env vars ignored (config is explicit).
 *
 * @example
 * ```ts
 * const client = OpenAi.makeClient({ model: "gpt-4o", apiKey })
 * ```
 */
export const makeClient = (options: Options): OpenAI =>
  new OpenAI({
    apiKey: options.apiKey === undefined ? "unused" : Redacted.value(options.apiKey),
    baseURL: options.baseUrl ?? "https://api.openai.com/v1",
    organization: options.organization ?? null,
    project: options.project ?? null,
    maxRetries: 0,
    timeout: Duration.toMillis(Duration.fromInputUnsafe(options.timeout ?? "60 seconds")),
    logLevel: "off",
    // without a key, drop the Authorization header entirely instead of sending a placeholder
    ...(options.apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {})
  })

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam

const textOf = (parts: ReadonlyArray<{ readonly type: string }>): string =>
  parts.flatMap((p) => (p.type === "text" ? [(p as Prompt.TextPart).text] : [])).join("")

/**
 * effect/ai prompt -> chat messages.
 *
 * @example
 * ```ts
 * OpenAi.toMessages(Prompt.make("hi")) // [{ role: "user", content: "hi" }]
 * ```
 */
export const toMessages = (prompt: Prompt.Prompt): Array<ChatMessage> => {
  const out: Array<ChatMessage> = []
  for (const message of prompt.content) {
    switch (message.role) {
      case "system":
        out.push({ role: "system", content: message.content })
        break
      case "user": {
        const images = message.content.filter((p) => p.type === "file" && FileData.isImage(p))
        if (images.length === 0) {
          out.push({ role: "user", content: textOf(message.content) })
          break
        }
        // images go as content parts next to the text, in prompt order; other files are not sent
        out.push({
          role: "user",
          content: message.content.flatMap((p): Array<OpenAI.Chat.Completions.ChatCompletionContentPart> =>
            p.type === "text"
              ? [{ type: "text", text: p.text }]
              : p.type === "file" && FileData.isImage(p)
              ? [{ type: "image_url", image_url: { url: FileData.toDataUrl(p) } }]
              : []
          )
        })
        break
      }
      case "assistant": {
        const calls = message.content.flatMap((p) =>
          p.type === "tool-call" && !p.providerExecuted
            ? [{ id: p.id, type: "function" as const, function: { name: p.name, arguments: JSON.stringify(p.params) } }]
            : []
        )
        out.push({ role: "assistant", content: textOf(message.content), ...(calls.length > 0 ? { tool_calls: calls } : {}) })
        break
      }
      case "tool":
        for (const part of message.content) {
          if (part.type === "tool-result") {
            out.push({ role: "tool", tool_call_id: part.id, content: JSON.stringify(part.result) })
          }
        }
        break
    }
  }
  return out
}

const toTools = (options: LanguageModel.ProviderOptions) => {
  const tools = options.tools.filter((t) => Tool.isUserDefined(t) || Tool.isDynamic(t))
  if (tools.length === 0) return {}
  const choice = options.toolChoice
  const tool_choice = typeof choice === "string"
    ? choice
    : "tool" in choice
    ? { type: "function" as const, function: { name: choice.tool } }
    : (choice.mode ?? "auto")
  return {
    tools: tools.map((t) => ({
      type: "function" as const,
      function: {
        name: t.name,
        ...(Tool.getDescription(t) === undefined ? {} : { description: Tool.getDescription(t)! }),
        parameters: Tool.getJsonSchema(t) as Record<string, unknown>
      }
    })),
    tool_choice
  }
}

const finishReason = (reason: string | null | undefined): Response.FinishReason => {
  switch (reason) {
    case "stop":
      return "stop"
    case "length":
      return "length"
    case "content_filter":
      return "content-filter"
    case "tool_calls":
    case "function_call":
      return "tool-calls"
    default:
      return "unknown"
  }
}

const usageOf = (u: OpenAI.Completions.CompletionUsage | null | undefined): typeof Response.Usage.Encoded => ({
  inputTokens: {
    total: u?.prompt_tokens ?? 0,
    ...(u?.prompt_tokens_details?.cached_tokens === undefined ? {} : { cacheRead: u.prompt_tokens_details.cached_tokens })
  },
  outputTokens: { total: u?.completion_tokens ?? 0 }
})

const parseArguments = (provider: string, raw: string): unknown => {
  try {
    return raw.trim() === "" ? {} : JSON.parse(raw)
  } catch {
    throw new InvalidOutput({ provider, message: "tool call arguments are not JSON", raw })
  }
}

/**
 * The effect/ai `LanguageModel` of an OpenAI(-compatible) chat model.
 *
 * @example
 * ```ts
 * const model = yield* OpenAi.make({ model: "gpt-4o-mini", apiKey, baseUrl })
 * ```
 */
export const make = Effect.fnUntraced(function*(options: Options, client: OpenAI = makeClient(options)) {
  const provider = options.provider ?? "openai"
  const prices = Pricing.table(options.prices)
  const secrets = [options.apiKey]
  const fail = (method: string) => (error: unknown) => toAiError(method, fromSdkError(provider, error, secrets))
  const recordUsage = (model: string, input: number, output: number) =>
    UsageMetrics.record(prices, provider, model, input, output)

  const body = Effect.fnUntraced(function*(providerOptions: LanguageModel.ProviderOptions) {
    const gen = yield* GenerationOptions
    const format = providerOptions.responseFormat
    return {
      model: gen.model === "" ? options.model : gen.model,
      messages: toMessages(providerOptions.prompt),
      ...toTools(providerOptions),
      ...(format.type === "json"
        ? {
          response_format: {
            type: "json_schema" as const,
            json_schema: {
              name: format.objectName,
              schema: OpenAiStructuredOutput.toCodecOpenAI(format.schema as any).jsonSchema as Record<string, unknown>,
              strict: options.strictJsonSchema ?? true
            }
          }
        }
        : {}),
      ...(gen.temperature === undefined ? {} : { temperature: gen.temperature }),
      ...(gen.maxTokens === undefined ? {} : { max_completion_tokens: gen.maxTokens }),
      ...(gen.stopSequences === undefined ? {} : { stop: [...gen.stopSequences] })
    }
  })

  const generateText = (providerOptions: LanguageModel.ProviderOptions) =>
    Effect.gen(function*() {
      const request = yield* body(providerOptions)
      const res = yield* Effect.tryPromise({
        try: (signal) => client.chat.completions.create({ ...request, stream: false }, { signal }),
        catch: fail("generateText")
      })
      const choice = res.choices[0]
      const message = choice?.message
      const parts: Array<Response.PartEncoded> = [{ type: "response-metadata", id: res.id, modelId: res.model }]
      const refusal = message?.refusal
      if (choice?.finish_reason === "content_filter" || (typeof refusal === "string" && refusal.length > 0)) {
        return yield* Effect.fail(toAiError(
          "generateText",
          new ContentFiltered({ provider, message: refusal ?? "the provider's content filter stopped the answer" })
        ))
      }
      if (typeof message?.content === "string" && message.content.length > 0) {
        parts.push({ type: "text", text: message.content })
      }
      for (const call of message?.tool_calls ?? []) {
        if (call.type !== "function") continue
        const params = yield* Effect.try({
          try: () => parseArguments(provider, call.function.arguments),
          catch: (e) => toAiError("generateText", e as LlmError)
        })
        parts.push({ type: "tool-call", id: call.id, name: call.function.name, params })
      }
      parts.push({ type: "finish", reason: finishReason(choice?.finish_reason), usage: usageOf(res.usage) })
      yield* recordUsage(res.model ?? request.model, res.usage?.prompt_tokens ?? 0, res.usage?.completion_tokens ?? 0)
      return parts
    })

  const streamText = (providerOptions: LanguageModel.ProviderOptions) =>
    Stream.unwrap(Effect.gen(function*() {
      const request = yield* body(providerOptions)
      const chunks = yield* openStream(
        (signal) => client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } }, { signal }),
        fail("streamText")
      )
      // per-stream state: the text block, tool calls being assembled, the final reason and usage
      let textOpen = false
      let model = request.model
      let reason: Response.FinishReason = "unknown"
      let usage: OpenAI.Completions.CompletionUsage | undefined
      const calls = new Map<number, { id: string; name: string; args: string }>()
      const onChunk = (chunk: OpenAI.Chat.Completions.ChatCompletionChunk): Array<Response.StreamPartEncoded> => {
        const out: Array<Response.StreamPartEncoded> = []
        if (chunk.model) model = chunk.model
        if (chunk.usage) usage = chunk.usage
        const choice = chunk.choices[0]
        if (choice === undefined) return out
        const delta = choice.delta
        if (typeof delta?.content === "string" && delta.content.length > 0) {
          if (!textOpen) {
            textOpen = true
            out.push({ type: "text-start", id: "0" })
          }
          out.push({ type: "text-delta", id: "0", delta: delta.content })
        }
        for (const tc of delta?.tool_calls ?? []) {
          const current = calls.get(tc.index) ?? { id: tc.id ?? `call_${tc.index}`, name: "", args: "" }
          if (tc.function?.name) current.name += tc.function.name
          if (tc.function?.arguments) current.args += tc.function.arguments
          calls.set(tc.index, current)
        }
        if (choice.finish_reason) reason = finishReason(choice.finish_reason)
        return out
      }
      const finish = Stream.suspend(() => {
        if (reason === "content-filter") {
          return Stream.fail(toAiError("streamText", new ContentFiltered({ provider, message: "the provider's content filter stopped the answer" })))
        }
        const out: Array<Response.StreamPartEncoded> = []
        if (textOpen) out.push({ type: "text-end", id: "0" })
        for (const call of calls.values()) {
          try {
            out.push({ type: "tool-call", id: call.id, name: call.name, params: parseArguments(provider, call.args) })
          } catch (e) {
            return Stream.fail(toAiError("streamText", e as LlmError))
          }
        }
        out.push({ type: "finish", reason, usage: usageOf(usage) })
        return Stream.fromIterable(out).pipe(
          Stream.concat(Stream.fromEffectDrain(
            recordUsage(model, usage?.prompt_tokens ?? 0, usage?.completion_tokens ?? 0)
          ))
        )
      })
      return Stream.fromAsyncIterable(chunks, fail("streamText")).pipe(
        Stream.flatMap((chunk) => Stream.fromIterable(onChunk(chunk))),
        Stream.concat(finish)
      )
    }))

  return yield* LanguageModel.make({
    generateText,
    streamText,
    codecTransformer: OpenAiStructuredOutput.toCodecOpenAI as LanguageModel.CodecTransformer
  })
})

/**
 * The effect/ai `EmbeddingModel` of an OpenAI(-compatible) embedding model; batches up to `maxBatchSize` per request.
 *
 * @example
 * ```ts
 * const embeddings = yield* OpenAi.makeEmbeddings({ model: "unused", embeddingModel: "text-embedding-3-small", apiKey })
 * ```
 */
export const makeEmbeddings = Effect.fnUntraced(function*(options: Options, client: OpenAI = makeClient(options)) {
  const provider = options.provider ?? "openai"
  const model = options.embeddingModel ?? "text-embedding-3-small"
  const batch = Math.max(1, options.maxBatchSize ?? 2048)
  const prices = Pricing.table(options.prices)
  const embedBatch = (inputs: ReadonlyArray<string>) =>
    Effect.tryPromise({
      try: (signal) => client.embeddings.create({ model, input: [...inputs] }, { signal }),
      catch: (e) => toAiError("embedMany", fromSdkError(provider, e, [options.apiKey]))
    })
  return yield* EmbeddingModel.make({
    embedMany: ({ inputs }) =>
      Effect.gen(function*() {
        const results: Array<Array<number>> = []
        let tokens = 0
        for (let i = 0; i < inputs.length; i += batch) {
          const res = yield* embedBatch(inputs.slice(i, i + batch))
          const sorted = [...res.data].sort((a, b) => a.index - b.index)
          for (const d of sorted) results.push(d.embedding)
          tokens += res.usage?.prompt_tokens ?? 0
        }
        yield* UsageMetrics.record(prices, provider, model, tokens, 0)
        return { results, usage: { inputTokens: tokens } }
      })
  })
})

/**
 * Layer of the OpenAI `LanguageModel`.
 *
 * @example
 * ```ts
 * LanguageModel.generateText({ prompt: "hi" }).pipe(Effect.provide(OpenAi.layer({ model: "gpt-4o", apiKey })))
 * ```
 */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))

/**
 * Layer of the OpenAI `EmbeddingModel`.
 *
 * @example
 * ```ts
 * EmbeddingModel.EmbeddingModel.use((m) => m.embed("hi")).pipe(Effect.provide(OpenAi.layerEmbeddings({ model: "gpt-4o", apiKey })))
 * ```
 */
export const layerEmbeddings = (options: Options): Layer.Layer<EmbeddingModel.EmbeddingModel> =>
  Layer.effect(EmbeddingModel.EmbeddingModel, makeEmbeddings(options))

/**
 * Adapter options from configuration: `OPENAI_API_KEY` (Redacted, optional), `OPENAI_BASE_URL`, `OPENAI_ORG_ID`,
 * `OPENAI_PROJECT_ID`, `OPENAI_MODEL` (default `gpt-4o-mini`), `OPENAI_EMBEDDING_MODEL`, `OPENAI_TIMEOUT` (Duration).
 * `overrides` win over configuration.
 *
 * @example
 * ```ts
 * const options = yield* OpenAi.config({ timeout: "30 seconds" })
 * ```
 */
export const config = (overrides: Partial<Options> = {}): Config.Config<Options> =>
  Config.all({
    apiKey: Config.option(Config.Redacted("OPENAI_API_KEY")),
    baseUrl: Config.option(Config.String("OPENAI_BASE_URL")),
    organization: Config.option(Config.String("OPENAI_ORG_ID")),
    project: Config.option(Config.String("OPENAI_PROJECT_ID")),
    model: Config.String("OPENAI_MODEL").pipe(Config.withDefault("gpt-4o-mini")),
    embeddingModel: Config.option(Config.String("OPENAI_EMBEDDING_MODEL")),
    timeout: Config.option(Config.Duration("OPENAI_TIMEOUT"))
  }).pipe(Config.map((c): Options => ({
    model: c.model,
    ...Option.match(c.apiKey, { onNone: () => ({}), onSome: (apiKey) => ({ apiKey }) }),
    ...Option.match(c.baseUrl, { onNone: () => ({}), onSome: (baseUrl) => ({ baseUrl }) }),
    ...Option.match(c.organization, { onNone: () => ({}), onSome: (organization) => ({ organization }) }),
    ...Option.match(c.project, { onNone: () => ({}), onSome: (project) => ({ project }) }),
    ...Option.match(c.embeddingModel, { onNone: () => ({}), onSome: (embeddingModel) => ({ embeddingModel }) }),
    ...Option.match(c.timeout, { onNone: () => ({}), onSome: (timeout) => ({ timeout }) }),
    ...overrides
  })))

/**
 * `LanguageModel` + `EmbeddingModel` layers built from {@link config}.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(OpenAi.layerConfig()))   // reads OPENAI_API_KEY, OPENAI_MODEL, ...
 * ```
 */
export const layerConfig = (
  overrides: Partial<Options> = {}
): Layer.Layer<LanguageModel.LanguageModel | EmbeddingModel.EmbeddingModel, Config.ConfigError> =>
  Layer.unwrap(Effect.map(config(overrides), (options) => Layer.merge(layer(options), layerEmbeddings(options))))

/**
 * The adapter as a named provider of the src/llm `Llm` service (`Llm.generate({ provider: name, model, prompt })`).
 *
 * @example
 * ```ts
 * const layer = OpenAi.layerLlm("openai", { model: "gpt-4o-mini", apiKey })
 * Llm.generate({ provider: "openai", model: "gpt-4o", prompt: "hi" }).pipe(Effect.provide(layer))
 * ```
 */
export const layerLlm = <const N extends string>(name: N, options: Options): Layer.Layer<LlmProvider<N>> =>
  Llm.layer(name, layer({ provider: name, ...options }))

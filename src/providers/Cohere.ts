/**
 * Cohere adapter over the official `cohere-ai` SDK (v2 API): an effect/ai `LanguageModel` (chat, SSE streaming, tool
 * calls passed through, structured output through `response_format: json_object` with the output's JSON schema), an
 * `EmbeddingModel` (`/v2/embed`, batches of 96 texts, Cohere's limit), and a `Reranker` (`/v2/rerank`) for RAG.
 *
 * As with {@link OpenAi}: SDK retries off (`maxRetries: 0`, retrying is the reliability layer's job), the key is
 * `Redacted` and scrubbed from errors, failures are `AiError`s carrying an `LlmError`, the per-call model and sampling
 * settings come from src/llm `GenerationOptions`, usage goes to `UsageMetrics`.
 *
 * Re-ranking: at most 1,000 documents per request (longer lists are split and the results merged by relevance, which
 * is absolute, so comparable across requests); documents longer than `maxTokensPerDoc` (default 4,096) are truncated
 * by Cohere, so the re-ranker logs a warning naming how many were, instead of losing their tail silently.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { Cohere } from "llm-orchestrator/providers"
 * const options = { model: "command-r-plus", apiKey: Redacted.make(process.env.COHERE_API_KEY!) }
 * const chat = Cohere.layerLlm("cohere", options)                    // Llm.generate({ provider: "cohere", ... })
 * const embeddings = Cohere.layerEmbeddingsProvider("cohere", options) // Embeddings.embed({ provider: "cohere", ... })
 * const reranker = Cohere.layerReranker("cohere", options)          // Reranker.rerank({ reranker: "cohere", ... })
 * ```
 */
import { CohereClientV2, CohereError, CohereTimeoutError, type Cohere as CohereApi } from "cohere-ai"
import { Config, Duration, Effect, Layer, Option, Redacted, Stream } from "effect"
import { EmbeddingModel, LanguageModel, OpenAiStructuredOutput, type Prompt, type Response, Tool } from "effect/ai"
import * as Embeddings from "../llm/Embeddings.ts"
import type { EmbeddingsProvider } from "../llm/EmbeddingsProvider.ts"
import { GenerationOptions } from "../llm/GenerationOptions.ts"
import * as Llm from "../llm/Llm.ts"
import { ContentFiltered, InvalidOutput, type LlmError, ProviderUnavailable } from "../llm/LlmError.ts"
import type { LlmProvider } from "../llm/LlmProvider.ts"
import * as Reranker from "../rag/Reranker.ts"
import * as Tokenizer from "../rag/Tokenizer.ts"
import { fromSdkError, toAiError } from "./ErrorMapping.ts"
import * as FileData from "./FileData.ts"
import * as Pricing from "./Pricing.ts"
import { openStream } from "./StreamRequest.ts"
import * as UsageMetrics from "./UsageMetrics.ts"

/**
 * Options of the Cohere adapter.
 *
 * @example
 * ```ts
 * const options: Cohere.Options = { model: "command-r-plus", apiKey: Redacted.make(key), rerankModel: "rerank-v3.5" }
 * ```
 */
export interface Options {
  /** Chat model id, e.g. `command-r-plus`, `command-a-03-2025`. */
  readonly model: string
  /** Embedding model (default `embed-v4.0`). */
  readonly embeddingModel?: string | undefined
  /**
   * `input_type` of embeddings (default `search_document`). Cohere embeds queries and documents differently; the
   * `Embeddings` service does not say which a text is, so a collection and its queries share this setting.
   */
  readonly embeddingInputType?: CohereApi.EmbedInputType | undefined
  /** Re-rank model (default `rerank-v3.5`). */
  readonly rerankModel?: string | undefined
  /** Tokens of each document the re-ranker reads (default 4096, Cohere's). */
  readonly maxTokensPerDoc?: number | undefined
  /** Provider name used in errors, events, metrics and costs (default `cohere`). */
  readonly provider?: string | undefined
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Base URL (default: the SDK's, api.cohere.com). */
  readonly baseUrl?: string | undefined
  /** Per-request deadline (default 60 s). */
  readonly timeout?: Duration.Input | undefined
  /** Texts per embedding request (default 96, Cohere's limit). */
  readonly maxBatchSize?: number | undefined
  readonly prices?: Pricing.PriceTable | undefined
}

/**
 * Builds the SDK client: `maxRetries: 0`, the SDK's logging silent, no key from the environment (config is explicit).
 *
 * @example
 * ```ts
 * const client = Cohere.makeClient({ model: "command-r", apiKey })
 * ```
 */
export const makeClient = (options: Options): CohereClientV2 =>
  new CohereClientV2({
    token: options.apiKey === undefined ? "unused" : Redacted.value(options.apiKey),
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
    timeoutInSeconds: Duration.toSeconds(Duration.fromInputUnsafe(options.timeout ?? "60 seconds")),
    maxRetries: 0,
    clientName: "llm-orchestrator"
  })

// CohereError carries the HTTP status, the body and the raw response (with headers): shape it like the Stainless
// errors ErrorMapping already classifies.
const sdkError = (provider: string, error: unknown, secrets: ReadonlyArray<Redacted.Redacted<string> | undefined>): LlmError => {
  if (error instanceof CohereTimeoutError) return fromSdkError(provider, Object.assign(new Error(error.message), { name: "TimeoutError" }), secrets)
  if (error instanceof CohereError && error.statusCode !== undefined) {
    const body = error.body as { message?: unknown } | undefined
    const message = typeof body?.message === "string" ? body.message : error.message
    return fromSdkError(provider, Object.assign(new Error(message), { status: error.statusCode, headers: error.rawResponse?.headers, error: body }), secrets)
  }
  return fromSdkError(provider, error, secrets)
}

type ChatMessage = CohereApi.ChatMessageV2

const textOf = (parts: ReadonlyArray<{ readonly type: string }>): string =>
  parts.flatMap((p) => (p.type === "text" ? [(p as Prompt.TextPart).text] : [])).join("")

/**
 * effect/ai prompt -> Cohere v2 chat messages.
 *
 * @example
 * ```ts
 * Cohere.toMessages(Prompt.make("hi")) // [{ role: "user", content: "hi" }]
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
        out.push({
          role: "user",
          content: message.content.flatMap((p): Array<CohereApi.Content> =>
            p.type === "text"
              ? [{ type: "text", text: p.text }]
              : p.type === "file" && FileData.isImage(p)
              ? [{ type: "image_url", imageUrl: { url: FileData.toDataUrl(p) } }]
              : []
          )
        })
        break
      }
      case "assistant": {
        const calls = message.content.flatMap((p): Array<CohereApi.ToolCallV2> =>
          p.type === "tool-call" && !p.providerExecuted
            ? [{ id: p.id, type: "function", function: { name: p.name, arguments: JSON.stringify(p.params) } }]
            : []
        )
        const text = textOf(message.content)
        out.push({ role: "assistant", ...(text.length > 0 ? { content: text } : {}), ...(calls.length > 0 ? { toolCalls: calls } : {}) })
        break
      }
      case "tool":
        for (const part of message.content) {
          if (part.type === "tool-result") out.push({ role: "tool", toolCallId: part.id, content: JSON.stringify(part.result) })
        }
        break
    }
  }
  return out
}

const finishReason = (reason: string | null | undefined): Response.FinishReason => {
  switch (reason) {
    case "COMPLETE":
    case "STOP_SEQUENCE":
      return "stop"
    case "MAX_TOKENS":
      return "length"
    case "TOOL_CALL":
      return "tool-calls"
    case "ERROR":
    case "TIMEOUT":
      return "error"
    default:
      return "unknown"
  }
}

const tokensOf = (usage: CohereApi.Usage | undefined) => ({
  input: usage?.tokens?.inputTokens ?? usage?.billedUnits?.inputTokens ?? 0,
  output: usage?.tokens?.outputTokens ?? usage?.billedUnits?.outputTokens ?? 0
})

const usageOf = (usage: CohereApi.Usage | undefined): typeof Response.Usage.Encoded => {
  const { input, output } = tokensOf(usage)
  return { inputTokens: { total: input }, outputTokens: { total: output } }
}

const parseArguments = (provider: string, raw: string): unknown => {
  try {
    return raw.trim() === "" ? {} : JSON.parse(raw)
  } catch {
    throw new InvalidOutput({ provider, message: "tool call arguments are not JSON", raw })
  }
}

/**
 * The effect/ai `LanguageModel` of a Cohere chat model.
 *
 * @example
 * ```ts
 * const model = yield* Cohere.make({ model: "command-r-plus", apiKey })
 * ```
 */
export const make = Effect.fnUntraced(function*(options: Options, client: CohereClientV2 = makeClient(options)) {
  const provider = options.provider ?? "cohere"
  const prices = Pricing.table(options.prices)
  const secrets = [options.apiKey]
  const fail = (method: string) => (error: unknown) => toAiError(method, sdkError(provider, error, secrets))

  const body = Effect.fnUntraced(function*(providerOptions: LanguageModel.ProviderOptions) {
    const gen = yield* GenerationOptions
    const format = providerOptions.responseFormat
    const tools = providerOptions.tools.filter((t) => Tool.isUserDefined(t) || Tool.isDynamic(t))
    const choice = providerOptions.toolChoice
    const mode = typeof choice === "string" ? choice : "tool" in choice ? "required" : (choice.mode ?? "auto")
    const request: CohereApi.V2ChatRequest = {
      model: gen.model === "" ? options.model : gen.model,
      messages: toMessages(providerOptions.prompt),
      ...(tools.length === 0 ? {} : {
        tools: tools.map((t): CohereApi.ToolV2 => ({
          type: "function",
          function: {
            name: t.name,
            ...(Tool.getDescription(t) === undefined ? {} : { description: Tool.getDescription(t)! }),
            parameters: Tool.getJsonSchema(t) as Record<string, unknown>
          }
        })),
        ...(mode === "required" ? { toolChoice: "REQUIRED" as const } : mode === "none" ? { toolChoice: "NONE" as const } : {})
      }),
      ...(format.type === "json"
        ? {
          responseFormat: {
            type: "json_object" as const,
            jsonSchema: OpenAiStructuredOutput.toCodecOpenAI(format.schema as any).jsonSchema as Record<string, unknown>
          }
        }
        : {}),
      ...(gen.temperature === undefined ? {} : { temperature: gen.temperature }),
      ...(gen.maxTokens === undefined ? {} : { maxTokens: gen.maxTokens }),
      ...(gen.stopSequences === undefined ? {} : { stopSequences: [...gen.stopSequences] })
    }
    return request
  })

  const generateText = (providerOptions: LanguageModel.ProviderOptions) =>
    Effect.gen(function*() {
      const request = yield* body(providerOptions)
      const res = yield* Effect.tryPromise({
        try: (signal) => client.chat(request, { abortSignal: signal }),
        catch: fail("generateText")
      })
      const parts: Array<Response.PartEncoded> = [{ type: "response-metadata", id: res.id, modelId: request.model }]
      if (res.finishReason === "ERROR") {
        return yield* Effect.fail(toAiError("generateText", new ProviderUnavailable({ provider, message: "the model stopped with finish_reason ERROR" })))
      }
      const text = (res.message.content ?? []).flatMap((c) => (c.type === "text" ? [c.text] : [])).join("")
      if (text.length > 0) parts.push({ type: "text", text })
      for (const call of res.message.toolCalls ?? []) {
        const params = yield* Effect.try({
          try: () => parseArguments(provider, call.function?.arguments ?? ""),
          catch: (e) => toAiError("generateText", e as LlmError)
        })
        parts.push({ type: "tool-call", id: call.id, name: call.function?.name ?? "", params })
      }
      parts.push({ type: "finish", reason: finishReason(res.finishReason), usage: usageOf(res.usage) })
      const { input, output } = tokensOf(res.usage)
      yield* UsageMetrics.record(prices, provider, request.model, input, output)
      return parts
    })

  const streamText = (providerOptions: LanguageModel.ProviderOptions) =>
    Stream.unwrap(Effect.gen(function*() {
      const request = yield* body(providerOptions)
      const events = yield* openStream((signal) => client.chatStream(request, { abortSignal: signal }), fail("streamText"))
      let textOpen = false
      let reason: Response.FinishReason = "unknown"
      let usage: CohereApi.Usage | undefined
      const calls = new Map<number, { id: string; name: string; args: string }>()
      const onEvent = (event: CohereApi.V2ChatStreamResponse): Array<Response.StreamPartEncoded> => {
        switch (event.type) {
          case "content-delta": {
            const delta = event.delta?.message?.content?.text
            if (typeof delta !== "string" || delta.length === 0) return []
            const out: Array<Response.StreamPartEncoded> = []
            if (!textOpen) {
              textOpen = true
              out.push({ type: "text-start", id: "0" })
            }
            out.push({ type: "text-delta", id: "0", delta })
            return out
          }
          case "tool-call-start": {
            const call = event.delta?.message?.toolCalls
            calls.set(event.index ?? calls.size, { id: call?.id ?? `call_${calls.size}`, name: call?.function?.name ?? "", args: call?.function?.arguments ?? "" })
            return []
          }
          case "tool-call-delta": {
            const current = calls.get(event.index ?? calls.size - 1)
            const piece = event.delta?.message?.toolCalls?.function?.arguments
            if (current !== undefined && typeof piece === "string") current.args += piece
            return []
          }
          case "message-end":
            reason = finishReason(event.delta?.finishReason)
            usage = event.delta?.usage
            return []
          default:
            return []
        }
      }
      const finish = Stream.suspend(() => {
        if (reason === "error") {
          return Stream.fail(toAiError("streamText", new ProviderUnavailable({ provider, message: "the model stopped with finish_reason ERROR" })))
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
        const { input, output } = tokensOf(usage)
        return Stream.fromIterable(out).pipe(Stream.concat(Stream.fromEffectDrain(UsageMetrics.record(prices, provider, request.model, input, output))))
      })
      return Stream.fromAsyncIterable(events, fail("streamText")).pipe(
        Stream.flatMap((event) => Stream.fromIterable(onEvent(event))),
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
 * The effect/ai `EmbeddingModel` of a Cohere embedding model (float embeddings, `maxBatchSize` texts per request).
 *
 * @example
 * ```ts
 * const embeddings = yield* Cohere.makeEmbeddings({ model: "command-r", embeddingModel: "embed-v4.0", apiKey })
 * ```
 */
export const makeEmbeddings = Effect.fnUntraced(function*(options: Options, client: CohereClientV2 = makeClient(options)) {
  const provider = options.provider ?? "cohere"
  const model = options.embeddingModel ?? "embed-v4.0"
  const batch = Math.max(1, options.maxBatchSize ?? 96)
  const prices = Pricing.table(options.prices)
  const embedBatch = (texts: ReadonlyArray<string>) =>
    Effect.tryPromise({
      try: (signal) =>
        client.embed(
          { model, texts: [...texts], inputType: options.embeddingInputType ?? "search_document", embeddingTypes: ["float"] },
          { abortSignal: signal }
        ),
      catch: (e) => toAiError("embedMany", sdkError(provider, e, [options.apiKey]))
    })
  return yield* EmbeddingModel.make({
    embedMany: ({ inputs }) =>
      Effect.gen(function*() {
        const results: Array<Array<number>> = []
        let tokens = 0
        for (let i = 0; i < inputs.length; i += batch) {
          const res = yield* embedBatch(inputs.slice(i, i + batch))
          const vectors = res.embeddings.float ?? []
          if (vectors.length !== Math.min(batch, inputs.length - i)) {
            return yield* Effect.fail(toAiError("embedMany", new InvalidOutput({ provider, message: `expected ${Math.min(batch, inputs.length - i)} float embeddings, got ${vectors.length}`, raw: "" })))
          }
          results.push(...vectors)
          tokens += res.meta?.billedUnits?.inputTokens ?? 0
        }
        yield* UsageMetrics.record(prices, provider, model, tokens, 0)
        return { results, usage: { inputTokens: tokens } }
      })
  })
})

/**
 * Cohere's re-ranker as a {@link Reranker.RerankerShape} (see the module description for batching and truncation).
 *
 * @example
 * ```ts
 * const reranker = Cohere.makeReranker({ model: "command-r", apiKey })
 * ```
 */
export const makeReranker = (options: Options, client: CohereClientV2 = makeClient(options)): Reranker.RerankerShape => {
  const provider = options.provider ?? "cohere"
  const model = options.rerankModel ?? "rerank-v3.5"
  const maxTokensPerDoc = options.maxTokensPerDoc ?? 4096
  const perRequest = 1000
  return {
    name: provider,
    rerank: (request) =>
      Effect.gen(function*() {
        const texts = request.documents.map((d) => d.text)
        // Cohere truncates silently; counting (conservatively) lets us say so.
        const long = texts.filter((t) => Tokenizer.approximate.count(t) + Tokenizer.approximate.count(request.query) > maxTokensPerDoc).length
        if (long > 0) {
          yield* Effect.logWarning(
            `Reranker "${provider}": ${long} of ${texts.length} documents may exceed ${maxTokensPerDoc} tokens with the query and be truncated by Cohere; chunk them smaller or raise maxTokensPerDoc`
          )
        }
        const topN = Math.min(request.topN ?? texts.length, texts.length)
        const results: Array<Reranker.RerankResult> = []
        for (let from = 0; from < texts.length; from += perRequest) {
          const slice = texts.slice(from, from + perRequest)
          const res = yield* Effect.tryPromise({
            try: (signal) =>
              client.rerank({ model, query: request.query, documents: slice, topN: Math.min(topN, slice.length), maxTokensPerDoc }, { abortSignal: signal }),
            catch: (e) => sdkError(provider, e, [options.apiKey])
          })
          for (const r of res.results) {
            if (r.index < 0 || r.index >= slice.length) {
              return yield* Effect.fail(new InvalidOutput({ provider, message: `rerank result index ${r.index} is out of range (${slice.length} documents)`, raw: "" }))
            }
            results.push({ index: from + r.index, id: request.documents[from + r.index]!.id, score: r.relevanceScore })
          }
        }
        return results.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, topN)
      }).pipe(Effect.withSpan("Cohere.rerank", { attributes: { "llm.provider": provider, "llm.model": model, "rag.documents": request.documents.length } }))
  }
}

/**
 * Layer of the Cohere `LanguageModel`.
 *
 * @example
 * ```ts
 * LanguageModel.generateText({ prompt: "hi" }).pipe(Effect.provide(Cohere.layer({ model: "command-r", apiKey })))
 * ```
 */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel> => Layer.effect(LanguageModel.LanguageModel, make(options))

/**
 * Layer of the Cohere `EmbeddingModel`.
 *
 * @example
 * ```ts
 * EmbeddingModel.EmbeddingModel.use((m) => m.embed("hi")).pipe(Effect.provide(Cohere.layerEmbeddings({ model: "command-r", apiKey })))
 * ```
 */
export const layerEmbeddings = (options: Options): Layer.Layer<EmbeddingModel.EmbeddingModel> =>
  Layer.effect(EmbeddingModel.EmbeddingModel, makeEmbeddings(options))

/**
 * The adapter as a named provider of the src/llm `Llm` service.
 *
 * @example
 * ```ts
 * Llm.generate({ provider: "cohere", model: "command-r-plus", prompt: "hi" }).pipe(Effect.provide(Cohere.layerLlm("cohere", options)))
 * ```
 */
export const layerLlm = <const N extends string>(name: N, options: Options): Layer.Layer<LlmProvider<N>> =>
  Llm.layer(name, layer({ provider: name, ...options }))

/**
 * The embeddings as a named provider of the src/llm `Embeddings` service (batches of `maxBatchSize`).
 *
 * @example
 * ```ts
 * Embeddings.embedMany({ provider: "cohere", model: "embed-v4.0", inputs }).pipe(Effect.provide(Cohere.layerEmbeddingsProvider("cohere", options)))
 * ```
 */
export const layerEmbeddingsProvider = <const N extends string>(name: N, options: Options): Layer.Layer<EmbeddingsProvider<N>> =>
  Embeddings.layer(name, layerEmbeddings({ provider: name, ...options }), { maxBatchSize: options.maxBatchSize ?? 96 })

/**
 * The re-ranker as a named {@link Reranker} service.
 *
 * @example
 * ```ts
 * Reranker.rerank({ reranker: "cohere", query, documents, topN: 5 }).pipe(Effect.provide(Cohere.layerReranker("cohere", options)))
 * ```
 */
export const layerReranker = <const N extends string>(name: N, options: Options): Layer.Layer<Reranker.RerankerFor<N>> =>
  Reranker.layer(name, makeReranker({ provider: name, ...options }))

/**
 * Adapter options from configuration: `COHERE_API_KEY` (Redacted), `COHERE_BASE_URL`, `COHERE_MODEL` (default
 * `command-r-plus`), `COHERE_EMBEDDING_MODEL`, `COHERE_RERANK_MODEL`, `COHERE_TIMEOUT`. `overrides` win.
 *
 * @example
 * ```ts
 * const options = yield* Cohere.config()
 * ```
 */
export const config = (overrides: Partial<Options> = {}): Config.Config<Options> =>
  Config.all({
    apiKey: Config.option(Config.Redacted("COHERE_API_KEY")),
    baseUrl: Config.option(Config.String("COHERE_BASE_URL")),
    model: Config.String("COHERE_MODEL").pipe(Config.withDefault("command-r-plus")),
    embeddingModel: Config.option(Config.String("COHERE_EMBEDDING_MODEL")),
    rerankModel: Config.option(Config.String("COHERE_RERANK_MODEL")),
    timeout: Config.option(Config.Duration("COHERE_TIMEOUT"))
  }).pipe(Config.map((c): Options => ({
    model: c.model,
    ...Option.match(c.apiKey, { onNone: () => ({}), onSome: (apiKey) => ({ apiKey }) }),
    ...Option.match(c.baseUrl, { onNone: () => ({}), onSome: (baseUrl) => ({ baseUrl }) }),
    ...Option.match(c.embeddingModel, { onNone: () => ({}), onSome: (embeddingModel) => ({ embeddingModel }) }),
    ...Option.match(c.rerankModel, { onNone: () => ({}), onSome: (rerankModel) => ({ rerankModel }) }),
    ...Option.match(c.timeout, { onNone: () => ({}), onSome: (timeout) => ({ timeout }) }),
    ...overrides
  })))

/**
 * `LanguageModel` + `EmbeddingModel` layers built from {@link config}.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(Cohere.layerConfig()))   // reads COHERE_API_KEY, COHERE_MODEL, ...
 * ```
 */
export const layerConfig = (
  overrides: Partial<Options> = {}
): Layer.Layer<LanguageModel.LanguageModel | EmbeddingModel.EmbeddingModel, Config.ConfigError> =>
  Layer.unwrap(Effect.map(config(overrides), (options) => Layer.merge(layer(options), layerEmbeddings(options))))

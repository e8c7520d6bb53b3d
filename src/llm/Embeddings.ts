/**
 * Embedding step helpers and provider Layers. `Embeddings.embed({ provider: "openai", ... })` requires
 * `EmbeddingsProvider<"openai">`; concurrent `embed` calls are batched into one provider call; usage is reported to
 * the current {@link StepUsage} sink.
 *
 * @example
 * ```ts
 * import { Embeddings } from "llm-orchestrator"
 * const vector = yield* Embeddings.embed({ provider: "openai", model: "text-embedding-3-small", input: "hello" })
 * const vectors = yield* Embeddings.embedMany({ provider: "openai", model: "text-embedding-3-small", inputs: ["a", "b"] })
 * ```
 */
import { Effect, Layer } from "effect"
import type { EmbeddingModel } from "effect/ai"
import { effectAi } from "./effectAi.ts"
import { fromAiError } from "./fromAiError.ts"
import { GenerationOptions } from "./GenerationOptions.ts"
import type { LlmError } from "./LlmError.ts"
import {
  type EmbedManyRequest,
  type EmbedManyResponse,
  EmbeddingsProvider,
  type EmbeddingsProviderFor,
  type EmbeddingsProviderOptions,
  type EmbeddingsProviderShape,
  makeEmbeddingsProvider
} from "./EmbeddingsProvider.ts"
import { reportUsage } from "./Usage.ts"
import { estimateTokens } from "./CallGate.ts"
import { type CallSpec, observeCall } from "./observeCall.ts"

// Embeddings produce no output tokens: the gate sees the input estimate only.
const embeddingSpec = (provider: string, model: string, input: string | ReadonlyArray<string>): CallSpec => ({
  operation: "embeddings",
  provider,
  model,
  maxTokens: undefined,
  inputTokens: typeof input === "string" ? estimateTokens(input) : input.reduce((n, text) => n + estimateTokens(text), 0)
})

/**
 * A vector.
 *
 * @example
 * ```ts
 * const v: Embedding = yield* Embeddings.embed({ provider: "openai", model: "text-embedding-3-small", input: "hi" })
 * ```
 */
export type Embedding = ReadonlyArray<number>

/**
 * Embeds one text. Calls made at the same moment (e.g. parallel steps) share one provider call.
 *
 * @example
 * ```ts
 * const v = yield* Embeddings.embed({ provider: "openai", model: "text-embedding-3-small", input: ctx.input.query })
 * ```
 */
export const embed = <const N extends string>(options: {
  readonly provider: N
  readonly model: string
  readonly input: string
}): Effect.Effect<Embedding, LlmError, EmbeddingsProviderFor<N>> =>
  Effect.gen(function*() {
    const provider = yield* (EmbeddingsProvider.key(options.provider) as unknown as Effect.Effect<
      EmbeddingsProviderShape,
      never,
      EmbeddingsProviderFor<N>
    >)
    const res = yield* observeCall(
      embeddingSpec(options.provider, options.model, options.input),
      () => provider.embed({ model: options.model, input: options.input }),
      (res) => ({ usage: res.usage })
    )
    yield* reportUsage(options.provider, options.model, res.usage)
    return res.embedding
  })

/**
 * Embeds many texts in one provider call; vectors come back in input order.
 *
 * @example
 * ```ts
 * const vs = yield* Embeddings.embedMany({ provider: "openai", model: "text-embedding-3-small", inputs: chunks })
 * ```
 */
export const embedMany = <const N extends string>(options: {
  readonly provider: N
  readonly model: string
  readonly inputs: ReadonlyArray<string>
}): Effect.Effect<ReadonlyArray<Embedding>, LlmError, EmbeddingsProviderFor<N>> =>
  Effect.gen(function*() {
    const provider = yield* (EmbeddingsProvider.key(options.provider) as unknown as Effect.Effect<
      EmbeddingsProviderShape,
      never,
      EmbeddingsProviderFor<N>
    >)
    const res = yield* observeCall(
      embeddingSpec(options.provider, options.model, options.inputs),
      () => provider.embedMany({ model: options.model, inputs: options.inputs }),
      (res) => ({ usage: res.usage })
    )
    yield* reportUsage(options.provider, options.model, res.usage)
    return res.embeddings
  })

const fromEmbeddingModel = (name: string, model: EmbeddingModel.EmbeddingModel, options?: EmbeddingsProviderOptions) =>
  makeEmbeddingsProvider(
    name,
    (request) =>
      model.embedMany(request.inputs).pipe(
        Effect.map((res): EmbedManyResponse => ({
          embeddings: res.embeddings.map((e) => e.vector),
          usage: { inputTokens: res.usage.inputTokens ?? 0, outputTokens: 0 }
        })),
        Effect.mapError((e) => fromAiError(name, e)),
        Effect.provideService(GenerationOptions, { provider: name, model: request.model })
      ),
    options
  )

/**
 * Layer for embedding provider `name` from an effect/ai `EmbeddingModel` (the service, or a Layer building it).
 * The model id of each call is available to the adapter as {@link GenerationOptions}.
 *
 * @example
 * ```ts
 * const OpenAiEmbeddings = Embeddings.layer("openai", yield* EmbeddingModel.make({ embedMany }))
 * ```
 */
export function layer<const N extends string>(
  name: N,
  model: EmbeddingModel.EmbeddingModel,
  options?: EmbeddingsProviderOptions
): Layer.Layer<EmbeddingsProvider<N>>
export function layer<const N extends string, E, R>(
  name: N,
  model: Layer.Layer<EmbeddingModel.EmbeddingModel, E, R>,
  options?: EmbeddingsProviderOptions
): Layer.Layer<EmbeddingsProvider<N>, E, R>
export function layer<const N extends string, E, R>(
  name: N,
  model: EmbeddingModel.EmbeddingModel | Layer.Layer<EmbeddingModel.EmbeddingModel, E, R>,
  options?: EmbeddingsProviderOptions
): Layer.Layer<EmbeddingsProvider<N>, E, R> {
  if (Layer.isLayer(model)) {
    return layerFromEmbeddingModel(name, options).pipe(
      Layer.provide(model as Layer.Layer<EmbeddingModel.EmbeddingModel, E, R>)
    )
  }
  return Layer.effect(EmbeddingsProvider.key(name), fromEmbeddingModel(name, model as EmbeddingModel.EmbeddingModel, options))
}

/**
 * Layer for embedding provider `name` from the effect/ai `EmbeddingModel` in context.
 *
 * @example
 * ```ts
 * Embeddings.layerFromEmbeddingModel("openai").pipe(Layer.provide(myEmbeddingModelLayer))
 * ```
 */
export const layerFromEmbeddingModel = <const N extends string>(
  name: N,
  options?: EmbeddingsProviderOptions
): Layer.Layer<EmbeddingsProvider<N>, never, EmbeddingModel.EmbeddingModel> =>
  Layer.effect(
    EmbeddingsProvider.key(name),
    Effect.flatMap(effectAi, (ai) => Effect.flatMap(ai.EmbeddingModel.EmbeddingModel, (m) => fromEmbeddingModel(name, m, options)))
  )

/**
 * Layer for embedding provider `name` from a batch function (batching of single calls is added).
 *
 * @example
 * ```ts
 * Embeddings.layerCustom("local", ({ inputs }) => Effect.succeed({ embeddings: inputs.map(myEmbed), usage }))
 * ```
 */
export const layerCustom = <const N extends string>(
  name: N,
  embedMany: (request: EmbedManyRequest) => Effect.Effect<EmbedManyResponse, LlmError>,
  options?: EmbeddingsProviderOptions
): Layer.Layer<EmbeddingsProvider<N>> =>
  Layer.effect(EmbeddingsProvider.key(name), makeEmbeddingsProvider(name, embedMany, options))

/**
 * Serves embedding provider name `alias` with provider `target`.
 *
 * @example
 * ```ts
 * Embeddings.alias("default", "openai")
 * ```
 */
export const alias = <const A extends string, const T extends string>(
  alias: A,
  target: T
): Layer.Layer<EmbeddingsProvider<A>, never, EmbeddingsProvider<T>> =>
  Layer.effect(EmbeddingsProvider.key(alias), EmbeddingsProvider.key(target))

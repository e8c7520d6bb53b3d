/**
 * Language-model step helpers and provider Layers.
 *
 * Each helper names its provider, and that name is in the requirement type: `Llm.generate({ provider: "openai", ... })`
 * is an `Effect<string, LlmError, LlmProvider<"openai">>`, so a workflow's R lists exactly the providers it uses.
 * Every call reports its token usage to the current {@link StepUsage} sink.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Llm } from "llm-orchestrator"
 * const sentiment = Llm.generateObject({
 *   provider: "openai", model: "gpt-4", prompt: "Sentiment of: I love it",
 *   schema: Schema.Literals(["positive", "negative", "neutral"])
 * })  // Effect<"positive" | "negative" | "neutral", LlmError, LlmProvider<"openai">>
 * ```
 */
import { Effect, Layer, Stream } from "effect"
import type { LanguageModel } from "effect/ai"
import { effectAi } from "./effectAi.ts"
import { fromLanguageModel } from "./fromLanguageModel.ts"
import { GenerationOptions, type GenerationSettings } from "./GenerationOptions.ts"
import type { LlmError } from "./LlmError.ts"
import { LlmProvider, type LlmProviderFor, type LlmProviderShape } from "./LlmProvider.ts"

// The service of `name`, typed with the distributive requirement (one key per name at run time).
const providerOf = <N extends string>(name: N) =>
  LlmProvider.key(name) as unknown as Effect.Effect<LlmProviderShape, never, LlmProviderFor<N>>
import type { ObjectRequest, ObjectResponse, TextRequest, TextResponse } from "./LlmRequest.ts"
import { reportUsage } from "./Usage.ts"
import { noop as noDeltas, TextDeltas } from "./TextDeltas.ts"
import { estimateTokens } from "./CallGate.ts"
import { type CallSpec, observeCall, observeStream } from "./observeCall.ts"
import { type CallPolicy, type TimeoutErrorOf, withCallPolicy, withStreamPolicy } from "./CallPolicy.ts"
import type { Duration } from "effect"

/**
 * A {@link TextRequest} addressed to provider `N`.
 *
 * @example
 * ```ts
 * const options: GenerateOptions<"openai"> = { provider: "openai", model: "gpt-4", prompt: "2+2?", temperature: 0 }
 * const answer = yield* Llm.generate(options)
 * ```
 */
export type GenerateOptions<N extends string, T extends Duration.Input | undefined = undefined> =
  & TextRequest
  & { readonly provider: ProviderName<N> }
  & CallPolicy<T>

/**
 * The message a provider name widened to `string` is checked against: the workflow would require
 * `LlmProvider<string>`, which no Layer names, so the mistake is reported where it is made.
 *
 * @example
 * ```ts
 * const shared = { provider: "main", model: "gpt-4o-mini" } // provider: string
 * Llm.generate({ ...shared, prompt: "hi" })
 * // Type 'string' is not assignable to type '"Provider name is a plain string: ..."'
 * ```
 */
export type WidenedProvider =
  "Provider name is a plain string: name it with a literal, or share it as a handle (const main = Llm.model(\"main\", \"gpt-4o-mini\"))"

/**
 * A provider name as a call takes it: the literal itself, or {@link WidenedProvider} when it widened to `string`
 * (`any`, which untyped callers such as the YAML interpreter pass, is let through).
 *
 * @example
 * ```ts
 * type Ok = ProviderName<"main"> // "main"
 * type Bad = ProviderName<string> // WidenedProvider
 * ```
 */
export type ProviderName<N extends string> = N & (string extends N ? 0 extends (1 & N) ? unknown : WidenedProvider : unknown)

/**
 * A typed handle on one model of one provider: spread it into a call (`{ ...main, prompt }`). The provider name stays a
 * literal wherever the handle is shared, so the workflow requires exactly `LlmProvider<"main">`.
 *
 * @example
 * ```ts
 * const main = Llm.model("main", "gpt-4o-mini") // Model<"main">
 * const step = Llm.generate({ ...main, prompt: "Summarise: ..." }) // Effect<string, LlmError, LlmProvider<"main">>
 * ```
 */
export interface Model<N extends string> {
  readonly provider: N
  readonly model: string
}

/**
 * A {@link Model} handle: provider `provider` (a literal), model id `model`.
 *
 * @example
 * ```ts
 * const cheap = Llm.model("cheap", "gpt-4o-mini")
 * Llm.generateObject({ ...cheap, prompt: "Label: ...", schema: Label })
 * ```
 */
export const model = <const N extends string>(provider: ProviderName<N>, model: string): Model<N> => ({ provider, model })

/**
 * An {@link ObjectRequest} addressed to provider `N`.
 *
 * @example
 * ```ts
 * const options: GenerateObjectOptions<"openai", "positive" | "negative", "positive" | "negative"> = {
 *   provider: "openai", model: "gpt-4", prompt: "Sentiment of: I love it", schema: Schema.Literals(["positive", "negative"]), retryInvalidOutput: 1
 * }
 * ```
 */
export type GenerateObjectOptions<N extends string, A, I, T extends Duration.Input | undefined = undefined> = ObjectRequest<A, I> & CallPolicy<T> & {
  readonly provider: ProviderName<N>
  /** Re-ask the model up to this many times when its output does not decode (`InvalidOutput`). Default 0. */
  readonly retryInvalidOutput?: number
}

const strip = <T extends { readonly provider: string }>(options: T): Omit<T, "provider" | "retryInvalidOutput" | "timeout" | "retry"> => {
  const { provider: _p, retryInvalidOutput: _r, timeout: _t, retry: _y, ...rest } = options as T & {
    retryInvalidOutput?: number
    timeout?: unknown
    retry?: unknown
  }
  return rest
}

// The call's timeout/retry around everything one call does (gate, span, usage report): each attempt is a call.
const policed = <A, E, R>(options: CallPolicy<Duration.Input | undefined> & { readonly provider: string; readonly model: string }, effect: Effect.Effect<A, E, R>) =>
  options.timeout === undefined && options.retry === undefined
    ? effect
    : withCallPolicy(options, `to '${options.provider}' (${options.model})`, effect)

// The same for a stream: each attempt is a stream of its own (retried only before its first delta).
const policedStream = <A, E, R>(options: CallPolicy<Duration.Input | undefined> & { readonly provider: string; readonly model: string }, s: Stream.Stream<A, E, R>) =>
  options.timeout === undefined && options.retry === undefined
    ? s
    : withStreamPolicy(options, `to '${options.provider}' (${options.model})`, s)

// What the gate, the GenAI span and the metrics see of a call.
const specOf = (options: TextRequest & { readonly provider: string }): CallSpec => ({
  operation: "chat",
  provider: options.provider,
  model: options.model,
  maxTokens: options.maxTokens,
  inputTokens: estimateTokens(options.system === undefined ? options.prompt : [options.system, options.prompt]),
  temperature: options.temperature,
  stopSequences: options.stopSequences,
  prompt: options.prompt,
  system: options.system
})

// The request with the output limit the gate asks for (a budget bounds calls that set none).
const withMaxTokens = <T extends { readonly maxTokens?: number }>(request: T, maxTokens: number | undefined): T =>
  maxTokens === undefined || maxTokens === request.maxTokens ? request : { ...request, maxTokens }

/**
 * Generates text; returns the full response (text, usage, finish reason).
 *
 * @example
 * ```ts
 * const res = yield* Llm.generateText({ provider: "anthropic", model: "claude-3-5-haiku-20241022", prompt: "Hi" })
 * res.usage.outputTokens
 * ```
 */
export const generateText = <const N extends string, T extends Duration.Input | undefined = undefined>(
  options: GenerateOptions<N, T>
): Effect.Effect<TextResponse, LlmError | TimeoutErrorOf<T>, LlmProviderFor<N>> =>
  policed(
    options,
    Effect.flatMap(providerOf(options.provider), (provider) => {
      const request = strip(options)
      return observeCall(
        specOf(options),
        (maxTokens) => provider.generateText(withMaxTokens(request, maxTokens)),
        (res) => ({ usage: res.usage, finishReason: res.finishReason, output: res.text })
      )
    }).pipe(Effect.tap((res) => reportUsage(options.provider, options.model, res.usage)))
  ) as Effect.Effect<TextResponse, LlmError | TimeoutErrorOf<T>, LlmProviderFor<N>>

/**
 * Generates text and returns it.
 *
 * @example
 * ```ts
 * const answer = yield* Llm.generate({ provider: "openai", model: "gpt-4", system: "Be brief", prompt: "2+2?", temperature: 0 })
 * ```
 */
export const generate = <const N extends string, T extends Duration.Input | undefined = undefined>(
  options: GenerateOptions<N, T>
): Effect.Effect<string, LlmError | TimeoutErrorOf<T>, LlmProviderFor<N>> => Effect.map(generateText(options), (res) => res.text)

/**
 * Generates a value decoded with `schema`. Output that is not JSON or does not satisfy the schema fails with
 * `InvalidOutput` (carrying the raw text); `retryInvalidOutput: n` re-asks up to n times.
 *
 * @example
 * ```ts
 * const label = yield* Llm.generateObject({
 *   provider: "openai", model: "gpt-4", prompt, schema: Schema.Literals(["safe", "review", "block"]), retryInvalidOutput: 2
 * })
 * ```
 */
export const generateObject = <const N extends string, A, I, T extends Duration.Input | undefined = undefined>(
  options: GenerateObjectOptions<N, A, I, T>
): Effect.Effect<A, LlmError | TimeoutErrorOf<T>, LlmProviderFor<N>> => Effect.map(generateObjectResponse(options), (res) => res.value)

/** Like {@link generateObject} but returns the response (value, raw text, usage). */
export const generateObjectResponse = <const N extends string, A, I, T extends Duration.Input | undefined = undefined>(
  options: GenerateObjectOptions<N, A, I, T>
): Effect.Effect<ObjectResponse<A>, LlmError | TimeoutErrorOf<T>, LlmProviderFor<N>> =>
  policed(options, Effect.flatMap(providerOf(options.provider), (provider) => {
    const request: ObjectRequest<A, I> = strip(options)
    const spec = specOf(options)
    // each attempt is a call of its own: gated, traced and reported
    const once = Effect.tap(
      observeCall(
        spec,
        (maxTokens) => provider.generateObject(withMaxTokens(request, maxTokens)),
        (res) => ({ usage: res.usage, output: res.raw })
      ),
      (res) => reportUsage(options.provider, options.model, res.usage)
    )
    const retries = options.retryInvalidOutput ?? 0
    return retries > 0
      ? Effect.retry(once, { times: retries, while: (e: LlmError) => e._tag === "InvalidOutput" })
      : once
  })) as Effect.Effect<ObjectResponse<A>, LlmError | TimeoutErrorOf<T>, LlmProviderFor<N>>

/**
 * Streams the answer as text deltas. Usage is reported when the provider's stream finishes. `timeout` bounds each
 * wait for the next delta (a stalled stream fails with `StepTimeout`); `retry` starts the stream again only while it
 * has sent nothing.
 *
 * @example
 * ```ts
 * const text = yield* Llm.stream({ provider: "openai", model: "gpt-4", prompt: "Tell a story" }).pipe(Stream.mkString)
 * const guarded = Llm.stream({ provider: "openai", model: "gpt-4", prompt, timeout: "10 seconds", retry: { times: 2 } })
 * // Stream<string, LlmError | StepTimeout, LlmProvider<"openai">>
 * ```
 */
export const stream = <const N extends string, T extends Duration.Input | undefined = undefined>(
  options: GenerateOptions<N, T>
): Stream.Stream<string, LlmError | TimeoutErrorOf<T>, LlmProviderFor<N>> =>
  policedStream(options, Stream.unwrap(Effect.map(providerOf(options.provider), (provider) => {
    const request = strip(options)
    return observeStream(
      specOf(options),
      (maxTokens) => provider.streamText(withMaxTokens(request, maxTokens)),
      (part) => (part._tag === "Finish" ? { usage: part.usage, finishReason: part.finishReason } : undefined)
    ).pipe(
      Stream.mapEffect((part) =>
        part._tag === "Delta"
          ? Effect.flatMap(TextDeltas, (sink) => (sink === noDeltas ? Effect.succeed([part.text]) : Effect.as(sink.delta(part.text), [part.text])))
          : Effect.as(reportUsage(options.provider, options.model, part.usage), [])
      ),
      Stream.flattenIterable
    )
  }))) as Stream.Stream<string, LlmError | TimeoutErrorOf<T>, LlmProviderFor<N>>

/**
 * Layer for provider `name` from an effect/ai `LanguageModel` (the service itself, or a Layer building it). This is
 * how SDK adapters plug in.
 *
 * @example
 * ```ts
 * const OpenAiLive = Llm.layer("openai", OpenAiLanguageModel.layer)   // Layer<LlmProvider<"openai">, E, R>
 * const Primary = Llm.layer("primary", yield* LanguageModel.make({ generateText, streamText }))
 * ```
 */
export function layer<const N extends string>(name: N, model: LanguageModel.LanguageModel): Layer.Layer<LlmProvider<N>>
export function layer<const N extends string, E, R>(
  name: N,
  model: Layer.Layer<LanguageModel.LanguageModel, E, R>
): Layer.Layer<LlmProvider<N>, E, R>
export function layer<const N extends string, E, R>(
  name: N,
  model: LanguageModel.LanguageModel | Layer.Layer<LanguageModel.LanguageModel, E, R>
): Layer.Layer<LlmProvider<N>, E, R> {
  if (Layer.isLayer(model)) {
    return layerFromLanguageModel(name).pipe(Layer.provide(model as Layer.Layer<LanguageModel.LanguageModel, E, R>))
  }
  return Layer.succeed(LlmProvider.key(name), fromLanguageModel(name, model as LanguageModel.LanguageModel))
}

/**
 * Layer for provider `name` from the effect/ai `LanguageModel` found in context.
 *
 * @example
 * ```ts
 * Llm.layerFromLanguageModel("anthropic").pipe(Layer.provide(myAnthropicLanguageModelLayer))
 * ```
 */
export const layerFromLanguageModel = <const N extends string>(
  name: N
): Layer.Layer<LlmProvider<N>, never, LanguageModel.LanguageModel> =>
  Layer.effect(
    LlmProvider.key(name),
    Effect.flatMap(effectAi, (ai) => Effect.map(ai.LanguageModel.LanguageModel, (m) => fromLanguageModel(name, m)))
  )

/**
 * Layer for provider `name` from a direct implementation of {@link LlmProviderShape} (or an Effect building it).
 *
 * @example
 * ```ts
 * Llm.layerCustom("echo", { name: "echo", generateText: (r) => ..., generateObject: ..., streamText: ... })
 * ```
 */
export const layerCustom = <const N extends string, E = never, R = never>(
  name: N,
  implementation: LlmProviderShape | Effect.Effect<LlmProviderShape, E, R>
): Layer.Layer<LlmProvider<N>, E, R> =>
  Effect.isEffect(implementation)
    ? Layer.effect(LlmProvider.key(name), implementation)
    : Layer.succeed(LlmProvider.key(name), implementation)

/**
 * Serves provider name `alias` (e.g. "primary", "cheap") with provider `target`: workflows name roles, the
 * application decides which real provider fills each role.
 *
 * @example
 * ```ts
 * const Roles = Layer.mergeAll(Llm.alias("primary", "anthropic"), Llm.alias("cheap", "openai"))
 * ```
 */
export const alias = <const A extends string, const T extends string>(
  alias: A,
  target: T
): Layer.Layer<LlmProvider<A>, never, LlmProvider<T>> => Layer.effect(LlmProvider.key(alias), LlmProvider.key(target))

/**
 * Runs `effect` with the effect/ai `LanguageModel` of provider `provider` (tools, toolkits, `Chat` keep working when
 * the provider wraps an effect/ai model; other providers, e.g. mocks, serve text, structured output and streams) and
 * the call settings (`model`, `temperature`, ...) as {@link GenerationOptions}. Usage is reported per call.
 *
 * @example
 * ```ts
 * const res = yield* Llm.withLanguageModel({ provider: "openai", model: "gpt-4o" },
 *   LanguageModel.generateText({ prompt: "What is the weather?", toolkit: WeatherToolkit }))
 * ```
 */
export const withLanguageModel = <const N extends string, A, E, R>(
  options: Omit<GenerationSettings, "provider"> & { readonly provider: ProviderName<N> },
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, Exclude<R, LanguageModel.LanguageModel> | LlmProviderFor<N>> =>
  Effect.gen(function*() {
    const provider = yield* providerOf(options.provider)
    // Loaded on first use: the package entry does not load effect/ai (see effectAi.ts).
    const [ai, { toLanguageModel }] = yield* Effect.all([effectAi, Effect.promise(() => import("./toLanguageModel.ts"))])
    const model = yield* toLanguageModel(provider)
    return yield* effect.pipe(
      Effect.provideService(ai.LanguageModel.LanguageModel, model),
      Effect.provideService(GenerationOptions, { ...options, provider: options.provider })
    )
  })

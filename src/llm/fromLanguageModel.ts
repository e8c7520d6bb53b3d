/**
 * Wraps an effect/ai `LanguageModel` into an {@link LlmProviderShape}, so SDK adapters written against effect/ai
 * (`LanguageModel.make`) plug into named providers. Per call it provides {@link GenerationOptions} (model,
 * temperature, max tokens, stop sequences) for the adapter to read, maps `AiError` to {@link LlmError}, and reads
 * usage from the response.
 *
 * @example
 * ```ts
 * const shape = fromLanguageModel("openai", yield* LanguageModel.LanguageModel)
 * const res = yield* shape.generateText({ model: "gpt-4", prompt: "hi" })
 * ```
 */
import { Effect, Result, Schema, SchemaAST, Stream } from "effect"
import type { LanguageModel, Prompt, Response } from "effect/ai"
import { effectAi } from "./effectAi.ts"
import { fromAiError } from "./fromAiError.ts"
import { GenerationOptions, type GenerationSettings } from "./GenerationOptions.ts"
import type { Usage } from "./LlmError.ts"
import type { LlmProviderShape } from "./LlmProvider.ts"
import type { FinishReason, LlmCallOptions, ObjectRequest, TextStreamPart } from "./LlmRequest.ts"

/**
 * Builds the effect/ai `Prompt` of a call: the raw prompt with `system` set as its system message.
 *
 * @example
 * ```ts
 * const prompt = yield* toPrompt({ model: "gpt-4", prompt: "hi", system: "Be brief" }) // system message + user "hi"
 * ```
 */
export const toPrompt = (options: LlmCallOptions): Effect.Effect<Prompt.Prompt> =>
  Effect.map(effectAi, ({ Prompt }) => {
    const prompt = Prompt.make(options.prompt)
    return options.system === undefined ? prompt : Prompt.setSystem(prompt, options.system)
  })

const settingsOf = (provider: string, o: LlmCallOptions): GenerationSettings => ({
  provider,
  model: o.model,
  ...(o.temperature === undefined ? {} : { temperature: o.temperature }),
  ...(o.maxTokens === undefined ? {} : { maxTokens: o.maxTokens }),
  ...(o.stopSequences === undefined ? {} : { stopSequences: o.stopSequences })
})

/**
 * Converts effect/ai usage (optional totals) into ours (missing counts are 0).
 *
 * @example
 * ```ts
 * fromResponseUsage(res.usage) // { inputTokens, outputTokens } (0 when the provider omits a count)
 * ```
 */
export const fromResponseUsage = (usage: Response.Usage): Usage => ({
  inputTokens: usage.inputTokens.total ?? 0,
  outputTokens: usage.outputTokens.total ?? 0
})

const finishReasons: ReadonlySet<string> = new Set(["stop", "length", "content-filter", "tool-calls", "error", "other"])
const fromFinishReason = (reason: string): FinishReason =>
  finishReasons.has(reason) ? (reason as FinishReason) : "unknown"

// effect/ai structured output needs an object at the root; other schemas (literal unions, arrays) are wrapped.
const isObjectSchema = (schema: Schema.Top): boolean => SchemaAST.isObjects(SchemaAST.toEncoded(schema.ast))

/**
 * Wraps `model` as provider `provider`.
 *
 * @example
 * ```ts
 * const shape = fromLanguageModel("openai", yield* LanguageModel.LanguageModel)
 * const { text } = yield* shape.generateText({ model: "gpt-4", prompt: "hi" })
 * ```
 */
export const fromLanguageModel = (provider: string, model: LanguageModel.LanguageModel): LlmProviderShape => {
  const withSettings = (o: LlmCallOptions) => Effect.provideService(GenerationOptions, settingsOf(provider, o))

  const generateText: LlmProviderShape["generateText"] = (request) =>
    Effect.flatMap(toPrompt(request), (prompt) => model.generateText({ prompt })).pipe(
      Effect.map((res) => ({
        text: res.text,
        usage: fromResponseUsage(res.usage),
        finishReason: fromFinishReason(res.finishReason)
      })),
      Effect.mapError((e) => fromAiError(provider, e)),
      withSettings(request)
    )

  const generateObject = <A, I>(request: ObjectRequest<A, I>) => {
    const wrap = !isObjectSchema(request.schema)
    const schema: Schema.Codec<any, any> = wrap ? Schema.Struct({ value: request.schema }) : request.schema
    const generate = model.generateObject as unknown as (options: {
      readonly prompt: Prompt.Prompt
      readonly schema: Schema.Codec<any, any>
      readonly objectName: string
    }) => Effect.Effect<LanguageModel.GenerateObjectResponse<{}, any>, import("effect/ai").AiError.AiError>
    return Effect.flatMap(toPrompt(request), (prompt) => generate({ prompt, schema, objectName: request.objectName ?? "output" })).pipe(
      Effect.map((res) => ({
        value: (wrap ? res.value.value : res.value) as A,
        raw: res.text,
        usage: fromResponseUsage(res.usage)
      })),
      Effect.mapError((e) => fromAiError(provider, e)),
      withSettings(request)
    )
  }

  const streamText: LlmProviderShape["streamText"] = (request) =>
    Stream.unwrap(Effect.map(toPrompt(request), (prompt) => model.streamText({ prompt }))).pipe(
      Stream.filterMap((part): Result.Result<TextStreamPart, void> => {
        if (part.type === "text-delta") return Result.succeed({ _tag: "Delta", text: part.delta })
        if (part.type === "finish") {
          return Result.succeed({
            _tag: "Finish",
            usage: fromResponseUsage(part.usage),
            finishReason: fromFinishReason(part.reason)
          })
        }
        return Result.failVoid
      }),
      Stream.mapError((e) => fromAiError(provider, e)),
      Stream.provideService(GenerationOptions, settingsOf(provider, request))
    )

  return { name: provider, generateText, generateObject, streamText, languageModel: model }
}

/**
 * The effect/ai view of a named provider, for code that wants the effect/ai API itself (tools and toolkits, `Chat`,
 * `ExecutionPlan`): {@link Llm.withLanguageModel} provides `LanguageModel.LanguageModel` backed by provider `N`.
 * A provider built from an effect/ai `LanguageModel` hands out that model (tools work); any other provider (e.g. a
 * mock) is adapted for text, structured output and streaming. Either way each call reports its usage to
 * {@link StepUsage}.
 *
 * @example
 * ```ts
 * const answer = yield* Llm.withLanguageModel({ provider: "openai", model: "gpt-4o" },
 *   LanguageModel.generateText({ prompt: "hi", toolkit: MyToolkit }))
 * ```
 */
import { Effect, Stream } from "effect"
import { LanguageModel, type Response } from "effect/ai"
import { fromResponseUsage } from "./fromLanguageModel.ts"
import { toAiError } from "./toAiError.ts"
import { GenerationOptions } from "./GenerationOptions.ts"
import type { Usage } from "./LlmError.ts"
import type { LlmProviderShape } from "./LlmProvider.ts"
import type { FinishReason, TextRequest } from "./LlmRequest.ts"
import { reportUsage } from "./Usage.ts"

const report = (provider: string, usage: Usage) =>
  Effect.flatMap(GenerationOptions, (s) => reportUsage(provider, s.model, usage))

// Counts usage of a native effect/ai model without changing what it does (tools, toolkits, decoding).
const withUsageReporting = (provider: string, native: LanguageModel.LanguageModel): LanguageModel.LanguageModel => ({
  ...native,
  generateText: ((options: any) =>
    Effect.tap((native.generateText as unknown as (o: any) => Effect.Effect<LanguageModel.GenerateTextResponse<any>, any, any>)(options), (res) =>
      report(provider, fromResponseUsage(res.usage)))) as unknown as LanguageModel.LanguageModel["generateText"],
  generateObject: ((options: any) =>
    Effect.tap((native.generateObject as unknown as (o: any) => Effect.Effect<LanguageModel.GenerateObjectResponse<any, any>, any, any>)(options), (res) =>
      report(provider, fromResponseUsage(res.usage)))) as unknown as LanguageModel.LanguageModel["generateObject"],
  streamText: ((options: any) =>
    Stream.tap(native.streamText(options), (part: Response.StreamPart<any>) =>
      part.type === "finish" ? report(provider, fromResponseUsage(part.usage)) : Effect.void)) as LanguageModel.LanguageModel["streamText"]
})

const finishPart = (reason: FinishReason, usage: Usage) => ({
  type: "finish" as const,
  reason: reason === "unknown" ? ("other" as const) : reason,
  usage: { inputTokens: { total: usage.inputTokens }, outputTokens: { total: usage.outputTokens } }
})

const requestOf = (prompt: import("effect/ai").Prompt.Prompt) =>
  Effect.map(GenerationOptions, (s): TextRequest => ({
    model: s.model,
    prompt,
    ...(s.temperature === undefined ? {} : { temperature: s.temperature }),
    ...(s.maxTokens === undefined ? {} : { maxTokens: s.maxTokens }),
    ...(s.stopSequences === undefined ? {} : { stopSequences: s.stopSequences })
  }))

/**
 * The effect/ai `LanguageModel` of a provider (see the module doc).
 *
 * @example
 * ```ts
 * const lm = yield* toLanguageModel(yield* LlmProvider.key("openai"))
 * const res = yield* lm.generateText({ prompt: "hi" })
 * ```
 */
export const toLanguageModel = (shape: LlmProviderShape): Effect.Effect<LanguageModel.LanguageModel> =>
  shape.languageModel !== undefined
    ? Effect.succeed(withUsageReporting(shape.name, shape.languageModel))
    : LanguageModel.make({
      generateText: (options) =>
        Effect.gen(function*() {
          const request = yield* requestOf(options.prompt)
          const res = yield* Effect.mapError(shape.generateText(request), (e) => toAiError(e))
          yield* reportUsage(shape.name, request.model, res.usage)
          const parts: Array<Response.PartEncoded> = [{ type: "text", text: res.text }, finishPart(res.finishReason, res.usage)]
          return parts
        }),
      streamText: (options) =>
        Stream.unwrap(Effect.map(requestOf(options.prompt), (request) =>
          shape.streamText(request).pipe(
            Stream.mapError((e) => toAiError(e, "streamText")),
            Stream.mapEffect((part) =>
              part._tag === "Delta"
                ? Effect.succeed<Array<Response.StreamPartEncoded>>([{ type: "text-delta", id: "0", delta: part.text }])
                : Effect.as(reportUsage(shape.name, request.model, part.usage), [
                  { type: "text-end", id: "0" },
                  finishPart(part.finishReason, part.usage)
                ] satisfies Array<Response.StreamPartEncoded>)
            ),
            Stream.flattenIterable,
            Stream.prepend([{ type: "text-start", id: "0" } satisfies Response.StreamPartEncoded])
          )))
    })

// Type tests: the provider name is in the requirement type; a missing provider Layer is a compile error.
import { Effect, Layer, Schema, Stream } from "effect"
import * as Embeddings from "../../src/llm/Embeddings.ts"
import type { EmbeddingsProvider } from "../../src/llm/EmbeddingsProvider.ts"
import * as Llm from "../../src/llm/Llm.ts"
import type { LlmError } from "../../src/llm/LlmError.ts"
import type { LlmProvider } from "../../src/llm/LlmProvider.ts"

declare const openai: Layer.Layer<LlmProvider<"openai">>
declare const anthropic: Layer.Layer<LlmProvider<"anthropic">>

const both = Effect.all([
  Llm.generate({ provider: "openai", model: "gpt-4", prompt: "a" }),
  Llm.generate({ provider: "anthropic", model: "claude", prompt: "b" })
])

// R names exactly the providers used
export const r1: Effect.Effect<ReadonlyArray<string>, LlmError, LlmProvider<"openai"> | LlmProvider<"anthropic">> = both
// @ts-expect-error -- R is not only openai
export const r2: Effect.Effect<ReadonlyArray<string>, LlmError, LlmProvider<"openai">> = both

// providing both layers leaves R = never
export const ok: Effect.Effect<ReadonlyArray<string>, LlmError> = both.pipe(Effect.provide(Layer.mergeAll(openai, anthropic)))
// @ts-expect-error -- anthropic is missing
export const missing: Effect.Effect<ReadonlyArray<string>, LlmError> = both.pipe(Effect.provide(openai))

// Readable key for missing-requirement messages
export const key: LlmProvider<"openai">["key"] = "Llm/openai"
// @ts-expect-error -- the key names the provider
export const wrongKey: LlmProvider<"openai">["key"] = "Llm/anthropic"
export const ekey: EmbeddingsProvider<"openai">["key"] = "Embeddings/openai"

// generateObject returns the Schema's type (literal union => exhaustive switch)
const label = Llm.generateObject({
  provider: "openai",
  model: "gpt-4",
  prompt: "x",
  schema: Schema.Literals(["safe", "review", "block"])
})
export const l1: Effect.Effect<"safe" | "review" | "block", LlmError, LlmProvider<"openai">> = label
// @ts-expect-error -- not a plain string
export const l2: Effect.Effect<"safe", LlmError, LlmProvider<"openai">> = label

// stream and embeddings carry their provider too
export const s1: Stream.Stream<string, LlmError, LlmProvider<"cheap">> = Llm.stream({ provider: "cheap", model: "m", prompt: "p" })
export const e1: Effect.Effect<ReadonlyArray<number>, LlmError, EmbeddingsProvider<"openai">> = Embeddings.embed({
  provider: "openai",
  model: "m",
  input: "t"
})
// @ts-expect-error -- an embedding provider is not an LLM provider
export const e2: Effect.Effect<ReadonlyArray<number>, LlmError, LlmProvider<"openai">> = Embeddings.embed({
  provider: "openai",
  model: "m",
  input: "t"
})

// alias: a role name needs its target
export const aliased: Layer.Layer<LlmProvider<"primary">, never, LlmProvider<"openai">> = Llm.alias("primary", "openai")

// A provider chosen at run time requires every candidate
declare const cheap: boolean
const dynamic = Llm.generate({ provider: cheap ? "cheap" : "primary", model: "m", prompt: "p" })
declare const cheapL: Layer.Layer<LlmProvider<"cheap">>
declare const primaryL: Layer.Layer<LlmProvider<"primary">>
export const dyn1: Effect.Effect<string, LlmError> = dynamic.pipe(Effect.provide(Layer.mergeAll(cheapL, primaryL)))
// @ts-expect-error -- "primary" is missing
export const dyn2: Effect.Effect<string, LlmError> = dynamic.pipe(Effect.provide(cheapL))

// withLanguageModel: effect/ai code's LanguageModel requirement becomes the named provider
import type { LanguageModel } from "effect/ai"
declare const aiProgram: Effect.Effect<string, "E", LanguageModel.LanguageModel>
export const viaProvider: Effect.Effect<string, "E", LlmProvider<"openai">> = Llm.withLanguageModel(
  { provider: "openai", model: "gpt-4o" },
  aiProgram
)
// @ts-expect-error -- the provider is required
export const viaNothing: Effect.Effect<string, "E", never> = Llm.withLanguageModel({ provider: "openai", model: "m" }, aiProgram)

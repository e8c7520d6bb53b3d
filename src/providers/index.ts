/**
 * Real provider adapters: effect/ai `LanguageModel` / `EmbeddingModel` implementations over the OpenAI and Anthropic
 * SDKs (and OpenAI-compatible local servers), error mapping onto `LlmError`, price table and usage tracking.
 *
 * @example
 * ```ts
 * import { Anthropic, Local, OpenAi } from "llm-orchestrator/providers"
 * const openai = OpenAi.layerConfig()
 * const claude = Anthropic.layerConfig()
 * const ollama = Local.ollama({ model: "llama3.2" })
 * ```
 */
export * as Anthropic from "./Anthropic.ts"
export * as Cohere from "./Cohere.ts"
export * as Catalogue from "./catalogue/Catalogue.ts"
export * as Entry from "./catalogue/Entry.ts"
export * as ErrorMapping from "./ErrorMapping.ts"
export * as FileData from "./FileData.ts"
export * as Local from "./Local.ts"
export * as OpenAi from "./OpenAi.ts"
export * as Pricing from "./Pricing.ts"
export * as UsageMetrics from "./UsageMetrics.ts"
/** Bridges for adapter authors: our provider shape as an effect/ai `LanguageModel`, and our errors as `AiError`s. */
export { toLanguageModel } from "../llm/toLanguageModel.ts"
export { toAiError } from "../llm/toAiError.ts"

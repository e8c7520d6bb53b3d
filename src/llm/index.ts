/**
 * Language-model and embedding services: step helpers (`Llm`, `Embeddings`), provider identity (`LlmProvider`,
 * `EmbeddingsProvider`), effect/ai bridges, errors and usage accounting.
 *
 * @example
 * ```ts
 * import { Llm, Embeddings, LlmProvider, trackUsage } from "./src/llm/index.ts"
 * ```
 */
export * as CallGate from "./CallGate.ts"
export * as Embeddings from "./Embeddings.ts"
export type { Embedding } from "./Embeddings.ts"
export * from "./EmbeddingsProvider.ts"
export * from "./fromAiError.ts"
export * from "./fromLanguageModel.ts"
export * from "./GenerationOptions.ts"
export * as Llm from "./Llm.ts"
export type { GenerateOptions, WidenedProvider, ProviderName, Model, GenerateObjectOptions } from "./Llm.ts"
export * from "./CallPolicy.ts"
export * from "./LlmError.ts"
export * from "./LlmProvider.ts"
export * from "./LlmRequest.ts"
export * from "./observeCall.ts"
export * from "./Usage.ts"
export * as TextDeltas from "./TextDeltas.ts"

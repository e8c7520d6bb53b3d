/**
 * What one provider of the catalogue is: its kind (a language model, an embedding model, a vector store), the
 * settings it is configured with (each with its environment variable and whether it is a secret), and how it is built
 * from resolved settings. Adapters are loaded by `build` on first use (a dynamic `import()`), so listing or validating
 * against the catalogue never loads a provider SDK.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import type { Entry } from "llm-orchestrator/providers"
 * const mistral: Entry.LlmEntry = {
 *   kind: "llm",
 *   id: "mistral",
 *   description: "Mistral's OpenAI-compatible API",
 *   settings: [Entry.apiKey("MISTRAL_API_KEY"), Entry.baseUrl("MISTRAL_BASE_URL", "https://api.mistral.ai/v1"), Entry.model("MISTRAL_MODEL", "mistral-small-latest")],
 *   build: (s) => Layer.unwrap(Effect.map(Effect.promise(() => import("../OpenAi.ts")), (m) => m.layer({ model: s.model!, apiKey: s.apiKey, baseUrl: s.baseUrl })))
 * }
 * ```
 */
import type { Layer, Redacted } from "effect"
import type { EmbeddingModel, LanguageModel } from "effect/ai"
import type { RerankerFor } from "../../rag/Reranker.ts"
import type { VectorStoreFor } from "../../vector/VectorStore.ts"
import type { VectorStoreError } from "../../vector/VectorStoreError.ts"

/** The kinds of provider. */
export type Kind = "llm" | "embeddings" | "vector"

/**
 * One setting of a provider: its key in the config file's provider section, the environment variable it is read from
 * when the config file does not set it, and whether it is a secret (a secret is given as a reference such as
 * `env:OPENAI_API_KEY` or `file:/run/secrets/openai` and is resolved to a `Redacted` value).
 */
export interface Setting {
  readonly key: string
  readonly env: string
  readonly secret: boolean
  /** Without a value the provider is not configured (unless the setting has a default). */
  readonly required: boolean
  readonly default?: string | undefined
  readonly description: string
}

/** Resolved settings: secrets as `Redacted`, the rest as strings; absent optional settings are missing. */
export interface Settings {
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly secrets: Readonly<Record<string, Redacted.Redacted<string>>>
  readonly values: Readonly<Record<string, string>>
  /** The model asked for: the step's model for language models, the setting (or default) otherwise. */
  readonly model?: string | undefined
  readonly baseUrl?: string | undefined
}

interface Base<K extends Kind> {
  readonly kind: K
  /** The name workflows use (`provider: openai`, or the vector store provider in the config file). */
  readonly id: string
  readonly description: string
  readonly settings: ReadonlyArray<Setting>
}

/** A language-model provider: builds an effect/ai `LanguageModel`; the pipeline adds the reliability policy and the name. */
export interface LlmEntry extends Base<"llm"> {
  readonly build: (settings: Settings) => Layer.Layer<LanguageModel.LanguageModel>
  /** The provider's re-ranker named `name` (for `rerank` steps), when it has one (Cohere). */
  readonly buildReranker?: (<const N extends string>(name: N, settings: Settings) => Layer.Layer<RerankerFor<N>>) | undefined
}

/** An embedding-model provider: builds an effect/ai `EmbeddingModel`. */
export interface EmbeddingsEntry extends Base<"embeddings"> {
  readonly build: (settings: Settings) => Layer.Layer<EmbeddingModel.EmbeddingModel>
}

/** A vector-store provider: builds the store named `store` (the `database` of a vector_search step). */
export interface VectorEntry extends Base<"vector"> {
  readonly build: <const N extends string>(store: N, settings: Settings) => Layer.Layer<VectorStoreFor<N>, VectorStoreError>
}

/** Any catalogue entry. */
export type Entry = LlmEntry | EmbeddingsEntry | VectorEntry

/** The API key setting read from `env` (a required secret). */
export const apiKey = (env: string, options: { readonly required?: boolean } = {}): Setting => ({
  key: "api_key",
  env,
  secret: true,
  required: options.required ?? true,
  description: "API key (a secret reference such as env:NAME or file:/path)"
})

/** The base URL setting read from `env`, with the provider's public endpoint as default. */
export const baseUrl = (env: string, defaultUrl?: string): Setting => ({
  key: "base_url",
  env,
  secret: false,
  required: false,
  default: defaultUrl,
  description: "Base URL of the API"
})

/** The model setting (the default model when a step names none; embeddings and stores use it as is). */
export const model = (env: string, defaultModel: string): Setting => ({
  key: "model",
  env,
  secret: false,
  required: false,
  default: defaultModel,
  description: "Default model"
})

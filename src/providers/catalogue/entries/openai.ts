/**
 * OpenAI (and any server speaking its API through `OPENAI_BASE_URL`): chat models and embeddings.
 *
 * @example
 * ```ts
 * import { openAiLlm } from "./openai.ts"
 * openAiLlm.settings.map((s) => s.env) // ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"]
 * ```
 */
import { Effect, Layer } from "effect"
import { apiKey, baseUrl, type EmbeddingsEntry, type LlmEntry, model, type Settings } from "../Entry.ts"

const options = (s: Settings, defaultModel: string) => ({
  model: s.model ?? defaultModel,
  ...(s.apiKey !== undefined ? { apiKey: s.apiKey } : {}),
  ...(s.baseUrl !== undefined ? { baseUrl: s.baseUrl } : {})
})

const adapter = () => import("../../OpenAi.ts")

/** OpenAI chat models. */
export const openAiLlm: LlmEntry = {
  kind: "llm",
  id: "openai",
  description: "OpenAI chat models (official SDK); OPENAI_BASE_URL points it at any OpenAI-compatible server",
  settings: [apiKey("OPENAI_API_KEY"), baseUrl("OPENAI_BASE_URL", "https://api.openai.com/v1"), model("OPENAI_MODEL", "gpt-4o-mini")],
  build: (s) => Layer.unwrap(Effect.map(Effect.promise(adapter), (m) => m.layer(options(s, "gpt-4o-mini"))))
}

/** OpenAI embeddings. */
export const openAiEmbeddings: EmbeddingsEntry = {
  kind: "embeddings",
  id: "openai",
  description: "OpenAI embeddings (official SDK)",
  settings: [apiKey("OPENAI_API_KEY"), baseUrl("OPENAI_BASE_URL", "https://api.openai.com/v1"), model("OPENAI_EMBEDDING_MODEL", "text-embedding-3-small")],
  build: (s) => Layer.unwrap(Effect.map(Effect.promise(adapter), (m) => m.layerEmbeddings(options(s, "text-embedding-3-small"))))
}

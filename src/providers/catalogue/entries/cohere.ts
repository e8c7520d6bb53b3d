/**
 * Cohere's chat and embedding models through the official SDK.
 *
 * @example
 * ```ts
 * import { cohereLlm } from "./cohere.ts"
 * cohereLlm.settings.map((s) => s.env) // ["COHERE_API_KEY", "COHERE_BASE_URL", "COHERE_MODEL"]
 * ```
 */
import { Effect, Layer } from "effect"
import { apiKey, baseUrl, type EmbeddingsEntry, type LlmEntry, model, type Settings } from "../Entry.ts"

const adapter = () => import("../../Cohere.ts")

const options = (s: Settings) => ({
  model: s.model ?? "command-r-plus",
  ...(s.apiKey !== undefined ? { apiKey: s.apiKey } : {}),
  ...(s.baseUrl !== undefined ? { baseUrl: s.baseUrl } : {})
})

/** Cohere chat models (Command family). */
export const cohereLlm: LlmEntry = {
  kind: "llm",
  id: "cohere",
  description: "Cohere Command models (official SDK)",
  settings: [apiKey("COHERE_API_KEY"), baseUrl("COHERE_BASE_URL", "https://api.cohere.com"), model("COHERE_MODEL", "command-r-plus")],
  build: (s) => Layer.unwrap(Effect.map(Effect.promise(adapter), (m) => m.layer(options(s)))),
  buildReranker: (name, s) => Layer.unwrap(Effect.map(Effect.promise(adapter), (m) => m.layerReranker(name, options(s))))
}

/** Cohere embeddings. */
export const cohereEmbeddings: EmbeddingsEntry = {
  kind: "embeddings",
  id: "cohere",
  description: "Cohere embeddings (official SDK), 96 texts per request",
  settings: [apiKey("COHERE_API_KEY"), baseUrl("COHERE_BASE_URL", "https://api.cohere.com"), model("COHERE_EMBEDDING_MODEL", "embed-v4.0")],
  build: (s) =>
    Layer.unwrap(Effect.map(Effect.promise(adapter), (m) => m.layerEmbeddings({ ...options(s), model: "command-r-plus", embeddingModel: s.model ?? "embed-v4.0" })))
}

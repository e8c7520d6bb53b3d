/**
 * Local model servers speaking the OpenAI API (Ollama, vLLM, llama.cpp's server, LM Studio): chat and embeddings,
 * no API key unless the server wants one, the base URL from `<NAME>_BASE_URL` (default: the server's usual port).
 *
 * @example
 * ```ts
 * import { localLlm } from "./local.ts"
 * localLlm.map((e) => e.id) // ["ollama", "vllm", "llamacpp", "lmstudio"]
 * ```
 */
import { Effect, Layer } from "effect"
import { apiKey, baseUrl, type EmbeddingsEntry, type LlmEntry, model, type Settings } from "../Entry.ts"

interface Server {
  readonly id: string
  readonly env: string
  readonly name: string
  readonly baseUrl: string
  readonly model: string
  readonly embeddingModel: string
}

const servers: ReadonlyArray<Server> = [
  { id: "ollama", env: "OLLAMA", name: "Ollama", baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.2", embeddingModel: "nomic-embed-text" },
  { id: "vllm", env: "VLLM", name: "vLLM", baseUrl: "http://127.0.0.1:8000/v1", model: "Qwen/Qwen2.5-7B-Instruct", embeddingModel: "BAAI/bge-small-en-v1.5" },
  { id: "llamacpp", env: "LLAMACPP", name: "llama.cpp server", baseUrl: "http://127.0.0.1:8080/v1", model: "default", embeddingModel: "default" },
  { id: "lmstudio", env: "LMSTUDIO", name: "LM Studio", baseUrl: "http://127.0.0.1:1234/v1", model: "qwen2.5-7b-instruct", embeddingModel: "text-embedding-nomic-embed-text-v1.5" }
]

const adapter = () => import("../../Local.ts")

const options = (server: Server, s: Settings, defaultModel: string) => ({
  model: s.model ?? defaultModel,
  ...(s.apiKey !== undefined ? { apiKey: s.apiKey } : {}),
  baseUrl: s.baseUrl ?? server.baseUrl
})

/** Chat models of the local servers. */
export const localLlm: ReadonlyArray<LlmEntry> = servers.map((server): LlmEntry => ({
  kind: "llm",
  id: server.id,
  description: `${server.name} (OpenAI-compatible, local)`,
  settings: [apiKey(`${server.env}_API_KEY`, { required: false }), baseUrl(`${server.env}_BASE_URL`, server.baseUrl), model(`${server.env}_MODEL`, server.model)],
  build: (s) =>
    Layer.unwrap(Effect.map(Effect.promise(adapter), (m) => m.layer({ provider: server.id, baseUrl: server.baseUrl }, options(server, s, server.model))))
}))

/** Embedding models of the local servers. */
export const localEmbeddings: ReadonlyArray<EmbeddingsEntry> = servers.map((server): EmbeddingsEntry => ({
  kind: "embeddings",
  id: server.id,
  description: `${server.name} embeddings (OpenAI-compatible, local)`,
  settings: [
    apiKey(`${server.env}_API_KEY`, { required: false }),
    baseUrl(`${server.env}_BASE_URL`, server.baseUrl),
    model(`${server.env}_EMBEDDING_MODEL`, server.embeddingModel)
  ],
  build: (s) =>
    Layer.unwrap(Effect.map(Effect.promise(adapter), (m) =>
      m.layerEmbeddings({ provider: server.id, baseUrl: server.baseUrl }, { ...options(server, s, server.model), embeddingModel: s.model ?? server.embeddingModel })))
}))

/**
 * OpenAI-compatible local servers: the {@link OpenAi} adapter with the server's default base URL, no API key (no
 * Authorization header is sent), non-strict JSON schema (local servers vary in what they accept) and a zero price.
 *
 * | preset      | default base URL              | start it with                                   |
 * |-------------|-------------------------------|-------------------------------------------------|
 * | `ollama`    | http://127.0.0.1:11434/v1     | `ollama serve` + `ollama pull llama3.2`         |
 * | `vllm`      | http://127.0.0.1:8000/v1      | `vllm serve Qwen/Qwen2.5-7B-Instruct`           |
 * | `llamaCpp`  | http://127.0.0.1:8080/v1      | `llama-server -m model.gguf --port 8080`        |
 * | `lmStudio`  | http://127.0.0.1:1234/v1      | LM Studio > Developer > Start server            |
 *
 * @example
 * ```ts
 * import { Local } from "llm-orchestrator/providers"
 * const llm = Local.ollama({ model: "llama3.2" })                       // Layer<LanguageModel>
 * const named = Local.layerLlm("local", Local.presets.vllm, { model: "Qwen/Qwen2.5-7B-Instruct" })
 * ```
 */
import type { Layer } from "effect"
import type { EmbeddingModel, LanguageModel } from "effect/ai"
import type { LlmProvider } from "../llm/LlmProvider.ts"
import * as OpenAi from "./OpenAi.ts"

/**
 * A local server kind: provider name and default base URL.
 *
 * @example
 * ```ts
 * const lmDev: Local.Preset = { provider: "lmdev", baseUrl: "http://127.0.0.1:9000/v1" }
 * ```
 */
export interface Preset {
  readonly provider: string
  readonly baseUrl: string
}

/**
 * Defaults of the supported servers.
 *
 * @example
 * ```ts
 * Local.presets.ollama.baseUrl // "http://127.0.0.1:11434/v1"
 * ```
 */
export const presets = {
  ollama: { provider: "ollama", baseUrl: "http://127.0.0.1:11434/v1" },
  vllm: { provider: "vllm", baseUrl: "http://127.0.0.1:8000/v1" },
  llamaCpp: { provider: "llama.cpp", baseUrl: "http://127.0.0.1:8080/v1" },
  lmStudio: { provider: "lmstudio", baseUrl: "http://127.0.0.1:1234/v1" }
} as const satisfies Record<string, Preset>

/**
 * Options of a local server: the model, and anything of {@link OpenAi.Options} to override (e.g. `baseUrl`).
 *
 * @example
 * ```ts
 * Local.layer(Local.presets.vllm, { model: "Qwen/Qwen2.5-7B-Instruct", baseUrl: "http://127.0.0.1:9000/v1" })
 * ```
 */
export type Options = Partial<OpenAi.Options> & { readonly model: string }

/**
 * The OpenAI adapter options for `preset`.
 *
 * @example
 * ```ts
 * OpenAi.layerEmbeddings(Local.options(Local.presets.ollama, { model: "llama3.2", embeddingModel: "nomic-embed-text" }))
 * ```
 */
export const options = (preset: Preset, o: Options): OpenAi.Options => ({
  provider: preset.provider,
  baseUrl: preset.baseUrl,
  strictJsonSchema: false,
  prices: { [o.model]: { input: 0, output: 0 }, ...(o.embeddingModel ? { [o.embeddingModel]: { input: 0, output: 0 } } : {}) },
  ...o
})

/**
 * `LanguageModel` layer of a local server.
 *
 * @example
 * ```ts
 * Local.layer({ provider: "my-server", baseUrl: "http://10.0.0.5:8000/v1" }, { model: "qwen2.5" })
 * ```
 */
export const layer = (preset: Preset, o: Options): Layer.Layer<LanguageModel.LanguageModel> => OpenAi.layer(options(preset, o))

/**
 * `EmbeddingModel` layer of a local server (`embeddingModel` names the server's embedding model).
 *
 * @example
 * ```ts
 * Local.layerEmbeddings(Local.presets.ollama, { model: "llama3.2", embeddingModel: "nomic-embed-text" })
 * ```
 */
export const layerEmbeddings = (preset: Preset, o: Options): Layer.Layer<EmbeddingModel.EmbeddingModel> =>
  OpenAi.layerEmbeddings(options(preset, o))

/**
 * A local server as a named provider of the src/llm `Llm` service.
 *
 * @example
 * ```ts
 * Local.layerLlm("local", Local.presets.lmStudio, { model: "qwen2.5-7b-instruct" })
 * ```
 */
export const layerLlm = <const N extends string>(name: N, preset: Preset, o: Options): Layer.Layer<LlmProvider<N>> =>
  OpenAi.layerLlm(name, options(preset, o))

/**
 * Ollama (`ollama serve`).
 *
 * @example
 * ```ts
 * Local.ollama({ model: "llama3.2" })
 * ```
 */
export const ollama = (o: Options) => layer(presets.ollama, o)
/**
 * vLLM (`vllm serve <model>`).
 *
 * @example
 * ```ts
 * Local.vllm({ model: "Qwen/Qwen2.5-7B-Instruct" })
 * ```
 */
export const vllm = (o: Options) => layer(presets.vllm, o)
/**
 * llama.cpp server (`llama-server`).
 *
 * @example
 * ```ts
 * Local.llamaCpp({ model: "default" })
 * ```
 */
export const llamaCpp = (o: Options) => layer(presets.llamaCpp, o)
/**
 * LM Studio local server.
 *
 * @example
 * ```ts
 * Local.lmStudio({ model: "qwen2.5-7b-instruct" })
 * ```
 */
export const lmStudio = (o: Options) => layer(presets.lmStudio, o)

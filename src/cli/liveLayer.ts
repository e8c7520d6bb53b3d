/**
 * The services a YAML run needs when its steps are not mocked, built from the environment: `OPENAI_API_KEY`
 * (+ `OPENAI_BASE_URL`), `ANTHROPIC_API_KEY` (+ `ANTHROPIC_BASE_URL`), and `QDRANT_URL` (+ `QDRANT_API_KEY`) for every
 * named vector store. Anything missing is reported before the run starts, naming the steps that need it.
 *
 * @example
 * ```ts
 * const r = liveLayer(interpreted.requirements, process.env)
 * if (r._tag === "Missing") r.problems.forEach(console.error)
 * ```
 */
import { Layer, Redacted } from "effect"
import { Embeddings } from "../llm/Embeddings.ts"
import * as Anthropic from "../providers/Anthropic.ts"
import * as OpenAi from "../providers/OpenAi.ts"
import * as Reliability from "../reliability/Reliability.ts"
import * as VectorStore from "../vector/VectorStore.ts"
import type { Requirements } from "../yaml/interpret.ts"

export type LiveLayer =
  | { readonly _tag: "Ready"; readonly layer: Layer.Layer<any, any, never> }
  | { readonly _tag: "Missing"; readonly problems: ReadonlyArray<string> }

const steps = (ids: ReadonlyArray<string>) => `step${ids.length > 1 ? "s" : ""} ${ids.map((i) => `"${i}"`).join(", ")}`

/** The real provider/store Layer for a run's requirements, or the list of missing environment variables. */
export const liveLayer = (
  req: Requirements,
  env: Readonly<Record<string, string | undefined>>,
  policy: Reliability.Policy = Reliability.defaultPolicy
): LiveLayer => {
  const problems: Array<string> = []
  const layers: Array<Layer.Layer<any, any, never>> = []
  const key = (name: string) => {
    const v = env[name]
    return v === undefined || v === "" ? undefined : Redacted.make(v)
  }
  const withBase = (name: string) => (env[name] !== undefined && env[name] !== "" ? { baseUrl: env[name]! } : {})
  for (const [provider, ids] of req.providers) {
    if (provider === "openai" && key("OPENAI_API_KEY") !== undefined) {
      layers.push(Reliability.layerLlm(policy, "openai", OpenAi.layer({ model: "gpt-4o-mini", apiKey: key("OPENAI_API_KEY"), ...withBase("OPENAI_BASE_URL") })))
    } else if (provider === "anthropic" && key("ANTHROPIC_API_KEY") !== undefined) {
      layers.push(Reliability.layerLlm(policy, "anthropic", Anthropic.layer({ model: "claude-3-5-haiku-20241022", apiKey: key("ANTHROPIC_API_KEY"), ...withBase("ANTHROPIC_BASE_URL") })))
    } else {
      problems.push(`${steps(ids)} need${ids.length > 1 ? "" : "s"} provider "${provider}": set ${provider.toUpperCase()}_API_KEY or mock ${ids.length > 1 ? "them" : "it"} (--mock)`)
    }
  }
  for (const [provider, ids] of req.embeddingProviders) {
    if (provider === "openai" && key("OPENAI_API_KEY") !== undefined) {
      layers.push(Embeddings.layerFromEmbeddingModel("openai").pipe(
        Layer.provide(Reliability.layerEmbeddings(policy, "openai")),
        Layer.provide(OpenAi.layerEmbeddings({ model: "text-embedding-3-small", apiKey: key("OPENAI_API_KEY"), ...withBase("OPENAI_BASE_URL") }))
      ))
    } else {
      problems.push(`${steps(ids)} need${ids.length > 1 ? "" : "s"} embedding provider "${provider}": set ${provider.toUpperCase()}_API_KEY or mock ${ids.length > 1 ? "them" : "it"} (--mock)`)
    }
  }
  for (const [store, ids] of req.stores) {
    if (env["QDRANT_URL"] !== undefined && env["QDRANT_URL"] !== "") {
      const apiKey = key("QDRANT_API_KEY")
      layers.push(VectorStore.layerQdrant(store, { url: env["QDRANT_URL"], ...(apiKey !== undefined ? { apiKey } : {}) }) as Layer.Layer<any, any, never>)
    } else {
      problems.push(`${steps(ids)} need${ids.length > 1 ? "" : "s"} vector store "${store}": set QDRANT_URL or mock ${ids.length > 1 ? "them" : "it"} (--mock)`)
    }
  }
  if (problems.length > 0) return { _tag: "Missing", problems }
  return { _tag: "Ready", layer: layers.length === 0 ? (Layer.empty as unknown as Layer.Layer<any, any, never>) : Layer.mergeAll(...(layers as [Layer.Layer<any, any, never>])) }
}

/**
 * The offline embedding (feature hashing of words, word pairs and character trigrams; `OfflineEmbedding` in
 * `llm-orchestrator/testing`) as a catalogue provider, so YAML workflows and the CLI can ingest and search with no
 * model and no network: `provider: offline`. FOR DEMOS AND TESTS: it matches shared words, not meaning.
 *
 * @example
 * ```ts
 * import { offlineEmbeddings } from "./offline.ts"
 * offlineEmbeddings.settings.map((s) => s.env) // ["OFFLINE_EMBEDDING_DIMENSIONS"]
 * ```
 */
import { Effect, Layer } from "effect"
import { EmbeddingModel } from "effect/ai"
import type { EmbeddingsEntry } from "../Entry.ts"

/** Offline feature-hashing embeddings (any model name; 256 dimensions unless configured). */
export const offlineEmbeddings: EmbeddingsEntry = {
  kind: "embeddings",
  id: "offline",
  description: "Offline feature-hashing embedding, no model or network (demos and tests only: matches words, not meaning)",
  settings: [
    { key: "dimensions", env: "OFFLINE_EMBEDDING_DIMENSIONS", secret: false, required: false, default: "256", description: "Vector size" }
  ],
  build: (s) =>
    Layer.effect(
      EmbeddingModel.EmbeddingModel,
      Effect.flatMap(Effect.promise(() => import("../../../testing/OfflineEmbedding.ts")), (OfflineEmbedding) => {
        const dimensions = Number(s.values["dimensions"] ?? "256")
        return EmbeddingModel.make({
          embedMany: ({ inputs }) =>
            Effect.succeed({
              results: inputs.map((t) => [...OfflineEmbedding.embed(t, { dimensions })]),
              usage: { inputTokens: 0 }
            })
        })
      })
    )
}

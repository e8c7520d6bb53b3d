/**
 * Qdrant vector stores: every named store of a workflow is a Qdrant collection of the same name.
 *
 * @example
 * ```ts
 * import { qdrant } from "./qdrant.ts"
 * qdrant.settings.map((s) => s.env) // ["QDRANT_URL", "QDRANT_API_KEY"]
 * ```
 */
import { Effect, Layer } from "effect"
import { apiKey, type VectorEntry } from "../Entry.ts"

/** Qdrant over its REST API. */
export const qdrant: VectorEntry = {
  kind: "vector",
  id: "qdrant",
  description: "Qdrant (REST client); one collection per named store, BM25 sparse vectors for hybrid search (Qdrant 1.10+)",
  settings: [
    { key: "url", env: "QDRANT_URL", secret: false, required: true, description: "Qdrant server URL" },
    apiKey("QDRANT_API_KEY", { required: false })
  ],
  build: (store, s) =>
    Layer.unwrap(Effect.map(Effect.promise(() => import("../../../vector/VectorStore.ts")), (m) =>
      m.layerQdrant(store, { url: s.values["url"]!, ...(s.apiKey !== undefined ? { apiKey: s.apiKey } : {}) })))
}

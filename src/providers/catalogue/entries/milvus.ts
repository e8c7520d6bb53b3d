/**
 * Milvus vector stores through the official SDK's RESTful client: each collection is a Milvus collection with a
 * BM25 full-text field, so hybrid search works.
 *
 * @example
 * ```ts
 * import { milvus } from "./milvus.ts"
 * milvus.settings.map((s) => s.env) // ["MILVUS_URL", "MILVUS_TOKEN", "MILVUS_DATABASE"]
 * ```
 */
import { Effect, Layer } from "effect"
import type { VectorEntry } from "../Entry.ts"

/** Milvus 2.5+ over its RESTful API (keyword search through Milvus' BM25 full-text search). */
export const milvus: VectorEntry = {
  kind: "vector",
  id: "milvus",
  description: "Milvus (official SDK, RESTful client); one Milvus collection per collection, BM25 full-text for hybrid search",
  settings: [
    { key: "url", env: "MILVUS_URL", secret: false, required: true, description: "Milvus HTTP endpoint, e.g. http://localhost:19530" },
    { key: "token", env: "MILVUS_TOKEN", secret: true, required: false, description: "API key or user:password (a secret reference)" },
    { key: "database", env: "MILVUS_DATABASE", secret: false, required: false, default: "default", description: "Database" }
  ],
  build: (store, s) =>
    Layer.unwrap(Effect.map(Effect.promise(() => import("../../../vector/VectorStore.ts")), (m) =>
      m.layerMilvus(store, {
        url: s.values["url"]!,
        ...(s.secrets["token"] === undefined ? {} : { token: s.secrets["token"] }),
        database: s.values["database"] ?? "default"
      })))
}

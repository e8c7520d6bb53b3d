/**
 * Weaviate vector stores through the official `weaviate-client` v3 SDK (schema over REST, data over gRPC): each
 * collection is a Weaviate collection with BM25 on its text, so hybrid search works.
 *
 * @example
 * ```ts
 * import { weaviate } from "./weaviate.ts"
 * weaviate.settings.map((s) => s.env) // ["WEAVIATE_URL", "WEAVIATE_GRPC_URL", "WEAVIATE_API_KEY"]
 * ```
 */
import { Effect, Layer } from "effect"
import { apiKey, type VectorEntry } from "../Entry.ts"

/** Weaviate 1.33+ (REST and gRPC; keyword search through Weaviate's BM25). */
export const weaviate: VectorEntry = {
  kind: "vector",
  id: "weaviate",
  description: "Weaviate 1.33+ (official SDK: REST schema, gRPC data); one Weaviate collection per collection, BM25 for hybrid search",
  settings: [
    { key: "url", env: "WEAVIATE_URL", secret: false, required: true, description: "Weaviate REST URL, e.g. http://localhost:8080" },
    { key: "grpc_url", env: "WEAVIATE_GRPC_URL", secret: false, required: false, description: "Weaviate gRPC URL (default: the REST host, port 50051)" },
    apiKey("WEAVIATE_API_KEY", { required: false })
  ],
  build: (store, s) =>
    Layer.unwrap(Effect.map(Effect.promise(() => import("../../../vector/VectorStore.ts")), (m) =>
      m.layerWeaviate(store, {
        url: s.values["url"]!,
        ...(s.values["grpc_url"] === undefined ? {} : { grpcUrl: s.values["grpc_url"] }),
        ...(s.apiKey === undefined ? {} : { apiKey: s.apiKey })
      })))
}

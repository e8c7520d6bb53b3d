/**
 * Pinecone vector stores through the official SDK: each collection is a serverless index.
 *
 * @example
 * ```ts
 * import { pinecone } from "./pinecone.ts"
 * pinecone.settings.map((s) => s.env) // ["PINECONE_API_KEY", "PINECONE_CLOUD", "PINECONE_REGION", "PINECONE_NAMESPACE"]
 * ```
 */
import { Effect, Layer, Redacted } from "effect"
import { apiKey, type VectorEntry } from "../Entry.ts"

/** Pinecone (one serverless index per collection; no keyword search, so no hybrid search). */
export const pinecone: VectorEntry = {
  kind: "vector",
  id: "pinecone",
  description: "Pinecone (official SDK); one serverless index per collection, no keyword search",
  settings: [
    apiKey("PINECONE_API_KEY"),
    { key: "cloud", env: "PINECONE_CLOUD", secret: false, required: false, default: "aws", description: "Cloud of created indexes" },
    { key: "region", env: "PINECONE_REGION", secret: false, required: false, default: "us-east-1", description: "Region of created indexes" },
    { key: "namespace", env: "PINECONE_NAMESPACE", secret: false, required: false, description: "Namespace of every index (default: the default namespace)" },
    { key: "controller_url", env: "PINECONE_CONTROLLER_HOST", secret: false, required: false, description: "Control plane URL (default: the SDK's)" }
  ],
  build: (store, s) =>
    Layer.unwrap(Effect.map(Effect.promise(() => import("../../../vector/VectorStore.ts")), (m) =>
      m.layerPinecone(store, {
        apiKey: s.apiKey ?? Redacted.make(""),
        cloud: (s.values["cloud"] ?? "aws") as "aws" | "gcp" | "azure",
        region: s.values["region"] ?? "us-east-1",
        ...(s.values["namespace"] === undefined ? {} : { namespace: s.values["namespace"] }),
        ...(s.values["controller_url"] === undefined ? {} : { controllerHostUrl: s.values["controller_url"] })
      })))
}

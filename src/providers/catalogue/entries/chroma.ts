/**
 * Chroma vector stores through the official `chromadb` SDK: each collection is a Chroma collection.
 *
 * @example
 * ```ts
 * import { chroma } from "./chroma.ts"
 * chroma.settings.map((s) => s.env) // ["CHROMA_URL", "CHROMA_TOKEN", "CHROMA_TENANT", "CHROMA_DATABASE"]
 * ```
 */
import { Effect, Layer } from "effect"
import type { VectorEntry } from "../Entry.ts"

/** Chroma (a server, 1.x; no keyword ranking, so no hybrid search). */
export const chroma: VectorEntry = {
  kind: "vector",
  id: "chroma",
  description: "Chroma (official SDK); one Chroma collection per collection, no keyword search",
  settings: [
    { key: "url", env: "CHROMA_URL", secret: false, required: true, description: "Chroma server URL, e.g. http://localhost:8000" },
    { key: "token", env: "CHROMA_TOKEN", secret: true, required: false, description: "Token sent as x-chroma-token (a secret reference)" },
    { key: "tenant", env: "CHROMA_TENANT", secret: false, required: false, default: "default_tenant", description: "Tenant" },
    { key: "database", env: "CHROMA_DATABASE", secret: false, required: false, default: "default_database", description: "Database" }
  ],
  build: (store, s) =>
    Layer.unwrap(Effect.map(Effect.promise(() => import("../../../vector/VectorStore.ts")), (m) =>
      m.layerChroma(store, {
        url: s.values["url"]!,
        ...(s.secrets["token"] === undefined ? {} : { token: s.secrets["token"] }),
        tenant: s.values["tenant"] ?? "default_tenant",
        database: s.values["database"] ?? "default_database"
      })))
}

/**
 * Postgres vector stores: a server with the pgvector extension (through `@effect/sql-pg`), or PGlite in process.
 * Each named store's collections are tables in the configured schema.
 *
 * @example
 * ```ts
 * import { pgvector } from "./pgvector.ts"
 * pgvector.settings.map((s) => s.env) // ["PGVECTOR_URL", "PGVECTOR_SCHEMA"]
 * ```
 */
import { Effect, Layer, Redacted } from "effect"
import { VectorStoreError } from "../../../vector/VectorStoreError.ts"
import type { VectorEntry } from "../Entry.ts"

const schema = { key: "schema", env: "PGVECTOR_SCHEMA", secret: false, required: false, default: "public", description: "Schema holding the collection tables" }

/** pgvector on a Postgres server. */
export const pgvector: VectorEntry = {
  kind: "vector",
  id: "pgvector",
  description: "Postgres with pgvector (@effect/sql-pg): collections as tables, HNSW, full-text for hybrid search",
  settings: [
    { key: "url", env: "PGVECTOR_URL", secret: true, required: true, description: "Postgres connection URL (a secret: it may hold the password)" },
    schema
  ],
  build: (store, s) =>
    Layer.unwrap(Effect.gen(function*() {
      const [m, pg] = yield* Effect.promise(() => Promise.all([import("../../../vector/VectorStore.ts"), import("@effect/sql-pg")]))
      const client = yield* Layer.build(pg.PgClient.layer({ url: s.secrets["url"] ?? Redacted.make("") })).pipe(
        Effect.mapError((e) =>
          new VectorStoreError({ store, operation: "connect", retryable: true, message: `Vector store "${store}" (pgvector): cannot connect: ${e.message}` }))
      )
      return m.layerPgVector(store, { schema: s.values["schema"] ?? "public" }).pipe(Layer.provide(Layer.succeedContext(client)))
    }))
}

/** pgvector on PGlite, in process (in memory, or in PGLITE_DATA_DIR). Chosen only by name or `use: pglite`. */
export const pglite: VectorEntry = {
  kind: "vector",
  id: "pglite",
  description: "pgvector on PGlite, in process (no server); in memory unless PGLITE_DATA_DIR is set",
  settings: [{ key: "data_dir", env: "PGLITE_DATA_DIR", secret: false, required: false, description: "Directory of a persistent database" }],
  build: (store, s) =>
    Layer.unwrap(Effect.map(Effect.promise(() => import("../../../vector/VectorStore.ts")), (m) =>
      m.layerPglite(store, s.values["data_dir"] === undefined ? {} : { dataDir: s.values["data_dir"] })))
}

/** The in-memory store (exact search, BM25 keyword search), gone when the run ends. Chosen only by name or `use: memory`. */
export const memory: VectorEntry = {
  kind: "vector",
  id: "memory",
  description: "In-memory store of the run (exact search, built-in BM25 for hybrid search)",
  settings: [],
  build: (store) => Layer.unwrap(Effect.map(Effect.promise(() => import("../../../vector/VectorStore.ts")), (m) => m.layerMemory(store)))
}

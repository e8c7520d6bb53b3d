// Compile-time guarantees of named vector stores (checked by tsc in `npm test`).
import { Effect, Layer, Redacted, Schema } from "effect"
import { Workflow } from "../../src/index.ts"
import { VectorStore, type SearchHit, type VectorStoreFailure, type VectorStoreFor } from "../../src/vector/index.ts"

const search = VectorStore.search({ store: "pinecone", collection: "documentation", vector: [0.1, 0.2], topK: 5 })

// The store name is in the requirement, readable through the Identifier's `key`.
export const requirement: Effect.Effect<ReadonlyArray<SearchHit>, VectorStoreFailure, VectorStoreFor<"pinecone">> = search
export const key: VectorStoreFor<"pinecone">["key"] = "VectorStore/pinecone"
// @ts-expect-error another store's requirement is a different type
export const wrongStore: Effect.Effect<ReadonlyArray<SearchHit>, VectorStoreFailure, VectorStoreFor<"docs">> = search

// Providing the named store clears the requirement...
export const provided: Effect.Effect<ReadonlyArray<SearchHit>, VectorStoreFailure> = search.pipe(
  Effect.provide(VectorStore.layerMemory("pinecone"))
)
// @ts-expect-error ...a store with another name does not
export const missing: Effect.Effect<ReadonlyArray<SearchHit>, VectorStoreFailure> = search.pipe(Effect.provide(VectorStore.layerMemory("docs")))

// Running needs every store: a step using two stores needs both layers.
const both = Effect.all([search, VectorStore.search({ store: "docs", collection: "c", vector: [1], topK: 1 })])
export const runBoth = () => Effect.runPromise(both.pipe(Effect.provide(Layer.mergeAll(VectorStore.layerMemory("pinecone"), VectorStore.layerMemory("docs")))))
// @ts-expect-error a missing store layer is a compile error
export const runOne = () => Effect.runPromise(both.pipe(Effect.provide(VectorStore.layerMemory("pinecone"))))

// @ts-expect-error the Qdrant api key must be Redacted, not a plain string
VectorStore.layerQdrant("docs", { url: "http://127.0.0.1:6333", apiKey: "plain-secret" })
export const redacted = VectorStore.layerQdrant("docs", { url: "http://127.0.0.1:6333", apiKey: Redacted.make("secret") })

// In a workflow, a missing store is reported by its readable key.
const wf = Workflow.make("rag", { input: Schema.Struct({ q: Schema.String }) })
  .step("docs", () => VectorStore.search({ store: "pinecone", collection: "documentation", vector: [1], topK: 5 }))
export const runs = Workflow.runWith(wf, { q: "hi" }, VectorStore.layerMemory("pinecone"))
// @ts-expect-error Argument of type 'Layer<VectorStoreFor<"docs">>' is not assignable to parameter of type '"Missing provider(s): VectorStore/pinecone"'
export const notRun = Workflow.runWith(wf, { q: "hi" }, VectorStore.layerMemory("docs"))

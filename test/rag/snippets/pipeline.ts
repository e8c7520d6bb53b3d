import { NodeServices } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { ContextBudget, HybridSearch, Ingest, Loader, Passage, Reranker, Tokenizer } from "../../../src/rag/index.ts"
import { OfflineEmbedding } from "../../../src/testing/index.ts"
import { VectorStore } from "../../../src/vector/index.ts"

// 1. Load a folder of Markdown and ingest it: chunked by tokens, embedded in batches, upserted with stable ids.
// 2. Hybrid search (vector + BM25 fused by reciprocal rank), 3. MMR re-rank, 4. pack into a token budget.
export const answerContext = (folder: string, question: string) =>
  Effect.gen(function*() {
    const documents = yield* Loader.directory(folder, { include: ["**/*.md"] })
    const summary = yield* Ingest.ingest({
      store: "docs",
      collection: "kb",
      embeddings: { provider: "offline", model: "hash-256" },
      documents,
      settings: Ingest.settings({ chunking: { strategy: "markdown", maxTokens: 120, overlapTokens: 16 } })
    })
    const vector = OfflineEmbedding.embed(question)
    const hits = yield* HybridSearch.search({
      store: "docs",
      collection: "kb",
      query: question,
      vector,
      settings: HybridSearch.settings({ topK: 8, weights: { vector: 1, keyword: 1 } })
    })
    const best = yield* Reranker.rerankPassages({ reranker: "mmr", query: question, passages: hits.map(Passage.fromHit), topN: 4 })
    const tokenizer = yield* Tokenizer.forModel("gpt-4o-mini")
    const packed = ContextBudget.pack(best, ContextBudget.settings({ maxTokens: 400 }), tokenizer)
    return { summary, packed }
  }).pipe(
    Effect.provide(Layer.mergeAll(
      VectorStore.layerMemory("docs"),
      Reranker.layerMmr("mmr", { provider: "offline", model: "hash-256", lambda: 0.7 }).pipe(Layer.provideMerge(OfflineEmbedding.layer("offline"))),
      NodeServices.layer
    ))
  )

/**
 * Retrieval-augmented generation: loaders, token-sized chunking, ingestion with deterministic ids, hybrid search with
 * reciprocal rank fusion, re-ranking, and a context budget with citations. Settings are plain values with defaults
 * (`Chunker.settings`, `Ingest.settings`, `HybridSearch.settings`, `ContextBudget.settings`).
 *
 * @example
 * ```ts
 * import { ContextBudget, HybridSearch, Ingest, Loader, Passage, Reranker } from "llm-orchestrator/rag"
 * ```
 */
export * as Chunker from "./Chunker.ts"
export * as ContextBudget from "./ContextBudget.ts"
export * as Document from "./Document.ts"
export * as Fusion from "./Fusion.ts"
export * as HtmlText from "./HtmlText.ts"
export * as HybridSearch from "./HybridSearch.ts"
export * as Ingest from "./Ingest.ts"
export * as Loader from "./Loader.ts"
export * as Passage from "./Passage.ts"
export * as Reranker from "./Reranker.ts"
export * as Tokenizer from "./Tokenizer.ts"
export { Bm25 } from "../vector/index.ts"
export type { RerankerFor } from "./Reranker.ts"

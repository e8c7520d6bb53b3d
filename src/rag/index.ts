/**
 * Retrieval-augmented generation: loaders, token-sized chunking, ingestion, hybrid search with rank fusion,
 * re-ranking and a context budget with citations.
 *
 * @example
 * ```ts
 * import { Chunker, Loader, Tokenizer } from "llm-orchestrator/rag"
 * ```
 */
export * as Chunker from "./Chunker.ts"
export * as Document from "./Document.ts"
export * as HtmlText from "./HtmlText.ts"
export * as Loader from "./Loader.ts"
export * as Tokenizer from "./Tokenizer.ts"

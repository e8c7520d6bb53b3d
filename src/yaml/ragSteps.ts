/**
 * The RAG steps of YAML workflows (`chunk`, `ingest`, hybrid `vector_search`, `rerank`, `context`), as runtime
 * helpers that generated modules and the interpreter both call, so the two back ends behave the same by construction.
 * Values coming from templates are checked here (hits must be objects with an `id`), with errors naming the step
 * field.
 *
 * @example
 * ```ts
 * import * as Y from "llm-orchestrator/yaml"
 * const packed = yield* Y.context(hits, { maxTokens: 2000, model: undefined, order: "relevance" })
 * packed.citations[0]?.n // 1
 * ```
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Effect, FileSystem, Option } from "effect"
import { YamlValueError } from "../../codegen/values.ts"
import * as Embeddings from "../llm/Embeddings.ts"
import type { EmbeddingsProviderFor } from "../llm/EmbeddingsProvider.ts"
import type { LlmError } from "../llm/LlmError.ts"
import * as Chunker from "../rag/Chunker.ts"
import * as ContextBudget from "../rag/ContextBudget.ts"
import * as Document from "../rag/Document.ts"
import * as HybridSearch from "../rag/HybridSearch.ts"
import * as Ingest from "../rag/Ingest.ts"
import * as Loader from "../rag/Loader.ts"
import * as Passage from "../rag/Passage.ts"
import * as Reranker from "../rag/Reranker.ts"
import * as Tokenizer from "../rag/Tokenizer.ts"
import * as VectorStore from "../vector/VectorStore.ts"
import type { VectorStoreFailure } from "../vector/VectorStoreError.ts"
import type { SearchHit } from "../vector/VectorStoreShape.ts"

/**
 * Chunking settings of a `chunk` or `ingest` step (undefined: the chunker's default).
 *
 * @example
 * ```ts
 * const c: ChunkingOptions = { strategy: "markdown", maxTokens: 300, overlap: 30 }
 * ```
 */
export interface ChunkingOptions {
  readonly strategy?: Chunker.Strategy | undefined
  readonly maxTokens?: number | undefined
  readonly overlap?: number | undefined
}

const chunkSettings = (o: ChunkingOptions): Partial<Chunker.Settings> => ({
  ...(o.strategy === undefined ? {} : { strategy: o.strategy }),
  ...(o.maxTokens === undefined ? {} : { maxTokens: o.maxTokens }),
  // An overlap the step does not set is capped so that a small max_tokens stays valid.
  overlapTokens: o.overlap ?? Math.min(Chunker.defaultSettings.overlapTokens, Math.floor((o.maxTokens ?? Chunker.defaultSettings.maxTokens) / 4))
})

/**
 * One chunk as a `chunk` step returns it.
 *
 * @example
 * ```ts
 * const c: ChunkRecord = { text: "Install", source: "input", index: 0, start: 0, end: 7, tokens: 1, headings: [] }
 * ```
 */
export interface ChunkRecord {
  readonly text: string
  readonly source: string
  readonly index: number
  readonly start: number
  readonly end: number
  readonly tokens: number
  readonly headings: ReadonlyArray<string>
}

/**
 * The `chunk` step: `text` split by the chunker (tokens of `model`'s tokenizer, an approximation without one).
 *
 * @example
 * ```ts
 * const parts = yield* Y.chunk("# Guide\n\nInstall it.", "guide.md", { strategy: "markdown", maxTokens: 100 }, undefined)
 * ```
 */
export const chunk = (
  text: string,
  source: string | undefined,
  options: ChunkingOptions,
  model: string | undefined
): Effect.Effect<ReadonlyArray<ChunkRecord>, Chunker.ChunkError> =>
  Effect.gen(function*() {
    const chunker = yield* Chunker.make(Chunker.settings(chunkSettings(options)), model)
    const doc = Document.make({ id: source ?? "input", text })
    const chunks = yield* chunker.chunkEffect(doc)
    return chunks.map((c) => ({ text: c.text, source: c.source, index: c.index, start: c.start, end: c.end, tokens: c.tokens, headings: [...c.headings] }))
  })

/**
 * What an `ingest` step did (the `Ingest.Summary` without its timing, so runs compare equal).
 *
 * @example
 * ```ts
 * const s: IngestRecord = { documents: 3, unchanged: 0, added: 3, replaced: 0, chunks: 12, deleted: 0, embedded: 12 }
 * ```
 */
export interface IngestRecord {
  readonly documents: number
  readonly unchanged: number
  readonly added: number
  readonly replaced: number
  readonly chunks: number
  readonly deleted: number
  readonly embedded: number
}

/**
 * The `ingest` step: loads `paths` (files and folders, relative to the working directory; through the `FileSystem` in
 * context, Node's when there is none), then ingests them into
 * `collection` of store `store` with the embedding model (idempotent: unchanged documents are not written again).
 *
 * @example
 * ```ts
 * const summary = yield* Y.ingest({ store: "docs", collection: "kb", paths: ["./docs"], provider: "offline", model: "hash-256", chunking: {} })
 * ```
 */
export const ingest = <const S extends string, const P extends string>(options: {
  readonly store: S
  readonly collection: string
  readonly paths: ReadonlyArray<string>
  readonly include?: ReadonlyArray<string> | undefined
  readonly exclude?: ReadonlyArray<string> | undefined
  readonly provider: P
  readonly model: string
  readonly chunking: ChunkingOptions
}): Effect.Effect<
  IngestRecord,
  Loader.LoadError | Ingest.IngestError | Chunker.ChunkError | VectorStoreFailure | LlmError,
  VectorStore.VectorStoreFor<S> | EmbeddingsProviderFor<P>
> =>
  Effect.gen(function*() {
    // The FileSystem in context when there is one (tests supply their own), else Node's.
    const fs = yield* Effect.serviceOption(FileSystem.FileSystem)
    const load = Loader.paths(options.paths, {
      ...(options.include === undefined ? {} : { include: options.include }),
      ...(options.exclude === undefined ? {} : { exclude: options.exclude })
    })
    const documents = yield* (Option.isSome(fs) ? Effect.provideService(load, FileSystem.FileSystem, fs.value) : Effect.provide(load, NodeFileSystem.layer))
    const { millis: _millis, ...summary } = yield* Ingest.ingest({
      store: options.store,
      collection: options.collection,
      embeddings: { provider: options.provider, model: options.model },
      documents,
      settings: Ingest.settings({ chunking: chunkSettings(options.chunking) })
    })
    return summary
  })

const badValue = (what: string, message: string) => new YamlValueError({ message: `${what} ${message}` })

/**
 * Search hits from a template value (a `vector_search` or `rerank` result), or a clear error naming `what`.
 *
 * @example
 * ```ts
 * const hits = yield* Y.hits(ctx.search, "documents of rerank")
 * ```
 */
export const hits = (value: unknown, what: string): Effect.Effect<ReadonlyArray<SearchHit>, YamlValueError> => {
  if (!Array.isArray(value)) return Effect.fail(badValue(what, "must be a list of search hits"))
  const out: Array<SearchHit> = []
  for (const [i, h] of value.entries()) {
    if (typeof h !== "object" || h === null || !("id" in h) || (typeof h.id !== "string" && typeof h.id !== "number")) {
      return Effect.fail(badValue(what, `[${i}] must be a search hit with an id`))
    }
    const o = h as { id: string | number; score?: unknown; payload?: unknown }
    out.push({
      id: o.id,
      score: typeof o.score === "number" ? o.score : 0,
      payload: typeof o.payload === "object" && o.payload !== null ? (o.payload as Record<string, unknown>) : {}
    })
  }
  return Effect.succeed(out)
}

const plain = (h: SearchHit): SearchHit => ({ id: h.id, score: h.score, payload: h.payload })

/**
 * The `vector_search` step in hybrid or keyword mode: `HybridSearch.search` with the step's settings.
 *
 * @example
 * ```ts
 * const found = yield* Y.hybridSearch({ store: "docs", collection: "kb", vector, text: "reset password", topK: 5, mode: "hybrid", weights: { vector: 1, keyword: 1 } })
 * ```
 */
export const hybridSearch = <const S extends string>(options: {
  readonly store: S
  readonly collection: string
  readonly vector: ReadonlyArray<number> | undefined
  readonly text: string
  readonly topK: number
  readonly mode: HybridSearch.Mode
  readonly weights: { readonly vector: number; readonly keyword: number }
}): Effect.Effect<ReadonlyArray<SearchHit>, VectorStoreFailure, VectorStore.VectorStoreFor<S>> =>
  Effect.map(
    HybridSearch.search({
      store: options.store,
      collection: options.collection,
      query: options.text,
      vector: options.vector,
      settings: HybridSearch.settings({ mode: options.mode, topK: options.topK, weights: options.weights })
    }),
    (found) => found.map(plain)
  )

const documentsOf = (hits: ReadonlyArray<SearchHit>) =>
  hits.map((h) => ({ id: h.id, text: typeof h.payload["text"] === "string" ? h.payload["text"] : "" }))

/**
 * The `rerank` step with a named re-ranker (`cohere`, or one you provide with `Reranker.layer`): the hits re-ordered,
 * at most `topN`, each with the re-ranker's score.
 *
 * @example
 * ```ts
 * const best = yield* Y.rerank({ reranker: "cohere", query, hits, topN: 5 })
 * ```
 */
export const rerank = <const N extends string>(options: {
  readonly reranker: N
  readonly query: string
  readonly hits: ReadonlyArray<SearchHit>
  readonly topN: number | undefined
}): Effect.Effect<ReadonlyArray<SearchHit>, LlmError, Reranker.RerankerFor<N>> =>
  Effect.map(
    Reranker.rerank({ reranker: options.reranker, query: options.query, documents: documentsOf(options.hits), topN: options.topN }),
    (results) => results.map((r) => ({ ...plain(options.hits[r.index]!), score: r.score }))
  )

/**
 * The `rerank` step with `reranker: mmr`: maximal marginal relevance over the embeddings of the query and the hits'
 * texts (embedded with `provider`/`model` in one batch), offline when the embedding model is.
 *
 * @example
 * ```ts
 * const diverse = yield* Y.rerankMmr({ provider: "offline", model: "hash-256", query, hits, topN: 5, lambda: 0.7 })
 * ```
 */
export const rerankMmr = <const P extends string>(options: {
  readonly provider: P
  readonly model: string
  readonly query: string
  readonly hits: ReadonlyArray<SearchHit>
  readonly topN: number | undefined
  readonly lambda: number | undefined
}): Effect.Effect<ReadonlyArray<SearchHit>, LlmError, EmbeddingsProviderFor<P>> =>
  Effect.gen(function*() {
    if (options.hits.length === 0) return []
    const services = yield* Effect.context<EmbeddingsProviderFor<P>>()
    const mmr = Reranker.makeMmr("mmr", { lambda: options.lambda ?? 0.7 }, (texts) =>
      Embeddings.embedMany({ provider: options.provider, model: options.model, inputs: texts }).pipe(Effect.provide(services)))
    const results = yield* mmr.rerank({ query: options.query, documents: documentsOf(options.hits), topN: options.topN })
    return results.slice(0, options.topN ?? results.length).map((r) => ({ ...plain(options.hits[r.index]!), score: r.score }))
  })

/**
 * A packed context as a `context` step returns it.
 *
 * @example
 * ```ts
 * const c: ContextRecord = { text: "[1] guide.md\n...", tokens: 120, max_tokens: 2000, citations: [], dropped: 0 }
 * ```
 */
export interface ContextRecord {
  readonly text: string
  readonly tokens: number
  readonly max_tokens: number
  readonly citations: ReadonlyArray<{
    readonly n: number
    readonly source: string
    readonly document_id: string
    readonly start: number
    readonly end: number
    readonly score: number
    readonly text: string
  }>
  readonly dropped: number
}

/**
 * The `context` step: the hits packed into `maxTokens` (default: half of `model`'s context window, else 4,000),
 * counted with `model`'s tokenizer (an approximation without one), numbered `[1]`, `[2]`... for citation.
 *
 * @example
 * ```ts
 * const ctx = yield* Y.context(hits, { maxTokens: 2000, model: "gpt-4o-mini", order: "relevance" })
 * ```
 */
export const context = (
  hits: ReadonlyArray<SearchHit>,
  options: { readonly maxTokens: number | undefined; readonly model: string | undefined; readonly order: "relevance" | "source" }
): Effect.Effect<ContextRecord, ContextBudget.BudgetError> =>
  Effect.gen(function*() {
    const window = options.model === undefined ? undefined : ContextBudget.contextWindow(options.model)
    const maxTokens = options.maxTokens ?? (window === undefined ? ContextBudget.defaultSettings.maxTokens : Math.floor(window / 2))
    const tokenizer = options.model === undefined ? Tokenizer.approximate : yield* Tokenizer.forModel(options.model)
    const packed = yield* Effect.try({
      try: () => ContextBudget.pack(hits.map(Passage.fromHit), ContextBudget.settings({ maxTokens, order: options.order }), tokenizer),
      catch: (e) => e as ContextBudget.BudgetError
    })
    return {
      text: packed.text,
      tokens: packed.tokens,
      max_tokens: packed.maxTokens,
      citations: packed.citations.map((c) => ({
        n: c.n,
        source: c.source,
        document_id: c.documentId,
        start: c.start,
        end: c.end,
        score: c.score,
        text: c.text
      })),
      dropped: packed.dropped.length
    }
  })

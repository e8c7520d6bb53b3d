/**
 * Ingestion: documents → chunks → embeddings (in provider-sized batches, a few in flight) → upsert, with deterministic
 * ids and a per-collection manifest, so that:
 * - re-ingesting unchanged documents writes nothing and embeds nothing (each document's fingerprint covers its text,
 *   metadata, source, the chunking settings, the tokenizer and the embedding model);
 * - a changed document replaces its chunks: chunk `i` keeps id `${documentId}#${i}` and is overwritten, chunks past
 *   the new count are deleted;
 * - a run that stops midway is repaired by the next one (the manifest entry of a document is written last).
 *
 * The manifest lives in the same store, in the collection `${collection}__documents` (one point per document, a
 * constant vector, payload `{ document_id, fingerprint, chunks, source }`), and is read through the ordinary filtered
 * search, so every store that passes the vector-store contract supports ingestion.
 *
 * Each chunk point's payload: `text`, `source`, `document_id`, `chunk` (index), `start`, `end` (character offsets),
 * `headings`, `tokens`, `fingerprint`, and the document's `metadata`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Ingest, Loader } from "llm-orchestrator/rag"
 * const program = Effect.gen(function*() {
 *   const documents = yield* Loader.directory("docs")
 *   return yield* Ingest.ingest({
 *     store: "docs",
 *     collection: "documentation",
 *     embeddings: { provider: "openai", model: "text-embedding-3-small" },
 *     documents,
 *     onEvent: (e) => Effect.log(e._tag)
 *   })
 * })
 * ```
 */
import { Clock, Effect, Schema } from "effect"
import { createHash } from "node:crypto"
import * as Embeddings from "../llm/Embeddings.ts"
import type { EmbeddingsProviderFor } from "../llm/EmbeddingsProvider.ts"
import type { LlmError } from "../llm/LlmError.ts"
import * as Filter from "../vector/Filter.ts"
import * as VectorStore from "../vector/VectorStore.ts"
import { DimensionMismatch, type VectorStoreFailure } from "../vector/VectorStoreError.ts"
import type { Distance, Point } from "../vector/VectorStoreShape.ts"
import * as Chunker from "./Chunker.ts"
import type { Document } from "./Document.ts"

/**
 * Ingestion settings.
 *
 * @example
 * ```ts
 * const s: Ingest.Settings = { ...Ingest.defaultSettings, batchSize: 256 }
 * ```
 */
export interface Settings {
  readonly chunking: Chunker.Settings
  /** Texts per embedding request (default 96: Cohere's limit; OpenAI takes 2048). */
  readonly batchSize: number
  /** Embedding requests in flight (default 2). */
  readonly concurrency: number
  /** Distance of a collection that ingestion creates (default cosine). */
  readonly distance: Distance
  /** Documents whose manifest entries are read and written together (default 64). */
  readonly groupSize: number
}

/**
 * The defaults: {@link Chunker.defaultSettings}, batches of 96, 2 in flight, cosine.
 *
 * @example
 * ```ts
 * Ingest.defaultSettings.batchSize // 96
 * ```
 */
export const defaultSettings: Settings = {
  chunking: Chunker.defaultSettings,
  batchSize: 96,
  concurrency: 2,
  distance: "cosine",
  groupSize: 64
}

/**
 * {@link defaultSettings} with overrides (`chunking` may be given partially).
 *
 * @example
 * ```ts
 * Ingest.settings({ batchSize: 512, chunking: { maxTokens: 300 } })
 * ```
 */
export const settings = (
  overrides: Partial<Omit<Settings, "chunking">> & { readonly chunking?: Partial<Chunker.Settings> | undefined } = {}
): Settings => ({ ...defaultSettings, ...overrides, chunking: Chunker.settings(overrides.chunking) })

/**
 * Totals of one ingestion.
 *
 * @example
 * ```ts
 * const s: Ingest.Summary = yield* Ingest.ingest(options)
 * s.unchanged // documents skipped because nothing changed
 * ```
 */
export interface Summary {
  readonly documents: number
  readonly unchanged: number
  readonly added: number
  readonly replaced: number
  /** Chunk points written. */
  readonly chunks: number
  /** Stale chunk points deleted. */
  readonly deleted: number
  /** Texts embedded. */
  readonly embedded: number
  readonly millis: number
}

/**
 * Progress events, in order: `Started`, then per document `DocumentSkipped` or `DocumentChunked` … `DocumentWritten`,
 * `BatchEmbedded` after each embedding request, and `Finished`.
 *
 * @example
 * ```ts
 * const log = (e: Ingest.Event) => e._tag === "BatchEmbedded" ? Effect.log(`${e.embedded}/${e.pending}`) : Effect.void
 * ```
 */
export type Event =
  | { readonly _tag: "Started"; readonly documents: number }
  | { readonly _tag: "DocumentSkipped"; readonly documentId: string; readonly reason: "unchanged" }
  | { readonly _tag: "DocumentChunked"; readonly documentId: string; readonly chunks: number }
  | { readonly _tag: "BatchEmbedded"; readonly size: number; readonly embedded: number; readonly pending: number }
  | {
    readonly _tag: "DocumentWritten"
    readonly documentId: string
    readonly chunks: number
    readonly deleted: number
    readonly replaced: boolean
  }
  | { readonly _tag: "Finished"; readonly summary: Summary }

/**
 * An ingestion that cannot start: two documents with one id, or bad settings.
 *
 * @example
 * ```ts
 * new IngestError({ reason: 'duplicate document id "a.md" (sources docs/a.md and old/a.md)' }).message
 * ```
 */
export class IngestError extends Schema.TaggedError<IngestError>()("IngestError", { reason: Schema.String }) {
  override get message(): string {
    return `ingest: ${this.reason}`
  }
}

/**
 * Options of {@link ingest}.
 *
 * @example
 * ```ts
 * const o: Ingest.Options<"docs", "openai"> = { store: "docs", collection: "c", embeddings: { provider: "openai", model: "text-embedding-3-small" }, documents }
 * ```
 */
export interface Options<S extends string, P extends string> {
  readonly store: S
  readonly collection: string
  readonly embeddings: { readonly provider: P; readonly model: string }
  readonly documents: ReadonlyArray<Document>
  readonly settings?: Settings | undefined
  readonly onEvent?: ((event: Event) => Effect.Effect<void>) | undefined
}

/**
 * The manifest collection of `collection`.
 *
 * @example
 * ```ts
 * Ingest.manifestCollection("documentation") // "documentation__documents"
 * ```
 */
export const manifestCollection = (collection: string): string => `${collection}__documents`

/**
 * The fingerprint of a document under given settings (what decides "unchanged").
 *
 * @example
 * ```ts
 * Ingest.fingerprint(doc, settings, "cl100k_base", "openai", "text-embedding-3-small") // "9f86d0…"
 * ```
 */
export const fingerprint = (
  document: Document,
  chunking: Chunker.Settings,
  tokenizer: string,
  provider: string,
  model: string
): string =>
  createHash("sha256")
    .update(JSON.stringify({
      v: 1,
      id: document.id,
      source: document.source,
      text: document.text,
      metadata: document.metadata,
      chunking,
      tokenizer,
      provider,
      model
    }))
    .digest("hex")

const unit = (dimension: number): Array<number> => {
  const v = new Array<number>(dimension).fill(0)
  v[0] = 1
  return v
}

interface ManifestEntry {
  readonly fingerprint: string
  readonly chunks: number
}

/**
 * Ingests `documents` into `collection` of store `store` (see the module description). The collection (and its
 * manifest) is created on first use with the embedding's dimension.
 *
 * @example
 * ```ts
 * const summary = yield* Ingest.ingest({ store: "docs", collection: "documentation", embeddings: { provider: "openai", model: "text-embedding-3-small" }, documents })
 * ```
 */
export const ingest = <const S extends string, const P extends string>(
  options: Options<S, P>
): Effect.Effect<
  Summary,
  IngestError | Chunker.ChunkError | VectorStoreFailure | LlmError,
  VectorStore.VectorStoreFor<S> | EmbeddingsProviderFor<P>
> =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const s = options.settings ?? defaultSettings
    if (!Number.isSafeInteger(s.batchSize) || s.batchSize < 1) return yield* new IngestError({ reason: `batchSize must be a positive integer, got ${s.batchSize}` })
    if (!Number.isSafeInteger(s.concurrency) || s.concurrency < 1) return yield* new IngestError({ reason: `concurrency must be a positive integer, got ${s.concurrency}` })
    if (!Number.isSafeInteger(s.groupSize) || s.groupSize < 1) return yield* new IngestError({ reason: `groupSize must be a positive integer, got ${s.groupSize}` })
    const emit = options.onEvent ?? (() => Effect.void)
    const { store, collection } = options
    const manifest = manifestCollection(collection)
    const { model, provider } = options.embeddings
    const chunker = yield* Chunker.make(s.chunking, model)

    const sources = new Map<string, string>()
    for (const d of options.documents) {
      const other = sources.get(d.id)
      if (other !== undefined) {
        return yield* new IngestError({ reason: `duplicate document id "${d.id}" (sources ${other} and ${d.source})` })
      }
      sources.set(d.id, d.source)
    }

    // The dimension is known from an existing collection, else from the first embedding (then both are created).
    let dimension = yield* VectorStore.getCollection({ store, collection }).pipe(
      Effect.map((info) => info.dimension as number | undefined),
      Effect.catchTag("CollectionNotFound", () => Effect.succeed(undefined))
    )
    let manifestExists = dimension !== undefined &&
      (yield* VectorStore.getCollection({ store, collection: manifest }).pipe(
        Effect.as(true),
        Effect.catchTag("CollectionNotFound", () => Effect.succeed(false))
      ))
    const ensureCollections = (d: number) =>
      Effect.gen(function*() {
        if (dimension !== undefined && dimension !== d) {
          return yield* new DimensionMismatch({ store, collection, field: `embeddings of ${provider}/${model}`, expected: dimension, actual: d })
        }
        if (dimension === undefined) {
          yield* VectorStore.createCollection({ store, collection, dimension: d, distance: s.distance })
          dimension = d
        }
        if (!manifestExists) {
          yield* VectorStore.createCollection({ store, collection: manifest, dimension: dimension, distance: "dot" })
          manifestExists = true
        }
      })

    const totals = { unchanged: 0, added: 0, replaced: 0, chunks: 0, deleted: 0, embedded: 0 }
    yield* emit({ _tag: "Started", documents: options.documents.length })

    for (let g = 0; g < options.documents.length; g += s.groupSize) {
      const group = options.documents.slice(g, g + s.groupSize)
      const known = new Map<string, ManifestEntry>()
      if (manifestExists && dimension !== undefined) {
        const hits = yield* VectorStore.search({
          store,
          collection: manifest,
          vector: unit(dimension),
          topK: group.length,
          filter: Filter.all(Filter.anyOf("document_id", group.map((d) => d.id)))
        })
        for (const h of hits) {
          const id = h.payload["document_id"]
          const fp = h.payload["fingerprint"]
          const n = h.payload["chunks"]
          if (typeof id === "string" && typeof fp === "string" && typeof n === "number") known.set(id, { fingerprint: fp, chunks: n })
        }
      }
      const changed: Array<{ document: Document; fingerprint: string; chunks: ReadonlyArray<Chunker.Chunk>; previous: ManifestEntry | undefined }> = []
      for (const document of group) {
        const fp = fingerprint(document, s.chunking, chunker.tokenizer.name, provider, model)
        const previous = known.get(document.id)
        if (previous !== undefined && previous.fingerprint === fp) {
          totals.unchanged++
          yield* emit({ _tag: "DocumentSkipped", documentId: document.id, reason: "unchanged" })
          continue
        }
        const chunks = yield* chunker.chunkEffect(document)
        yield* emit({ _tag: "DocumentChunked", documentId: document.id, chunks: chunks.length })
        changed.push({ document, fingerprint: fp, chunks, previous })
      }
      if (changed.length === 0) continue

      const all = changed.flatMap((c) => c.chunks.map((chunk) => ({ chunk, fingerprint: c.fingerprint })))
      const batches: Array<typeof all> = []
      for (let i = 0; i < all.length; i += s.batchSize) batches.push(all.slice(i, i + s.batchSize))
      let embeddedInGroup = 0
      const vectors = yield* Effect.forEach(batches, (batch) =>
        Embeddings.embedMany({ provider, model, inputs: batch.map((b) => b.chunk.embedText) }).pipe(
          Effect.tap(() => {
            embeddedInGroup += batch.length
            totals.embedded += batch.length
            return emit({ _tag: "BatchEmbedded", size: batch.length, embedded: embeddedInGroup, pending: all.length - embeddedInGroup })
          })
        ), { concurrency: s.concurrency })
      const flat = vectors.flat()
      if (flat.length > 0) yield* ensureCollections(flat[0]!.length)
      else if (dimension !== undefined) yield* ensureCollections(dimension)

      const points: Array<Point> = all.map(({ chunk, fingerprint: fp }, i) => ({
        id: chunk.id,
        vector: flat[i]!,
        payload: {
          text: chunk.text,
          source: chunk.source,
          document_id: chunk.documentId,
          chunk: chunk.index,
          start: chunk.start,
          end: chunk.end,
          headings: [...chunk.headings],
          tokens: chunk.tokens,
          fingerprint: fp,
          metadata: chunk.metadata
        }
      }))
      if (points.length > 0) yield* VectorStore.upsert({ store, collection, points })
      totals.chunks += points.length

      const stale = changed.flatMap((c) =>
        c.previous === undefined
          ? []
          : Array.from({ length: Math.max(0, c.previous.chunks - c.chunks.length) }, (_, i) => `${c.document.id}#${c.chunks.length + i}`)
      )
      if (stale.length > 0 && dimension !== undefined) yield* VectorStore.delete({ store, collection, ids: stale })
      totals.deleted += stale.length

      // Written last: a run interrupted before this point re-does the group next time.
      if (dimension !== undefined) {
        yield* VectorStore.upsert({
          store,
          collection: manifest,
          points: changed.map((c) => ({
            id: c.document.id,
            vector: unit(dimension!),
            payload: { document_id: c.document.id, fingerprint: c.fingerprint, chunks: c.chunks.length, source: c.document.source }
          }))
        })
      }
      for (const c of changed) {
        const deleted = c.previous === undefined ? 0 : Math.max(0, c.previous.chunks - c.chunks.length)
        if (c.previous === undefined) totals.added++
        else totals.replaced++
        yield* emit({ _tag: "DocumentWritten", documentId: c.document.id, chunks: c.chunks.length, deleted, replaced: c.previous !== undefined })
      }
    }
    const summary: Summary = { documents: options.documents.length, ...totals, millis: (yield* Clock.currentTimeMillis) - started }
    yield* emit({ _tag: "Finished", summary })
    return summary
  }).pipe(Effect.withSpan("Ingest.ingest", {
    attributes: { "vector.store": options.store, "vector.collection": options.collection, "rag.documents": options.documents.length }
  }))

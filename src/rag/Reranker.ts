/**
 * Re-ranking: a second, more careful ordering of the search candidates before they are packed into the context.
 * Rerankers are named services like providers and stores: `Reranker.rerank({ reranker: "cohere", ... })` requires
 * `RerankerFor<"cohere">`, and a missing layer is a compile error.
 *
 * Backends: Cohere's cross-encoder (`Cohere.layerReranker` in `llm-orchestrator/providers`, over the official SDK),
 * and {@link layerMmr}, an offline maximal-marginal-relevance re-ranker over embeddings that trades a little
 * relevance for diversity (it stops five near-identical chunks from filling the context).
 *
 * Every reranker returns at most `topN` results (the peers' `top_k` that was silently ignored), each with the index
 * of its document in the request, best first.
 *
 * @example
 * ```ts
 * import { Reranker } from "llm-orchestrator/rag"
 * const ranked = yield* Reranker.rerank({ reranker: "mmr", query, documents: passages.map((p) => ({ id: p.id, text: p.text })), topN: 5 })
 * ```
 */
import { Context, Effect, Layer } from "effect"
import { EmbeddingsProvider, type EmbeddingsProviderFor } from "../llm/EmbeddingsProvider.ts"
import { InvalidRequest, type LlmError } from "../llm/LlmError.ts"
import type { PointId } from "../vector/VectorStoreShape.ts"
import type { Passage } from "./Passage.ts"

/**
 * A document to re-rank. `vector` lets the MMR re-ranker skip embedding it.
 *
 * @example
 * ```ts
 * const d: Reranker.RerankDocument = { id: "a.md#0", text: "Reset the password from settings." }
 * ```
 */
export interface RerankDocument {
  readonly id: PointId
  readonly text: string
  readonly vector?: ReadonlyArray<number> | undefined
}

/**
 * A re-ranking request; `topN` defaults to all documents.
 *
 * @example
 * ```ts
 * const r: Reranker.RerankRequest = { query: "reset password", documents, topN: 5 }
 * ```
 */
export interface RerankRequest {
  readonly query: string
  readonly documents: ReadonlyArray<RerankDocument>
  readonly topN?: number | undefined
}

/**
 * One re-ranked document: its position in the request, its id and the re-ranker's score (higher is better; Cohere's
 * relevance in [0, 1], MMR's marginal relevance).
 *
 * @example
 * ```ts
 * const top = (r: ReadonlyArray<Reranker.RerankResult>) => r[0]?.index
 * ```
 */
export interface RerankResult {
  readonly index: number
  readonly id: PointId
  readonly score: number
}

/**
 * What a re-ranker implements.
 *
 * @example
 * ```ts
 * const identity: Reranker.RerankerShape = { name: "none", rerank: ({ documents, topN }) =>
 *   Effect.succeed(documents.slice(0, topN).map((d, index) => ({ index, id: d.id, score: 1 / (index + 1) }))) }
 * ```
 */
export interface RerankerShape {
  readonly name: string
  readonly rerank: (request: RerankRequest) => Effect.Effect<ReadonlyArray<RerankResult>, LlmError>
}

/**
 * Identifier of the re-ranker named `Name` (what a workflow's requirements show).
 *
 * @example
 * ```ts
 * type R = Reranker.RerankerFor<"cohere"> // { readonly key: "Reranker/cohere" }
 * ```
 */
export interface RerankerFor<Name extends string> {
  readonly key: `Reranker/${Name}`
}

const services = new Map<string, Context.Service<any, RerankerShape>>()

/**
 * The service key of re-ranker `name` (memoised).
 *
 * @example
 * ```ts
 * const r = yield* Reranker.service("mmr")
 * ```
 */
export const service = <const Name extends string>(name: Name): Context.Service<RerankerFor<Name>, RerankerShape> => {
  let key = services.get(name)
  if (key === undefined) {
    key = Context.Service<RerankerFor<Name>, RerankerShape>(`llm-orchestrator/Reranker/${name}`)
    services.set(name, key)
  }
  return key
}

/**
 * Provides re-ranker `name` from an implementation.
 *
 * @example
 * ```ts
 * const Identity = Reranker.layer("none", identity)
 * ```
 */
export const layer = <const Name extends string>(name: Name, reranker: RerankerShape): Layer.Layer<RerankerFor<Name>> =>
  Layer.succeed(service(name), reranker)

const checkTopN = (name: string, request: RerankRequest): LlmError | undefined =>
  request.topN !== undefined && (!Number.isSafeInteger(request.topN) || request.topN < 1)
    ? new InvalidRequest({ provider: name, message: `topN must be a positive integer, got ${request.topN}` })
    : undefined

/**
 * Step helper: re-ranks with re-ranker `reranker`; at most `topN` results, best first (the limit is enforced here
 * too, whatever the backend returns).
 *
 * @example
 * ```ts
 * const ranked = yield* Reranker.rerank({ reranker: "cohere", query, documents, topN: 5 })
 * ```
 */
export const rerank = <const Name extends string>(
  options: { readonly reranker: Name } & RerankRequest
): Effect.Effect<ReadonlyArray<RerankResult>, LlmError, RerankerFor<Name>> =>
  Effect.gen(function*() {
    const bad = checkTopN(options.reranker, options)
    if (bad !== undefined) return yield* Effect.fail(bad)
    if (options.documents.length === 0) return []
    const r = yield* service(options.reranker)
    const results = yield* r.rerank(options)
    const topN = options.topN ?? options.documents.length
    return results.slice(0, topN)
  }).pipe(Effect.withSpan("Reranker.rerank", {
    attributes: { "rag.reranker": options.reranker, "rag.documents": options.documents.length, "rag.top_n": options.topN ?? -1 }
  }))

/**
 * Re-ranks passages and returns them re-ordered, with the re-ranker's score as their `score`.
 *
 * @example
 * ```ts
 * const best = yield* Reranker.rerankPassages({ reranker: "cohere", query, passages, topN: 6 })
 * ```
 */
export const rerankPassages = <const Name extends string>(options: {
  readonly reranker: Name
  readonly query: string
  readonly passages: ReadonlyArray<Passage>
  readonly topN?: number | undefined
}): Effect.Effect<ReadonlyArray<Passage>, LlmError, RerankerFor<Name>> =>
  Effect.map(
    rerank({
      reranker: options.reranker,
      query: options.query,
      documents: options.passages.map((p) => ({ id: p.id, text: p.text })),
      topN: options.topN
    }),
    (results) => results.map((r) => ({ ...options.passages[r.index]!, score: r.score }))
  )

// ---------------------------------------------------------------------------------------------------------------------
// MMR

/**
 * Settings of the MMR re-ranker: `lambda` in [0, 1] weighs relevance against novelty (1: pure relevance, 0: pure
 * diversity; default 0.7), and the embedding provider and model used for the query and the documents that come
 * without a vector.
 *
 * @example
 * ```ts
 * const s: Reranker.MmrSettings = { lambda: 0.5, provider: "openai", model: "text-embedding-3-small" }
 * ```
 */
export interface MmrSettings<P extends string = string> {
  readonly lambda: number
  readonly provider: P
  readonly model: string
}

const cosine = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * (b[i] ?? 0)
    na += a[i]! * a[i]!
    nb += (b[i] ?? 0) * (b[i] ?? 0)
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

/**
 * Maximal marginal relevance (Carbonell and Goldstein, 1998), greedy: repeatedly pick the document maximising
 * `lambda · sim(q, d) − (1 − lambda) · max_{s ∈ picked} sim(d, s)` (cosine similarities; ties to the earlier document).
 * Pure; returns indexes with that marginal score, best first.
 *
 * @example
 * ```ts
 * Reranker.mmr([1, 0], [[1, 0], [0.99, 0.01], [0.7, 0.7]], 0.3, 2).map((r) => r.index) // [0, 2]
 * ```
 */
export const mmr = (
  query: ReadonlyArray<number>,
  vectors: ReadonlyArray<ReadonlyArray<number>>,
  lambda: number,
  topN: number
): Array<{ readonly index: number; readonly score: number }> => {
  const relevance = vectors.map((v) => cosine(query, v))
  const maxSim = new Float64Array(vectors.length).fill(Number.NEGATIVE_INFINITY)
  const picked = new Uint8Array(vectors.length)
  const out: Array<{ index: number; score: number }> = []
  while (out.length < Math.min(topN, vectors.length)) {
    let best = -1
    let bestScore = Number.NEGATIVE_INFINITY
    for (let i = 0; i < vectors.length; i++) {
      if (picked[i] === 1) continue
      const redundancy = out.length === 0 ? 0 : maxSim[i]!
      const score = lambda * relevance[i]! - (1 - lambda) * redundancy
      if (score > bestScore) {
        best = i
        bestScore = score
      }
    }
    picked[best] = 1
    out.push({ index: best, score: bestScore })
    for (let i = 0; i < vectors.length; i++) {
      if (picked[i] === 0) maxSim[i] = Math.max(maxSim[i]!, cosine(vectors[i]!, vectors[best]!))
    }
  }
  return out
}

/**
 * The MMR re-ranker as a shape, embedding through `embed` (for custom wiring; most code uses {@link layerMmr}).
 *
 * @example
 * ```ts
 * const shape = Reranker.makeMmr("mmr", { lambda: 0.7 }, (texts) => Effect.succeed(texts.map(myEmbed)))
 * ```
 */
export const makeMmr = (
  name: string,
  s: { readonly lambda: number },
  embed: (texts: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<ReadonlyArray<number>>, LlmError>
): RerankerShape => ({
  name,
  rerank: (request) =>
    Effect.gen(function*() {
      if (!(s.lambda >= 0 && s.lambda <= 1)) {
        return yield* Effect.fail(new InvalidRequest({ provider: name, message: `lambda must be in [0, 1], got ${s.lambda}` }))
      }
      const bad = checkTopN(name, request)
      if (bad !== undefined) return yield* Effect.fail(bad)
      const missing = request.documents.flatMap((d, i) => (d.vector === undefined ? [i] : []))
      const embedded = yield* embed([request.query, ...missing.map((i) => request.documents[i]!.text)])
      const vectors = request.documents.map((d) => d.vector)
      missing.forEach((docIndex, j) => {
        vectors[docIndex] = embedded[j + 1]!
      })
      return mmr(embedded[0]!, vectors as ReadonlyArray<ReadonlyArray<number>>, s.lambda, request.topN ?? request.documents.length)
        .map(({ index, score }) => ({ index, id: request.documents[index]!.id, score }))
    })
})

/**
 * The MMR re-ranker named `name`, embedding with provider `settings.provider` (default `lambda` 0.7).
 *
 * @example
 * ```ts
 * const Mmr = Reranker.layerMmr("mmr", { provider: "openai", model: "text-embedding-3-small" })
 * // Layer<RerankerFor<"mmr">, never, EmbeddingsProvider<"openai">>
 * ```
 */
export const layerMmr = <const Name extends string, const P extends string>(
  name: Name,
  settings: { readonly provider: P; readonly model: string; readonly lambda?: number | undefined }
): Layer.Layer<RerankerFor<Name>, never, EmbeddingsProviderFor<P>> =>
  Layer.effect(
    service(name),
    Effect.map(
      EmbeddingsProvider.key(settings.provider) as unknown as Effect.Effect<
        import("../llm/EmbeddingsProvider.ts").EmbeddingsProviderShape,
        never,
        EmbeddingsProviderFor<P>
      >,
      (provider) =>
        makeMmr(name, { lambda: settings.lambda ?? 0.7 }, (texts) =>
          Effect.map(provider.embedMany({ model: settings.model, inputs: texts }), (r) => r.embeddings))
    )
  )

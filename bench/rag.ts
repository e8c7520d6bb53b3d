/**
 * RAG benchmark (`npm run bench:rag`): tokenizer throughput, ingestion throughput (chunks/s) and search latency
 * (p50/p99: vector, keyword, hybrid) at 100k chunks in memory and in pgvector on PGlite, hybrid vs vector-only
 * recall@10 on a labelled set built from this repository's docs, and re-ranking cost. Library paths are compared with
 * hand-written Effect code doing the same work in the same run (ratios). Writes bench/results/rag.json.
 *
 * The labelled set: every `## ` section of docs/*.md becomes one document (its heading line removed, so the query's
 * words are not copied into the text); the query is the section's heading, and the relevant chunks are the chunks of
 * that section. Headings that occur more than once, or with fewer than two words, are dropped. It measures whether
 * a search finds the passage a heading names from its body alone: lexical overlap, so the offline feature-hashing
 * embedding (not a semantic model) is the vector side. The numbers are what they are, whichever side wins.
 *
 * Options: `--chunks 100000 --pglite-chunks 100000 --dimension 64 --queries 50 --pglite-hand false`.
 */
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { Effect, Layer } from "effect"
import * as Embeddings from "../src/llm/Embeddings.ts"
import * as Chunker from "../src/rag/Chunker.ts"
import * as Document from "../src/rag/Document.ts"
import * as HybridSearch from "../src/rag/HybridSearch.ts"
import * as Ingest from "../src/rag/Ingest.ts"
import * as Reranker from "../src/rag/Reranker.ts"
import * as Tokenizer from "../src/rag/Tokenizer.ts"
import * as OfflineEmbedding from "../src/testing/OfflineEmbedding.ts"
import { VectorStore } from "../src/vector/index.ts"

const { values: args } = parseArgs({
  options: {
    chunks: { type: "string", default: "100000" },
    "pglite-chunks": { type: "string", default: "100000" },
    dimension: { type: "string", default: "64" },
    queries: { type: "string", default: "50" },
    // The hand-written ingestion baseline doubles the PGlite run (minutes at 100k): off unless asked.
    "pglite-hand": { type: "string", default: "false" }
  }
})
const N = Number(args.chunks)
const NP = Number(args["pglite-chunks"])
const D = Number(args.dimension)
const Q = Number(args.queries)
const root = join(import.meta.dirname, "..")

const pct = (samples: ReadonlyArray<number>) => {
  const s = [...samples].sort((a, b) => a - b)
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!
  return { p50: +at(0.5).toFixed(3), p99: +at(0.99).toFixed(3), mean: +(s.reduce((a, b) => a + b, 0) / s.length).toFixed(3) }
}

// ---- real text ----
const docFiles = readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).sort()
const docs = docFiles.map((f) => ({ file: f, text: readFileSync(join(root, "docs", f), "utf8") }))
const corpus = docs.map((d) => d.text).join("\n\n")

// ---- 1. tokenizer throughput ----
const tokenizerBench = Effect.gen(function*() {
  const out: Record<string, unknown> = {}
  const bytes = Buffer.byteLength(corpus)
  for (const encoding of ["o200k_base", "cl100k_base", "approximate"] as const) {
    const t = yield* Tokenizer.load(encoding)
    t.count(corpus.slice(0, 10000)) // warm up
    const start = performance.now()
    let tokens = 0
    for (let i = 0; i < 5; i++) tokens = t.count(corpus)
    const ms = (performance.now() - start) / 5
    out[encoding] = { tokens, mbPerSecond: +((bytes / 1e6) / (ms / 1000)).toFixed(2), tokensPerSecond: Math.round(tokens / (ms / 1000)) }
  }
  // Hand-written baseline: characters / 4.
  const start = performance.now()
  let est = 0
  for (let i = 0; i < 5; i++) est = Math.ceil(corpus.length / 4)
  out["chars/4 (hand-written)"] = { tokens: est, ms: +((performance.now() - start) / 5).toFixed(4) }
  return { bytes, ...out }
})

// ---- 2./3. ingestion and search at scale ----
const chunking = Chunker.settings({ strategy: "fixed", maxTokens: 64, overlapTokens: 8, tokenizer: "approximate" })

const documentsFor = (target: number) =>
  Effect.gen(function*() {
    const chunker = yield* Chunker.make(chunking)
    const perRound = docs.reduce((n, d) => n + chunker.chunk(Document.make({ id: d.file, text: d.text })).length, 0)
    const rounds = Math.ceil(target / perRound)
    const out: Array<Document.Document> = []
    for (let r = 0; r < rounds; r++) for (const d of docs) out.push(Document.make({ id: `${r}/${d.file}`, text: `Copy ${r} of ${d.file}.\n\n${d.text}` }))
    return out
  })

const embeddings = OfflineEmbedding.layer("offline", { dimensions: D })

const queriesText = (() => {
  const heads = corpus.split("\n").filter((l) => /^#{1,3} /.test(l)).map((l) => l.replace(/^#+ /, "").trim())
  return Array.from({ length: Q + 5 }, (_, i) => heads[(i * 7) % heads.length]!)
})()

const scale = <S extends string>(label: string, store: S, layer: Layer.Layer<VectorStore.VectorStoreFor<S>, unknown>, target: number, handWritten: boolean) =>
  Effect.gen(function*() {
    const documents = yield* documentsFor(target)
    const collection = "scale"
    const started = performance.now()
    const summary = yield* Ingest.ingest({
      store,
      collection,
      embeddings: { provider: "offline", model: `hash-${D}` },
      documents,
      settings: Ingest.settings({ chunking, batchSize: 256, groupSize: 256 })
    })
    const ingestMs = performance.now() - started
    // Hand-written: chunk, embed, upsert the same chunks with no manifest, no fingerprints.
    const chunker = yield* Chunker.make(chunking)
    const handStart = performance.now()
    if (handWritten) yield* VectorStore.createCollection({ store, collection: "hand", dimension: D, distance: "cosine" })
    let handChunks = 0
    for (let i = 0; handWritten && i < documents.length; i += 256) {
      const chunks = documents.slice(i, i + 256).flatMap((d) => chunker.chunk(d))
      for (let j = 0; j < chunks.length; j += 256) {
        const batch = chunks.slice(j, j + 256)
        const vectors = yield* Embeddings.embedMany({ provider: "offline", model: "x", inputs: batch.map((c) => c.embedText) })
        yield* VectorStore.upsert({ store, collection: "hand", points: batch.map((c, k) => ({ id: c.id, vector: vectors[k]!, payload: { text: c.text, source: c.source } })) })
        handChunks += batch.length
      }
    }
    const handMs = performance.now() - handStart
    if (handWritten) yield* VectorStore.deleteCollection({ store, collection: "hand" })
    const reingestStart = performance.now()
    const again = yield* Ingest.ingest({ store, collection, embeddings: { provider: "offline", model: `hash-${D}` }, documents, settings: Ingest.settings({ chunking, batchSize: 256, groupSize: 256 }) })
    const reingestMs = performance.now() - reingestStart

    const vectors = queriesText.map((q) => OfflineEmbedding.embed(q, { dimensions: D }))
    const sample = (f: (i: number) => Effect.Effect<unknown, unknown, VectorStore.VectorStoreFor<S>>) =>
      Effect.gen(function*() {
        const samples: Array<number> = []
        for (let i = 0; i < queriesText.length; i++) {
          const t = performance.now()
          yield* f(i)
          if (i >= 5) samples.push(performance.now() - t)
        }
        return pct(samples)
      })
    const vector = yield* sample((i) => VectorStore.search({ store, collection, vector: vectors[i]!, topK: 10 }))
    const keyword = yield* sample((i) => VectorStore.keywordSearch({ store, collection, query: queriesText[i]!, topK: 10 }))
    const hybrid = yield* sample((i) => HybridSearch.search({ store, collection, query: queriesText[i]!, vector: vectors[i]!, settings: HybridSearch.settings({ topK: 10 }) }))
    // Hand-written hybrid: both searches side by side and an inline RRF (k = 60, top 10).
    const handHybrid = yield* sample((i) =>
      Effect.map(
        Effect.all([
          VectorStore.search({ store, collection, vector: vectors[i]!, topK: 50 }),
          VectorStore.keywordSearch({ store, collection, query: queriesText[i]!, topK: 50 })
        ], { concurrency: 2 }),
        ([a, b]) => {
          const scores = new Map<string | number, number>()
          a.forEach((h, r) => scores.set(h.id, (scores.get(h.id) ?? 0) + 1 / (61 + r)))
          b.forEach((h, r) => scores.set(h.id, (scores.get(h.id) ?? 0) + 1 / (61 + r)))
          return [...scores].sort((x, y) => y[1] - x[1]).slice(0, 10)
        }
      ))
    const result = {
      chunks: summary.chunks,
      documents: summary.documents,
      ingest: { ms: Math.round(ingestMs), chunksPerSecond: Math.round(summary.chunks / (ingestMs / 1000)) },
      handWrittenIngest: handWritten ? { ms: Math.round(handMs), chunksPerSecond: Math.round(handChunks / (handMs / 1000)), ratio: +(ingestMs / handMs).toFixed(2) } : "skipped (--pglite-hand)",
      reingestUnchanged: { ms: Math.round(reingestMs), written: again.chunks, embedded: again.embedded, unchanged: again.unchanged },
      searchMs: { vector, keyword, hybrid, handWrittenHybrid: handHybrid, hybridRatio: +(hybrid.p50 / handHybrid.p50).toFixed(2) }
    }
    console.log(`${label}: ${JSON.stringify(result)}`)
    return result
  }).pipe(Effect.provide(Layer.merge(layer, embeddings)))

// ---- 4. recall@10 on the labelled set ----
interface Labelled {
  readonly query: string
  readonly documentId: string
}
const labelledSet = () => {
  const sections: Array<{ id: string; heading: string; body: string }> = []
  for (const d of docs) {
    const parts = d.text.split(/^## /m).slice(1)
    parts.forEach((p, i) => {
      const nl = p.indexOf("\n")
      sections.push({ id: `${d.file}#${i}`, heading: p.slice(0, nl).trim(), body: p.slice(nl + 1).trim() })
    })
  }
  const count = new Map<string, number>()
  for (const s of sections) count.set(s.heading.toLowerCase(), (count.get(s.heading.toLowerCase()) ?? 0) + 1)
  const kept = sections.filter((s) => s.body.length > 80 && count.get(s.heading.toLowerCase()) === 1 && s.heading.split(/\s+/).length >= 2)
  return {
    documents: sections.filter((s) => s.body.length > 0).map((s) => Document.make({ id: s.id, text: s.body, source: s.id })),
    queries: kept.map((s): Labelled => ({ query: s.heading.replace(/[`*_]/g, ""), documentId: s.id }))
  }
}

const recall = <S extends string>(label: string, store: S, layer: Layer.Layer<VectorStore.VectorStoreFor<S>, unknown>) =>
  Effect.gen(function*() {
    const { documents, queries } = labelledSet()
    const collection = "labelled"
    const summary = yield* Ingest.ingest({
      store,
      collection,
      embeddings: { provider: "offline", model: "hash-256" },
      documents,
      settings: Ingest.settings({ chunking: { strategy: "recursive", maxTokens: 128, overlapTokens: 16, tokenizer: "cl100k_base", headingContext: false } })
    })
    const relevantOf = new Map<string, Set<string | number>>()
    for (let g = 0; g < documents.length; g++) {
      const d = documents[g]!
      const chunker = yield* Chunker.make(Chunker.settings({ strategy: "recursive", maxTokens: 128, overlapTokens: 16, tokenizer: "cl100k_base", headingContext: false }))
      relevantOf.set(d.id, new Set(chunker.chunk(d).map((c) => c.id)))
    }
    const modes = { vector: [] as Array<number>, keyword: [] as Array<number>, hybrid: [] as Array<number> }
    for (const q of queries) {
      const vector = OfflineEmbedding.embed(q.query, { dimensions: 256 })
      const relevant = relevantOf.get(q.documentId)!
      for (const mode of ["vector", "keyword", "hybrid"] as const) {
        const hits = yield* HybridSearch.search({ store, collection, query: q.query, vector, settings: HybridSearch.settings({ mode, topK: 10 }) })
        const found = hits.filter((h) => relevant.has(h.id)).length
        modes[mode].push(found / Math.min(10, relevant.size))
      }
    }
    const mean = (xs: ReadonlyArray<number>) => +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3)
    const result = { queries: queries.length, documents: documents.length, chunks: summary.chunks, recallAt10: { vector: mean(modes.vector), keyword: mean(modes.keyword), hybrid: mean(modes.hybrid) } }
    console.log(`${label} recall@10: ${JSON.stringify(result)}`)
    return result
  }).pipe(Effect.provide(Layer.merge(layer, OfflineEmbedding.layer("offline", { dimensions: 256 }))))

// ---- 5. re-rank cost ----
const rerankBench = Effect.gen(function*() {
  const { documents } = labelledSet()
  const texts = documents.slice(0, 50).map((d) => d.text.slice(0, 600))
  const query = "retry a failed step with backoff"
  const shape = Reranker.makeMmr("mmr", { lambda: 0.7 }, (ts) => Effect.succeed(ts.map((t) => OfflineEmbedding.embed(t))))
  const withEmbedding: Array<number> = []
  for (let i = 0; i < Q + 5; i++) {
    const t = performance.now()
    yield* shape.rerank({ query, documents: texts.map((text, j) => ({ id: j, text })), topN: 10 })
    if (i >= 5) withEmbedding.push(performance.now() - t)
  }
  const qv = OfflineEmbedding.embed(query)
  const vectors = texts.map((t) => OfflineEmbedding.embed(t))
  const pure: Array<number> = []
  for (let i = 0; i < Q + 5; i++) {
    const t = performance.now()
    Reranker.mmr(qv, vectors, 0.7, 10)
    if (i >= 5) pure.push(performance.now() - t)
  }
  // Baseline: sort by cosine only (what re-ranking replaces).
  const sortOnly: Array<number> = []
  for (let i = 0; i < Q + 5; i++) {
    const t = performance.now()
    vectors.map((v, j) => [j, OfflineEmbedding.cosine(qv, v)] as const).sort((a, b) => b[1] - a[1]).slice(0, 10)
    if (i >= 5) sortOnly.push(performance.now() - t)
  }
  const result = { candidates: texts.length, topN: 10, mmrWithOfflineEmbeddingMs: pct(withEmbedding), mmrOnVectorsMs: pct(pure), cosineSortMs: pct(sortOnly) }
  console.log(`rerank: ${JSON.stringify(result)}`)
  return result
})

const loadBefore = loadavg()[0]!
const program = Effect.gen(function*() {
  console.log(`rag bench: ${N} chunks in memory, ${NP} in PGlite, dimension ${D}, ${Q} timed queries (node ${process.version}, ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores)`)
  const tokenizers = yield* tokenizerBench
  console.log(`tokenizers: ${JSON.stringify(tokenizers)}`)
  const rerank = yield* rerankBench
  const recallMemory = yield* recall("memory (BM25)", "m", VectorStore.layerMemory("m"))
  const recallPglite = yield* recall("pglite (Postgres full-text)", "p", VectorStore.layerPglite("p"))
  const memory = yield* scale("memory", "mem", VectorStore.layerMemory("mem"), N, true)
  const pglite = NP > 0 ? yield* scale("pglite", "pg", VectorStore.layerPglite("pg"), NP, args["pglite-hand"] === "true") : undefined
  const result = {
    benchmark: "rag",
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverage: { before: loadBefore, after: loadavg()[0] },
    options: { chunks: N, pgliteChunks: NP, dimension: D, queries: Q },
    tokenizers,
    rerank,
    recall: { memory: recallMemory, pglite: recallPglite },
    scale: { memory, pglite }
  }
  mkdirSync(join(root, "bench", "results"), { recursive: true })
  writeFileSync(join(root, "bench", "results", "rag.json"), `${JSON.stringify(result, null, 2)}\n`)
  console.log(`load average before/after: ${loadBefore.toFixed(2)} / ${loadavg()[0]!.toFixed(2)}; wrote bench/results/rag.json`)
})

await Effect.runPromise(program as Effect.Effect<void, unknown>)

// Ingestion: idempotent re-ingestion (nothing written, nothing embedded), replacement of changed documents, batching,
// events; as a seeded property test over random edit sequences against an oracle (chunk the latest version of every
// document afresh), and as examples.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Embeddings from "../../src/llm/Embeddings.ts"
import * as Chunker from "../../src/rag/Chunker.ts"
import * as Document from "../../src/rag/Document.ts"
import * as Ingest from "../../src/rag/Ingest.ts"
import * as Tokenizer from "../../src/rag/Tokenizer.ts"
import { OfflineEmbedding, seededRandom } from "../../src/testing/index.ts"
import { Filter, VectorStore, type VectorStoreShape } from "../../src/vector/index.ts"

interface Counters {
  writes: Array<string>
  embedBatches: Array<number>
}

// A memory store that records every write, and an embedding provider that records every batch.
const recording = (counters: Counters) =>
  Layer.mergeAll(
    VectorStore.layerEffect("kb", Effect.map(VectorStore.makeMemory("kb"), (s): VectorStoreShape => ({
      ...s,
      createCollection: (o) => Effect.suspend(() => (counters.writes.push(`create ${o.collection}`), s.createCollection(o))),
      upsert: (o) => Effect.suspend(() => (counters.writes.push(`upsert ${o.collection} ${o.points.length}`), s.upsert(o))),
      delete: (o) => Effect.suspend(() => (counters.writes.push(`delete ${o.collection} ${o.ids.join(",")}`), s.delete(o))),
      deleteCollection: (o) => Effect.suspend(() => (counters.writes.push(`drop ${o.collection}`), s.deleteCollection(o)))
    }))),
    Embeddings.layerCustom("offline", ({ inputs }) =>
      Effect.sync(() => {
        counters.embedBatches.push(inputs.length)
        return { embeddings: inputs.map((t) => OfflineEmbedding.embed(t, { dimensions: 32 })), usage: { inputTokens: 0, outputTokens: 0 } }
      }))
  )

const chunking = Chunker.settings({ maxTokens: 40, overlapTokens: 8 })
const options = (documents: ReadonlyArray<Document.Document>, extra: Partial<Ingest.Options<"kb", "offline">> = {}) => ({
  store: "kb" as const,
  collection: "docs",
  embeddings: { provider: "offline" as const, model: "offline-32" },
  documents,
  settings: Ingest.settings({ chunking, batchSize: 7 }),
  ...extra
})

const stored = (documentId: string) =>
  VectorStore.search({ store: "kb", collection: "docs", vector: OfflineEmbedding.embed("x", { dimensions: 32 }), topK: 10_000, filter: Filter.all(Filter.match("document_id", documentId)) }).pipe(
    Effect.map((hits) => [...hits].sort((a, b) => (a.payload["chunk"] as number) - (b.payload["chunk"] as number)))
  )

const words = ["alpha", "beta", "gamma", "delta", "vector", "search", "budget", "token", "chunk", "store"]
const randomText = (next: () => number) =>
  Array.from({ length: 5 + Math.floor(next() * 120) }, (_, i) => `${words[Math.floor(next() * words.length)]}${i % 9 === 8 ? ".\n\n" : ""}`).join(" ")

describe("Ingest.ingest", () => {
  it.effect("matches the oracle after random edit sequences, and re-ingesting unchanged documents writes and embeds nothing", () =>
    Effect.gen(function*() {
      for (let seed = 1; seed <= 12; seed++) {
        const next = seededRandom(seed)
        const counters: Counters = { writes: [], embedBatches: [] }
        yield* Effect.gen(function*() {
          const latest = new Map<string, Document.Document>()
          let current: Array<Document.Document> = Array.from({ length: 1 + Math.floor(next() * 6) }, (_, i) =>
            Document.make({ id: `doc-${i}`, text: randomText(next), metadata: { v: 0 } }))
          for (let round = 0; round < 5; round++) {
            yield* Ingest.ingest(options(current))
            for (const d of current) latest.set(d.id, d)
            // the store holds exactly the chunks of the latest version of every document ingested so far
            for (const d of latest.values()) {
              const expected = Chunker.fromTokenizer(chunking, Tokenizer.approximate).chunk(d)
              const hits = yield* stored(d.id)
              assert.deepStrictEqual(hits.map((h) => h.id), expected.map((c) => c.id), `seed ${seed} round ${round} ${d.id}`)
              assert.deepStrictEqual(hits.map((h) => h.payload["text"]), expected.map((c) => c.text))
              assert.deepStrictEqual(hits.map((h) => [h.payload["start"], h.payload["end"]]), expected.map((c) => [c.start, c.end]))
            }
            // idempotence
            counters.writes.length = 0
            counters.embedBatches.length = 0
            const again = yield* Ingest.ingest(options(current))
            assert.deepStrictEqual(counters.writes, [], `seed ${seed} round ${round}: re-ingesting writes nothing`)
            assert.deepStrictEqual(counters.embedBatches, [], "and embeds nothing")
            assert.strictEqual(again.unchanged, current.length)
            // edit: change, shorten, add, drop documents
            current = current.flatMap((d): Array<Document.Document> => {
              const r = next()
              if (r < 0.3) return [{ ...d, text: randomText(next) }]
              if (r < 0.4) return [{ ...d, metadata: { v: round + 1 } }]
              if (r < 0.5) return []
              return [d]
            })
            if (next() < 0.5) current.push(Document.make({ id: `doc-new-${round}`, text: randomText(next) }))
          }
        }).pipe(Effect.provide(recording(counters)))
      }
    }))

  it.effect("a changed document replaces its chunks: overwritten by id, the stale tail deleted, others untouched", () =>
    Effect.gen(function*() {
      const counters: Counters = { writes: [], embedBatches: [] }
      yield* Effect.gen(function*() {
        const long = Document.make({ id: "a", text: randomText(seededRandom(1)) + " " + randomText(seededRandom(2)) })
        const other = Document.make({ id: "b", text: "beta gamma delta" })
        const first = yield* Ingest.ingest(options([long, other]))
        assert.deepStrictEqual([first.added, first.replaced, first.unchanged], [2, 0, 0])
        const before = (yield* stored("a")).length
        assert.isAbove(before, 3)
        counters.writes.length = 0
        const second = yield* Ingest.ingest(options([{ ...long, text: "alpha beta" }, other]))
        assert.deepStrictEqual([second.added, second.replaced, second.unchanged, second.chunks, second.deleted], [0, 1, 1, 1, before - 1])
        assert.deepStrictEqual(counters.writes, [
          "upsert docs 1",
          `delete docs ${Array.from({ length: before - 1 }, (_, i) => `a#${i + 1}`).join(",")}`,
          "upsert docs__documents 1"
        ])
        assert.deepStrictEqual((yield* stored("a")).map((h) => h.payload["text"]), ["alpha beta"])
        assert.strictEqual((yield* stored("b")).length, 1)
      }).pipe(Effect.provide(recording(counters)))
    }))

  it.effect("embeds in batches of batchSize; events report progress in order", () =>
    Effect.gen(function*() {
      const counters: Counters = { writes: [], embedBatches: [] }
      const events: Array<Ingest.Event> = []
      yield* Effect.gen(function*() {
        const docs = Array.from({ length: 3 }, (_, i) => Document.make({ id: `d${i}`, text: randomText(seededRandom(10 + i)) }))
        const summary = yield* Ingest.ingest(options(docs, { onEvent: (e) => Effect.sync(() => events.push(e)) }))
        const total = summary.chunks
        assert.isAbove(total, 7)
        assert.isTrue(counters.embedBatches.every((n) => n <= 7))
        assert.strictEqual(counters.embedBatches.reduce((a, b) => a + b, 0), total)
        assert.deepStrictEqual(counters.writes.slice(0, 2), ["create docs", "create docs__documents"])
        const tags = events.map((e) => e._tag)
        assert.strictEqual(tags[0], "Started")
        assert.strictEqual(tags.at(-1), "Finished")
        assert.deepStrictEqual(tags.filter((t) => t === "DocumentChunked").length, 3)
        assert.deepStrictEqual(tags.filter((t) => t === "DocumentWritten").length, 3)
        const embedded = events.flatMap((e) => (e._tag === "BatchEmbedded" ? [e.embedded] : []))
        assert.strictEqual(embedded.at(-1), total)
        const payload = (yield* stored("d0"))[0]!.payload
        assert.deepStrictEqual(Object.keys(payload).sort(), ["chunk", "document_id", "end", "fingerprint", "headings", "metadata", "source", "start", "text", "tokens"])
      }).pipe(Effect.provide(recording(counters)))
    }))

  it.effect("changing the chunking or the embedding model re-ingests; duplicate ids and bad settings are refused", () =>
    Effect.gen(function*() {
      const counters: Counters = { writes: [], embedBatches: [] }
      yield* Effect.gen(function*() {
        const docs = [Document.make({ id: "a", text: "alpha beta gamma" })]
        yield* Ingest.ingest(options(docs))
        const rechunked = yield* Ingest.ingest(options(docs, { settings: Ingest.settings({ chunking: { ...chunking, maxTokens: 41 } }) }))
        assert.strictEqual(rechunked.replaced, 1)
        const remodelled = yield* Ingest.ingest(options(docs, { settings: Ingest.settings({ chunking: { ...chunking, maxTokens: 41 } }), embeddings: { provider: "offline", model: "offline-32-v2" } }))
        assert.strictEqual(remodelled.replaced, 1)
        const dup = yield* Effect.flip(Ingest.ingest(options([docs[0]!, { ...docs[0]!, source: "elsewhere.md" }])))
        assert.strictEqual(dup.message, `ingest: duplicate document id "a" (sources a and elsewhere.md)`)
        const bad = yield* Effect.flip(Ingest.ingest(options(docs, { settings: Ingest.settings({ batchSize: 0 }) })))
        assert.strictEqual(bad.message, "ingest: batchSize must be a positive integer, got 0")
      }).pipe(Effect.provide(recording(counters)))
    }))

  it.effect("an existing collection of another dimension fails with DimensionMismatch before anything is written", () =>
    Effect.gen(function*() {
      const counters: Counters = { writes: [], embedBatches: [] }
      yield* Effect.gen(function*() {
        yield* VectorStore.createCollection({ store: "kb", collection: "docs", dimension: 8, distance: "cosine" })
        counters.writes.length = 0
        const e = yield* Effect.flip(Ingest.ingest(options([Document.make({ id: "a", text: "alpha" })])))
        assert.strictEqual(e._tag, "DimensionMismatch")
        assert.isTrue(counters.writes.every((w) => !w.startsWith("upsert docs ")), "no chunk written")
      }).pipe(Effect.provide(recording(counters)))
    }))
})

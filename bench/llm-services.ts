/**
 * LLM service and mock overheads (no model involved): per-call cost of `Llm.generate` over a `MockLlm` provider, of the
 * effect/ai `LanguageModel` bridge, embedding batching (N concurrent `embed` calls -> provider calls), the offline
 * embedding's throughput, and a full offline parallel-RAG run. Prints a table and writes bench/results/llm-services.json.
 *
 * Run: `npm run bench:llm` (option: `--scale 1` multiplies the iteration counts).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { parseArgs } from "node:util"
import { Effect, Layer, Stream } from "effect"
import { LanguageModel } from "effect/ai"
import { parallelRag, storeLayer } from "../examples/parallel-rag.ts"
import { Workflow } from "../src/index.ts"
import { Embeddings, Llm } from "../src/llm/index.ts"
import { Mock, MockRecorder, OfflineEmbedding } from "../src/testing/index.ts"

const { values: args } = parseArgs({ options: { scale: { type: "string", default: "1" } } })
const scale = Number(args.scale)

const stats = (samples: ReadonlyArray<number>) => {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
  return { median: +at(0.5).toFixed(4), p95: +at(0.95).toFixed(4), min: +sorted[0]!.toFixed(4) }
}

// Runs `body` `rounds` times (after 2 warm-up rounds) and returns per-round ms.
const measure = async (rounds: number, body: () => Promise<unknown>) => {
  for (let i = 0; i < 2; i++) await body()
  const samples: Array<number> = []
  for (let i = 0; i < rounds; i++) {
    const t = performance.now()
    await body()
    samples.push(performance.now() - t)
  }
  return samples
}

const results: Record<string, unknown> = {}
const row = (name: string, value: string) => console.log(`${name.padEnd(58)} ${value}`)

// 1. Llm.generate over MockLlm, sequential calls in one fiber
{
  const calls = 2000 * scale
  const layer = Mock.layer({ llm: { openai: { responses: "ok" } } })
  const program = Effect.gen(function*() {
    for (let i = 0; i < calls; i++) yield* Llm.generate({ provider: "openai", model: "m", prompt: "hello there" })
  }).pipe(Effect.provide(layer))
  const s = stats((await measure(10, () => Effect.runPromise(program))).map((ms) => (ms * 1000) / calls))
  results["generateMockMicrosPerCall"] = s
  row(`Llm.generate via MockLlm (${calls} calls/round), µs per call`, `median ${s.median}  p95 ${s.p95}`)
}

// 2. Llm.generate over an effect/ai LanguageModel (the bridge the SDK adapters use)
{
  const calls = 2000 * scale
  const layer = Llm.layer(
    "openai",
    Layer.effect(
      LanguageModel.LanguageModel,
      LanguageModel.make({
        generateText: () =>
          Effect.succeed([
            { type: "text" as const, text: "ok" },
            { type: "finish" as const, reason: "stop" as const, usage: { inputTokens: { total: 3 }, outputTokens: { total: 1 } } }
          ]),
        streamText: () => Stream.empty
      })
    )
  )
  const program = Effect.gen(function*() {
    for (let i = 0; i < calls; i++) yield* Llm.generate({ provider: "openai", model: "m", prompt: "hello there" })
  }).pipe(Effect.provide(layer))
  const s = stats((await measure(10, () => Effect.runPromise(program))).map((ms) => (ms * 1000) / calls))
  results["generateLanguageModelMicrosPerCall"] = s
  row(`Llm.generate via effect/ai LanguageModel (${calls}/round), µs per call`, `median ${s.median}  p95 ${s.p95}`)
}

// 3. Embedding batching: N concurrent embed calls vs N sequential
{
  const n = 1000 * scale
  const texts = Array.from({ length: n }, (_, i) => `document number ${i} about effect systems`)
  const run = (concurrency: "unbounded" | 1) =>
    Effect.gen(function*() {
      yield* Effect.forEach(texts, (input) => Embeddings.embed({ provider: "openai", model: "m", input }), { concurrency })
      return (yield* MockRecorder).count({ kind: "embedMany" })
    }).pipe(Effect.provide(Mock.layer({ embeddings: { openai: { dimensions: 64 } } })))
  const concurrentCalls = await Effect.runPromise(run("unbounded"))
  const sequentialCalls = await Effect.runPromise(run(1))
  const concurrent = stats(await measure(10, () => Effect.runPromise(run("unbounded"))))
  const sequential = stats(await measure(10, () => Effect.runPromise(run(1))))
  results["embedBatching"] = { n, concurrentProviderCalls: concurrentCalls, sequentialProviderCalls: sequentialCalls, concurrentMs: concurrent, sequentialMs: sequential }
  row(`${n} concurrent embed calls -> provider calls`, `${concurrentCalls} (sequential: ${sequentialCalls})`)
  row(`${n} embeds, ms per round: concurrent (batched) / sequential`, `${concurrent.median} / ${sequential.median}`)
}

// 4. Offline embedding throughput
{
  const texts = Array.from({ length: 2000 * scale }, (_, i) =>
    `Paragraph ${i}: the quick brown fox jumps over the lazy dog while workflows retry failed steps with schedules.`)
  const s = stats((await measure(10, async () => {
    for (const t of texts) OfflineEmbedding.embed(t)
  })).map((ms) => (ms * 1000) / texts.length))
  results["offlineEmbeddingMicrosPerText"] = { textChars: texts[0]!.length, dimensions: 256, ...s }
  row(`OfflineEmbedding.embed (${texts[0]!.length}-char text, 256 dims), µs per text`, `median ${s.median}  p95 ${s.p95}`)
}

// 5. Whole offline parallel-RAG run (no simulated search latency): engine + mocks + in-memory store
{
  const runs = 200 * scale
  const layer = Layer.mergeAll(storeLayer(), Mock.layer({ embeddings: { openai: {} }, llm: { anthropic: { responses: "answer" } } }))
  const program = Effect.gen(function*() {
    for (let i = 0; i < runs; i++) yield* Workflow.run(parallelRag, { query: "How do I retry a failed step?" })
  }).pipe(Effect.provide(layer))
  const s = stats((await measure(5, () => Effect.runPromise(program))).map((ms) => ms / runs))
  results["parallelRagRunMs"] = s
  row(`parallel-rag workflow run, offline, no latency (${runs}/round), ms per run`, `median ${s.median}  p95 ${s.p95}`)
}

mkdirSync(new URL("./results/", import.meta.url), { recursive: true })
writeFileSync(
  new URL("./results/llm-services.json", import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, scale, results }, null, 2)
)

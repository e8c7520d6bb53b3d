/**
 * Parallel RAG search — the `parallel-rag.yaml` seed workflow in the typed DSL.
 *
 *   embed_query (openai text-embedding-3-small)
 *     ├─ search_docs (pinecone / documentation, top 5) ─┐   the two searches run in parallel
 *     └─ search_code (pinecone / codebase, top 3) ──────┤
 *                                                      merge_context (concat) -> generate_answer (anthropic)
 *
 * `npm start` runs it offline: an in-memory vector store named "pinecone" seeded with a few documents, the offline
 * feature-hashing embedding and a scripted LLM; it prints live step progress and the answer. With OPENAI_API_KEY and
 * ANTHROPIC_API_KEY set (or `npm start -- --live`) the same workflow runs against the real providers (the src/providers
 * adapters; OPENAI_BASE_URL / ANTHROPIC_BASE_URL / ANTHROPIC_MODEL are honoured); `--offline` forces the offline demo.
 */
import { Duration, Effect, Layer, Schema } from "effect"
import * as Anthropic from "../src/providers/Anthropic.ts"
import * as OpenAi from "../src/providers/OpenAi.ts"
import { Workflow } from "../src/index.ts"
import { Embeddings, Llm } from "../src/llm/index.ts"
import { Mock, type MockRequest, OfflineEmbedding } from "../src/testing/index.ts"
import type { WorkflowEvent } from "../src/engine/events.ts"
import { VectorStore } from "../src/vector/index.ts"
import type { Point, SearchHit } from "../src/vector/index.ts"

/** The embedding model of the YAML. */
export const embeddingModel = "text-embedding-3-small"
/** The answer model of the YAML. */
export const answerModel = "claude-3-5-sonnet-20241022"

/** The answer prompt, exactly as in the YAML. */
export const answerPrompt = (context: string, query: string) =>
  `Context:\n${context}\n\nQuestion: ${query}\n\nProvide a detailed answer using the context above.\n`

/** How retrieved hits are rendered into the prompt: one `[source] text` line per hit. */
export const formatContext = (hits: ReadonlyArray<SearchHit>): string =>
  hits.map((h) => `[${String(h.payload["source"] ?? h.id)}] ${String(h.payload["text"] ?? "")}`).join("\n")

/** The workflow. Requires `EmbeddingsProvider<"openai">`, `VectorStoreFor<"pinecone">`, `LlmProvider<"anthropic">`. */
export const parallelRag = Workflow.make("parallel-rag-search", {
  input: Schema.Struct({ query: Schema.String }),
  version: "1.0"
})
  .step("embed_query", (ctx) => Embeddings.embed({ provider: "openai", model: embeddingModel, input: ctx.input.query }))
  .step("search_docs", { needs: ["embed_query"] }, (ctx) =>
    VectorStore.search({ store: "pinecone", collection: "documentation", vector: ctx.embed_query, topK: 5 }))
  .step("search_code", { needs: ["embed_query"] }, (ctx) =>
    VectorStore.search({ store: "pinecone", collection: "codebase", vector: ctx.embed_query, topK: 3 }))
  .step("merge_context", { needs: ["search_docs", "search_code"] }, (ctx) =>
    Effect.succeed<ReadonlyArray<SearchHit>>([...ctx.search_docs, ...ctx.search_code]))
  .step("generate_answer", { needs: ["merge_context"] }, (ctx) =>
    Llm.generate({
      provider: "anthropic",
      model: answerModel,
      prompt: answerPrompt(formatContext(ctx.merge_context), ctx.input.query)
    }))

/** The demo corpus: a few documentation pages and code snippets. */
export const corpus = {
  documentation: [
    { id: "doc-retry", text: "Retry a failed step by giving it a retry schedule; retries run only for retryable errors such as rate limits." },
    { id: "doc-timeout", text: "Set a timeout on a step with the timeout option; a step that runs too long fails with StepTimeout." },
    { id: "doc-parallel", text: "Steps whose needs are satisfied run in parallel; the concurrency option limits how many run at once." },
    { id: "doc-branch", text: "A branch routes on a literal union and runs exactly one case; the compiler checks every case is handled." },
    { id: "doc-mocks", text: "Test workflows with mock layers: scripted answers per provider, latency, failure injection and recording." },
    { id: "doc-yaml", text: "YAML workflows are compiled into the same typed DSL by the code generator." }
  ],
  codebase: [
    { id: "code-retry", text: "step(\"answer\", { retry: { schedule: Schedule.exponential(\"1 second\"), while: isRetryable } }, run)" },
    { id: "code-mock", text: "Mock.layer({ llm: { openai: { responses: [\"positive\"] } } }) provides a scripted openai provider" },
    { id: "code-embed", text: "Embeddings.embed({ provider: \"openai\", model, input }) batches concurrent calls into one request" },
    { id: "code-search", text: "VectorStore.search({ store: \"pinecone\", collection: \"codebase\", vector, topK: 3 })" }
  ]
} as const

const points = (docs: ReadonlyArray<{ readonly id: string; readonly text: string }>, vectors: ReadonlyArray<ReadonlyArray<number>>) =>
  docs.map((d, i): Point => ({ id: d.id, vector: vectors[i]!, payload: { source: d.id, text: d.text } }))

/**
 * The "pinecone" store, in memory, seeded with {@link corpus} embedded by `embed` (default: the offline embedding, 256
 * dimensions — the same vectors `MockEmbeddings` gives the query). `searchLatency` delays each search (to show the
 * parallel searches overlapping).
 */
export const storeLayer = (options?: {
  readonly searchLatency?: Duration.Input
  readonly embed?: (texts: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<ReadonlyArray<number>>, unknown>
}) =>
  Layer.effect(
    VectorStore.service("pinecone"),
    Effect.gen(function*() {
      const store = yield* VectorStore.makeMemory("pinecone")
      const embed = options?.embed ??
        ((texts: ReadonlyArray<string>) => Effect.succeed(texts.map((t) => OfflineEmbedding.embed(t))))
      for (const collection of ["documentation", "codebase"] as const) {
        const docs = corpus[collection]
        const vectors = yield* Effect.orDie(embed(docs.map((d) => d.text)))
        yield* Effect.orDie(store.createCollection({ collection, dimension: vectors[0]!.length, distance: "cosine" }))
        yield* Effect.orDie(store.upsert({ collection, points: points(docs, vectors) }))
      }
      const latency = options?.searchLatency
      return latency === undefined ? store : { ...store, search: (o) => Effect.delay(store.search(o), latency) }
    })
  )

/** The scripted answer of the offline demo: quotes the best document and the best code line from the prompt. */
export const scriptedAnswer = (req: MockRequest): string => {
  const lines = req.prompt.split("\n").filter((l) => l.startsWith("["))
  const doc = lines.find((l) => l.startsWith("[doc-")) ?? "(no documentation found)"
  const code = lines.find((l) => l.startsWith("[code-")) ?? "(no code found)"
  return `From the documentation: ${doc}\nExample: ${code}`
}

/**
 * Offline Layer: seeded in-memory store (searches take a simulated 25 ms, so the parallel searches visibly overlap),
 * offline embeddings (mock "openai"), scripted "anthropic".
 */
export const offlineLayer = Layer.mergeAll(
  storeLayer({ searchLatency: "25 millis" }),
  Mock.layer({ embeddings: { openai: {} }, llm: { anthropic: { responses: scriptedAnswer } } })
)

/** Real providers from the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY); the store is seeded with real embeddings. */
export const liveLayer = () => {
  const embeddings = Embeddings.layer(
    "openai",
    Layer.unwrap(Effect.map(OpenAi.config({ embeddingModel }), OpenAi.layerEmbeddings))
  )
  const store = storeLayer({
    embed: (texts) =>
      Embeddings.embedMany({ provider: "openai", model: embeddingModel, inputs: texts }).pipe(Effect.provide(embeddings))
  })
  return Layer.mergeAll(store, embeddings, Llm.layer("anthropic", Anthropic.layerConfig({ model: answerModel })))
}

/** One progress line per event (what `npm start` prints). */
export const progressLine = (start: number, e: WorkflowEvent): string | undefined => {
  const t = `+${String(e.at - start).padStart(4)}ms`
  switch (e._tag) {
    case "RunStarted":
      return `${t}  run ${e.workflow} started`
    case "StepStarted":
      return `${t}  ▶ ${e.stepId}`
    case "StepSucceeded":
      return `${t}  ✓ ${e.stepId} (${e.durationMillis} ms)`
    case "StepRetrying":
      return `${t}  ↻ ${e.stepId} attempt ${e.attempt}: ${e.error}`
    case "StepFailed":
      return `${t}  ✗ ${e.stepId}: ${e.error}`
    case "StepSkipped":
      return `${t}  - ${e.stepId} skipped`
    case "ProviderEvent":
      return `${t}  · ${e.stepId}: ${e.event._tag}`
    case "RunFinished":
      return `${t}  run ${e.status} in ${e.durationMillis} ms`
  }
}

/** Runs the workflow with live progress printed through `print`; returns the answer and the token totals. */
export const main = (query: string, print: (line: string) => void = console.log) =>
  Effect.gen(function*() {
    let start: number | undefined
    const result = yield* Workflow.execute(parallelRag, { query }, {
      onEvent: (e) => {
        start ??= e.at
        const line = progressLine(start, e)
        if (line !== undefined) print(line)
      }
    })
    const usage = result.usage
    print(`\nQuestion: ${query}\n\n${result.outputs.generate_answer}\n`)
    const perStep = Object.values(result.steps).flatMap((s) => (s.usage === undefined ? [] : [`${s.stepId} ${s.usage.inputTokens}/${s.usage.outputTokens}`]))
    print(`tokens: ${usage.inputTokens} in, ${usage.outputTokens} out over ${usage.calls} calls (${perStep.join(", ")})`)
    return { result, usage }
  })

/** Live mode when asked (`--live`), or when both API keys are set and `--offline` is not given. */
export const isLive = (args: ReadonlyArray<string>, env: Record<string, string | undefined>): boolean =>
  args.includes("--live") ||
  (!args.includes("--offline") && env["OPENAI_API_KEY"] !== undefined && env["ANTHROPIC_API_KEY"] !== undefined)

if (import.meta.main) {
  const args = process.argv.slice(2)
  const live = isLive(args, process.env)
  const query = args.filter((a) => !a.startsWith("--")).join(" ") || "How do I retry a failed step?"
  console.log(live ? "mode: live (OpenAI embeddings, Anthropic answer)" : "mode: offline (in-memory store, offline embeddings, scripted LLM)")
  const layer = live ? liveLayer() : offlineLayer
  Effect.runPromise(main(query).pipe(Effect.provide(layer))).catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}

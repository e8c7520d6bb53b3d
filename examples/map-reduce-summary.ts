/**
 * Map-reduce summary: chunk a long document, summarize the chunks in parallel (at most {@link concurrency} calls at a
 * time), then reduce the partial summaries into one.
 *
 *   chunk -> summaries (map, openai gpt-4o-mini, concurrency 3) -> summary (anthropic)
 */
import { Effect, Schema } from "effect"
import { Workflow } from "../src/index.ts"
import { Llm } from "../src/llm/index.ts"
import { Mock, type MockRequest } from "../src/testing/index.ts"

/** How many chunk summaries run at once. */
export const concurrency = 3

/**
 * Splits `document` on blank lines and packs paragraphs into chunks of at most `maxChars` characters (a longer
 * paragraph becomes a chunk of its own).
 */
export const chunkDocument = (document: string, maxChars: number): ReadonlyArray<string> => {
  const chunks: Array<string> = []
  let current = ""
  for (const paragraph of document.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p.length > 0)) {
    if (current.length > 0 && current.length + 2 + paragraph.length > maxChars) {
      chunks.push(current)
      current = ""
    }
    current = current.length === 0 ? paragraph : `${current}\n\n${paragraph}`
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/** The prompts. */
export const prompts = {
  system: "You write faithful, concise summaries.",
  chunk: (chunk: string, index: number, total: number) =>
    `Summarize part ${index + 1} of ${total} of a document in one sentence:\n\n${chunk}`,
  reduce: (summaries: ReadonlyArray<string>) =>
    `Combine these partial summaries, in order, into one paragraph:\n${summaries.map((s) => `- ${s}`).join("\n")}`
}

/** The workflow. Requires `LlmProvider<"openai">` (map) and `LlmProvider<"anthropic">` (reduce). */
export const mapReduceSummary = Workflow.make("map-reduce-summary", {
  input: Schema.Struct({ document: Schema.String, maxChunkChars: Schema.optionalKey(Schema.Int) }),
  version: "1.0"
})
  .step("chunk", (ctx) => Effect.succeed(chunkDocument(ctx.input.document, ctx.input.maxChunkChars ?? 1500)))
  .map("summaries", { needs: ["chunk"], over: (ctx) => ctx.chunk, concurrency }, (chunk, ctx, index) =>
    Llm.generate({
      provider: "openai",
      model: "gpt-4o-mini",
      system: prompts.system,
      prompt: prompts.chunk(chunk, index, ctx.chunk.length),
      temperature: 0,
      maxTokens: 120
    }))
  .step("summary", { needs: ["summaries"] }, (ctx) =>
    Llm.generate({ provider: "anthropic", model: "claude-3-5-sonnet-20241022", prompt: prompts.reduce(ctx.summaries) }))

/** Offline demo Layer: the "summary" of a chunk is its first sentence; the reduce joins them. */
export const demoLayer = Mock.layer({
  llm: {
    openai: { responses: (req: MockRequest) => (req.prompt.split("\n\n")[1] ?? "").split(/(?<=\.)\s/)[0] ?? "" },
    anthropic: { responses: (req: MockRequest) => req.prompt.split("\n").slice(1).map((l) => l.slice(2)).join(" ") }
  }
})

if (import.meta.main) {
  const document = Array.from({ length: 6 }, (_, i) =>
    `Section ${i + 1} explains topic ${i + 1}. It has details that a summary can drop. More filler text here.`).join("\n\n")
  Effect.runPromise(Workflow.run(mapReduceSummary, { document, maxChunkChars: 120 }).pipe(Effect.provide(demoLayer))).then(
    (o) => console.log(`${o.chunk.length} chunks\n\n${o.summary}`),
    (error) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}

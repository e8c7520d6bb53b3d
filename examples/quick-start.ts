import { Schema } from "effect"
import { Workflow } from "llm-orchestrator"
import { Embeddings, Llm } from "llm-orchestrator/llm"
import { VectorStore } from "llm-orchestrator/vector"

export const rag = Workflow.make("rag", { input: Schema.Struct({ query: Schema.String }) })
  .step("embed", (ctx) => Embeddings.embed({ provider: "openai", model: "text-embedding-3-small", input: ctx.input.query }))
  .step("docs", { needs: ["embed"] }, (ctx) =>
    VectorStore.search({ store: "docs", collection: "documentation", vector: ctx.embed, topK: 5 }))
  .step("code", { needs: ["embed"] }, (ctx) => // runs in parallel with "docs"
    VectorStore.search({ store: "docs", collection: "codebase", vector: ctx.embed, topK: 3 }))
  .step("answer", { needs: ["docs", "code"], timeout: "30 seconds", retry: { times: 2 } }, (ctx) =>
    Llm.generate({
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      prompt: `Context:\n${[...ctx.docs, ...ctx.code].map((hit) => hit.payload["text"]).join("\n")}\n\nQ: ${ctx.input.query}`
    }))

// Workflow.runWith(rag, { query: "How do I retry?" }, layer) does not compile unless `layer` supplies
// Embeddings/openai, VectorStore/docs and Llm/anthropic: see examples/quick-start.test.ts for one made of mocks.

import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import { Workflow } from "llm-orchestrator"
import { Mock, OfflineEmbedding } from "llm-orchestrator/testing"
import { VectorStore } from "llm-orchestrator/vector"
import { rag } from "./quick-start.ts"

const texts = {
  documentation: ["Retry a step with the retry option.", "Steps run in parallel when their needs are done."],
  codebase: ["step(\"x\", { retry: { times: 2 } }, run)"]
}

const store = VectorStore.layerMemory("docs", {
  collections: (["documentation", "codebase"] as const).map((collection) => ({
    collection,
    dimension: OfflineEmbedding.embed("x").length,
    distance: "cosine" as const,
    points: texts[collection].map((text, i) => ({ id: `${collection}-${i}`, vector: OfflineEmbedding.embed(text), payload: { text } }))
  }))
})

describe("README quick start", () => {
  it("the README shows this example as it is", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8")
    const source = readFileSync(new URL("./quick-start.ts", import.meta.url), "utf8")
    assert.include(readme, "```ts\n" + source + "```")
  })

  it.effect("runs with mock providers and an in-memory store", () =>
    Effect.gen(function*() {
      const layer = Layer.mergeAll(
        store,
        Mock.layer({ embeddings: { openai: {} }, llm: { anthropic: { responses: ["Use the retry option."] } } })
      )
      const outputs = yield* Workflow.runWith(rag, { query: "How do I retry a step?" }, layer)
      assert.strictEqual(outputs.answer, "Use the retry option.")
      assert.strictEqual(outputs.docs[0]?.payload["text"], "Retry a step with the retry option.")
      assert.strictEqual(outputs.code.length, 1)
    }))
})

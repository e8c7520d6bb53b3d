// VectorStore step helpers inside a workflow: the store named by the step is the one the run's Layer supplies.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Workflow } from "../../src/index.ts"
import { Filter, VectorStore } from "../../src/vector/index.ts"

// A toy 3-d "embedding": counts of three keywords.
const embed = (text: string) =>
  Effect.succeed(["retry", "timeout", "cache"].map((w) => text.split(" ").filter((t) => t === w).length))

const corpus = [
  { id: "doc-retry", text: "retry retry failed steps", lang: "en" },
  { id: "doc-timeout", text: "timeout a slow step", lang: "en" },
  { id: "doc-retry-fr", text: "retry retry les étapes", lang: "fr" },
  { id: "doc-cache", text: "cache responses", lang: "en" }
]

const rag = Workflow.make("rag", { input: Schema.Struct({ query: Schema.String, lang: Schema.String }) })
  .step("ingest", () =>
    Effect.gen(function*() {
      yield* VectorStore.createCollection({ store: "docs", collection: "documentation", dimension: 3, distance: "cosine" })
      const points = yield* Effect.forEach(corpus, (d) =>
        Effect.map(embed(d.text), (vector) => ({ id: d.id, vector, payload: { lang: d.lang, text: d.text } })))
      yield* VectorStore.upsert({ store: "docs", collection: "documentation", points })
      return points.length
    }))
  .step("embed", (ctx) => embed(ctx.input.query))
  .step("docs", { needs: ["ingest", "embed"] }, (ctx) =>
    VectorStore.search({
      store: "docs",
      collection: "documentation",
      vector: ctx.embed,
      topK: 2,
      filter: Filter.all(Filter.match("lang", ctx.input.lang))
    }))
  .step("answer", { needs: ["docs"] }, (ctx) => Effect.succeed(ctx.docs.map((h) => String(h.id)).join(",")))

describe("VectorStore in a workflow", () => {
  it.effect("a step searches the store its name refers to, with a filter from the input", () =>
    Effect.gen(function*() {
      const outputs = yield* Workflow.runWith(rag, { query: "how to retry", lang: "en" }, VectorStore.layerMemory("docs"))
      assert.strictEqual(outputs.ingest, 4)
      assert.deepStrictEqual(outputs.docs.map((h) => h.id), ["doc-retry", "doc-timeout"])
      assert.closeTo(outputs.docs[0]!.score, 1, 1e-6)
      assert.strictEqual(outputs.answer, "doc-retry,doc-timeout")
    }))

  it.effect("a store error fails the step with StepFailed carrying the store's error", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("missing", { input: Schema.Struct({}) })
        .step("search", () => VectorStore.search({ store: "docs", collection: "nope", vector: [1, 0, 0], topK: 1 }))
      const error = yield* Effect.flip(Workflow.runWith(wf, {}, VectorStore.layerMemory("docs")))
      assert.strictEqual(error._tag, "StepFailed")
      if (error._tag !== "StepFailed") return
      assert.strictEqual(error.stepId, "search")
      assert.strictEqual(error.error._tag, "CollectionNotFound")
      assert.strictEqual(error.error.message, 'Vector store "docs": collection "nope" does not exist')
    }))
})

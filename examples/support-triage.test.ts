import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Workflow } from "llm-orchestrator"
import { MockLlm, type MockRequest, OfflineEmbedding } from "llm-orchestrator/testing"
import { VectorStore } from "llm-orchestrator/vector"
import { triage } from "./support-triage.ts"

const seed = (collection: string, texts: ReadonlyArray<string>) => ({
  collection, dimension: 256, distance: "cosine" as const,
  points: texts.map((text, i) => ({ id: `${collection}-${i}`, vector: OfflineEmbedding.embed(text), payload: { text } }))
})
const kb = VectorStore.layerMemory("kb", {
  collections: [seed("faq", ["Restart the app after updating", "Refunds take 5 days"]), seed("tickets", ["Crash on start: clear the cache"])]
})
// one fake for both models, as a team would share it; throwing `retryable` errors like a real outage
const fake = (req: MockRequest) =>
  req.prompt.startsWith("Classify") ? { kind: "bug", product: "app" }
  : req.prompt.startsWith("Score") ? { score: req.prompt.includes("(v2)") ? 9 : 5, advice: "be specific" }
  : req.prompt.startsWith("Improve") ? "Clear the cache, then restart. (v2)"
  : `plan: ${req.prompt.split("\n")[1]}`

describe("support triage", () => {
  it.effect("routes a bug, drafts with retries, refines until the critique passes", () =>
    Effect.gen(function*() {
      const { outputs, steps, recorder } = yield* Workflow.test(triage, { ticket: "The app crashes on start" }, {
        llm: {
          cheap: MockLlm.fromFunction(fake),
          // the draft step's first call fails (a retryable outage); the retry answers
          main: { ...MockLlm.fromFunction(fake), failures: { step: "route/bug/draft", firstN: 1, error: "server-error" } }
        },
        embeddings: { embed: {} },
        layer: kb
      })
      assert.strictEqual(outputs.route.case, "bug")
      assert.strictEqual(steps["route/bug/draft"]?.attempts, 2)
      assert.deepStrictEqual(outputs.polish, { text: "Clear the cache, then restart. (v2)", score: 9 })
      assert.strictEqual(outputs.notes.length, 2)
      assert.strictEqual(recorder.count("main"), 3) // draft twice, one improvement
    }))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Workflow } from "../src/index.ts"
import { Mock, MockRecorder } from "../src/testing/index.ts"
import {
  answerModel,
  answerPrompt,
  embeddingModel,
  formatContext,
  main,
  offlineLayer,
  parallelRag,
  storeLayer
} from "./parallel-rag.ts"

const tokens = (s: string) => Math.ceil(s.length / 4)
const query = "How do I retry a failed step?"
const answer = "Give the step a retry schedule."

describe("examples/parallel-rag", () => {
  it.effect("embeds once, searches both collections in parallel, answers from the merged context", () =>
    Effect.gen(function*() {
      const { recorder, ...result } = yield* Workflow.test(parallelRag, { query }, {
        embeddings: { openai: { latency: "50 millis" } },
        llm: { anthropic: { responses: [answer], latency: "200 millis" } },
        layer: storeLayer({ searchLatency: "100 millis" })
      })
      const { outputs, steps, usage } = result

      // outputs: top 5 docs, top 3 code snippets, concatenated in that order; the best hits are about retries
      assert.strictEqual(outputs.search_docs.length, 5)
      assert.strictEqual(outputs.search_code.length, 3)
      assert.strictEqual(outputs.search_docs[0]!.id, "doc-retry")
      assert.strictEqual(outputs.search_code[0]!.id, "code-retry")
      assert.deepStrictEqual(outputs.merge_context.map((h) => h.id), [...outputs.search_docs, ...outputs.search_code].map((h) => h.id))
      assert.strictEqual(outputs.generate_answer, answer)

      // parallel overlap: both searches start when the embedding is done (t=50) and run side by side (100 ms each)
      const docs = steps.search_docs!
      const code = steps.search_code!
      const t0 = result.startedAt
      assert.deepStrictEqual([docs.startedAt - t0, code.startedAt - t0], [50, 50])
      assert.deepStrictEqual([docs.durationMillis, code.durationMillis], [100, 100])
      assert.strictEqual(steps.generate_answer!.startedAt - t0, 150)
      assert.strictEqual(result.durationMillis, 50 + 100 + 200) // sequential searches would take 450

      // requests: one embedding call for the query, one answer call with the YAML prompt over the merged context
      assert.deepStrictEqual(recorder.calls({ kind: "embedMany" }).map((c) => [c.model, c.inputs]), [[embeddingModel, [query]]])
      const prompt = answerPrompt(formatContext(outputs.merge_context), query)
      assert.deepStrictEqual(recorder.calls({ provider: "anthropic" }).map((c) => [c.model, c.prompt]), [[answerModel, prompt]])
      assert.include(prompt, "[doc-retry] Retry a failed step")

      // token totals over the run
      assert.deepStrictEqual(
        { input: usage.inputTokens, output: usage.outputTokens, calls: usage.calls },
        { input: tokens(query) + tokens(prompt), output: tokens(answer), calls: 2 }
      )
      assert.deepStrictEqual(usage.entries.map((e) => [e.provider, e.model]), [["openai", embeddingModel], ["anthropic", answerModel]])
      // per step: the embedding tokens belong to embed_query, the answer's to generate_answer, none to the searches
      assert.deepStrictEqual(steps.embed_query!.usage?.inputTokens, tokens(query))
      assert.deepStrictEqual(steps.generate_answer!.usage?.outputTokens, tokens(answer))
      assert.isUndefined(steps.search_docs!.usage)
    }))

  it.effect("an embedding outage fails the run at embed_query; nothing else runs", () =>
    Effect.gen(function*() {
      const layer = Layer.mergeAll(
        storeLayer(),
        Mock.layer({ embeddings: { openai: { failures: { firstN: 1, error: "server-error" } } }, llm: { anthropic: {} } })
      )
      const [error, calls] = yield* Effect.gen(function*() {
        const error = yield* Effect.flip(Workflow.run(parallelRag, { query }))
        return [error, (yield* MockRecorder).count("anthropic")] as const
      }).pipe(Effect.provide(layer))
      assert.strictEqual(error._tag, "StepFailed")
      assert.strictEqual(error._tag === "StepFailed" ? error.stepId : "", "embed_query")
      assert.strictEqual(calls, 0)
    }))

  it.live("npm start (main) prints live progress and the answer offline", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const { result } = yield* main(query, (l) => lines.push(l)).pipe(Effect.provide(offlineLayer))
      const text = lines.join("\n")
      for (const step of ["embed_query", "search_docs", "search_code", "merge_context", "generate_answer"]) {
        assert.include(text, `▶ ${step}`)
        assert.include(text, `✓ ${step}`)
      }
      assert.include(text, "From the documentation: [doc-retry]")
      assert.match(text, /tokens: \d+ in, \d+ out over 2 calls \(embed_query \d+\/0, generate_answer \d+\/\d+\)/)
      // the searches overlap in real time too (each takes >= 25 ms)
      const d = result.steps.search_docs!
      const c = result.steps.search_code!
      assert.isTrue(c.startedAt < d.startedAt + d.durationMillis && d.startedAt < c.startedAt + c.durationMillis)
    }))
})

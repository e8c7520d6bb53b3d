import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Workflow } from "../src/index.ts"
import { MockLlm } from "../src/testing/index.ts"
import { demoLayer, iterativeRefinement, maxIterations, prompts } from "./iterative-refinement.ts"

const critique = (score: number, feedback = `improve ${score}`) => MockLlm.value({ score, feedback })

describe("examples/iterative-refinement", () => {
  it.effect("draft, critique 5, revise, critique 9: stops when the score passes", () =>
    Effect.gen(function*() {
      const { recorder, ...result } = yield* Workflow.test(iterativeRefinement, { topic: "effects" }, {
        llm: { openai: { responses: ["D0", "D1"] }, anthropic: { responses: [critique(5, "add examples"), critique(9)] } }
      })
      assert.deepStrictEqual(result.outputs.result, { text: "D1", score: 9, passed: true })
      assert.deepStrictEqual(recorder.order(), ["openai", "anthropic", "openai", "anthropic"])
      assert.deepStrictEqual(recorder.calls().map((c) => c.prompt), [
        prompts.draft("effects"),
        prompts.critique("D0"),
        prompts.revise("D0", "add examples"),
        prompts.critique("D1")
      ])
      assert.deepStrictEqual(recorder.calls().map((c) => c.kind), ["generateText", "generateObject", "generateText", "generateObject"])
      // usage: the loop step carries its 3 calls, the draft step 1; the run sums them
      assert.strictEqual(result.steps.draft?.usage?.calls, 1)
      assert.strictEqual(result.steps.refine?.usage?.calls, 3)
      assert.strictEqual(result.usage.calls, 4)
      assert.deepStrictEqual(recorder.usage(), { inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens })
    }))

  it.effect("never passing: stops after maxIterations and returns the last revision unpassed", () =>
    Effect.gen(function*() {
      const { recorder, outputs } = yield* Workflow.test(iterativeRefinement, { topic: "t" }, {
        llm: { openai: { responses: (req) => `v${req.call - 1}` }, anthropic: { responses: critique(3) } }
      })
      assert.deepStrictEqual(outputs.result, { text: `v${maxIterations}`, score: 3, passed: false })
      assert.strictEqual(recorder.count("anthropic"), maxIterations)
      assert.strictEqual(recorder.count("openai"), 1 + maxIterations)
    }))

  it.effect("the threshold comes from the input; an already good draft is not revised", () =>
    Effect.gen(function*() {
      const { outputs, recorder } = yield* Workflow.test(iterativeRefinement, { topic: "t", minScore: 5 }, {
        llm: { openai: { responses: ["D0"] }, anthropic: { responses: [critique(6)] } }
      })
      assert.deepStrictEqual([outputs.result, recorder.count("openai")], [{ text: "D0", score: 6, passed: true }, 1])
    }))

  it.effect("the offline demo converges in 3 rounds", () =>
    Effect.gen(function*() {
      const o = yield* Workflow.run(iterativeRefinement, { topic: "effect systems" }).pipe(Effect.provide(demoLayer))
      assert.deepStrictEqual([o.result.score, o.result.passed], [9, true])
      assert.match(o.result.text, /^Better: Better: /)
    }))
})

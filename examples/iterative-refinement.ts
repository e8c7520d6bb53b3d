/**
 * Iterative refinement: draft, then critique and revise until the critic's score reaches the threshold or
 * {@link maxIterations} rounds have run (then the last revision is returned with `passed: false`).
 *
 *   draft (openai) -> refine (loop: critique with anthropic, revise with openai) -> result
 */
import { Effect, Schema } from "effect"
import { Workflow } from "../src/index.ts"
import { Llm } from "../src/llm/index.ts"
import { Mock, MockLlm, type MockRequest } from "../src/testing/index.ts"

/** Upper bound on critique/revise rounds. */
export const maxIterations = 4

/** The critic's structured answer. */
export const Critique = Schema.Struct({
  score: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 10 })),
  feedback: Schema.String
})

/** The prompts. */
export const prompts = {
  draft: (topic: string) => `Write a short paragraph about: ${topic}`,
  critique: (text: string) => `Rate this text from 0 to 10 and say how to improve it.\n\nText:\n${text}`,
  revise: (text: string, feedback: string) => `Revise the text using this feedback: ${feedback}\n\nText:\n${text}`
}

/** The workflow. Requires `LlmProvider<"openai">` (writer) and `LlmProvider<"anthropic">` (critic). */
export const iterativeRefinement = Workflow.make("iterative-refinement", {
  input: Schema.Struct({ topic: Schema.String, minScore: Schema.optionalKey(Schema.Int) }),
  version: "1.0"
})
  .step("draft", (ctx) => Llm.generate({ provider: "openai", model: "gpt-4o", prompt: prompts.draft(ctx.input.topic) }))
  .loop("refine", {
    needs: ["draft"],
    initial: (ctx) => ({ text: ctx.draft, score: 0, feedback: "", passed: false, threshold: ctx.input.minScore ?? 8 }),
    until: (state) => state.passed,
    maxIterations,
    onMaxIterations: "return"
  }, (state) =>
    Effect.gen(function*() {
      const critique = yield* Llm.generateObject({
        provider: "anthropic",
        model: "claude-3-5-sonnet-20241022",
        prompt: prompts.critique(state.text),
        schema: Critique,
        retryInvalidOutput: 1
      })
      if (critique.score >= state.threshold) return { ...state, score: critique.score, feedback: critique.feedback, passed: true }
      const revised = yield* Llm.generate({ provider: "openai", model: "gpt-4o", prompt: prompts.revise(state.text, critique.feedback) })
      return { ...state, text: revised, score: critique.score, feedback: critique.feedback, passed: false }
    }))
  .step("result", { needs: ["refine"] }, (ctx) =>
    Effect.succeed({ text: ctx.refine.text, score: ctx.refine.score, passed: ctx.refine.passed }))

/** Offline demo Layer: the critic's score rises by 3 per revision. */
export const demoLayer = Mock.layer({
  llm: {
    openai: { responses: (req: MockRequest) => `${req.prompt.includes("Revise") ? "Better: " : ""}${req.prompt.split("\n").pop()}` },
    anthropic: {
      responses: (req: MockRequest) =>
        MockLlm.value({ score: Math.min(10, 3 + 3 * (req.prompt.match(/Better:/g)?.length ?? 0)), feedback: "be more concrete" })
    }
  }
})

if (import.meta.main) {
  Effect.runPromise(Workflow.run(iterativeRefinement, { topic: "effect systems" }).pipe(Effect.provide(demoLayer))).then(
    (o) => console.log(o.result),
    (error) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}

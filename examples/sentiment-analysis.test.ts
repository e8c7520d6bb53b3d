import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect } from "effect"
import { Workflow } from "../src/index.ts"
import { MockLlm } from "../src/testing/index.ts"
import { demoLayer, prompts, type Sentiment, sentimentAnalysis } from "./sentiment-analysis.ts"

const tokens = (s: string) => Math.ceil(s.length / 4)

describe("examples/sentiment-analysis", () => {
  it.effect("classifies, answers with the sentiment in the prompt, logs; prompts and token totals", () =>
    Effect.gen(function*() {
      const text = "I love the new release, thanks!"
      const reply = "So glad you like it!"
      const { recorder, ...result } = yield* Workflow.test(sentimentAnalysis, { text }, {
        llm: { openai: { responses: ["positive"] }, anthropic: { responses: [reply] } }
      })
      const usage = result.usage
      const sentiment: Sentiment = result.outputs.extract_sentiment
      assert.strictEqual(sentiment, "positive")
      assert.strictEqual(result.outputs.generate_response, reply)
      assert.strictEqual(result.outputs.log_result, `Sentiment: positive, Response: ${reply}`)
      assert.deepStrictEqual(Object.values(result.steps).map((s) => s.status), ["succeeded", "succeeded", "succeeded"])

      // prompts sent, in order, to the right provider and model
      assert.deepStrictEqual(recorder.order(), ["openai", "anthropic"])
      assert.deepStrictEqual(recorder.calls().map((c) => [c.kind, c.model]), [
        ["generateObject", "gpt-4"],
        ["generateText", "claude-3-5-sonnet-20241022"]
      ])
      assert.deepStrictEqual(recorder.prompts("openai"), [prompts.extractSentiment(text)])
      assert.strictEqual(
        recorder.prompts("anthropic")[0],
        `The user's message has positive sentiment.\nGenerate an empathetic response to:\n${text}\n`
      )
      // token totals of the run: mock usage = ceil(chars / 4) of prompt in, answer out
      const p1 = prompts.extractSentiment(text)
      const p2 = prompts.generateResponse("positive", text)
      assert.deepStrictEqual(
        { input: usage.inputTokens, output: usage.outputTokens, calls: usage.calls },
        { input: tokens(p1) + tokens(p2), output: tokens("positive") + tokens(reply), calls: 2 }
      )
      assert.deepStrictEqual(
        [result.steps.extract_sentiment, result.steps.generate_response, result.steps.log_result].map((step) => step?.usage?.inputTokens),
        [tokens(p1), tokens(p2), undefined]
      )
      // the recorder agrees with the engine's accounting
      assert.deepStrictEqual(recorder.usage(), { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens })
    }))

  it.effect("invalid model output is retried once, then the step fails with InvalidOutput", () =>
    Effect.gen(function*() {
      const ok = yield* Workflow.test(sentimentAnalysis, { text: "meh" }, {
        llm: { openai: { responses: ["Sounds neutral to me", "neutral"] }, anthropic: {} }
      })
      assert.strictEqual(ok.outputs.extract_sentiment, "neutral")

      const failed = yield* Effect.flip(Workflow.test(sentimentAnalysis, { text: "meh" }, {
        llm: { openai: { responses: "no idea", whenExhausted: "repeat-last" }, anthropic: {} }
      }))
      assert.strictEqual(failed._tag, "StepFailed")
      if (failed._tag !== "StepFailed") return
      assert.strictEqual(failed.stepId, "extract_sentiment")
      assert.strictEqual(failed.error._tag, "InvalidOutput")
      assert.strictEqual(failed.error._tag === "InvalidOutput" ? failed.error.raw : "", "no idea")
    }))

  it.effect("a scripted structured value outside the literal union is a test-visible defect", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Workflow.test(sentimentAnalysis, { text: "x" }, {
        llm: { openai: { responses: MockLlm.value("ecstatic") }, anthropic: {} }
      }))
      assert.strictEqual(exit._tag, "Failure")
      assert.include(exit._tag === "Failure" ? Cause.pretty(exit.cause) : "", `scripted value "ecstatic" does not satisfy`)
    }))

  it.effect("the offline demo layer routes by keywords", () =>
    Effect.gen(function*() {
      const out = yield* Workflow.run(sentimentAnalysis, { text: "It is broken, I want a refund" }).pipe(
        Effect.provide(demoLayer)
      )
      assert.strictEqual(out.extract_sentiment, "negative")
      assert.include(out.generate_response, "sorry")
    }))
})

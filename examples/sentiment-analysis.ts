/**
 * Sentiment analysis pipeline — the `sentiment-analysis.yaml` seed workflow in the typed DSL.
 *
 *   extract_sentiment (openai gpt-4, output: sentiment)  ->  generate_response (anthropic, output: response)
 *                                                        ->  log_result (action: log)
 *
 * The sentiment is a literal union decoded with a Schema, so code that switches on it is checked for exhaustiveness.
 *
 * Run offline: `npx tsx examples/sentiment-analysis.ts "I love this product"`.
 */
import { Effect, Schema } from "effect"
import { Workflow } from "../src/index.ts"
import { Llm } from "../src/llm/index.ts"
import { Mock, type MockRequest } from "../src/testing/index.ts"

/** What the first step returns: `positive | negative | neutral`. */
export const Sentiment = Schema.Literals(["positive", "negative", "neutral"])
export type Sentiment = typeof Sentiment.Type

/** The prompts, exactly as in the YAML. */
export const prompts = {
  extractSentiment: (text: string) =>
    `Analyze the sentiment of the following text:\n${text}\n\nReturn only: positive, negative, or neutral\n`,
  generateResponse: (sentiment: Sentiment, text: string) =>
    `The user's message has ${sentiment} sentiment.\nGenerate an empathetic response to:\n${text}\n`
}

/** The workflow. Requires `LlmProvider<"openai">` and `LlmProvider<"anthropic">`. */
export const sentimentAnalysis = Workflow.make("sentiment-analysis-pipeline", {
  input: Schema.Struct({ text: Schema.String }),
  description: "Analyze sentiment and generate response",
  version: "1.0"
})
  .step("extract_sentiment", (ctx) =>
    Llm.generateObject({
      provider: "openai",
      model: "gpt-4",
      prompt: prompts.extractSentiment(ctx.input.text),
      schema: Sentiment,
      retryInvalidOutput: 1
    }))
  .step("generate_response", { needs: ["extract_sentiment"] }, (ctx) =>
    Llm.generate({
      provider: "anthropic",
      model: "claude-3-5-sonnet-20241022",
      prompt: prompts.generateResponse(ctx.extract_sentiment, ctx.input.text)
    }))
  .step("log_result", { needs: ["extract_sentiment", "generate_response"] }, (ctx) => {
    const message = `Sentiment: ${ctx.extract_sentiment}, Response: ${ctx.generate_response}`
    return Effect.as(Effect.logInfo(message), message)
  })

/** A naive offline classifier for the demo's scripted openai. */
export const classify = (text: string): Sentiment =>
  /\b(love|great|thanks|happy|excellent)\b/i.test(text)
    ? "positive"
    : /\b(hate|broken|refund|angry|terrible|worst)\b/i.test(text)
    ? "negative"
    : "neutral"

const replyFor = (sentiment: Sentiment): string => {
  switch (sentiment) {
    case "positive":
      return "Thank you so much — we're thrilled it works for you!"
    case "negative":
      return "I'm sorry about this experience; let's make it right."
    case "neutral":
      return "Thanks for sharing — tell us if there is anything we can do."
  }
}

/** Offline demo Layer: scripted openai (keyword classifier) and anthropic (canned empathetic replies). */
export const demoLayer = Mock.layer({
  llm: {
    openai: { responses: (req: MockRequest) => classify(req.prompt.split("\n")[1] ?? "") },
    anthropic: {
      responses: (req: MockRequest) => replyFor((/has (\w+) sentiment/.exec(req.prompt)?.[1] ?? "neutral") as Sentiment)
    }
  }
})

/** Runs the workflow offline and prints the outputs. */
export const main = (text: string) =>
  Effect.gen(function*() {
    const outputs = yield* Workflow.run(sentimentAnalysis, { text })
    yield* Effect.logInfo(`sentiment=${outputs.extract_sentiment}`)
    return outputs
  }).pipe(Effect.provide(demoLayer))

if (import.meta.main) {
  Effect.runPromise(main(process.argv[2] ?? "I love this product, thanks!")).then(
    (outputs) => console.log(JSON.stringify(outputs, null, 2)),
    (error) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}

import { Effect, Schema } from "effect"
import { Fallback, Llm, Workflow } from "../../../src/index.ts"
import { Mock } from "../../../src/testing/index.ts"

const cheapSummary = Workflow.make("cheap-summary", { input: Schema.Struct({ text: Schema.String }) })
  .step("short", (ctx) => Llm.generate({ provider: "cheap", model: "gpt-4o-mini", prompt: `One line: ${ctx.input.text}` }))

const wf = Workflow.make("summarise", { input: Schema.Struct({ text: Schema.String }) })
  .step("summary", {
    retry: { times: 2 },
    // tried in order once the step's retries are spent
    fallback: [
      Fallback.cached({ maxAge: "1 hour" }), // the last good summary of the same text
      Fallback.workflow(cheapSummary, { input: (ctx) => ctx.input as { text: string }, output: (o) => `(short) ${o.short}` }),
      Fallback.value("No summary available.") // typed like the step's output
    ]
  }, (ctx) => Llm.generate({ provider: "premium", model: "gpt-4o", prompt: `Summarise: ${ctx.input.text}` }))

// premium is down, cheap answers: the sub-workflow serves
const providers = Mock.layer({
  llm: { premium: { failures: { probability: 1, error: "server-error" } }, cheap: { responses: "Effect is a TypeScript library." } }
})

export const program = Effect.gen(function*() {
  const result = yield* Workflow.execute(wf, { text: "Effect is ..." })
  const served = result.steps["summary"]?.fallback
  return `${result.outputs.summary} [fallback ${served?.index}: ${served?.kind}]`
}).pipe(Effect.provide(providers))

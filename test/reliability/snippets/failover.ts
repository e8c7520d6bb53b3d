import { Context, Effect, Schedule, Stream } from "effect"
import { AiError, LanguageModel } from "effect/ai"
import { Failover } from "../../../src/reliability/index.ts"

const model = (answer: string | undefined) =>
  LanguageModel.make({
    generateText: () =>
      answer === undefined
        ? Effect.fail(AiError.make({ module: "demo", method: "generateText", reason: new AiError.InternalProviderError({ description: "down" }) }))
        : Effect.succeed([{ type: "text", text: answer }]),
    streamText: () => Stream.empty
  })

export const program = Effect.gen(function*() {
  const primary = yield* model(undefined)
  const backup = yield* model("from the backup")
  const served = yield* Failover.run([
    { name: "openai/gpt-4o", provide: Context.make(LanguageModel.LanguageModel, primary), attempts: 2, schedule: Schedule.spaced("10 millis") },
    { name: "anthropic/claude-sonnet-4-5", provide: Context.make(LanguageModel.LanguageModel, backup) }
  ], LanguageModel.generateText({ prompt: "hi" }))
  return `${served.value.text} via ${served.servedBy} after ${served.failovers.length} failover(s), ${served.attempts} attempts`
})

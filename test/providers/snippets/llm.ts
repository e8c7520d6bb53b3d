import { Effect, Layer, Redacted } from "effect"
import { Llm, trackUsage } from "../../../src/llm/index.ts"
import { Anthropic, OpenAi, Pricing } from "../../../src/providers/index.ts"

export const program = (openaiUrl: string, anthropicUrl: string) =>
  Effect.gen(function*() {
    const [answers, usage] = yield* trackUsage(Effect.all([
      Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt: "Summarise Effect in one line" }),
      Llm.generate({ provider: "anthropic", model: "claude-haiku-4-5", system: "Be terse", prompt: "Same, shorter" })
    ]))
    const cost = Pricing.costOf(Pricing.table({ "claude-haiku-4-5": { input: 1, output: 5 } }), usage.entries)
    return { answers, inputTokens: usage.inputTokens, usd: cost.usd }
  }).pipe(Effect.provide(Layer.mergeAll(
    OpenAi.layerLlm("openai", { model: "gpt-4o-mini", apiKey: Redacted.make("sk-demo"), baseUrl: openaiUrl }),
    Anthropic.layerLlm("anthropic", { model: "claude-haiku-4-5", apiKey: Redacted.make("sk-ant-demo"), baseUrl: anthropicUrl })
  )))

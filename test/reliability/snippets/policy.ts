import { Effect, Layer, Stream } from "effect"
import { AiError, LanguageModel } from "effect/ai"
import { Reliability, ReliabilityEvent } from "../../../src/reliability/index.ts"

// A model that is down for its first two calls (stands in for OpenAi.layer / Anthropic.layer).
let calls = 0
const Flaky = Layer.effect(
  LanguageModel.LanguageModel,
  LanguageModel.make({
    generateText: () =>
      ++calls <= 2
        ? Effect.fail(AiError.make({ module: "demo", method: "generateText", reason: new AiError.InternalProviderError({ description: "503" }) }))
        : Effect.succeed([{ type: "text", text: "hello after retries" }]),
    streamText: () => Stream.empty
  })
)

const policy = Reliability.policy({
  retry: { times: 4, base: "10 millis", maxDelay: "1 second" },
  circuitBreaker: { failureRate: 0.5, window: 20, openFor: "30 seconds" },
  rateLimit: { requestsPerMinute: 600 },
  concurrency: 4
})

// Wrap the model with the policy, as a layer; events go to the sink of the layer (here: a log line each).
const Model = Reliability.layer(policy, "demo").pipe(
  Layer.provide(Flaky),
  Layer.provide(ReliabilityEvent.layer((e) => Effect.log(`${e._tag}`)))
)

export const program = LanguageModel.generateText({ prompt: "hi" }).pipe(
  Effect.map((response) => `${response.text} (${calls} calls)`),
  Effect.provide(Model)
)

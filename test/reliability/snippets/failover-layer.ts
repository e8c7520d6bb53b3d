import { Effect, Layer, Schema, Stream } from "effect"
import { AiError, LanguageModel } from "effect/ai"
import { Llm, Workflow } from "../../../src/index.ts"
import { Failover, Reliability } from "../../../src/reliability/index.ts"

// Two models standing in for OpenAi.layer({ ... }) and Anthropic.layer({ ... }); the first one is down.
const model = (answer: string | undefined) =>
  Layer.effect(
    LanguageModel.LanguageModel,
    LanguageModel.make({
      generateText: () =>
        answer === undefined
          ? Effect.fail(AiError.make({ module: "demo", method: "generateText", reason: new AiError.InternalProviderError({ description: "503" }) }))
          : Effect.succeed([{ type: "text", text: answer }]),
      streamText: () => Stream.empty
    })
  )

// Provider "main": OpenAI first, Anthropic when OpenAI fails. Each entry runs under its own policy
// (default: Reliability.defaultPolicy) and breaker; `model` is the model id that entry sends.
const Main = Failover.layer("main", [
  { provider: "openai", layer: model(undefined), policy: Reliability.policy({ retry: { times: 2, base: "10 millis" } }) },
  { provider: "anthropic", layer: model("hello from anthropic"), model: "claude-haiku-4-5" }
])

const wf = Workflow.make("greet", { input: Schema.Struct({ name: Schema.String }) })
  .step("greet", (ctx) => Llm.generate({ provider: "main", model: "gpt-4o-mini", prompt: `Greet ${ctx.input.name}` }))

export const program = Effect.gen(function*() {
  const result = yield* Workflow.execute(wf, { name: "Ada" })
  const [failover] = result.steps["greet"]?.failovers ?? []
  return `${result.outputs.greet} (failed over ${failover?.from} -> ${failover?.to})`
}).pipe(Effect.provide(Main))

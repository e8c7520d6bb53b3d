// Running a workflow with a Layer that does not supply every service it requires does not compile, and the message
// names the missing services.
import { Context, Effect, Layer, Schema } from "effect"
import { Workflow } from "../../src/index.ts"

class OpenAi extends Context.Service<OpenAi, { complete(p: string): Effect.Effect<string> }>()("OpenAi") {}
class Anthropic extends Context.Service<Anthropic, { complete(p: string): Effect.Effect<string> }>()("Anthropic") {}

const wf = Workflow.make("t", { input: Schema.Struct({ q: Schema.String }) })
  .step("a", (ctx) => OpenAi.use((o) => o.complete(ctx.input.q)))
  .step("b", { needs: ["a"] }, (ctx) => Anthropic.use((o) => o.complete(ctx.a)))

const openAi = Layer.succeed(OpenAi, { complete: (p) => Effect.succeed(`openai: ${p}`) })
const anthropic = Layer.succeed(Anthropic, { complete: (p) => Effect.succeed(`anthropic: ${p}`) })

// R accumulates as a union
export const requirements: Array<Workflow.RequirementsOf<typeof wf>> = [] as Array<OpenAi | Anthropic>

// passes: both providers supplied, the result needs nothing
export const ok: Effect.Effect<unknown, unknown, never> = Workflow.runWith(wf, { q: "hi" }, Layer.mergeAll(openAi, anthropic))

// @ts-expect-error Argument of type 'Layer<OpenAi, never, never>' is not assignable to parameter of type '"Missing provider(s): Anthropic"'
export const missing = Workflow.runWith(wf, { q: "hi" }, openAi)

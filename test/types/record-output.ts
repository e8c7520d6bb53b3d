// Record form: each run function returns its declared output type (the message is TypeScript's comparison of the two
// Effect types; see docs/dsl.md).
import { Effect, Schema } from "effect"
import { Fallback, Workflow } from "../../src/index.ts"
import { Llm, type LlmProvider } from "../../src/llm/index.ts"

const input = Schema.Struct({ text: Schema.String })

// passes
export const okOutput = Workflow.fromRecord("r", { input, steps: { a: { output: Schema.Number } } }, { a: () => Effect.succeed(1) })

export const badOutput = Workflow.fromRecord("r", { input, steps: { a: { output: Schema.Number } } }, {
  // @ts-expect-error the run function must return the declared output type (number, not string)
  a: () => Effect.succeed("one")
})

// Builder steps may declare an output Schema; it must describe what the step returns.
const b = Workflow.make("b", { input })
// passes
export const okBuilderOutput = b.step("n", { output: Schema.Number }, (ctx) => Effect.succeed(ctx.input.text.length))
// @ts-expect-error the step returns a string but declares a number output
export const badBuilderOutput = b.step("n", { output: Schema.Number }, (ctx) => Effect.succeed(ctx.input.text))
// passes: a literal-union output Schema
export const okLiteral = b.step("label", { output: Schema.Literals(["pos", "neg"]) }, (ctx) =>
  Effect.succeed(ctx.input.text.length > 3 ? "pos" as const : "neg" as const))
export const literalOut: "pos" | "neg" = null! as Workflow.OutputsOf<typeof okLiteral>["label"]

// A record-form step's degraded sub-workflow fallback adds what that workflow needs to the workflow's requirements.
const cheap = Workflow.make("cheap", { input }).step("short", (ctx) => Llm.generate({ provider: "cheap", model: "m", prompt: ctx.input.text }))
export const withFallback = Workflow.fromRecord("r", {
  input,
  steps: {
    a: { output: Schema.String, fallback: [Fallback.workflow(cheap, { input: (ctx) => ({ text: String(ctx.input) }), output: (o) => o.short }), Fallback.value("none")] }
  }
}, { a: (ctx) => Llm.generate({ provider: "premium", model: "m", prompt: ctx.input.text }) })
// passes: both providers are required
export const fallbackNeeds: Workflow.RequirementsOf<typeof withFallback> = null! as LlmProvider<"premium"> | LlmProvider<"cheap">
// @ts-expect-error the fallback's provider is required too: "premium" alone is not all the workflow needs
export const fallbackNeedsMore: LlmProvider<"premium"> = null! as Workflow.RequirementsOf<typeof withFallback>

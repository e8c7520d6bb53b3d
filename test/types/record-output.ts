// Record form: each run function returns its declared output type (the message is TypeScript's comparison of the two
// Effect types; see docs/dsl.md).
import { Effect, Schema } from "effect"
import { Workflow } from "../../src/index.ts"

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

// The record form types ctx from the declared output Schemas, whatever the order of the steps.
import { Effect, Schema } from "effect"
import { Workflow } from "../../src/index.ts"

const input = Schema.Struct({ text: Schema.String })

// passes: b reads a (declared later) typed as "pos" | "neg"
export const ok = Workflow.fromRecord("r", {
  input,
  steps: { b: { needs: ["a"], output: Schema.String }, a: { output: Schema.Literals(["pos", "neg"]) } }
}, {
  a: () => Effect.succeed("pos" as const),
  b: (ctx) => Effect.succeed(ctx.a === "pos" ? "yay" : "nay")
})
export const outputs: { readonly a: "pos" | "neg"; readonly b: string } = null! as Workflow.OutputsOf<typeof ok>

export const badRead = Workflow.fromRecord("r", {
  input,
  steps: { b: { needs: ["a"], output: Schema.String }, a: { output: Schema.Number }, c: { output: Schema.Number } }
}, {
  a: () => Effect.succeed(1),
  // @ts-expect-error Property 'c' does not exist: c is not a need of b
  b: (ctx) => Effect.succeed(String(ctx.c)),
  c: () => Effect.succeed(2)
})

export const badOutput = Workflow.fromRecord("r", { input, steps: { a: { output: Schema.Number } } }, {
  // @ts-expect-error the run function must return the declared output type (number, not string)
  a: () => Effect.succeed("one")
})

export const unknownNeed = Workflow.fromRecord("r", {
  input,
  // @ts-expect-error "Unknown step 'zz' in the needs of 'a'"
  steps: { a: { needs: ["zz"], output: Schema.Number } }
}, { a: () => Effect.succeed(1) })

// Builder steps may declare an output Schema; it must describe what the step returns.
const b = Workflow.make("b", { input })
// passes
export const okOutput = b.step("n", { output: Schema.Number }, (ctx) => Effect.succeed(ctx.input.text.length))
// @ts-expect-error the step returns a string but declares a number output
export const badBuilderOutput = b.step("n", { output: Schema.Number }, (ctx) => Effect.succeed(ctx.input.text))
// passes: a literal-union output Schema
export const okLiteral = b.step("label", { output: Schema.Literals(["pos", "neg"]) }, (ctx) =>
  Effect.succeed(ctx.input.text.length > 3 ? "pos" as const : "neg" as const))
export const literalOut: "pos" | "neg" = null! as Workflow.OutputsOf<typeof okLiteral>["label"]

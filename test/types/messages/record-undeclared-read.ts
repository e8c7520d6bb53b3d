// In the record form too, ctx holds input plus exactly the declared needs, printed as an object with the hint.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const input = Schema.Struct({ text: Schema.String })

// passes: b reads a (declared after it), typed from a's output Schema
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
  // error TS2339: Property 'c' does not exist on type '{ readonly a: number; readonly input: { readonly text: string; }; } & { readonly "(to read another step's output, add its id to needs)"?: never; }'.
  b: (ctx) => Effect.succeed(String(ctx.c)),
  c: () => Effect.succeed(2)
})


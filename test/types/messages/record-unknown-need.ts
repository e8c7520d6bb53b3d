// A record-form need must name a step of the record (or an external id); the message lists the steps.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const input = Schema.Struct({ text: Schema.String })

// passes
export const ok = Workflow.fromRecord("r", {
  input,
  steps: { a: { needs: ["b"], output: Schema.Number }, b: { output: Schema.Number } }
}, { a: () => Effect.succeed(1), b: () => Effect.succeed(2) })

export const unknownNeed = Workflow.fromRecord("r", {
  input,
  // error TS2322: Type 'string[]' is not assignable to type '"Unknown step 'bb' in the needs of 'a' (steps: a, b)"'.
  steps: { a: { needs: ["bb"], output: Schema.Number }, b: { output: Schema.Number } }
}, { a: () => Effect.succeed(1), b: () => Effect.succeed(2) })

// 'input' is the workflow input in every ctx, so it cannot be a step id in the record form either.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const input = Schema.Struct({ text: Schema.String })

// passes
export const ok = Workflow.fromRecord("r", { input, steps: { inputs: { output: Schema.Number } } }, { inputs: () => Effect.succeed(1) })

export const reserved = Workflow.fromRecord("r", {
  input,
  steps: {
    // error TS2322: Type '{ output: Schema.Number; }' is not assignable to type '"Step id 'input' is reserved for the workflow input"'.
    input: { output: Schema.Number }
  }
}, { input: () => Effect.succeed(1) })

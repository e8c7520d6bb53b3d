// The record form takes steps in any order, so a cycle could be written: it is a compile error on one step of the
// cycle (one step is flagged, not all), printing the cycle ("a -> b" reads "a needs b").
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const input = Schema.Struct({ text: Schema.String })
const one = () => Effect.succeed(1)

// passes: b reads a, declared after it
export const ok = Workflow.fromRecord("r", {
  input,
  steps: { b: { needs: ["a"], output: Schema.String }, a: { output: Schema.Number } }
}, { a: one, b: (ctx) => Effect.succeed(String(ctx.a)) })

export const twoSteps = Workflow.fromRecord("r", {
  input,
  steps: {
    a: { needs: ["b"], output: Schema.Number },
    // error TS2322: Type 'string[]' is not assignable to type '"Cycle in needs: b -> a -> b (remove one of these needs)"'.
    b: { needs: ["a"], output: Schema.Number }
  }
}, { a: one, b: one })

export const longer = Workflow.fromRecord("r", {
  input,
  steps: {
    // error TS2322: Type 'string[]' is not assignable to type '"Cycle in needs: a -> c -> b -> a (remove one of these needs)"'.
    a: { needs: ["c"], output: Schema.Number },
    b: { needs: ["a"], output: Schema.Number },
    c: { needs: ["b"], output: Schema.Number },
    // d needs the cycle but is not part of it: not flagged
    d: { needs: ["a"], output: Schema.Number }
  }
}, { a: one, b: one, c: one, d: one })

export const self = Workflow.fromRecord("r", {
  input,
  // error TS2322: Type 'string[]' is not assignable to type '"Cycle in needs: a -> a (remove one of these needs)"'.
  steps: { a: { needs: ["a"], output: Schema.Number } }
}, { a: one })

// With `levels` (a number per step, above its needs' numbers: what the codegen emits) the check is one comparison per
// need. A cycle cannot be numbered; a wrong number is reported on the step.
export const leveled = Workflow.fromRecord("r", {
  input,
  steps: { b: { needs: ["a"], output: Schema.String }, a: { output: Schema.Number } },
  levels: { a: 0, b: 1 }
}, { a: one, b: (ctx) => Effect.succeed(String(ctx.a)) })

export const badLevels = Workflow.fromRecord("r", {
  input,
  // error TS2322: Type 'string[]' is not assignable to type '"'levels' must number 'b' above its need(s) a"'.
  steps: { b: { needs: ["a"], output: Schema.String }, a: { output: Schema.Number } },
  levels: { a: 10, b: 9 }
}, { a: one, b: (ctx) => Effect.succeed(String(ctx.a)) })

export const cycleWithLevels = Workflow.fromRecord("r", {
  input,
  // error TS2322: Type 'string[]' is not assignable to type '"Cycle in needs: b -> a -> b (remove one of these needs)"'.
  steps: { b: { needs: ["a"], output: Schema.String }, a: { needs: ["b"], output: Schema.Number } },
  levels: { a: 0, b: 1 }
}, { a: one, b: one })

// A record-form branch must not have a case its `on` can never return (the builder rejects it too).
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const input = Schema.Struct({ text: Schema.String })
const Label = Schema.Literals(["safe", "block"])
const reply = Workflow.fromRecord("case", { input, steps: { reply: { output: Schema.String } } }, { reply: () => Effect.succeed("ok") })

// passes: `on` returns "safe" | "block", the cases are safe and block
export const ok = Workflow.fromRecord("r", {
  input,
  steps: { label: { output: Label }, route: { kind: "branch", needs: ["label"], cases: { safe: reply, block: reply } } }
}, { label: () => Effect.succeed("safe" as const), route: { on: (ctx) => ctx.label } })

export const dead = Workflow.fromRecord("r", {
  input,
  steps: {
    label: { output: Label },
    route: {
      // error TS2322: Type '"branch"' is not assignable to type '"Branch 'route' has case(s) that 'on' never returns: review (remove them, or return them from 'on')"'.
      kind: "branch",
      needs: ["label"],
      cases: { safe: reply, block: reply, review: reply }
    }
  }
}, { label: () => Effect.succeed("safe" as const), route: { on: (ctx) => ctx.label } })

// a value that names no case is an error in `on` itself
export const unknownValue = Workflow.fromRecord("r", {
  input,
  steps: { label: { output: Label }, route: { kind: "branch", needs: ["label"], cases: { safe: reply } } }
}, {
  label: () => Effect.succeed("safe" as const),
  // error TS2322: Type '"block" | "safe"' is not assignable to type '"safe"'.
  // | Type '"block"' is not assignable to type '"safe"'.
  route: { on: (ctx) => ctx.label }
})

// A step's fallback must produce the step's output type: the message is one sentence on the step's id. A degraded
// sub-workflow's providers join the workflow's requirements.
import { Effect, Schema } from "effect"
import { Fallback, Llm, type LlmProvider, Workflow } from "../../../src/index.ts"

const base = Workflow.make("t", { input: Schema.Struct({ text: Schema.String }) })
const classify = (text: string) => Effect.succeed(text.length > 3 ? ("positive" as const) : ("negative" as const))

// passes: a value of the output type, alone or after the cached answer
export const ok = base.step("label", { fallback: Fallback.value("negative") }, (ctx) => classify(ctx.input.text))
export const okList = base.step("label", { fallback: [Fallback.cached(), Fallback.value("positive")] }, (ctx) => classify(ctx.input.text))

// error TS2345: Argument of type '"label"' is not assignable to parameter of type '"Step 'label': its fallback must produce the step's output type"'.
export const bad = base.step("label", { fallback: Fallback.value("neutral") }, (ctx) => classify(ctx.input.text))

// error TS2345: Argument of type '"label"' is not assignable to parameter of type '"Step 'label': its fallback must produce the step's output type"'.
export const badInList = base.step("label", { fallback: [Fallback.cached(), Fallback.value(0)] }, (ctx) => classify(ctx.input.text))

const cheap = Workflow.make("cheap", { input: Schema.Struct({ text: Schema.String }) })
  .step("short", (ctx) => Llm.generate({ provider: "cheap", model: "m", prompt: ctx.input.text }))
const degraded = base.step("summary", {
  fallback: Fallback.workflow(cheap, { input: (ctx) => ({ text: String(ctx.input) }), output: (o) => o.short })
}, (ctx) => Llm.generate({ provider: "premium", model: "m", prompt: ctx.input.text }))
export const requirements: Workflow.RequirementsOf<typeof degraded> = null as unknown as LlmProvider<"premium"> | LlmProvider<"cheap">
// error TS2322: Type 'LlmProvider<"cheap"> | LlmProvider<"premium">' is not assignable to type 'LlmProvider<"premium">'.
// | Type 'LlmProvider<"cheap">' is not assignable to type 'LlmProvider<"premium">'.
// |   Types of property 'key' are incompatible.
// |     Type '"Llm/cheap"' is not assignable to type '"Llm/premium"'.
export const onlyPremium: LlmProvider<"premium"> = null as unknown as Workflow.RequirementsOf<typeof degraded>

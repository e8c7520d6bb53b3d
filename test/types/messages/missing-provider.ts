// Running a workflow with Layers that do not supply every provider it calls does not compile. `Workflow.runWith`
// names the missing providers; plain `Effect.provide` leaves them in the requirement type, printed compactly.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"
import { Llm } from "../../../src/llm/index.ts"
import { Mock } from "../../../src/testing/index.ts"

const triage = Workflow.make("triage", { input: Schema.Struct({ issue: Schema.String }) })
  .step("label", (ctx) => Llm.generate({ provider: "cheap", model: "m", prompt: ctx.input.issue }))
  .step("reply", { needs: ["label"] }, (ctx) => Llm.generate({ provider: "primary", model: "m", prompt: ctx.label }))

// passes: both providers mocked
export const ok = Workflow.runWith(triage, { issue: "x" }, Mock.layer({ llm: { cheap: {}, primary: {} } }))

// error TS2345: Argument of type 'Layer<MockServices<"cheap", never>, never, never>' is not assignable to parameter of type '"Missing provider(s): Llm/primary"'.
export const missing = Workflow.runWith(triage, { issue: "x" }, Mock.layer({ llm: { cheap: {} } }))

// error TS2345: Argument of type 'Layer<MockServices<"cheap" | "primry", never>, never, never>' is not assignable to parameter of type '"Missing provider(s): Llm/primary"'.
export const misspelt = Workflow.runWith(triage, { issue: "x" }, Mock.layer({ llm: { cheap: {}, primry: {} } }))

// passes: Effect.provide with every provider
export const okProvide = () => Effect.runPromise(Workflow.run(triage, { issue: "x" }).pipe(Effect.provide(Mock.layer({ llm: { cheap: {}, primary: {} } }))))

// error TS2379: Argument of type 'Effect<{ readonly label: string; readonly reply: string; }, StepFailedWith<LlmError> | WorkflowInputError, LlmProvider<"primary">>' is not assignable to parameter of type 'Effect<{ readonly label: string; readonly reply: string; }, StepFailedWith<LlmError> | WorkflowInputError, never>' with 'exactOptionalPropertyTypes: true'. Consider adding 'undefined' to the types of the target's properties.
// | Type 'LlmProvider<"primary">' is not assignable to type 'never'.
export const provideMissing = () => Effect.runPromise(Workflow.run(triage, { issue: "x" }).pipe(Effect.provide(Mock.layer({ llm: { cheap: {} } }))))

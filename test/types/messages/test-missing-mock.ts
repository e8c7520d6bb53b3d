// `Workflow.test` takes the mocks as an object typed from the workflow's requirements: a missing mock is named on
// the mocks, a misspelt one is an unknown property, and the run itself needs nothing more (R = never), so `it.effect`
// never reports a leftover requirement against `Scope`.
import { it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"
import { Llm } from "../../../src/llm/index.ts"
import type { VectorStoreFor } from "../../../src/vector/index.ts"

const cheap = Llm.model("cheap", "gpt-4o-mini")
const primary = Llm.model("primary", "claude-sonnet-4-5")
const triage = Workflow.make("triage", { input: Schema.Struct({ issue: Schema.String }) })
  .step("label", (ctx) => Llm.generate({ ...cheap, prompt: ctx.input.issue }))
  .step("reply", { needs: ["label"] }, (ctx) => Llm.generate({ ...primary, prompt: ctx.label }))

// passes: both providers mocked; the Effect requires nothing
export const ok: Effect.Effect<unknown, unknown, never> = Workflow.test(triage, { issue: "x" }, {
  llm: { cheap: { responses: "bug" }, primary: {} }
})

export const missing = Workflow.test(triage, { issue: "x" }, {
  // error TS2741: Property 'primary' is missing in type '{ cheap: { responses: string; }; }' but required in type '{ readonly cheap: MockLlmOptions; readonly primary: MockLlmOptions; }'.
  llm: { cheap: { responses: "bug" } }
})

export const misspelt = Workflow.test(triage, { issue: "x" }, {
  // error TS2561: Object literal may only specify known properties, but 'primry' does not exist in type '{ readonly cheap: MockLlmOptions; readonly primary: MockLlmOptions; }'. Did you mean to write 'primary'?
  llm: { cheap: {}, primry: {} }
})

// A requirement mocks cannot serve (a vector store) comes from `layer`.
declare const search: Effect.Effect<string, never, VectorStoreFor<"docs">>
const rag = triage.step("docs", () => search)
// error TS2345: Argument of type '{ llm: { cheap: {}; primary: {}; }; }' is not assignable to parameter of type 'TestMocks<LlmProvider<"cheap"> | LlmProvider<"primary"> | VectorStoreFor<"docs">, never>'.
// | Property 'layer' is missing in type '{ llm: { cheap: {}; primary: {}; }; }' but required in type '{ readonly layer: Layer<VectorStoreFor<"docs">, never, MockRecorder>; }'.
export const noLayer = Workflow.test(rag, { issue: "x" }, { llm: { cheap: {}, primary: {} } })

// Inside it.effect the mistake is reported on the mocks too, never as "... missing from type 'Scope'".
export const inTest = () =>
  it.effect("replies", () =>
    Effect.gen(function*() {
      const { outputs } = yield* Workflow.test(triage, { issue: "x" }, {
        // error TS2741: Property 'primary' is missing in type '{ cheap: {}; }' but required in type '{ readonly cheap: MockLlmOptions; readonly primary: MockLlmOptions; }'.
        llm: { cheap: {} }
      })
      return outputs.reply
    }))

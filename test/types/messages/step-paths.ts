// Step records are keyed by step path, and the keys are typed: a step inside a branch case is `branch/case/id`.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const wf = Workflow.make("t", { input: Schema.Struct({ q: Schema.String }) })
  .step("label", () => Effect.succeed("bug" as "bug" | "other"))
  .branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
    bug: (b) => b.step("draft", () => Effect.succeed("plan")),
    other: (b) => b.step("ack", () => Effect.succeed("ok"))
  })

// passes: the paths of every step
export const paths: ReadonlyArray<Workflow.StepPathsOf<typeof wf>> = ["label", "route", "route/bug/draft", "route/other/ack"]

export const program = Effect.gen(function*() {
  const result = yield* Workflow.execute(wf, { q: "x" })
  const ok = result.steps["route/bug/draft"]?.attempts
  // error TS2339: Property 'draft' does not exist on type '{ readonly label?: StepRecord; readonly route?: StepRecord; readonly "route/bug/draft"?: StepRecord; readonly "route/other/ack"?: StepRecord; }'.
  const bad = result.steps.draft
  return [ok, bad]
})

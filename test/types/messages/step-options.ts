// Options shared by several steps: `Workflow.options` checks them once and keeps them literal (no `as const`), and a
// step whose options are wrong is the only one reported (the steps after it keep their types).
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const base = Workflow.make("t", { input: Schema.Struct({ q: Schema.String }) })
  .step("label", () => Effect.succeed("bug" as "bug" | "other"))

// passes: shared through the helper, spread into a step, a branch and a map
const policy = Workflow.options({ timeout: "30 seconds", retry: { times: 2 } })
export const ok = base
  .step("draft", { needs: ["label"], ...policy }, (ctx) => Effect.succeed(ctx.label))
  .branch("route", { needs: ["label"], on: (ctx) => ctx.label, ...policy }, {
    bug: (b) => b.step("fix", () => Effect.succeed(1)),
    other: (b) => b.step("ack", () => Effect.succeed(2))
  })
  .map("each", { needs: ["draft"], over: (ctx) => [ctx.draft], ...policy }, (d) => Effect.succeed(d.length))

// error TS2322: Type '"30 secs"' is not assignable to type 'Input | undefined'.
export const typo = Workflow.options({ timeout: "30 secs" })

// A plain object widens `timeout` to string: one error on the step that spreads it; the steps after it are checked
// as usual (a real mistake below is still reported) and report nothing about the failed step.
const widened = { timeout: "30 seconds" }
export const bad = base
  // error TS2345: Argument of type '{ timeout: string; needs: ["label"]; }' is not assignable to parameter of type 'StepOptions<readonly ["label"], "label", NotInferredYet, never, unknown> & { readonly output?: undefined; }'.
  // | Types of property 'timeout' are incompatible.
  // |   Type 'string' is not assignable to type 'Input | undefined'.
  .step("draft", { needs: ["label"], ...widened }, (ctx) => Effect.succeed(ctx.label))
  .step("after", { needs: ["draft"] }, (ctx) => Effect.succeed(ctx.draft.length))
  // error TS2322: Type '"drft"' is not assignable to type '"Unknown step 'drft' in needs" & { readonly "known steps here"?: "after" | "draft" | "label"; }'.
  // | Type '"drft"' is not assignable to type '"Unknown step 'drft' in needs"'.
  .step("last", { needs: ["drft"] }, () => Effect.succeed(0))

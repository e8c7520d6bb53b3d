// A step of a branch case sees the branch's needs without repeating them; anything else still needs declaring.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const base = Workflow.make("t", { input: Schema.Struct({ q: Schema.String }) })
  .step("label", () => Effect.succeed("bug" as "bug" | "other"))
  .step("score", () => Effect.succeed(3))

// passes: `fix` and `ack` read `label` (the branch's need) with no needs of their own
export const ok = base.branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
  bug: (b) => b.step("fix", (ctx) => Effect.succeed(`${ctx.label}: ${ctx.input.q}`)),
  other: (b) => b.step("ack", { description: "acknowledge" }, (ctx) => Effect.succeed(ctx.label.length))
})
export const outputs: { readonly case: "bug"; readonly value: { readonly fix: string } } | { readonly case: "other"; readonly value: { readonly ack: number } } =
  null! as Workflow.OutputsOf<typeof ok>["route"]

export const bad = base.branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
  // error TS2339: Property 'score' does not exist on type '{ readonly input: { readonly q: string; }; readonly label: "bug" | "other"; }'.
  bug: (b) => b.step("fix", (ctx) => Effect.succeed(ctx.score)),
  other: (b) => b.step("ack", () => Effect.succeed(0))
})

// A branch handles every value its `on` can return, and only those.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const base = Workflow.make("t", { input: Schema.Struct({ text: Schema.String }) })
  .step("label", () => Effect.succeed("safe" as "safe" | "review" | "block"))

// passes: all three cases
export const ok = base.branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
  safe: (b) => b.step("publish", () => Effect.succeed(true)),
  review: (b) => b.step("queue", () => Effect.succeed(1)),
  block: (b) => b.step("explain", () => Effect.succeed("no"))
})

// error TS2345: Argument of type '"route"' is not assignable to parameter of type '"Branch 'route' is missing case(s) for: block (each value 'on' can return needs a case)"'.
export const missing = base.branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
  safe: (b) => b.step("publish", () => Effect.succeed(true)),
  review: (b) => b.step("queue", () => Effect.succeed(1))
})

// error TS2345: Argument of type '"route"' is not assignable to parameter of type '"Branch 'route' has case(s) that 'on' never returns: maybe (remove them, or return them from 'on')"'.
export const dead = base.branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
  safe: (b) => b.step("publish", () => Effect.succeed(true)),
  review: (b) => b.step("queue", () => Effect.succeed(1)),
  block: (b) => b.step("explain", () => Effect.succeed("no")),
  maybe: (b) => b.step("hmm", () => Effect.succeed(0))
})

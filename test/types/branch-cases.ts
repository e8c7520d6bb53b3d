// A branch must handle every value its `on` can return, and only those.
import { Effect, Schema } from "effect"
import { Workflow } from "../../src/index.ts"

const base = Workflow.make("t", { input: Schema.Struct({ text: Schema.String }) })
  .step("label", () => Effect.succeed("safe" as "safe" | "review" | "block"))

// passes: all three cases
export const ok = base.branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
  safe: (b) => b.step("publish", () => Effect.succeed(true)),
  review: (b) => b.step("queue", () => Effect.succeed(1)),
  block: (b) => b.step("explain", () => Effect.succeed("no"))
})
type Out = Workflow.OutputsOf<typeof ok>["route"]
export const outputIsDiscriminated = (o: Out): string =>
  o.case === "safe" ? String(o.value.publish) : o.case === "review" ? String(o.value.queue) : o.value.explain

// @ts-expect-error Argument of type '"route"' is not assignable to parameter of type '"Branch 'route' is missing case(s): block"'
export const missing = base.branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
  safe: (b) => b.step("publish", () => Effect.succeed(true)),
  review: (b) => b.step("queue", () => Effect.succeed(1))
})

// @ts-expect-error Argument of type '"route"' is not assignable to parameter of type '"Branch 'route' has unknown case(s): maybe"'
export const unknownCase = base.branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
  safe: (b) => b.step("publish", () => Effect.succeed(true)),
  review: (b) => b.step("queue", () => Effect.succeed(1)),
  block: (b) => b.step("explain", () => Effect.succeed("no")),
  maybe: (b: any) => b
})

// ctx holds input plus exactly the declared needs: reading another step's output does not compile.
import { Effect, Schema } from "effect"
import { Workflow } from "../../src/index.ts"

const base = Workflow.make("t", { input: Schema.Struct({ q: Schema.String }) })
  .step("a", () => Effect.succeed(1))
  .step("b", () => Effect.succeed("two"))

// passes: b is declared
export const ok = base.step("c", { needs: ["b"] }, (ctx) => Effect.succeed(ctx.b.toUpperCase()))

// @ts-expect-error Property 'a' does not exist on type '{ readonly input: { readonly q: string; }; readonly b: string; }'
export const bad = base.step("c", { needs: ["b"] }, (ctx) => Effect.succeed(ctx.a))

// passes: inside a branch case only the branch's needs (plus input) are visible
export const okCase = base.branch("r", { needs: ["b"], on: () => "x" as const }, {
  x: (c) => c.step("y", { needs: ["b"] }, (ctx) => Effect.succeed(ctx.b))
})
export const badCase = base.branch("r", { needs: ["b"], on: () => "x" as const }, {
  // @ts-expect-error "Unknown step 'a'": a is not a need of the branch
  x: (c) => c.step("y", { needs: ["a"] }, () => Effect.succeed(1))
})

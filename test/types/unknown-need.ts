// A need must name an earlier step: unknown ids, forward references and self references (so cycles) do not compile.
import { Effect, Schema } from "effect"
import { Workflow } from "../../src/index.ts"

const base = Workflow.make("t", { input: Schema.Struct({ q: Schema.String }) })
  .step("a", (ctx) => Effect.succeed(ctx.input.q.length))

// passes: "a" is declared before
export const ok = base.step("b", { needs: ["a"] }, (ctx) => Effect.succeed(ctx.a + 1))

// @ts-expect-error Type '"zz"' is not assignable to type 'UnknownStep<"zz", "a">' ... "Unknown step 'zz'"
export const unknownNeed = base.step("b", { needs: ["zz"] }, () => Effect.succeed(1))

// @ts-expect-error a step cannot need itself (nor any later step): "Unknown step 'b'"
export const selfNeed = base.step("b", { needs: ["b"] }, () => Effect.succeed(1))

// passes: branch, map, loop and call needs are checked the same way
export const okMap = base.map("m", { needs: ["a"], over: (ctx) => [ctx.a] }, (n) => Effect.succeed(n))
// @ts-expect-error "Unknown step 'nope'"
export const badMap = base.map("m", { needs: ["nope"], over: () => [1] }, (n) => Effect.succeed(n))

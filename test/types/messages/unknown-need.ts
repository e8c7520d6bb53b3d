// A need must name an earlier step. The message lists the ids that can be named there, so a typo is obvious; a
// forward or self reference is unknown too, so a cycle cannot be written with the builder.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const base = Workflow.make("t", { input: Schema.Struct({ q: Schema.String }) })
  .step("embed", (ctx) => Effect.succeed(ctx.input.q.length))
  .step("search", { needs: ["embed"] }, (ctx) => Effect.succeed(`near ${ctx.embed}`))

// passes: both needs are earlier steps
export const ok = base.step("answer", { needs: ["embed", "search"] }, (ctx) => Effect.succeed(`${ctx.embed} ${ctx.search}`))

// error TS2322: Type '"serach"' is not assignable to type '"Unknown step 'serach' in needs" & { readonly "known steps here"?: "embed" | "search"; }'.
// | Type '"serach"' is not assignable to type '"Unknown step 'serach' in needs"'.
export const typo = base.step("answer", { needs: ["serach"] }, () => Effect.succeed(1))

// error TS2322: Type '"answer"' is not assignable to type '"Unknown step 'answer' in needs" & { readonly "known steps here"?: "embed" | "search"; }'.
// | Type '"answer"' is not assignable to type '"Unknown step 'answer' in needs"'.
export const self = base.step("answer", { needs: ["answer"] }, () => Effect.succeed(1))

// error TS2322: Type '"a"' is not assignable to type '"Unknown step 'a' in needs" & { readonly "known steps here"?: "none (no step comes before this one)"; }'.
// | Type '"a"' is not assignable to type '"Unknown step 'a' in needs"'.
export const first = Workflow.make("t", { input: Schema.Struct({}) }).step("b", { needs: ["a"] }, () => Effect.succeed(1))

// passes: map, loop, branch and call needs are checked the same way
export const okMap = base.map("m", { needs: ["embed"], over: (ctx) => [ctx.embed] }, (n) => Effect.succeed(n))
// error TS2322: Type '"nope"' is not assignable to type '"Unknown step 'nope' in needs" & { readonly "known steps here"?: "embed" | "search"; }'.
// | Type '"nope"' is not assignable to type '"Unknown step 'nope' in needs"'.
export const badMap = base.map("m", { needs: ["nope"], over: () => [1] }, (n) => Effect.succeed(n))

// Inside a branch case the known steps are the branch's needs and the case's earlier steps.
export const badCase = base.branch("r", { needs: ["search"], on: () => "x" as const }, {
  // error TS2322: Type '"embed"' is not assignable to type '"Unknown step 'embed' in needs" & { readonly "known steps here"?: "search"; }'.
  // | Type '"embed"' is not assignable to type '"Unknown step 'embed' in needs"'.
  x: (c) => c.step("y", { needs: ["embed"] }, () => Effect.succeed(1))
})

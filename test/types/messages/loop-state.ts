// A loop body returns the state type of `initial`: the message is one sentence on the loop's id.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const base = Workflow.make("t", { input: Schema.Struct({ draft: Schema.String }) })

// passes: the state stays { text, score }
export const ok = base.loop("refine", {
  needs: [],
  initial: (ctx) => ({ text: ctx.input.draft, score: 0 }),
  until: (s) => s.score >= 8,
  maxIterations: 3
}, (s) => Effect.succeed({ text: s.text + "!", score: s.score + 3 }))

// passes: a literal initial state is widened (0 -> number)
export const okNumber = base.loop("count", { needs: [], initial: () => 0, until: (n) => n > 2, maxIterations: 5 }, (n) =>
  Effect.succeed(n + 1))

// error TS2345: Argument of type '"refine"' is not assignable to parameter of type '"Loop 'refine': its body must return the state type that 'initial' returns (the state cannot change type)"'.
export const bad = base.loop("refine", {
  needs: [],
  initial: (ctx) => ({ text: ctx.input.draft, score: 0 }),
  until: (s) => s.score >= 8,
  maxIterations: 3
}, (s) => Effect.succeed(s.text))

// error TS2345: Argument of type '"refine"' is not assignable to parameter of type '"Loop 'refine': its body must return the state type that 'initial' returns (the state cannot change type)"'.
export const missingField = base.loop("refine", {
  needs: [],
  initial: (ctx) => ({ text: ctx.input.draft, score: 0 }),
  until: (s) => s.score >= 8,
  maxIterations: 3
}, (s) => Effect.succeed({ text: s.text }))

// The loop's error type says whether reaching maxIterations fails:
type FailsAtMax = Workflow.ErrorOf<typeof ok>
type ReturnsAtMax = Workflow.ErrorOf<ReturnType<typeof base.loop<"c", [], number, number, never, never, "return">>>
export const failsAtMax: FailsAtMax["_tag"] = "LoopMaxIterations"
// error TS2322: Type '"LoopMaxIterations"' is not assignable to type 'never'.
export const returnsAtMax: ReturnsAtMax["_tag"] = "LoopMaxIterations"

// A loop body returns the same state type as `initial`.
import { Effect, Schema } from "effect"
import { Workflow } from "../../src/index.ts"

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

export const bad = base.loop("refine", {
  needs: [],
  initial: (ctx) => ({ text: ctx.input.draft, score: 0 }),
  until: (s) => s.score >= 8,
  maxIterations: 3
}, // @ts-expect-error Type 'Effect<string, never, never>' is not assignable to type 'Effect<{ text: string; score: number; }, never, never>'
(s) => Effect.succeed(s.text))

// The loop's error type says whether reaching maxIterations fails:
type E1 = Workflow.ErrorOf<typeof ok>
type E2 = Workflow.ErrorOf<
  ReturnType<typeof base.loop<"c", [], number, never, never, "return">>
>
export const failsAtMax: E1["_tag"] = "LoopMaxIterations"
// @ts-expect-error with onMaxIterations: "return" the loop cannot fail
export const returnsAtMax: E2["_tag"] = "LoopMaxIterations"

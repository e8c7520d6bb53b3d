// Type tests: the moderation branch must cover exactly the literal union of the decoded verdict.
import { Effect, Schema } from "effect"
import { Moderation } from "../../examples/content-moderation.ts"
import { Workflow } from "../../src/index.ts"
import { Llm } from "../../src/llm/index.ts"

const base = Workflow.make("m", { input: Schema.Struct({ content: Schema.String }) }).step("verdict", (ctx) =>
  Llm.generateObject({ provider: "openai", model: "gpt-4", prompt: ctx.input.content, schema: Moderation }))

export const complete = base.branch("route", { needs: ["verdict"], on: (ctx) => ctx.verdict }, {
  safe: (b) => b.step("a", () => Effect.succeed(1)),
  review: (b) => b.step("b", () => Effect.succeed(2)),
  block: (b) => b.step("c", () => Effect.succeed(3))
})

export const missingCase = base.branch(
  // @ts-expect-error -- the "block" case is missing
  "route",
  { needs: ["verdict"], on: (ctx) => ctx.verdict },
  {
    safe: (b) => b.step("a", () => Effect.succeed(1)),
    review: (b) => b.step("b", () => Effect.succeed(2))
  }
)

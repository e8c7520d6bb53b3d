/**
 * Content moderation router — the `content-moderation.yaml` seed workflow in the typed DSL.
 *
 *   moderate_content (openai gpt-4: safe | review | block)
 *     └─ route_based_on_moderation
 *          safe:   auto_publish (action publish)
 *          review: flag_for_review (action queue_review, priority medium)
 *          block:  generate_explanation (anthropic claude-3-5-haiku) -> notify_user (action send_notification)
 *
 * The moderation result is a literal union decoded with a Schema, so the branch must handle exactly the three cases
 * (a missing or extra case is a compile error).
 */
import { Effect, Schema } from "effect"
import { Workflow } from "../src/index.ts"
import { Llm } from "../src/llm/index.ts"
import { Mock, type MockRequest } from "../src/testing/index.ts"

/** The moderation verdict. */
export const Moderation = Schema.Literals(["safe", "review", "block"])
export type Moderation = typeof Moderation.Type

/** The prompts, exactly as in the YAML. */
export const prompts = {
  moderate: (content: string) => `Classify this content as: safe, review, or block\nContent: ${content}\n`,
  explain: (content: string) => `Generate a polite explanation for why this content was blocked:\n${content}\n`
}

/** What an action step did (actions are logged; a real deployment would call its queue / CMS / mailer here). */
export interface ActionReceipt {
  readonly action: "publish" | "queue_review" | "send_notification"
  readonly content: string
  readonly priority?: "medium"
}

const act = (receipt: ActionReceipt) => Effect.as(Effect.logInfo(`action ${receipt.action}`), receipt)

/** The workflow. Requires `LlmProvider<"openai">` and `LlmProvider<"anthropic">`. */
export const contentModeration = Workflow.make("content-moderation-router", {
  input: Schema.Struct({ content: Schema.String }),
  version: "1.0"
})
  .step("moderate_content", (ctx) =>
    Llm.generateObject({ provider: "openai", model: "gpt-4", prompt: prompts.moderate(ctx.input.content), schema: Moderation }))
  .branch("route_based_on_moderation", { needs: ["moderate_content"], on: (ctx) => ctx.moderate_content }, {
    safe: (b) => b.step("auto_publish", (ctx) => act({ action: "publish", content: ctx.input.content })),
    review: (b) =>
      b.step("flag_for_review", (ctx) => act({ action: "queue_review", content: ctx.input.content, priority: "medium" })),
    block: (b) =>
      b
        .step("generate_explanation", (ctx) =>
          Llm.generate({ provider: "anthropic", model: "claude-3-5-haiku-20241022", prompt: prompts.explain(ctx.input.content) }))
        .step("notify_user", { needs: ["generate_explanation"] }, (ctx) =>
          act({ action: "send_notification", content: ctx.generate_explanation }))
  })

/** A toy offline moderator for the demo. */
export const moderate = (content: string): Moderation =>
  /\b(kill|hate|scam)\b/i.test(content) ? "block" : /\b(buy now|crypto|click)\b/i.test(content) ? "review" : "safe"

/** Offline demo Layer. */
export const demoLayer = Mock.layer({
  llm: {
    openai: { responses: (req: MockRequest) => moderate(req.prompt.split("Content: ")[1] ?? "") },
    anthropic: { responses: "Your post was removed because it breaks our community guidelines. Please review them and try again." }
  }
})

/** Runs the workflow offline on `content`. */
export const main = (content: string) => Workflow.run(contentModeration, { content }).pipe(Effect.provide(demoLayer))

if (import.meta.main) {
  Effect.runPromise(main(process.argv[2] ?? "Buy now! Click for crypto riches")).then(
    (outputs) => console.log(JSON.stringify(outputs, null, 2)),
    (error) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}

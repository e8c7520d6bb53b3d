import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Workflow } from "../src/index.ts"
import type { WorkflowEvent } from "../src/engine/events.ts"
import { contentModeration, demoLayer, type Moderation, prompts } from "./content-moderation.ts"

const tokens = (s: string) => Math.ceil(s.length / 4)
const explanation = "Sorry, this post breaks our guidelines."

const runWith = (verdict: Moderation, content: string) =>
  Effect.gen(function*() {
    const events: Array<WorkflowEvent> = []
    const { recorder, ...result } = yield* Workflow.test(contentModeration, { content }, {
      llm: { openai: { responses: [verdict] }, anthropic: { responses: [explanation] } }
    }, { onEvent: (e) => events.push(e) })
    return { result, usage: result.usage, events, recorder }
  })

describe("examples/content-moderation", () => {
  it.effect("safe: publishes; the other cases are skipped and anthropic is never called", () =>
    Effect.gen(function*() {
      const content = "Lovely sunset at the beach today"
      const { events, recorder, result, usage } = yield* runWith("safe", content)
      const route = result.outputs.route_based_on_moderation
      assert.strictEqual(route.case, "safe")
      assert.deepStrictEqual(route.case === "safe" ? route.value.auto_publish : undefined, { action: "publish", content })
      assert.deepStrictEqual(recorder.order(), ["openai"])
      assert.deepStrictEqual(recorder.prompts("openai"), [prompts.moderate(content)])
      assert.strictEqual(result.steps["moderate_content"]!.status, "succeeded")
      const ran = events.flatMap((e) => (e._tag === "StepSucceeded" ? [e.stepId] : []))
      const skipped = events.flatMap((e) => (e._tag === "StepSkipped" ? [e.stepId.split("/").pop()] : []))
      assert.deepStrictEqual(ran, ["moderate_content", "route_based_on_moderation/safe/auto_publish", "route_based_on_moderation"])
      assert.deepStrictEqual(skipped.sort(), ["flag_for_review", "generate_explanation", "notify_user"])
      assert.deepStrictEqual([usage.inputTokens, usage.outputTokens], [tokens(prompts.moderate(content)), tokens("safe")])
    }))

  it.effect("review: queues for review with medium priority", () =>
    Effect.gen(function*() {
      const content = "Buy now, limited crypto offer"
      const { recorder, result } = yield* runWith("review", content)
      const route = result.outputs.route_based_on_moderation
      assert.strictEqual(route.case, "review")
      assert.deepStrictEqual(route.case === "review" ? route.value.flag_for_review : undefined, {
        action: "queue_review",
        content,
        priority: "medium"
      })
      assert.strictEqual(recorder.count("anthropic"), 0)
    }))

  it.effect("block: anthropic explains politely, then the user is notified with that explanation", () =>
    Effect.gen(function*() {
      const content = "This is a scam"
      const { recorder, result, usage } = yield* runWith("block", content)
      const route = result.outputs.route_based_on_moderation
      assert.strictEqual(route.case, "block")
      if (route.case !== "block") return
      assert.strictEqual(route.value.generate_explanation, explanation)
      assert.deepStrictEqual(route.value.notify_user, { action: "send_notification", content: explanation })
      assert.deepStrictEqual(recorder.order(), ["openai", "anthropic"])
      assert.deepStrictEqual(recorder.calls({ provider: "anthropic" }).map((c) => [c.model, c.prompt]), [
        ["claude-3-5-haiku-20241022", prompts.explain(content)]
      ])
      assert.deepStrictEqual(
        [usage.inputTokens, usage.outputTokens, usage.calls],
        [tokens(prompts.moderate(content)) + tokens(prompts.explain(content)), tokens("block") + tokens(explanation), 2]
      )
      // per step: the explanation's tokens belong to the nested step
      const explain = result.steps["route_based_on_moderation/block/generate_explanation"]!.usage!
      assert.deepStrictEqual([explain.inputTokens, explain.outputTokens], [tokens(prompts.explain(content)), tokens(explanation)])
      assert.isUndefined(result.steps["route_based_on_moderation/block/notify_user"]!.usage)
    }))

  it.effect("the route is exhaustive over the literal union (switch without default)", () =>
    Effect.gen(function*() {
      const describeRoute = (content: string) =>
        Effect.map(Workflow.run(contentModeration, { content }), (o): string => {
          const route = o.route_based_on_moderation
          switch (route.case) {
            case "safe":
              return `published`
            case "review":
              return `queued (${route.value.flag_for_review.priority})`
            case "block":
              return `blocked: ${route.value.notify_user.content}`
          }
        })
      const out = yield* Effect.all([describeRoute("nice cat"), describeRoute("click here for crypto"), describeRoute("scam")]).pipe(
        Effect.provide(demoLayer)
      )
      assert.deepStrictEqual(out.map((s) => s.split(":")[0]), ["published", "queued (medium)", "blocked"])
    }))
})

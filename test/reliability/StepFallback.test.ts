/**
 * Step fallbacks (`fallback` option): a static value, the last good output for the same inputs, a degraded
 * sub-workflow; which one served is in the run result and the events.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Fallback, LastGoodOutputs, Workflow, type WorkflowEvent } from "../../src/index.ts"
import { Llm, ProviderUnavailable } from "../../src/llm/index.ts"
import { MockLlm, MockRecorder } from "../../src/testing/index.ts"

const down = new ProviderUnavailable({ provider: "main", message: "503 down" })
const isolated = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.provideService(self, LastGoodOutputs, LastGoodOutputs.make(100))

describe("Step fallbacks", () => {
  it.effect("a static value serves the step after its retries; the next step reads it; result and events say so", () =>
    Effect.gen(function*() {
      let calls = 0
      const wf = Workflow.make("fb-value", { input: Schema.String })
        .step("label", { retry: { times: 1 }, fallback: Fallback.value("neutral") }, () =>
          Effect.suspend(() => (++calls < 100 ? Effect.fail(down) : Effect.succeed("positive"))))
        .step("report", { needs: ["label"] }, (ctx) => Effect.succeed(`label: ${ctx.label}`))
      const events: Array<WorkflowEvent> = []
      const result = yield* Workflow.execute(wf, "text", { onEvent: (e) => void events.push(e) })
      assert.strictEqual(result.outputs.report, "label: neutral")
      assert.strictEqual(calls, 2, "the retries ran first")
      assert.deepStrictEqual(result.steps["label"]?.fallback, { kind: "value", index: 0, error: "ProviderUnavailable: 503 down" })
      assert.strictEqual(result.steps["label"]?.status, "succeeded")
      assert.strictEqual(result.steps["report"]?.fallback, undefined)
      const fallback = events.find((e) => e._tag === "StepFallback")
      assert.deepStrictEqual(fallback?._tag === "StepFallback" && [fallback.stepId, fallback.kind], ["label", "value"])
      // Workflow.run (no observers: the compiled path) falls back too
      assert.deepStrictEqual(yield* Workflow.run(wf, "text"), { label: "neutral", report: "label: neutral" })
    }))

  it.effect("cached: the last good output for the same inputs; other inputs go to the next fallback", () =>
    Effect.gen(function*() {
      let healthy = true
      const wf = Workflow.make("fb-cached", { input: Schema.Struct({ q: Schema.String }) })
        .step("answer", { fallback: [Fallback.cached(), Fallback.value("sorry")] }, (ctx) =>
          healthy ? Effect.succeed(`answer to ${ctx.input.q}`) : Effect.fail(down))
      assert.strictEqual((yield* Workflow.run(wf, { q: "a" })).answer, "answer to a")
      healthy = false
      const again = yield* Workflow.execute(wf, { q: "a" })
      assert.strictEqual(again.outputs.answer, "answer to a")
      assert.strictEqual(again.steps["answer"]?.fallback?.kind, "cached")
      const other = yield* Workflow.execute(wf, { q: "b" })
      assert.strictEqual(other.outputs.answer, "sorry", "no good answer for these inputs yet")
      assert.deepStrictEqual(other.steps["answer"]?.fallback && [other.steps["answer"].fallback.kind, other.steps["answer"].fallback.index], ["value", 1])
    }).pipe(isolated))

  it.effect("cached with maxAge: an answer older than maxAge does not serve", () =>
    Effect.gen(function*() {
      let healthy = true
      const wf = Workflow.make("fb-age", { input: Schema.String })
        .step("quote", { fallback: Fallback.cached({ maxAge: "1 minute" }) }, () => (healthy ? Effect.succeed(42) : Effect.fail(down)))
      yield* Workflow.run(wf, "x")
      healthy = false
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual((yield* Workflow.run(wf, "x")).quote, 42)
      yield* TestClock.adjust("2 seconds")
      const error = yield* Workflow.run(wf, "x").pipe(Effect.flip)
      assert.strictEqual(error._tag, "StepFailed")
      assert.strictEqual(error._tag === "StepFailed" && (error.error as { _tag: string })._tag, "ProviderUnavailable", "the step's own error")
    }).pipe(isolated))

  it.effect("a degraded sub-workflow serves the step; its steps are recorded under the step's path", () =>
    Effect.gen(function*() {
      const cheap = Workflow.make("cheap-summary", { input: Schema.Struct({ text: Schema.String }) })
        .step("short", (ctx) => Llm.generate({ provider: "cheap", model: "small", prompt: `summarise ${ctx.input.text}` }))
      const wf = Workflow.make("fb-workflow", { input: Schema.String })
        .step("summary", {
          fallback: Fallback.workflow(cheap, { input: (ctx) => ({ text: String(ctx.input) }), output: (o) => `(degraded) ${o.short}` })
        }, (ctx) => Llm.generate({ provider: "premium", model: "big", prompt: ctx.input }))
      const result = yield* Workflow.execute(wf, "the doc").pipe(
        Effect.provide(MockLlm.layer("premium", { failures: { firstN: 1, error: "server-error" } })),
        Effect.provide(MockLlm.layer("cheap", { responses: (req) => `short: ${req.prompt}` })),
        Effect.provide(MockRecorder.layer)
      )
      assert.strictEqual(result.outputs.summary, "(degraded) short: summarise the doc")
      assert.strictEqual(result.steps["summary"]?.fallback?.kind, "workflow")
      assert.strictEqual(result.steps["summary/fallback/short"]?.status, "succeeded")
    }))

  it.effect("every fallback failing: the step fails with its own error", () =>
    Effect.gen(function*() {
      const broken = Workflow.make("broken", { input: Schema.String }).step("x", () => Effect.fail("also down"))
      const wf = Workflow.make("fb-all", { input: Schema.String })
        .step("s", { fallback: [Fallback.cached(), Fallback.workflow(broken, { input: String, output: (o) => String(o.x) })] }, () =>
          Effect.fail(down) as Effect.Effect<string, ProviderUnavailable>)
      const error = yield* Workflow.run(wf, "x").pipe(Effect.flip)
      assert.strictEqual(error._tag === "StepFailed" && error.stepId, "s")
      assert.strictEqual(error._tag === "StepFailed" && error.error, down)
    }).pipe(isolated))

  it.effect("defects and interruptions never fall back", () =>
    Effect.gen(function*() {
      const dies = Workflow.make("fb-die", { input: Schema.String }).step("s", { fallback: Fallback.value("x") }, () => Effect.die(new Error("bug")) as Effect.Effect<string>)
      const exit = yield* Workflow.run(dies, "x").pipe(Effect.exit)
      assert.isTrue(exit._tag === "Failure" && exit.cause.reasons.some((r) => r._tag === "Die"))
      const hangs = Workflow.make("fb-hang", { input: Schema.String }).step("s", { fallback: Fallback.value("x") }, () => Effect.never as Effect.Effect<string>)
      const fiber = yield* Workflow.run(hangs, "x").pipe(Effect.forkChild)
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      const interrupted = fiber.pollUnsafe()
      assert.isTrue(interrupted?._tag === "Failure" && interrupted.cause.reasons.every((r) => r._tag === "Interrupt"), "interrupted, not served")
    }))
})

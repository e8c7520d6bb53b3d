/**
 * `Workflow.test`: mocks typed from the workflow, the result with the recorder, the clock advanced while the run only
 * sleeps (retry backoffs, timeouts, mock latency), step-targeted failures and `MockLlm.fromFunction`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Schedule, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Workflow } from "../../src/index.ts"
import { isRetryable, Llm } from "../../src/llm/index.ts"
import { makeMockRecorder, MockLlm } from "../../src/testing/index.ts"

const cheap = Llm.model("cheap", "gpt-4o-mini")
const primary = Llm.model("primary", "claude-sonnet-4-5")
const Label = Schema.Literals(["bug", "billing", "other"])

const triage = Workflow.make("triage", { input: Schema.Struct({ issue: Schema.String }) })
  .step("label", (ctx) => Llm.generateObject({ ...cheap, prompt: `Label: ${ctx.input.issue}`, schema: Label }))
  .branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
    bug: (b) =>
      b.step("draft", { retry: { schedule: Schedule.exponential("1 second"), times: 3, while: isRetryable } }, (ctx) =>
        Llm.generate({ ...primary, prompt: `Fix plan for ${ctx.input.issue}` })),
    billing: (b) => b.step("refund", () => Llm.generate({ ...primary, prompt: "refund" })),
    other: (b) => b.step("ack", () => Effect.succeed("thanks"))
  })

describe("Workflow.test", () => {
  it.effect("returns outputs, typed step records and the recorder", () =>
    Effect.gen(function*() {
      const { outputs, steps, recorder } = yield* Workflow.test(triage, { issue: "crash" }, {
        llm: { cheap: { responses: "bug" }, primary: { responses: "restart it" } }
      })
      assert.deepStrictEqual(outputs.route, { case: "bug", value: { draft: "restart it" } })
      assert.strictEqual(steps["route/bug/draft"]?.status, "succeeded")
      assert.strictEqual(steps.route?.status, "succeeded")
      assert.strictEqual(steps["route/billing/refund"], undefined) // the case not taken ran nothing
      assert.deepStrictEqual(recorder.order(), ["cheap", "primary"])
      assert.deepStrictEqual(recorder.calls().map((c) => c.model), ["gpt-4o-mini", "claude-sonnet-4-5"])
    }))

  it.effect("advances the test clock through retry backoffs (no hang under it.effect)", () =>
    Effect.gen(function*() {
      const { outputs, steps, durationMillis } = yield* Workflow.test(triage, { issue: "crash" }, {
        llm: { cheap: { responses: "bug" }, primary: { responses: "ok", failures: { firstN: 2, error: "rate-limited" } } }
      })
      assert.strictEqual(outputs.route.case, "bug")
      assert.strictEqual(steps["route/bug/draft"]?.attempts, 3)
      // exponential from 1 s: 1 s + 2 s of backoff, exactly, on the test clock
      assert.strictEqual(durationMillis, 3000)
    }))

  it.live("advances its own test clock outside it.effect (it.live: no real waiting)", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const { durationMillis } = yield* Workflow.test(triage, { issue: "crash" }, {
        llm: { cheap: { responses: "bug", latency: "10 minutes" }, primary: { responses: "ok", latency: "5 minutes" } }
      })
      assert.strictEqual(durationMillis, 15 * 60_000)
      assert.isBelow(Date.now() - started, 5000)
    }))

  it.effect("a step-targeted failure fails only that step's calls", () =>
    Effect.gen(function*() {
      const recorder = makeMockRecorder()
      const wf = Workflow.make("two", { input: Schema.Struct({ q: Schema.String }) })
        .step("a", (ctx) => Llm.generate({ ...primary, prompt: `a ${ctx.input.q}` }))
        .step("b", { needs: ["a"], retry: { times: 2 } }, (ctx) => Llm.generate({ ...primary, prompt: `b ${ctx.a}` }))
      const { steps } = yield* Workflow.test(wf, { q: "x" }, {
        llm: { primary: { responses: (req) => `${req.step}:${req.call}`, failures: { step: "b", firstN: 1 } } },
        recorder
      })
      assert.strictEqual(steps.a?.attempts, 1)
      assert.strictEqual(steps.b?.attempts, 2)
      assert.deepStrictEqual(recorder.calls().map((c) => c.outcome?._tag), ["Success", "Failure", "Success"])
    }))

  it.effect("a step-targeted failure inside a branch case, by path; the recorder survives a failing run", () =>
    Effect.gen(function*() {
      const recorder = makeMockRecorder()
      const error = yield* Effect.flip(Workflow.test(triage, { issue: "crash" }, {
        llm: { cheap: { responses: "bug" }, primary: { responses: "ok", failures: { step: "route/bug/draft", firstN: 4, error: "server-error" } } },
        recorder
      }))
      assert.strictEqual(error._tag === "StepFailed" && error.stepId, "route/bug/draft")
      assert.strictEqual(recorder.count("primary"), 4) // 1 attempt + 3 retries, all failed
      assert.strictEqual(recorder.count("cheap"), 1)
    }))

  it.effect("MockLlm.fromFunction maps thrown errors by their retryable flag", () =>
    Effect.gen(function*() {
      let calls = 0
      const fake = async (req: { readonly prompt: string }) => {
        calls++
        if (calls === 1) throw Object.assign(new Error("503 upstream"), { retryable: true })
        if (req.prompt.includes("refund")) throw new Error("bad request")
        return "bug"
      }
      const ok = yield* Workflow.test(triage, { issue: "crash" }, {
        llm: { cheap: MockLlm.fromFunction(fake), primary: MockLlm.fromFunction(() => "plan") }
      }).pipe(Effect.flip)
      // the cheap step has no retry: the retryable error fails it, as ProviderUnavailable
      assert.strictEqual(ok._tag, "StepFailed")
      assert.strictEqual((ok as { error?: { _tag?: string } }).error?._tag, "ProviderUnavailable")
      const refused = yield* Effect.flip(Workflow.test(triage, { issue: "x" }, {
        llm: { cheap: { responses: "billing" }, primary: MockLlm.fromFunction(fake) }
      }))
      assert.strictEqual((refused as { error?: { _tag?: string; message?: string } }).error?._tag, "InvalidRequest")
      assert.strictEqual((refused as { error?: { message?: string } }).error?.message, "bad request")
    }))

  it.effect("clock: manual leaves the clock to the test", () =>
    Effect.gen(function*() {
      const fiber = yield* Workflow.test(triage, { issue: "crash" }, {
        llm: { cheap: { responses: "other", latency: "1 hour" }, primary: {} }
      }, { clock: "manual" }).pipe(Effect.forkChild)
      yield* TestClock.adjust("59 minutes")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 minute")
      const { outputs } = yield* Fiber.join(fiber)
      assert.deepStrictEqual(outputs.route, { case: "other", value: { ack: "thanks" } })
    }))

  it.effect("waits in real time for what is not the clock when no sleep is pending", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<string>()
      const wf = Workflow.make("gated", { input: Schema.Struct({ q: Schema.String }) })
        .step("wait", () => Deferred.await(gate))
      const fiber = yield* Effect.forkChild(Workflow.test(wf, { q: "x" }, {}))
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 20)))
      yield* Deferred.succeed(gate, "opened")
      const { outputs, durationMillis } = yield* Fiber.join(fiber)
      assert.strictEqual(outputs.wait, "opened")
      assert.strictEqual(durationMillis, 0)
    }))

  it.effect("a call that never answers meets its step timeout at once (the clock jumps to the deadline)", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("hung", { input: Schema.Struct({ q: Schema.String }) })
        .step("answer", { timeout: "30 seconds" }, (ctx) => Llm.generate({ ...primary, prompt: ctx.input.q }))
      const error = yield* Effect.flip(Workflow.test(wf, { q: "x" }, { llm: { primary: { latency: "1 day" } } }))
      assert.strictEqual(error.message, "Step 'answer' failed on attempt 1: StepTimeout: Step 'answer' timed out after 30000 ms")
    }))
})

describe("branch cases", () => {
  it.effect("a case step sees the branch's needs without repeating them", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("cases", { input: Schema.Struct({ q: Schema.String }) })
        .step("label", (ctx) => Llm.generateObject({ ...cheap, prompt: ctx.input.q, schema: Label }))
        .branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
          bug: (b) => b.step("fix", (ctx) => Effect.succeed(`fixing a ${ctx.label}`)),
          billing: (b) => b.step("refund", { description: "refund" }, (ctx) => Effect.succeed(`refunding a ${ctx.label}`)),
          other: (b) => b.step("ack", () => Effect.succeed("ok"))
        })
      const bug = yield* Workflow.test(wf, { q: "x" }, { llm: { cheap: { responses: "bug" } } })
      assert.deepStrictEqual(bug.outputs.route, { case: "bug", value: { fix: "fixing a bug" } })
      const billing = yield* Workflow.test(wf, { q: "x" }, { llm: { cheap: { responses: "billing" } } })
      assert.deepStrictEqual(billing.outputs.route, { case: "billing", value: { refund: "refunding a billing" } })
    }))
})

/**
 * Per-call and per-item policies: `timeout`/`retry` on an `Llm` call, on each map item (`item`) and each loop
 * iteration (`iteration`), all failing late work with the step's own `StepTimeout`. Run with `Workflow.test`, so the
 * timings are exact test-clock times.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule, Schema } from "effect"
import { StepTimeout } from "../../dsl/errors.ts"
import { Workflow } from "../../src/index.ts"
import { InvalidRequest, Llm, type LlmError } from "../../src/llm/index.ts"
import type { LlmProvider } from "../../src/llm/LlmProvider.ts"
import { makeMockRecorder } from "../../src/testing/index.ts"

const main = Llm.model("main", "gpt-4o-mini")
const Input = Schema.Struct({ docs: Schema.Array(Schema.String) })

// The type of a call with a timeout adds StepTimeout; without one it does not.
export const timed: Effect.Effect<string, LlmError | StepTimeout, LlmProvider<"main">> = Llm.generate({ ...main, prompt: "p", timeout: "1 second" })
export const untimed: Effect.Effect<string, LlmError, LlmProvider<"main">> = Llm.generate({ ...main, prompt: "p" })

describe("per-call timeout and retry", () => {
  it.effect("a late call times out alone and is retried; the step does not restart", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("calls", { input: Input })
        .step("both", (ctx) =>
          Effect.all([
            Llm.generate({ ...main, prompt: `fast ${ctx.input.docs[0]}` }),
            Llm.generate({ ...main, prompt: "slow", timeout: "5 seconds", retry: { times: 2 } })
          ]))
      const { outputs, steps, recorder, durationMillis } = yield* Workflow.test(wf, { docs: ["a"] }, {
        // the "slow" prompt takes 1 minute on its first call and answers at once after
        llm: { main: { responses: (req) => req.prompt, latency: (req, call) => (req.prompt === "slow" && call === 2 ? "1 minute" : 0) } }
      })
      assert.deepStrictEqual(outputs.both, ["fast a", "slow"])
      assert.strictEqual(steps.both?.attempts, 1)
      assert.deepStrictEqual(recorder.prompts("main"), ["fast a", "slow", "slow"])
      assert.strictEqual(durationMillis, 5000)
    }))

  it.effect("when every attempt is late, the error is StepTimeout naming the call and the step", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("late", { input: Input })
        .step("answer", () => Llm.generate({ ...main, prompt: "p", timeout: "2 seconds", retry: { schedule: Schedule.spaced("1 second"), times: 2 } }))
      const recorder = makeMockRecorder()
      const error = yield* Effect.flip(Workflow.test(wf, { docs: [] }, { llm: { main: { latency: "1 hour" } }, recorder }))
      assert.strictEqual(error._tag, "StepFailed")
      assert.strictEqual(recorder.count("main"), 3) // the call and its 2 retries
      const cause = (error as { error?: unknown }).error
      assert.instanceOf(cause, StepTimeout)
      assert.strictEqual((cause as StepTimeout).message, "LLM call to 'main' (gpt-4o-mini) in step 'answer' timed out after 2000 ms")
      assert.strictEqual((cause as StepTimeout).stepId, "answer")
    }))

  it.effect("without while, a non-retryable failure is not retried", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("bad", { input: Input })
        .step("answer", () => Llm.generate({ ...main, prompt: "p", retry: { times: 3 } }))
      const recorder = makeMockRecorder()
      const error = yield* Effect.flip(Workflow.test(wf, { docs: [] }, {
        llm: { main: { failures: { firstN: 1, error: new InvalidRequest({ provider: "main", message: "unknown model" }) } } },
        recorder
      }))
      assert.strictEqual((error as { error?: { _tag?: string } }).error?._tag, "InvalidRequest")
      assert.strictEqual(recorder.count("main"), 1)
      const ok = yield* Workflow.test(wf, { docs: [] }, { llm: { main: { responses: "fine", failures: { firstN: 2, error: "rate-limited" } } } })
      assert.strictEqual(ok.outputs.answer, "fine")
      assert.strictEqual(ok.recorder.count("main"), 3)
    }))
})

describe("map item and loop iteration policies", () => {
  it.effect("a map's item timeout bounds each item, not all of them together", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("summaries", { input: Input })
        .map("sum", { needs: [], over: (ctx) => ctx.input.docs, concurrency: 1, item: { timeout: "10 seconds" } }, (doc) =>
          Llm.generate({ ...main, prompt: doc }))
      // 3 items of 8 s each: 24 s in all, each within its 10 s
      const { outputs, durationMillis } = yield* Workflow.test(wf, { docs: ["a", "b", "c"] }, { llm: { main: { latency: "8 seconds" } } })
      assert.deepStrictEqual(outputs.sum, ["a", "b", "c"])
      assert.strictEqual(durationMillis, 24_000)
      const error = yield* Effect.flip(Workflow.test(wf, { docs: ["a", "b"] }, { llm: { main: { latency: ["8 seconds", "11 seconds"] } } }))
      assert.strictEqual((error as { error?: StepTimeout }).error?.message, "Step 'sum' item 1 timed out after 10000 ms")
    }))

  it.effect("an item retry re-runs only the failed item", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("summaries", { input: Input })
        .map("sum", { needs: [], over: (ctx) => ctx.input.docs, item: { retry: { times: 1 } } }, (doc) => Llm.generate({ ...main, prompt: doc }))
      const { outputs, steps, recorder } = yield* Workflow.test(wf, { docs: ["a", "b"] }, {
        llm: { main: { failures: { calls: [2] } } }
      })
      assert.deepStrictEqual(outputs.sum, ["a", "b"])
      assert.strictEqual(steps.sum?.attempts, 1)
      assert.deepStrictEqual(recorder.prompts("main"), ["a", "b", "b"])
    }))

  it.effect("a loop's iteration timeout and retry apply to each body run", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("refine", { input: Schema.Struct({ draft: Schema.String }) })
        .loop("polish", {
          needs: [],
          initial: (ctx) => ({ text: ctx.input.draft, round: 0 }),
          until: (s) => s.round >= 2,
          maxIterations: 5,
          iteration: { timeout: "3 seconds", retry: { times: 1 } }
        }, (s) => Effect.map(Llm.generate({ ...main, prompt: s.text }), (text) => ({ text: `${text}!`, round: s.round + 1 })))
      // the 2nd call is late (a timeout, then the retry answers)
      const { outputs, durationMillis, recorder } = yield* Workflow.test(wf, { draft: "d" }, {
        llm: { main: { latency: (_req, call) => (call === 2 ? "1 minute" : "1 second") } }
      })
      assert.deepStrictEqual(outputs.polish, { text: "d!!", round: 2 })
      assert.strictEqual(recorder.count("main"), 3)
      assert.strictEqual(durationMillis, 1000 + 3000 + 1000)
    }))
})

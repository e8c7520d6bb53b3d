/**
 * Per-call and per-item policies: `timeout`/`retry` on an `Llm` call, on each map item (`item`) and each loop
 * iteration (`iteration`), all failing late work with the step's own `StepTimeout`. Run with `Workflow.test`, so the
 * timings are exact test-clock times.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Effect, Exit, Fiber, Layer, Schedule, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"
import { StepTimeout } from "../../dsl/errors.ts"
import { Workflow } from "../../src/index.ts"
import { InvalidRequest, Llm, type LlmError, ProviderUnavailable, type TextStreamPart } from "../../src/llm/index.ts"
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

// ---- Llm.stream ----

// A stream's timeout adds StepTimeout to its error type too.
export const timedStream: Stream.Stream<string, LlmError | StepTimeout, LlmProvider<"main">> = Llm.stream({ ...main, prompt: "p", timeout: "1 second" })
export const untimedStream: Stream.Stream<string, LlmError, LlmProvider<"main">> = Llm.stream({ ...main, prompt: "p" })

/** A "main" provider whose n-th stream (1-based) is `script(n)`; counts the streams started. */
const streaming = (script: (n: number) => Stream.Stream<TextStreamPart, LlmError>) => {
  let started = 0
  const layer = Llm.layerCustom("main", {
    name: "main",
    generateText: () => Effect.die("not used"),
    generateObject: () => Effect.die("not used"),
    streamText: () => Stream.suspend(() => script(++started))
  })
  return { layer, started: () => started }
}
const delta = (text: string): TextStreamPart => ({ _tag: "Delta", text })
const finish: TextStreamPart = { _tag: "Finish", usage: { inputTokens: 1, outputTokens: 2 }, finishReason: "stop" }
const unavailable = new ProviderUnavailable({ provider: "main", message: "503" })

/** Runs the stream, moving the test clock on until it ends; the deltas it sent and how it ended. */
const collect = <E>(s: Stream.Stream<string, E, LlmProvider<"main">>, layer: Layer.Layer<LlmProvider<"main">>) =>
  Effect.gen(function*() {
    const seen: Array<string> = []
    const fiber = yield* s.pipe(Stream.runForEach((d) => Effect.sync(() => seen.push(d))), Effect.provide(layer), Effect.exit, Effect.forkChild)
    for (let i = 0; i < 120 && fiber.pollUnsafe() === undefined; i++) yield* TestClock.adjust("1 second")
    const exit = yield* Fiber.join(fiber)
    const now = yield* Clock.currentTimeMillis
    return { seen, exit, now }
  })

describe("per-call timeout and retry on Llm.stream", () => {
  it.effect("timeout bounds each wait for the next delta: a stream that stalls mid-answer fails with StepTimeout", () =>
    Effect.gen(function*() {
      // 3 deltas 4 s apart (within a 5 s timeout), then silence
      const p = streaming(() =>
        Stream.fromIterable(["one ", "two ", "three"]).pipe(Stream.mapEffect((t) => Effect.as(Effect.sleep("4 seconds"), delta(t))), Stream.concat(Stream.never)))
      const { seen, exit, now } = yield* collect(Llm.stream({ ...main, prompt: "p", timeout: "5 seconds" }), p.layer)
      assert.deepStrictEqual(seen, ["one ", "two ", "three"])
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      assert.instanceOf(error, StepTimeout)
      assert.strictEqual((error as StepTimeout).message, "LLM call to 'main' (gpt-4o-mini) sent nothing for 5000 ms")
      assert.strictEqual(now, 12_000 + 5_000)
    }))

  it.effect("retry starts the stream again while it has sent nothing, with the schedule's delay", () =>
    Effect.gen(function*() {
      const p = streaming((n) => (n <= 2 ? Stream.fail(unavailable) : Stream.make(delta("hello "), delta("world"), finish)))
      const { seen, exit, now } = yield* collect(
        Llm.stream({ ...main, prompt: "p", retry: { schedule: Schedule.spaced("2 seconds"), times: 3 } }),
        p.layer
      )
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(seen, ["hello ", "world"])
      assert.strictEqual(p.started(), 3)
      assert.strictEqual(now, 4000)
      // a stalled first delta counts as a failure to retry too
      const late = streaming((n) => (n === 1 ? Stream.never : Stream.make(delta("late"), finish)))
      const second = yield* collect(Llm.stream({ ...main, prompt: "p", timeout: "3 seconds", retry: { times: 1 } }), late.layer)
      assert.deepStrictEqual(second.seen, ["late"])
      assert.strictEqual(late.started(), 2)
    }))

  it.effect("after the first delta a failure is not retried: the caller already has part of the answer", () =>
    Effect.gen(function*() {
      const p = streaming(() => Stream.make(delta("partial ")).pipe(Stream.concat(Stream.fail(unavailable))))
      const { seen, exit } = yield* collect(Llm.stream({ ...main, prompt: "p", retry: { times: 3 } }), p.layer)
      assert.deepStrictEqual(seen, ["partial "])
      assert.strictEqual(p.started(), 1)
      assert.strictEqual(Exit.isFailure(exit) ? (Cause.squash(exit.cause) as LlmError)._tag : "none", "ProviderUnavailable")
      // and without while, a non-retryable failure before any delta is not retried either
      const bad = streaming(() => Stream.fail(new InvalidRequest({ provider: "main", message: "unknown model" })))
      yield* collect(Llm.stream({ ...main, prompt: "p", retry: { times: 3 } }), bad.layer)
      assert.strictEqual(bad.started(), 1)
    }))
})

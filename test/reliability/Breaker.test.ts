/**
 * What the breaker counts and what an open circuit means to a caller (TestClock, in-memory models). Each test names
 * the defect of the consecutive-failure breaker it guards against.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Schedule, Stream } from "effect"
import { LanguageModel } from "effect/ai"
import { TestClock } from "effect/testing"
import { ProviderTimeout, ProviderUnavailable } from "../../src/llm/LlmError.ts"
import { toAiError } from "../../src/providers/ErrorMapping.ts"
import { Breaker, CircuitOpen, Failover, Reliability, ReliabilityEvent } from "../../src/reliability/index.ts"
import { joinDone } from "../support/fibers.ts"
import { collect, scripted } from "./support.ts"

const down = { error: new ProviderUnavailable({ provider: "p", message: "down", status: 503 }) }
const ok = { text: "ok" }
const fastRetry = { base: "100 millis", jitter: false } as const
const lm = (model: LanguageModel.LanguageModel) => Context.make(LanguageModel.LanguageModel, model)
const changes = (events: ReadonlyArray<ReliabilityEvent.ReliabilityEvent>) =>
  events.flatMap((e) => (e._tag === "CircuitStateChanged" ? [`${e.from}->${e.to}`] : []))

describe("Breaker: what it counts", () => {
  it.effect("a wave of 30 concurrent failures landing before 70 successes does not open the default breaker", () =>
    Effect.gen(function*() {
      // the first 30 calls fail at once (503s and timeouts), the other 70 answer after 1 s; retries succeed
      const m = yield* scripted((n) =>
        n < 15 ? down : n < 30 ? { error: new ProviderTimeout({ provider: "p", message: "late" }) } : { ...ok, sleep: "1 second" }
      )
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const guard = yield* Reliability.make(Reliability.policy({ retry: fastRetry })).pipe(ReliabilityEvent.withSink(collect(events)))
      const model = guard.wrapLanguageModel("p", m.model)
      const fiber = yield* Effect.forEach(Array.from({ length: 100 }), () => model.generateText({ prompt: "x" }), { concurrency: "unbounded" })
        .pipe(Effect.forkChild)
      yield* TestClock.adjust("3 seconds")
      const results = yield* joinDone(fiber)
      assert.strictEqual(results.length, 100, "every call succeeded (consecutive(10) opened here and failed 20 of them)")
      assert.strictEqual(yield* guard.circuitState("p"), "Closed")
      assert.deepStrictEqual(changes(events), [])
      assert.strictEqual(m.calls.length, 130)
    }))

  it.effect("a dead provider opens the rate breaker once `window` calls are recorded; later calls never reach it", () =>
    Effect.gen(function*() {
      const m = yield* scripted(() => down)
      const guard = yield* Reliability.make(Reliability.policy({
        retry: false,
        circuitBreaker: { failureRate: 0.5, window: 20, whenOpen: "fail" }
      }))
      const model = guard.wrapLanguageModel("p", m.model)
      for (let i = 0; i < 30; i++) yield* model.generateText({ prompt: "x" }).pipe(Effect.flip)
      assert.strictEqual(m.calls.length, 20)
      assert.strictEqual(yield* guard.circuitState("p"), "Open")
    }))

  it("the trip policy and opening schedule of the options", () => {
    assert.deepStrictEqual(Breaker.tripPolicy({}), { _tag: "Rate", threshold: 0.6, size: 100, minimumCalls: 100 })
    assert.deepStrictEqual(Breaker.tripPolicy({ failureRate: 0.5, window: 50, minimumCalls: 200 }), { _tag: "Rate", threshold: 0.5, size: 50, minimumCalls: 50 })
    assert.deepStrictEqual(Breaker.tripPolicy({ consecutiveFailures: 4 }), { _tag: "Consecutive", failures: 4 })
    assert.isTrue(Duration.isDuration(Breaker.openDuration({ openFor: "2 seconds" })), "an explicit openFor alone is constant")
    assert.isTrue(Schedule.isSchedule(Breaker.openDuration({})), "the default doubles")
    assert.isTrue(Schedule.isSchedule(Breaker.openDuration({ openFor: "1 second", maxOpenFor: "4 seconds" })))
  })

  it.effect("openings double per failed probe up to maxOpenFor (5 s, 10 s, 10 s)", () =>
    Effect.gen(function*() {
      const m = yield* scripted(() => down)
      const guard = yield* Reliability.make(Reliability.policy({
        retry: false,
        circuitBreaker: { consecutiveFailures: 1, openFor: "5 seconds", maxOpenFor: "10 seconds", whenOpen: "fail" }
      }))
      const model = guard.wrapLanguageModel("p", m.model)
      const probeAfter = function*(millis: number) {
        yield* TestClock.adjust(millis - 1)
        yield* model.generateText({ prompt: "x" }).pipe(Effect.flip)
        const before = m.calls.length
        yield* TestClock.adjust(1)
        yield* model.generateText({ prompt: "x" }).pipe(Effect.flip)
        return m.calls.length - before
      }
      yield* model.generateText({ prompt: "x" }).pipe(Effect.flip)
      assert.strictEqual(yield* probeAfter(5000), 1, "first opening: 5 s")
      assert.strictEqual(yield* probeAfter(10_000), 1, "second: 10 s")
      assert.strictEqual(yield* probeAfter(10_000), 1, "third: capped at 10 s")
      assert.strictEqual(m.calls.length, 4)
    }))
})

describe("Breaker: an open circuit and the caller", () => {
  it.effect("no failover entry: the call waits for the half-open probe and succeeds when the provider is back", () =>
    Effect.gen(function*() {
      let healthy = false
      const m = yield* scripted(() => (healthy ? ok : down))
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const guard = yield* Reliability.make(Reliability.policy({
        retry: false,
        circuitBreaker: { consecutiveFailures: 2, openFor: "10 seconds" }
      })).pipe(ReliabilityEvent.withSink(collect(events)))
      const model = guard.wrapLanguageModel("p", m.model)
      for (let i = 0; i < 2; i++) yield* model.generateText({ prompt: "x" }).pipe(Effect.flip)
      assert.strictEqual(yield* guard.circuitState("p"), "Open")
      const waiting = yield* model.generateText({ prompt: "x" }).pipe(Effect.forkChild)
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual(m.calls.length, 2, "still waiting, the provider was not called")
      healthy = true
      yield* TestClock.adjust("5001 millis")
      const res = yield* joinDone(waiting, "the waiting call")
      assert.strictEqual(res.text, "ok", "the old breaker failed this call at once with 'circuit open'")
      assert.strictEqual(m.calls.length, 3, "the waiting call was the probe")
      assert.strictEqual(yield* guard.circuitState("p"), "Closed")
      const waited = events.find((e) => e._tag === "CircuitWaited")
      assert.deepStrictEqual(waited?._tag === "CircuitWaited" && [waited.state, waited.waitedMillis], ["Open", 10_001])
    }))

  it.effect("20 concurrent callers at a half-open circuit: one probe reaches the provider, the others wait for it", () =>
    Effect.gen(function*() {
      let healthy = false
      const m = yield* scripted(() => (healthy ? { ...ok, sleep: "2 seconds" } : down))
      const guard = yield* Reliability.make(Reliability.policy({
        retry: false,
        circuitBreaker: { consecutiveFailures: 1, openFor: "10 seconds" }
      }))
      const model = guard.wrapLanguageModel("p", m.model)
      yield* model.generateText({ prompt: "x" }).pipe(Effect.flip)
      healthy = true
      const callers = yield* Effect.forEach(Array.from({ length: 20 }), () => model.generateText({ prompt: "x" }), { concurrency: "unbounded" })
        .pipe(Effect.forkChild)
      yield* TestClock.adjust("10 seconds")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(m.calls.length, 2, "while the probe runs only the probe reached the provider")
      assert.strictEqual(m.maxInFlight, 1)
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("3 seconds")
      const results = yield* joinDone(callers)
      assert.strictEqual(results.length, 20)
      assert.strictEqual(m.calls.length, 21)
    }))

  it.effect("a call waits at most maxWait, then fails with the circuit-open error", () =>
    Effect.gen(function*() {
      const m = yield* scripted(() => down)
      const guard = yield* Reliability.make(Reliability.policy({
        retry: fastRetry,
        circuitBreaker: { consecutiveFailures: 1, openFor: "10 seconds", maxWait: "25 seconds" }
      }))
      const model = guard.wrapLanguageModel("p", m.model)
      // fails (opens for 10 s), waits, is the failed probe at 10 s, waits again, fails the probe at 20 s; the next
      // opening would take it past 25 s of waiting: it fails
      const fiber = yield* model.generateText({ prompt: "x" }).pipe(Effect.flip, Effect.forkChild)
      for (let i = 0; i < 30; i++) yield* TestClock.adjust("1 second")
      const error = yield* joinDone(fiber, "the waiting call")
      assert.isTrue(CircuitOpen.isCircuitOpen(error))
      assert.deepStrictEqual(m.calls.map((c) => c.at), [0, 10_001, 20_002])
    }))

  it.effect("with a failover entry after it, an open circuit moves the call on at once (no wait)", () =>
    Effect.gen(function*() {
      const primaryRaw = yield* scripted(() => down)
      const backup = yield* scripted(() => ({ text: "backup" }))
      const guard = yield* Reliability.make(Reliability.policy({
        retry: false,
        circuitBreaker: { consecutiveFailures: 1, openFor: "1 minute" }
      }))
      const primary = guard.wrapLanguageModel("primary", primaryRaw.model)
      const steps = [{ name: "primary", provide: lm(primary) }, { name: "backup", provide: lm(backup.model) }] as const
      yield* Failover.run(steps, LanguageModel.generateText({ prompt: "x" }))
      // no TestClock.adjust: the call must not wait for the open circuit
      const fiber = yield* Failover.run(steps, LanguageModel.generateText({ prompt: "x" })).pipe(Effect.forkChild)
      const served = yield* joinDone(fiber, "the call at the open circuit")
      assert.strictEqual(served.servedBy, "backup")
      assert.strictEqual(served.failovers[0]?.error?._tag, "ProviderUnavailable")
      assert.include(served.failovers[0]?.error?.message, "circuit open for primary")
      assert.strictEqual(primaryRaw.calls.length, 1)
    }))
})

describe("Breaker: streams", () => {
  it.effect("after openFor a stream is admitted as the half-open probe and closes the circuit", () =>
    Effect.gen(function*() {
      const m = yield* scripted(() => down)
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const guard = yield* Reliability.make(Reliability.policy({
        retry: false,
        circuitBreaker: { consecutiveFailures: 1, openFor: "10 seconds", whenOpen: "fail" }
      })).pipe(ReliabilityEvent.withSink(collect(events)))
      const model = guard.wrapLanguageModel("p", m.model)
      yield* model.generateText({ prompt: "x" }).pipe(Effect.flip)
      const rejected = yield* Stream.runCollect(model.streamText({ prompt: "s" })).pipe(Effect.flip)
      assert.isTrue(CircuitOpen.isCircuitOpen(rejected), "rejected while open")
      yield* TestClock.adjust("10 seconds")
      const parts = yield* Stream.runCollect(model.streamText({ prompt: "s" }))
      assert.isAbove(parts.length, 0, "the old admission read 'Open, next probe in 0 ms' forever")
      yield* Effect.yieldNow
      assert.strictEqual(yield* guard.circuitState("p"), "Closed")
      assert.deepStrictEqual(changes(events), ["Closed->Open", "Open->HalfOpen", "HalfOpen->Closed"])
    }))

  it.effect("while a stream probe runs, another stream is rejected (one admission half-open); a failed stream reopens", () =>
    Effect.gen(function*() {
      let fail = false
      const model0 = yield* LanguageModel.make({
        generateText: () => Effect.fail(CircuitOpen.makeAiError("unused", 0)),
        streamText: () =>
          Stream.make({ type: "text-delta" as const, id: "0", delta: "a" }).pipe(
            Stream.tap(() => Effect.sleep("1 second")),
            Stream.concat(fail ? Stream.fail(toAiError("streamText", new ProviderUnavailable({ provider: "p", message: "dropped" }))) : Stream.empty)
          )
      })
      const guard = yield* Reliability.make(Reliability.policy({
        retry: false,
        circuitBreaker: { consecutiveFailures: 1, openFor: "10 seconds", whenOpen: "fail" }
      }))
      const model = guard.wrapLanguageModel("p", model0)
      fail = true
      yield* Stream.runCollect(model.streamText({ prompt: "s" })).pipe(Effect.flip, Effect.forkChild)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* guard.circuitState("p"), "Open", "a stream failing mid-way counts as a failure")
      yield* TestClock.adjust("10 seconds")
      fail = false
      const probe = yield* Stream.runCollect(model.streamText({ prompt: "s" })).pipe(Effect.forkChild)
      yield* TestClock.adjust("10 millis")
      const second = yield* Stream.runCollect(model.streamText({ prompt: "s" })).pipe(Effect.flip)
      assert.isTrue(CircuitOpen.isCircuitOpen(second), "half-open admits one stream")
      yield* TestClock.adjust("1 second")
      yield* joinDone(probe)
      assert.strictEqual(yield* guard.circuitState("p"), "Closed")
    }))
})

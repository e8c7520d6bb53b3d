import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric, Stream } from "effect"
import { LanguageModel } from "effect/ai"
import { TestClock } from "effect/testing"
import { ContentFiltered, InvalidRequest, ProviderUnavailable, RateLimited } from "../../src/llm/LlmError.ts"
import { ErrorMapping } from "../../src/providers/index.ts"
import { CircuitOpen, Reliability, ReliabilityEvent, ReliabilityMetrics } from "../../src/reliability/index.ts"
import { collect, scripted } from "./support.ts"
import { joinDone } from "../support/fibers.ts"

const down = (status = 503) => ({ error: new ProviderUnavailable({ provider: "p", message: "down", status }) })
const ok = { text: "ok" }
const noJitter = { jitter: false, base: "1 second" } as const

describe("Retry", () => {
  it.effect("exponential backoff: retries retryable errors, waits 1 s then 2 s, emits Retrying events", () =>
    Effect.gen(function*() {
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const m = yield* scripted((n) => (n < 2 ? down() : ok))
      const guard = yield* Reliability.make(Reliability.policy({ retry: noJitter, circuitBreaker: false }))
        .pipe(ReliabilityEvent.withSink(collect(events)))
      const model = guard.wrapLanguageModel("p", m.model)
      const fiber = yield* model.generateText({ prompt: "x" }).pipe(Effect.forkChild)
      yield* TestClock.adjust("999 millis")
      assert.strictEqual(m.calls.length, 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(m.calls.length, 2)
      yield* TestClock.adjust("2 seconds")
      const res = yield* joinDone(fiber)
      assert.strictEqual(res.text, "ok")
      assert.deepStrictEqual(m.calls.map((c) => c.at), [0, 1000, 3000])
      assert.deepStrictEqual(events.filter((e) => e._tag === "Retrying").map((e) => e._tag === "Retrying" && e.delayMillis), [1000, 2000])
    }))

  it.effect("Retry-After is honoured (5 s instead of 100 ms) and capped by maxDelay", () =>
    Effect.gen(function*() {
      const limited = (ms: number) => ({ error: new RateLimited({ provider: "p", message: "429", retryAfterMillis: ms }) })
      const m = yield* scripted((n) => (n === 0 ? limited(5000) : n === 1 ? limited(60_000) : ok))
      const guard = yield* Reliability.make(Reliability.policy({
        retry: { jitter: false, base: "100 millis", maxDelay: "8 seconds" },
        circuitBreaker: false
      }))
      const fiber = yield* guard.wrapLanguageModel("p", m.model).generateText({ prompt: "x" }).pipe(Effect.forkChild)
      yield* TestClock.adjust("4900 millis")
      assert.strictEqual(m.calls.length, 1, "still waiting for Retry-After")
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(m.calls.length, 2)
      yield* TestClock.adjust("8 seconds")
      yield* joinDone(fiber)
      assert.deepStrictEqual(m.calls.map((c) => c.at), [0, 5000, 13_000], "60 s Retry-After capped at 8 s")
    }))

  it.effect("non-retryable errors are not retried; retries stop after `times`", () =>
    Effect.gen(function*() {
      const bad = yield* scripted(() => ({ error: new InvalidRequest({ provider: "p", message: "bad", status: 400 }) }))
      const guard = yield* Reliability.make(Reliability.policy({ retry: { times: 2, base: "1 millis" }, circuitBreaker: false }))
      const e = yield* guard.wrapLanguageModel("p", bad.model).generateText({ prompt: "x" }).pipe(Effect.flip)
      assert.strictEqual(ErrorMapping.toLlmError("p", e)._tag, "InvalidRequest")
      assert.strictEqual(bad.calls.length, 1)
      const filtered = yield* scripted(() => ({ error: new ContentFiltered({ provider: "p", message: "no" }) }))
      yield* guard.wrapLanguageModel("p", filtered.model).generateText({ prompt: "x" }).pipe(Effect.flip)
      assert.strictEqual(filtered.calls.length, 1)
      const flaky = yield* scripted(() => down())
      const fiber = yield* guard.wrapLanguageModel("p", flaky.model).generateText({ prompt: "x" }).pipe(Effect.flip, Effect.forkChild)
      yield* TestClock.adjust("1 second")
      const last = yield* joinDone(fiber)
      assert.strictEqual(ErrorMapping.toLlmError("p", last)._tag, "ProviderUnavailable")
      assert.strictEqual(flaky.calls.length, 3, "1 + 2 retries")
    }))
})

describe("Circuit breaker", () => {
  it.effect("opens after N failures, fails fast while open, half-opens after openFor, closes on success", () =>
    Effect.gen(function*() {
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      let healthy = false
      const m = yield* scripted(() => (healthy ? ok : down()))
      const guard = yield* Reliability.make(Reliability.policy({ retry: false, circuitBreaker: { consecutiveFailures: 3, openFor: "10 seconds", whenOpen: "fail" } }))
        .pipe(ReliabilityEvent.withSink(collect(events)))
      const model = guard.wrapLanguageModel("p", m.model)
      for (let i = 0; i < 3; i++) yield* model.generateText({ prompt: "x" }).pipe(Effect.flip)
      assert.strictEqual(yield* guard.circuitState("p"), "Open")
      const rejected = yield* model.generateText({ prompt: "x" }).pipe(Effect.flip)
      assert.isTrue(CircuitOpen.isCircuitOpen(rejected))
      assert.strictEqual(ErrorMapping.toLlmError("p", rejected)._tag, "ProviderUnavailable")
      assert.strictEqual(m.calls.length, 3, "the open circuit did not call the provider")
      healthy = true
      yield* TestClock.adjust("10 seconds")
      const res = yield* model.generateText({ prompt: "x" })
      assert.strictEqual(res.text, "ok")
      assert.strictEqual(yield* guard.circuitState("p"), "Closed")
      yield* Effect.yieldNow
      const changes = events.flatMap((e) => (e._tag === "CircuitStateChanged" ? [`${e.from}->${e.to}`] : []))
      assert.deepStrictEqual(changes, ["Closed->Open", "Open->HalfOpen", "HalfOpen->Closed"])
      assert.strictEqual(events.filter((e) => e._tag === "CircuitRejected").length, 1)
      const gauge = yield* Metric.value(ReliabilityMetrics.circuitState.pipe(Metric.withAttributes({ provider: "p" })))
      assert.strictEqual(gauge.value, 0)
    }))

  it.effect("bad requests and rate limits do not count against the provider", () =>
    Effect.gen(function*() {
      const m = yield* scripted((n) =>
        n % 2 === 0
          ? { error: new InvalidRequest({ provider: "p", message: "bad", status: 400 }) }
          : { error: new RateLimited({ provider: "p", message: "429" }) }
      )
      const guard = yield* Reliability.make(Reliability.policy({ retry: false, circuitBreaker: { consecutiveFailures: 2, openFor: "10 seconds" } }))
      for (let i = 0; i < 6; i++) yield* guard.wrapLanguageModel("p", m.model).generateText({ prompt: "x" }).pipe(Effect.flip)
      assert.strictEqual(yield* guard.circuitState("p"), "Closed")
      assert.strictEqual(m.calls.length, 6)
    }))
})

describe("Rate limit and concurrency", () => {
  it.effect("requests per minute: the third call waits for the bucket (30 s), by default without failing", () =>
    Effect.gen(function*() {
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const m = yield* scripted(() => ok)
      const guard = yield* Reliability.make(Reliability.policy({ rateLimit: { requestsPerMinute: 2 } }))
        .pipe(ReliabilityEvent.withSink(collect(events)))
      const model = guard.wrapLanguageModel("p", m.model)
      const fiber = yield* Effect.forEach([1, 2, 3], () => model.generateText({ prompt: "x" }), { concurrency: "unbounded" }).pipe(Effect.forkChild)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(m.calls.length, 2)
      yield* TestClock.adjust("29 seconds")
      yield* joinDone(fiber)
      assert.strictEqual(m.calls.length, 3)
      assert.strictEqual(m.calls[2]!.at, 30_000)
      const waited = events.find((e) => e._tag === "RateLimitWaited")
      assert.strictEqual(waited?._tag === "RateLimitWaited" && waited.waitedMillis, 30_000)
    }))

  it.effect("tokens per minute counts the prompt's estimated tokens; onExceeded 'fail' gives RateLimited", () =>
    Effect.gen(function*() {
      const m = yield* scripted(() => ok)
      const guard = yield* Reliability.make(Reliability.policy({ retry: false, rateLimit: { tokensPerMinute: 100, onExceeded: "fail" } }))
      const model = guard.wrapLanguageModel("p", m.model)
      const prompt = "x".repeat(300) // ~75 tokens
      yield* model.generateText({ prompt })
      const e = yield* model.generateText({ prompt }).pipe(Effect.flip)
      const llm = ErrorMapping.toLlmError("p", e)
      assert.strictEqual(llm._tag, "RateLimited")
      assert.isAbove(llm._tag === "RateLimited" ? llm.retryAfterMillis ?? 0 : 0, 0)
      assert.strictEqual(m.calls.length, 1)
    }))

  it.effect("tokens per minute: tokens used beyond the estimate are charged after the call, so the next call waits", () =>
    Effect.gen(function*() {
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const big = yield* LanguageModel.make({
        generateText: () =>
          Effect.succeed([{ type: "text" as const, text: "long answer" }, {
            type: "finish" as const,
            reason: "stop" as const,
            usage: { inputTokens: { total: 600 }, outputTokens: { total: 400 } }
          }]),
        streamText: () => Stream.empty
      })
      const guard = yield* Reliability.make(Reliability.policy({ rateLimit: { tokensPerMinute: 1000 } }))
      const model = guard.wrapLanguageModel("p", big)
      yield* model.generateText({ prompt: "hi" }).pipe(ReliabilityEvent.withSink(collect(events)))
      assert.strictEqual(events.length, 0, "the first call did not wait")
      const fiber = yield* model.generateText({ prompt: "hi" }).pipe(ReliabilityEvent.withSink(collect(events)), Effect.forkChild)
      yield* TestClock.adjust("1 minute")
      yield* joinDone(fiber)
      const waited = events.find((e) => e._tag === "RateLimitWaited")
      assert.strictEqual(waited?._tag === "RateLimitWaited" && waited.limit, "tokens")
      assert.isAbove(waited?._tag === "RateLimitWaited" ? waited.waitedMillis : 0, 0)
    }))

  it.effect("concurrency limit per provider", () =>
    Effect.gen(function*() {
      const m = yield* scripted(() => ({ text: "ok", sleep: "1 second" }))
      const guard = yield* Reliability.make(Reliability.policy({ concurrency: 2 }))
      const model = guard.wrapLanguageModel("p", m.model)
      const fiber = yield* Effect.forEach([1, 2, 3, 4, 5], () => model.generateText({ prompt: "x" }), { concurrency: "unbounded" }).pipe(Effect.forkChild)
      yield* TestClock.adjust("3 seconds")
      yield* joinDone(fiber)
      assert.strictEqual(m.maxInFlight, 2)
      assert.deepStrictEqual(m.calls.map((c) => c.at), [0, 0, 1000, 1000, 2000])
    }))

  it.effect("per-attempt timeout -> ProviderTimeout, retried", () =>
    Effect.gen(function*() {
      const m = yield* scripted((n) => (n === 0 ? { text: "late", sleep: "10 seconds" } : ok))
      const guard = yield* Reliability.make(Reliability.policy({ timeout: "2 seconds", retry: { jitter: false, base: "1 second" } }))
      const fiber = yield* guard.wrapLanguageModel("p", m.model).generateText({ prompt: "x" }).pipe(Effect.forkChild)
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual((yield* joinDone(fiber)).text, "ok")
      assert.deepStrictEqual(m.calls.map((c) => c.at), [0, 3000])
    }))

  it.effect("apply() works on src/llm-style calls failing with LlmError", () =>
    Effect.gen(function*() {
      let n = 0
      const call = Effect.suspend(() => (n++ < 1 ? Effect.fail(new ProviderUnavailable({ provider: "x", message: "503" })) : Effect.succeed("done")))
      const guard = yield* Reliability.make(Reliability.policy({ retry: { jitter: false, base: "1 second" } }))
      const fiber = yield* guard.apply("x")(call).pipe(Effect.forkChild)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* joinDone(fiber), "done")
      assert.strictEqual(n, 2)
    }))
})

describe("Streams", () => {
  it.effect("a stream holds its concurrency permit until it ends, and fails fast while the circuit is open", () =>
    Effect.gen(function*() {
      const m = yield* scripted(() => ({ error: new ProviderUnavailable({ provider: "p", message: "down" }) }))
      const guard = yield* Reliability.make(Reliability.policy({ retry: false, concurrency: 1, circuitBreaker: { consecutiveFailures: 1, openFor: "1 minute", whenOpen: "fail" } }))
      const model = guard.wrapLanguageModel("p", m.model)
      const parts = yield* Stream.runCollect(model.streamText({ prompt: "x" }).pipe(Stream.tap(() => Effect.sleep("1 second")))).pipe(Effect.forkChild)
      yield* TestClock.adjust("10 millis")
      // the permit is taken by the open stream: a text call waits
      const text = yield* model.generateText({ prompt: "y" }).pipe(Effect.flip, Effect.forkChild)
      yield* TestClock.adjust("10 millis")
      assert.strictEqual(m.calls.length, 0)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* joinDone(parts)).length, 1)
      yield* joinDone(text)
      assert.strictEqual(m.calls.length, 1, "the text call ran after the stream released its permit")
      assert.strictEqual(yield* guard.circuitState("p"), "Open")
      const rejected = yield* Stream.runCollect(model.streamText({ prompt: "z" })).pipe(Effect.flip)
      assert.isTrue(CircuitOpen.isCircuitOpen(rejected))
    }))
})

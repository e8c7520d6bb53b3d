import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Budget } from "../../src/budget/index.ts"
import * as Embeddings from "../../src/llm/Embeddings.ts"
import * as Llm from "../../src/llm/Llm.ts"
import { BudgetExceeded } from "../../src/llm/LlmError.ts"
import { Pricing } from "../../src/providers/index.ts"
import * as ReliabilityEvent from "../../src/reliability/ReliabilityEvent.ts"
import * as Mock from "../../src/testing/Mock.ts"
import { MockRecorder } from "../../src/testing/MockRecorder.ts"

// $0.001 per token in and out, so amounts are easy to read: a call of 10 tokens in and 5 out costs $0.015.
const prices = Pricing.layer({ "m": { input: 1000, output: 1000 } })
// 30 characters: an input estimate of 10 tokens; with maxTokens 10 the worst case is 20 tokens, $0.02.
const prompt = "x".repeat(30)
const call = Llm.generate({ provider: "openai", model: "m", prompt, maxTokens: 10 })

const mocks = (options: { readonly latency?: "1 second" } = {}) =>
  Layer.mergeAll(
    Mock.layer({
      llm: { openai: { responses: "ok", whenExhausted: "repeat-last", usage: { inputTokens: 10, outputTokens: 5 }, ...options } },
      embeddings: { openai: {} }
    }),
    prices
  )

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const reason = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
  assert.isDefined(reason)
  return (reason as { error: E }).error
}

describe("Budget", () => {
  it.effect("a runaway loop is stopped at the call whose worst case would pass the limit; nothing past it is sent", () =>
    Effect.gen(function*() {
      const recorder = yield* MockRecorder
      const loop = Effect.forever(call)
      const exit = yield* Effect.exit(Budget.track({ usd: 0.1 }, loop))
      const error = failureOf(exit)
      assert.instanceOf(error, BudgetExceeded)
      // spent after k calls: 0.015k; call k+1 fits while 0.015k + 0.02 <= 0.10, so k = 0..5: six calls, the 7th refused
      assert.strictEqual(recorder.count("openai"), 6)
      const e = error as BudgetExceeded
      assert.strictEqual(e.limit, "usd")
      assert.closeTo(e.spentUsd, 0.09, 1e-9)
      assert.closeTo(e.requestedUsd, 0.02, 1e-9)
      assert.strictEqual(e.reservedUsd, 0)
      assert.include(e.message, "chat m refused before sending")
      assert.include(e.message, "spent $0.0900")
    }).pipe(Effect.provide(mocks())))

  it.effect("a concurrent fan-out reserves before sending: 20 calls in flight at once, only the 5 that fit are sent", () =>
    Effect.gen(function*() {
      const recorder = yield* MockRecorder
      const fanOut = Effect.all(Array.from({ length: 20 }, () => Effect.exit(call)), { concurrency: "unbounded" })
      const fiber = yield* Effect.forkChild(Budget.track({ usd: 0.1 }, fanOut))
      yield* TestClock.adjust("1 second")
      const [exits, spend] = yield* Fiber.join(fiber)
      const refused = exits.filter((x) => Exit.isFailure(x))
      // worst case $0.02 each: 5 reservations fill $0.10 while all are in flight
      assert.strictEqual(recorder.count("openai"), 5)
      assert.strictEqual(refused.length, 15)
      assert.closeTo(spend.usd, 0.075, 1e-9)
      assert.isAtMost(spend.usd, 0.1)
      assert.strictEqual(spend.calls, 5)
      assert.strictEqual(spend.refused, 15)
      assert.strictEqual(spend.reservedUsd, 0)
    }).pipe(Effect.provide(mocks({ latency: "1 second" }))))

  it.effect("a call without maxTokens is bounded by the budget's maxOutputTokens and sent with it", () =>
    Effect.gen(function*() {
      const recorder = yield* MockRecorder
      yield* Llm.generate({ provider: "openai", model: "m", prompt }).pipe(Budget.limit({ usd: 1, maxOutputTokens: 300 }))
      assert.strictEqual(recorder.calls({ provider: "openai" })[0]?.maxTokens, 300)
      // outside a budget the request is sent as written
      yield* Llm.generate({ provider: "openai", model: "m", prompt })
      assert.isUndefined(recorder.calls({ provider: "openai" })[1]?.maxTokens)
      // a worst case of 10 + 4096 tokens at $0.001 does not fit in $1: refused before sending
      const exit = yield* Effect.exit(Llm.generate({ provider: "openai", model: "m", prompt }).pipe(Budget.limit({ usd: 1 })))
      assert.strictEqual((failureOf(exit) as BudgetExceeded)._tag, "BudgetExceeded")
      assert.strictEqual(recorder.count("openai"), 2)
    }).pipe(Effect.provide(mocks())))

  it.effect("token limits count input and output; a call reporting more than its worst case is charged in full", () =>
    Effect.gen(function*() {
      const recorder = yield* MockRecorder
      const [, spend] = yield* Budget.track({ tokens: 45 }, Effect.exit(Effect.forever(call)))
      // 15 tokens each, worst case 20: after 0 and 15 spent a call fits, after 30 it does not (30 + 20 > 45)
      assert.strictEqual(recorder.count("openai"), 2)
      assert.strictEqual(spend.tokens, 30)
      assert.strictEqual(spend.refused, 1)
    }).pipe(Effect.provide(mocks())))

  it.effect("overspend by a provider ignoring the limit is charged, and the next call is refused", () =>
    Effect.gen(function*() {
      const recorder = yield* MockRecorder
      const exit = yield* Effect.exit(Budget.track({ tokens: 100 }, Effect.forever(call)))
      assert.strictEqual((failureOf(exit) as BudgetExceeded).spentTokens, 90)
      assert.strictEqual(recorder.count("openai"), 1)
    }).pipe(Effect.provide(Layer.mergeAll(
      Mock.layer({ llm: { openai: { responses: "ok", whenExhausted: "repeat-last", usage: { inputTokens: 10, outputTokens: 80 } } } }),
      prices
    ))))

  it.effect("budgets nest: a call must fit in the inner and the outer one; a refusal publishes a BudgetExceeded event", () =>
    Effect.gen(function*() {
      const recorder = yield* MockRecorder
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const inner = Effect.exit(Effect.forever(call)).pipe(Budget.limit({ usd: 1 }))
      const outer = Effect.andThen(inner, inner).pipe(Budget.limit({ usd: 0.05 }), ReliabilityEvent.withSink((e) => Effect.sync(() => events.push(e))))
      const [, spend] = yield* Budget.track({ usd: 10 }, outer)
      // the outer $0.05 admits two calls ($0.015 + $0.02 <= 0.05, then 0.03 + 0.02 = 0.05), for both inner loops together
      assert.strictEqual(recorder.count("openai"), 3)
      assert.closeTo(spend.usd, 0.045, 1e-9)
      assert.deepStrictEqual(events.map((e) => e._tag), ["BudgetExceeded", "BudgetExceeded"])
    }).pipe(Effect.provide(mocks())))

  it.effect("embeddings are charged their input tokens and have no output limit", () =>
    Effect.gen(function*() {
      const [, spend] = yield* Budget.track(
        { tokens: 1000 },
        Embeddings.embedMany({ provider: "openai", model: "text-embedding-3-small", inputs: ["hello world", "another text"] })
      )
      assert.strictEqual(spend.calls, 1)
      assert.isAbove(spend.tokens, 0)
      assert.strictEqual(spend.reservedTokens, 0)
    }).pipe(Effect.provide(mocks())))

  it("the Schema accepts usd and/or tokens and names bad fields", () => {
    const decode = Schema.decodeUnknownSync(Budget.Schema)
    assert.deepStrictEqual(decode({ usd: 0.5, tokens: 200000 }), { usd: 0.5, tokens: 200000 })
    assert.throws(() => decode({}), /a budget needs usd or tokens/)
    assert.throws(() => decode({ usd: -1 }), /usd/)
    assert.throws(() => decode({ tokens: 1.5 }), /tokens/)
  })
})

import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Schedule } from "effect"
import { LanguageModel } from "effect/ai"
import { TestClock } from "effect/testing"
import { fromLanguageModel, Llm, LlmProvider } from "../../src/llm/index.ts"
import { InvalidRequest, ProviderUnavailable } from "../../src/llm/LlmError.ts"
import { ErrorMapping } from "../../src/providers/index.ts"
import { Failover, Reliability, ReliabilityEvent } from "../../src/reliability/index.ts"
import { collect, scripted } from "./support.ts"
import { joinDone } from "../support/fibers.ts"

const down = { error: new ProviderUnavailable({ provider: "primary", message: "down", status: 503 }) }
const lm = (model: LanguageModel.LanguageModel) => Context.make(LanguageModel.LanguageModel, model)

describe("Failover", () => {
  it.effect("ordered providers, own attempts each; the failover is in the result and in events", () =>
    Effect.gen(function*() {
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const primary = yield* scripted(() => down)
      const backup = yield* scripted(() => ({ text: "from backup" }))
      const fiber = yield* Failover.run([
        { name: "primary", provide: lm(primary.model), attempts: 2, schedule: Schedule.spaced("1 second") },
        { name: "backup", provide: lm(backup.model) }
      ], LanguageModel.generateText({ prompt: "x" })).pipe(ReliabilityEvent.withSink(collect(events)), Effect.forkChild)
      yield* TestClock.adjust("1 second")
      const served = yield* joinDone(fiber)
      assert.strictEqual(served.value.text, "from backup")
      assert.strictEqual(served.servedBy, "backup")
      assert.strictEqual(served.attempts, 3)
      assert.strictEqual(primary.calls.length, 2)
      assert.strictEqual(served.failovers.length, 1)
      assert.strictEqual(served.failovers[0]!.from, "primary")
      assert.strictEqual(served.failovers[0]!.error?._tag, "ProviderUnavailable")
      const failover = events.find((e) => e._tag === "Failover")
      assert.deepStrictEqual(failover?._tag === "Failover" && [failover.from, failover.to], ["primary", "backup"])
    }))

  it.effect("an entry without `attempts` is tried once before moving on", () =>
    Effect.gen(function*() {
      const primary = yield* scripted(() => down)
      const backup = yield* scripted(() => ({ text: "from backup" }))
      const served = yield* Failover.run([
        { name: "primary", provide: lm(primary.model) },
        { name: "backup", provide: lm(backup.model) }
      ], LanguageModel.generateText({ prompt: "x" }))
      assert.strictEqual(served.value.text, "from backup")
      assert.strictEqual(primary.calls.length, 1)
      assert.strictEqual(served.attempts, 2)
    }))

  it.effect("a bad request does not fail over", () =>
    Effect.gen(function*() {
      const primary = yield* scripted(() => ({ error: new InvalidRequest({ provider: "primary", message: "bad", status: 400 }) }))
      const backup = yield* scripted(() => ({ text: "never" }))
      const e = yield* Failover.run([
        { name: "primary", provide: lm(primary.model) },
        { name: "backup", provide: lm(backup.model) }
      ], LanguageModel.generateText({ prompt: "x" })).pipe(Effect.flip)
      assert.strictEqual(ErrorMapping.toLlmError("primary", e)._tag, "InvalidRequest")
      assert.strictEqual(backup.calls.length, 0)
    }))

  it.effect("outage: the breaker opens, at most N+1 calls reach the primary during the outage, the backup serves the rest", () =>
    Effect.gen(function*() {
      const N = 5
      const outage = { from: 10_000, to: 70_000 }
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      let now = 0
      const primaryRaw = yield* scripted(() => (now >= outage.from && now < outage.to ? down : { text: "primary" }))
      const backup = yield* scripted(() => ({ text: "backup" }))
      const guard = yield* Reliability.make(Reliability.policy({
        circuitBreaker: { consecutiveFailures: N, openFor: "45 seconds" },
        retry: { times: 2, base: "100 millis", jitter: false }
      })).pipe(ReliabilityEvent.withSink(collect(events)))
      const primary = guard.wrapLanguageModel("primary", primaryRaw.model)
      const served: Array<{ readonly t: number; readonly by: string }> = []
      const failures: Array<unknown> = []
      // one call every 500 ms for 120 s
      const driver = Effect.gen(function*() {
        for (let t = 0; t < 120_000; t += 500) {
          now = t
          const result = yield* Failover.run([
            { name: "primary", provide: lm(primary) },
            { name: "backup", provide: lm(backup.model) }
          ], LanguageModel.generateText({ prompt: `call ${t}` })).pipe(Effect.result)
          if (result._tag === "Success") served.push({ t, by: result.success.servedBy })
          else failures.push(result.failure)
          yield* Effect.sleep("500 millis")
          now = t + 500
        }
      }).pipe(ReliabilityEvent.withSink(collect(events)))
      const fiber = yield* Effect.forkChild(driver)
      for (let i = 0; i < 260; i++) yield* TestClock.adjust("500 millis")
      yield* joinDone(fiber)
      const during = primaryRaw.calls.filter((c) => c.at >= outage.from && c.at < outage.to)
      assert.strictEqual(failures.length, 0, "every call was served")
      assert.isAtMost(during.length, N + 1)
      assert.strictEqual(during.length, N + 1, "N failures open it, one half-open probe during the outage fails")
      assert.strictEqual(served.length, 240)
      // before the outage the primary serves; from the outage until the breaker's probe succeeds (45 s after the
      // failed probe at ~56 s) the backup serves; then the primary again
      const by = (from: number, to: number) => [...new Set(served.filter((s) => s.t >= from && s.t < to).map((s) => s.by))]
      assert.deepStrictEqual(by(0, outage.from), ["primary"])
      assert.deepStrictEqual(by(outage.from, outage.to), ["backup"])
      assert.deepStrictEqual(by(105_000, 120_000), ["primary"])
      const changes = events.flatMap((e) => (e._tag === "CircuitStateChanged" ? [`${e.from}->${e.to}`] : []))
      assert.deepStrictEqual(changes, ["Closed->Open", "Open->HalfOpen", "HalfOpen->Open", "Open->HalfOpen", "HalfOpen->Closed"])
      assert.isAbove(events.filter((e) => e._tag === "Failover").length, 100)
    }))
})

describe("Failover at the Llm level", () => {
  it.effect("steps can provide a named src/llm provider: Llm.generate({ provider: 'main' }) fails over", () =>
    Effect.gen(function*() {
      const primary = yield* scripted(() => down)
      const backup = yield* scripted(() => ({ text: "backup answer" }))
      const key = LlmProvider.key("main")
      const served = yield* Failover.run([
        { name: "openai", provide: Context.make(key, fromLanguageModel("main", primary.model)) },
        { name: "anthropic", provide: Context.make(key, fromLanguageModel("main", backup.model)) }
      ], Llm.generate({ provider: "main", model: "any", prompt: "q" }))
      assert.strictEqual(served.value, "backup answer")
      assert.strictEqual(served.servedBy, "anthropic")
      assert.strictEqual(served.failovers[0]?.error?._tag, "ProviderUnavailable")
    }))
})

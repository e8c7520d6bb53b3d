import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Schedule, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Llm from "../../src/llm/Llm.ts"
import { RateLimited } from "../../src/llm/LlmError.ts"
import { trackUsage } from "../../src/llm/Usage.ts"
import * as Mock from "../../src/testing/Mock.ts"
import type { ProviderName } from "../../src/llm/Llm.ts"
import * as MockLlm from "../../src/testing/MockLlm.ts"
import { type MockRequest } from "../../src/testing/MockLlm.ts"
import type { InjectedError } from "../../src/testing/MockScript.ts"
import { MockRecorder } from "../../src/testing/MockRecorder.ts"

// A helper generic over the provider takes it as `ProviderName<P>`, as the Llm helpers do.
const gen = <const P extends string = "openai">(prompt: string, provider: ProviderName<P> = "openai" as ProviderName<P>) =>
  Llm.generate({ provider, model: "gpt-4", prompt })

const Sentiment = Schema.Literals(["positive", "negative", "neutral"])

describe("MockLlm scripted answers", () => {
  it.effect("fixed value, list in order, function of the request", () =>
    Effect.gen(function*() {
      const layer = Mock.layer({
        llm: {
          openai: { responses: ["one", "two"] },
          anthropic: { responses: (req) => `${req.model}:${req.system ?? "-"}:${req.prompt.toUpperCase()}` }
        }
      })
      const out = yield* Effect.gen(function*() {
        const a = yield* gen("x")
        const b = yield* gen("y")
        const c = yield* Llm.generate({ provider: "anthropic", model: "claude", system: "sys", prompt: "hey" })
        return [a, b, c]
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(out, ["one", "two", "claude:sys:HEY"])

      const fixed = yield* Effect.all([gen("a"), gen("b")]).pipe(
        Effect.provide(Mock.layer({ llm: { openai: { responses: "always" } } }))
      )
      assert.deepStrictEqual(fixed, ["always", "always"])
    }))

  it.effect("an exhausted list is a defect naming the provider and call; repeat-last / cycle modes", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.all([gen("a"), gen("b")]).pipe(
        Effect.provide(Mock.layer({ llm: { openai: { responses: ["only"] } } })),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      const pretty = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
      assert.include(pretty, `MockLlm("openai"): 1 scripted response(s) exhausted at call 2`)

      const repeat = yield* Effect.all([gen("a"), gen("b"), gen("c")]).pipe(
        Effect.provide(Mock.layer({ llm: { openai: { responses: ["p", "q"], whenExhausted: "repeat-last" } } }))
      )
      assert.deepStrictEqual(repeat, ["p", "q", "q"])
      const cycle = yield* Effect.all([gen("a"), gen("b"), gen("c")]).pipe(
        Effect.provide(Mock.layer({ llm: { openai: { responses: ["p", "q"], whenExhausted: "cycle" } } }))
      )
      assert.deepStrictEqual(cycle, ["p", "q", "p"])
    }))

  it.effect("structured output: values must satisfy the Schema; raw text is parsed like a provider", () =>
    Effect.gen(function*() {
      const Score = Schema.Struct({ score: Schema.Number, notes: Schema.String })
      const layer = Mock.layer({
        llm: {
          openai: {
            responses: (req) =>
              req.schema === Score ? MockLlm.value({ score: 8, notes: "fine" }) : req.prompt === "raw" ? `"neutral"` : "positive"
          }
        }
      })
      const [a, b, c] = yield* Effect.all([
        Llm.generateObject({ provider: "openai", model: "m", prompt: "p", schema: Score }),
        Llm.generateObject({ provider: "openai", model: "m", prompt: "bare", schema: Sentiment }),
        Llm.generateObject({ provider: "openai", model: "m", prompt: "raw", schema: Sentiment })
      ]).pipe(Effect.provide(layer))
      assert.deepStrictEqual(a, { score: 8, notes: "fine" })
      assert.strictEqual(b, "positive")
      assert.strictEqual(c, "neutral")

      // a scripted value that does not satisfy the Schema is a defect (the test is wrong, not the model)
      const wrong = yield* Llm.generateObject({ provider: "openai", model: "m", prompt: "p", schema: Sentiment }).pipe(
        Effect.provide(Mock.layer({ llm: { openai: { responses: MockLlm.value("angry") } } })),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(wrong) && Cause.hasDies(wrong.cause))
      assert.include(Exit.isFailure(wrong) ? Cause.pretty(wrong.cause) : "", `scripted value "angry" does not satisfy`)

      // unparsable model text is a typed InvalidOutput carrying the raw text, and can be retried
      const layer2 = Mock.layer({ llm: { openai: { responses: ["I think it is good", "positive"] } } })
      const error = yield* Llm.generateObject({ provider: "openai", model: "m", prompt: "p", schema: Sentiment }).pipe(
        Effect.provide(layer2),
        Effect.flip
      )
      assert.strictEqual(error._tag, "InvalidOutput")
      assert.strictEqual(error._tag === "InvalidOutput" ? error.raw : "", "I think it is good")
      const retried = yield* Effect.gen(function*() {
        const v = yield* Llm.generateObject({ provider: "openai", model: "m", prompt: "p", schema: Sentiment, retryInvalidOutput: 1 })
        return [v, (yield* MockRecorder).count("openai")] as const
      }).pipe(Effect.provide(layer2))
      assert.deepStrictEqual(retried, ["positive", 2])
    }))

  it.effect("streams the scripted text as word deltas", () =>
    Effect.gen(function*() {
      const deltas = yield* Llm.stream({ provider: "openai", model: "m", prompt: "p" }).pipe(
        Stream.runCollect,
        Effect.provide(Mock.layer({ llm: { openai: { responses: "Hello big world" } } }))
      )
      assert.deepStrictEqual(Array.from(deltas), ["Hello ", "big ", "world"])
    }))
})

describe("MockLlm latency and failures", () => {
  it.effect("fixed latency runs on the TestClock", () =>
    Effect.gen(function*() {
      const fiber = yield* gen("x").pipe(
        Effect.provide(Mock.layer({ llm: { openai: { responses: "late", latency: "2 seconds" } } })),
        Effect.forkChild
      )
      yield* TestClock.adjust("1999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "late")
    }))

  it.effect("per-call latency; the recorder sees overlapping calls", () =>
    Effect.gen(function*() {
      const layer = Mock.layer({
        llm: { openai: { responses: (r) => r.prompt, latency: (r) => (r.prompt === "slow" ? "3 seconds" : "1 second") } }
      })
      const fiber = yield* Effect.gen(function*() {
        const out = yield* Effect.all([gen("slow"), gen("fast")], { concurrency: 2 })
        return [out, (yield* MockRecorder).calls()] as const
      }).pipe(Effect.provide(layer), Effect.forkChild)
      yield* TestClock.adjust("3 seconds")
      const [out, calls] = yield* Fiber.join(fiber)
      assert.deepStrictEqual(out, ["slow", "fast"])
      assert.deepStrictEqual(calls.map((c) => [c.prompt, c.startedAt, c.finishedAt]), [["slow", 0, 3000], ["fast", 0, 1000]])
    }))

  it.effect("fail the first N calls with a rate limit; a retry policy recovers", () =>
    Effect.gen(function*() {
      const layer = Mock.layer({
        llm: { openai: { responses: ["ok"], failures: { firstN: 2, error: "rate-limited", retryAfterMillis: 1500 } } }
      })
      const first = yield* gen("x").pipe(Effect.provide(layer), Effect.flip)
      assert.strictEqual(first._tag, "RateLimited")
      assert.strictEqual(first._tag === "RateLimited" ? first.retryAfterMillis : 0, 1500)

      const fiber = yield* Effect.gen(function*() {
        const v = yield* gen("x").pipe(Effect.retry({ schedule: Schedule.spaced("1 second"), times: 5 }))
        const rec = yield* MockRecorder
        return [v, rec.calls().map((c) => c.outcome?._tag)] as const
      }).pipe(Effect.provide(layer), Effect.forkChild)
      yield* TestClock.adjust("2 seconds")
      // failed calls do not consume the scripted list: the 3rd call gets "ok"
      assert.deepStrictEqual(yield* Fiber.join(fiber), ["ok", ["Failure", "Failure", "Success"]])
    }))

  it.effect("each named error kind, and a given error value", () =>
    Effect.gen(function*() {
      const tagOf = (error: InjectedError<MockRequest>) =>
        gen("x").pipe(
          Effect.provide(Mock.layer({ llm: { openai: { responses: "ok", failures: { firstN: 1, error } } } })),
          Effect.flip,
          Effect.map((e) => e._tag)
        )
      assert.deepStrictEqual(
        yield* Effect.all([tagOf("rate-limited"), tagOf("timeout"), tagOf("server-error"), tagOf("invalid-output")]),
        ["RateLimited", "ProviderTimeout", "ProviderUnavailable", "InvalidOutput"]
      )
      const given = new RateLimited({ provider: "openai", message: "custom", retryAfterMillis: 42 })
      const e = yield* Effect.all([gen("x"), gen("y")]).pipe(
        Effect.provide(Mock.layer({ llm: { openai: { responses: ["ok", given] } } })),
        Effect.flip
      )
      assert.strictEqual(e.message, "custom")
    }))

  it.effect("probability failures are reproducible from the seed", () =>
    Effect.gen(function*() {
      const pattern = (seed: number) =>
        Effect.gen(function*() {
          const results = yield* Effect.forEach(Array.from({ length: 200 }, (_, i) => i), () => Effect.result(gen("x")))
          return results.map((r) => (r._tag === "Success" ? "." : "x")).join("")
        }).pipe(
          Effect.provide(
            Mock.layer({ llm: { openai: { responses: "ok", failures: { probability: 0.3, seed, error: "server-error" } } } })
          )
        )
      const a = yield* pattern(7)
      const b = yield* pattern(7)
      const c = yield* pattern(8)
      assert.strictEqual(a, b)
      assert.notStrictEqual(a, c)
      const failures = a.split("").filter((ch) => ch === "x").length
      assert.isAbove(failures, 40)
      assert.isBelow(failures, 80)
    }))
})

describe("MockRecorder", () => {
  it.effect("records prompts, models, settings, order, counts and usage", () =>
    Effect.gen(function*() {
      const layer = Mock.layer({ llm: { openai: { responses: "abcdefgh" }, anthropic: {} } })
      const [result, usage] = yield* trackUsage(
        Effect.gen(function*() {
          yield* Llm.generate({ provider: "openai", model: "gpt-4", prompt: "12345678", temperature: 0, maxTokens: 9 })
          yield* Llm.generate({ provider: "anthropic", model: "claude", prompt: "echo me", system: "sys" })
          yield* Llm.generate({ provider: "openai", model: "gpt-4o", prompt: "again", stopSequences: ["END"] })
          return yield* MockRecorder
        }).pipe(Effect.provide(layer))
      )
      assert.deepStrictEqual(result.order(), ["openai", "anthropic", "openai"])
      assert.deepStrictEqual(result.prompts("openai"), ["12345678", "again"])
      assert.strictEqual(result.count({ provider: "openai", model: "gpt-4o" }), 1)
      const [c0, c1, c2] = result.calls()
      assert.deepStrictEqual([c0!.temperature, c0!.maxTokens, c1!.system, c2!.stopSequences], [0, 9, "sys", ["END"]])
      assert.deepStrictEqual(c1!.outcome, { _tag: "Success", output: "echo me", usage: { inputTokens: 3, outputTokens: 2 } })
      // default usage: ceil(chars / 4) in and out; the recorder and trackUsage agree
      assert.deepStrictEqual(result.usage("openai"), { inputTokens: 2 + 2, outputTokens: 2 + 2 })
      assert.deepStrictEqual([usage.inputTokens, usage.outputTokens], [7, 6])
    }))

  it.effect("explicit usage per reply or per provider", () =>
    Effect.gen(function*() {
      const layer = Mock.layer({
        llm: {
          openai: { responses: [MockLlm.text("a", { usage: { inputTokens: 100, outputTokens: 7 } }), "b"] },
          anthropic: { responses: "c", usage: { inputTokens: 5, outputTokens: 5 } }
        }
      })
      const [, usage] = yield* trackUsage(
        Effect.all([gen("x"), gen("y"), gen("z", "anthropic")]).pipe(Effect.provide(layer))
      )
      assert.deepStrictEqual([usage.inputTokens, usage.outputTokens], [100 + 1 + 5, 7 + 1 + 5])
    }))

  it.effect("single mock layers share a recorder through provideMerge", () =>
    Effect.gen(function*() {
      const layer = Layer.mergeAll(MockLlm.layer("cheap", { responses: "c" }), MockLlm.layer("primary", { responses: "p" })).pipe(
        Layer.provideMerge(MockRecorder.layer)
      )
      const order = yield* Effect.gen(function*() {
        yield* Llm.generate({ provider: "primary", model: "m", prompt: "1" })
        yield* Llm.generate({ provider: "cheap", model: "m", prompt: "2" })
        return (yield* MockRecorder).order()
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(order, ["primary", "cheap"])
    }))
})

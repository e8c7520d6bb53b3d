/**
 * Chaos: a provider failing 30 % of calls at random (seeded; 503s, 429s with Retry-After, timeouts), 1,000 runs of a
 * real 3-step workflow (dsl + engine) through the DEFAULT policy. Retry delays run on the TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Random, Schema, Stream } from "effect"
import { LanguageModel } from "effect/ai"
import { TestClock } from "effect/testing"
import { Workflow } from "../../src/index.ts"
import { isLlmError, Llm, ProviderTimeout, ProviderUnavailable, RateLimited } from "../../src/llm/index.ts"
import { toAiError } from "../../src/providers/ErrorMapping.ts"
import { Reliability } from "../../src/reliability/index.ts"
import { seeded } from "./support.ts"

const flakyModel = (failureRate: number, seed: number, stats: { calls: number; failures: number; attempts: Map<string, number> }) =>
  LanguageModel.make({
    generateText: (o) =>
      Effect.suspend(() => {
        const key = JSON.stringify(o.prompt.content.at(-1))
        stats.attempts.set(key, (stats.attempts.get(key) ?? 0) + 1)
        stats.calls++
        const r = random()
        if (r < failureRate) {
          stats.failures++
          const kind = Math.floor((r / failureRate) * 3)
          const error = kind === 0
            ? new ProviderUnavailable({ provider: "flaky", message: "503 Service Unavailable", status: 503 })
            : kind === 1
            ? new RateLimited({ provider: "flaky", message: "429 Too Many Requests", retryAfterMillis: 1000 })
            : new ProviderTimeout({ provider: "flaky", message: "deadline exceeded" })
          return Effect.fail(toAiError("generateText", error))
        }
        return Effect.succeed([{ type: "text" as const, text: "ok" }, {
          type: "finish" as const,
          reason: "stop" as const,
          usage: { inputTokens: { total: 3 }, outputTokens: { total: 1 } }
        }])
      }),
    streamText: () => Stream.empty
  })
let random = seeded(1)

const wf = Workflow.make("chaos", { input: Schema.Struct({ n: Schema.Number }) })
  .step("classify", (ctx) => Llm.generate({ provider: "flaky", model: "m", prompt: `classify ${ctx.input.n}` }))
  .step("answer", { needs: ["classify"] }, (ctx) => Llm.generate({ provider: "flaky", model: "m", prompt: `answer ${ctx.input.n} ${ctx.classify}` }))
  .step("summary", { needs: ["answer"] }, (ctx) => Llm.generate({ provider: "flaky", model: "m", prompt: `sum ${ctx.input.n} ${ctx.answer}` }))

describe("Chaos", () => {
  it.effect("30 % random provider failures: >= 99.9 % of 1,000 workflow runs succeed with the default policy", () =>
    Effect.gen(function*() {
      random = seeded(Number(process.env["CHAOS_SEED"] ?? 20261124))
      const stats = { calls: 0, failures: 0, attempts: new Map<string, number>() }
      const provider = Reliability.layerLlm(
        Reliability.defaultPolicy,
        "flaky",
        Layer.effect(LanguageModel.LanguageModel, flakyModel(0.3, 1, stats))
      )
      let done = 0
      const failures: Array<{ readonly run: number; readonly stepId: string; readonly cause: string }> = []
      const runs = Effect.forEach(
        Array.from({ length: 1000 }, (_, i) => i),
        (n) =>
          Workflow.run(wf, { n }).pipe(
            Effect.tapError((e) =>
              Effect.sync(() => {
                const stepId = "stepId" in e ? String(e.stepId) : "?"
                const cause = "error" in e && isLlmError(e.error) ? e.error._tag + (process.env["CHAOS_REPORT"] ? ` ${e.error.message}` : "") : String(e._tag)
                failures.push({ run: n, stepId, cause })
              })
            ),
            Effect.result,
            Effect.ensuring(Effect.sync(() => void done++))
          ),
        { concurrency: 50 }
      ).pipe(Effect.provide(provider))
      const fiber = yield* Effect.forkChild(runs)
      for (let i = 0; i < 10_000 && done < 1000; i++) yield* TestClock.adjust("500 millis")
      const results = yield* Fiber.join(fiber)
      const succeeded = results.filter((r) => r._tag === "Success").length
      if (process.env["CHAOS_REPORT"]) {
        console.log("max attempts of one call:", Math.max(...stats.attempts.values()))
        console.log(`chaos: ${succeeded}/1000 runs ok, ${stats.calls} calls, ${stats.failures} injected failures (${(100 * stats.failures / stats.calls).toFixed(1)} %), failures: ${JSON.stringify(failures)}`)
      }
      assert.strictEqual(results.length, 1000)
      assert.isAtLeast(succeeded / 1000, 0.999)
      assert.isAbove(stats.failures / stats.calls, 0.25, "faults were really injected")
      assert.isBelow(stats.failures / stats.calls, 0.35)
      assert.strictEqual(failures.length, 1000 - succeeded)
      for (const f of failures) {
        assert.include(["classify", "answer", "summary"], f.stepId, "every failure names its step")
        assert.include(["ProviderUnavailable", "RateLimited", "ProviderTimeout"], f.cause, "and its cause")
      }
    }).pipe(Random.withSeed(7)), 15_000)
})

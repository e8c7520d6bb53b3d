/**
 * Rate limits shared through the real Redis (127.0.0.1:6379): three worker processes, each with the same policy,
 * against one fake provider. With the limit counted in Redis the fake sees the limit's pace between them all; with
 * each process counting alone it sees three times that. Tokens per minute are shared too (two guards, two
 * connections). The minute-long 60 rpm figure is in `npm run bench:limits`.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { RateLimited } from "../../src/llm/LlmError.ts"
import { Reliability } from "../../src/reliability/index.ts"
import { SharedLimits } from "../../src/shared-state/index.ts"
import { deleteKeys, redisAvailability, redisUrl, testPrefix } from "../support/redis.ts"
import { runWorkers, startFake } from "./support/workers.ts"

const redis = await redisAvailability()
const prefixes: Array<string> = []
const prefix = () => {
  const p = testPrefix("limits")
  prefixes.push(p)
  return p
}
afterAll(async () => {
  if (redis.run && redis.reason === undefined) for (const p of prefixes) await deleteKeys(p)
})

describe.skipIf(!redis.run)("shared rate limits (Redis)", () => {
  it("three processes at 600 rpm (one call per 100 ms, no burst) share one limit: 45 calls take >= 4.4 s at the fake", async () => {
    if (redis.reason !== undefined) throw new Error(redis.reason)
    const fake = await startFake()
    try {
      const reports = await runWorkers({
        mode: "shared",
        workers: 3,
        callsEach: 15,
        rpm: 600,
        burst: 1 / 600,
        redisUrl,
        prefix: prefix(),
        fakeUrl: fake.url
      })
      assert.deepStrictEqual(reports.map((r) => [r.ok, r.failed]), [[15, 0], [15, 0], [15, 0]], reports.map((r) => r.stderr).join("\n"))
      const t = [...fake.arrivals].sort((a, b) => a - b)
      assert.strictEqual(t.length, 45)
      // 1 token at once, then one per 100 ms: the 45th call cannot start before 4.4 s after the first (each process
      // counting alone lets all three go at once: ~1.4 s). 900 ms of slack for a loaded machine (a first request sent
      // late, arrivals bunched at the fake) keeps it far from the per-process figure.
      assert.isAtLeast(t[44]! - t[0]!, 3500, `span ${t[44]! - t[0]!} ms`)
      // no second at the fake holds much more than the limit's 10 (+1); per process it would be ~30
      const maxInSecond = Math.max(...t.map((x) => t.filter((y) => y >= x && y < x + 1000).length))
      assert.isAtMost(maxInSecond, 20, `max ${maxInSecond} calls in one second`)
    } finally {
      await fake.close()
    }
  }, 120_000)

  it("the control: the same three processes counting in memory send three times the pace", async () => {
    if (redis.reason !== undefined) throw new Error(redis.reason)
    const fake = await startFake()
    try {
      await runWorkers({ mode: "memory", workers: 3, callsEach: 15, rpm: 600, burst: 1 / 600, redisUrl, prefix: prefix(), fakeUrl: fake.url })
      const t = [...fake.arrivals].sort((a, b) => a - b)
      assert.strictEqual(t.length, 45)
      // each process alone: its 15th call at >= 1.4 s; together well below the shared 4.4 s
      assert.isBelow(t[44]! - t[0]!, 3500, `span ${t[44]! - t[0]!} ms`)
    } finally {
      await fake.close()
    }
  }, 120_000)

  it.live("tokens per minute are shared: two guards on two connections draw from one bucket", () =>
    Effect.gen(function*() {
      if (redis.reason !== undefined) return yield* Effect.die(redis.reason)
      const p = prefix()
      const policy = Reliability.policy({ retry: false, circuitBreaker: false, rateLimit: { tokensPerMinute: 100, onExceeded: "fail" } })
      // each guard's store is built in the test's scope (a connection of its own, open until the test ends)
      const guardOn = (store: Layer.Layer<never> | ReturnType<typeof SharedLimits.layer>) =>
        Effect.flatMap(Layer.build(store), (context) => Reliability.make(policy).pipe(Effect.provide(context)))
      const a = yield* guardOn(SharedLimits.layer({ url: redisUrl, prefix: p }))
      const b = yield* guardOn(SharedLimits.layer({ url: redisUrl, prefix: p }))
      assert.strictEqual(yield* a.apply("p", { tokens: 60 })(Effect.succeed("a")), "a")
      // 40 tokens left in the shared bucket: b's 60 are refused, its 30 go through
      const refused = yield* Effect.flip(b.apply("p", { tokens: 60 })(Effect.succeed("b")))
      assert.instanceOf(refused, RateLimited)
      assert.strictEqual(refused.message, "local rate limit (tokens per minute) exceeded")
      assert.strictEqual(yield* b.apply("p", { tokens: 30 })(Effect.succeed("b")), "b")
      // in memory each guard has a bucket of its own: both 60-token calls pass
      const c = yield* guardOn(Layer.empty)
      const d = yield* guardOn(Layer.empty)
      assert.strictEqual(yield* c.apply("p", { tokens: 60 })(Effect.succeed("c")), "c")
      assert.strictEqual(yield* d.apply("p", { tokens: 60 })(Effect.succeed("d")), "d")
    }).pipe(Effect.scoped), 30_000)
})

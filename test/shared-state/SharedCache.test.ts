/**
 * The response cache in the real Redis (127.0.0.1:6379), shared by "workers" (caches on separate connections, as
 * separate processes would have): a hit in one for what another paid for, TTL expiry, the capacity bound (least
 * recently used evicted), and model responses (text and structured output) rebuilt from JSON.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { LanguageModel } from "effect/ai"
import { Redis } from "effect/persistence"
import { GenerationOptions } from "../../src/llm/GenerationOptions.ts"
import { ResponseCache } from "../../src/reliability/index.ts"
import { RedisConnection, SharedCache } from "../../src/shared-state/index.ts"
import { scripted } from "../reliability/support.ts"
import { deleteKeys, redisAvailability, redisUrl, testPrefix } from "../support/redis.ts"

const redis = await redisAvailability()
const prefix = testPrefix("cache")
afterAll(async () => {
  if (redis.run && redis.reason === undefined) await deleteKeys(prefix)
})

/** A cache built on a Redis connection of its own (open for the test's scope), like another worker's. */
const workerCache = (options: { readonly name: string; readonly capacity?: number; readonly ttl?: string }) =>
  Effect.flatMap(Layer.build(SharedCache.layer({ url: redisUrl, prefix })), (context) =>
    ResponseCache.make({ ...options, ...(options.ttl === undefined ? {} : { ttl: options.ttl as any }) }).pipe(Effect.provide(context)))

describe.skipIf(!redis.run)("SharedCache (Redis)", () => {
  it.live("what one worker paid for is a hit in another; TTL expiry; failures are not stored", () =>
    Effect.gen(function*() {
      if (redis.reason !== undefined) return yield* Effect.die(redis.reason)
      const a = yield* workerCache({ name: "answers", ttl: "400 millis" })
      const b = yield* workerCache({ name: "answers", ttl: "400 millis" })
      let calls = 0
      const call = (cache: ResponseCache.ResponseCache, prompt: string) =>
        cache.cached({ provider: "openai", model: "gpt-4o", prompt })(Effect.sync(() => ({ text: `${prompt}#${++calls}` })))
      assert.deepStrictEqual(yield* call(a, "q"), { text: "q#1" })
      assert.deepStrictEqual(yield* call(b, "q"), { text: "q#1" }, "b hits what a stored")
      assert.deepStrictEqual(yield* b.stats, { hits: 1, misses: 0, size: 1 })
      yield* Effect.sleep("600 millis")
      assert.deepStrictEqual(yield* call(b, "q"), { text: "q#2" }, "expired after the TTL")
      const failing = a.cached({ provider: "openai", model: "gpt-4o", prompt: "f" })(Effect.fail("boom"))
      assert.strictEqual(yield* Effect.flip(failing), "boom")
      assert.strictEqual(yield* Effect.flip(failing), "boom")
      assert.strictEqual(yield* b.stats.pipe(Effect.map((s) => s.size)), 1, "only q is stored")
    }).pipe(Effect.scoped), 30_000)

  it.live("bounded: past the capacity the least recently used entry goes, in Redis too", () =>
    Effect.gen(function*() {
      if (redis.reason !== undefined) return yield* Effect.die(redis.reason)
      const a = yield* workerCache({ name: "bounded", capacity: 2 })
      const b = yield* workerCache({ name: "bounded", capacity: 2 })
      let calls = 0
      const call = (cache: ResponseCache.ResponseCache, prompt: string) =>
        cache.cached({ provider: "p", model: "m", prompt })(Effect.sync(() => ++calls))
      yield* call(a, "x") // 1
      yield* Effect.sleep("5 millis")
      yield* call(a, "y") // 2
      yield* Effect.sleep("5 millis")
      assert.strictEqual(yield* call(b, "x"), 1, "x is now the most recently used")
      yield* Effect.sleep("5 millis")
      yield* call(b, "z") // 3: evicts y
      assert.strictEqual(yield* a.stats.pipe(Effect.map((s) => s.size)), 2)
      assert.strictEqual(yield* call(a, "x"), 1)
      assert.strictEqual(yield* call(a, "y"), 4, "y was evicted")
      const r = yield* Redis.Redis
      const keys = yield* r.send<Array<string>>("KEYS", `${prefix}bounded:e:*`)
      assert.strictEqual(keys.length, 2, "the evicted entry is deleted, not just unlisted")
      yield* a.clear
      assert.strictEqual(yield* b.stats.pipe(Effect.map((s) => s.size)), 0)
    }).pipe(Effect.scoped, Effect.provide(RedisConnection.layer({ url: redisUrl }))), 30_000)

  it.live("wrapped models: text and structured responses come back from JSON as responses", () =>
    Effect.gen(function*() {
      if (redis.reason !== undefined) return yield* Effect.die(redis.reason)
      const a = yield* workerCache({ name: "models" })
      const b = yield* workerCache({ name: "models" })
      const m = yield* scripted((_, prompt) => ({ text: prompt.startsWith("json") ? `{"n":${prompt.length},"at":"2026-01-02T03:04:05.000Z"}` : `answer to ${prompt}` }))
      const Out = Schema.Struct({ n: Schema.Number, at: Schema.DateTimeUtcFromString })
      const settings = Effect.provideService(GenerationOptions, { model: "gpt-4o" } as any)
      const first = yield* a.wrapLanguageModel("openai", m.model).generateText({ prompt: "hi" }).pipe(settings)
      const second = yield* b.wrapLanguageModel("openai", m.model).generateText({ prompt: "hi" }).pipe(settings)
      assert.strictEqual(first.text, "answer to hi")
      assert.instanceOf(second, LanguageModel.GenerateTextResponse)
      assert.strictEqual(second.text, "answer to hi")
      assert.strictEqual(m.calls.length, 1, "the second worker did not call the model")
      const o1 = yield* a.wrapLanguageModel("openai", m.model).generateObject({ prompt: "json please", schema: Out }).pipe(settings)
      const o2 = yield* b.wrapLanguageModel("openai", m.model).generateObject({ prompt: "json please", schema: Out }).pipe(settings)
      assert.strictEqual(m.calls.length, 2)
      assert.deepStrictEqual(o2.value, o1.value, "the value is decoded again (a DateTime, not a string)")
      assert.strictEqual(typeof o2.value.at, "object")
    }).pipe(Effect.scoped), 30_000)
})

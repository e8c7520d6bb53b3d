/**
 * The configuration file's `cache: { ttl, max_entries }`: the default lifetime of a step's cached answer (when its
 * `cache:` sets no `ttl`) and the entries each step's cache keeps, for the memory cache (TestClock) and the Redis one
 * (the real server: its keys and their PTTL).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createClient } from "redis"
import * as Config from "../../src/config/Config.ts"
import * as Pipeline from "../../src/pipeline/Pipeline.ts"
import { deleteKeys, redisAvailability, redisUrl, testPrefix } from "../support/redis.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const redis = await redisAvailability()
const prefix = testPrefix("cachecfg")
const dir = mkdtempSync(join(tmpdir(), "llmo-cachecfg-"))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  if (redis.run && redis.reason === undefined) await deleteKeys(prefix)
})

// each test its own workflow name: the step caches live as long as the process, keyed by workflow/step
const workflow = (name: string) => {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, `name: ${name}
inputs:
  text: string
steps:
  - id: answer
    type: llm
    provider: local
    model: m-1
    prompt: "Answer {{ input.text }}"
    cache: true
    output: answer
`)
  return file
}

const optionsOf = (yaml: string) =>
  Effect.map(Config.parse("llm-orchestrator.yaml", yaml), (config) => Config.toRunOptions({ file: "llm-orchestrator.yaml", dir, config }, {}))

const setup = (name: string, cacheSection: string) =>
  Effect.gen(function*() {
    let n = 0
    const server = yield* WireServer.start(() => Wire.chat(`answer ${++n}`))
    const options = yield* optionsOf(`providers:
  local: { use: openai, api_key: "env:KEY", base_url: "${server.url}/v1", reliability: { retry: false } }
${cacheSection}
`)
    const file = workflow(name)
    const ask = (text: string) =>
      Effect.map(Pipeline.runFile(file, { input: { text }, env: { KEY: "sk-test" }, ...options }), (r) => r.outputs["answer"])
    return { server, options, ask }
  })

describe("cache: { ttl, max_entries } from the configuration file", () => {
  it("is read into the run options", () =>
    Effect.runPromise(Effect.gen(function*() {
      const options = yield* optionsOf("cache: { ttl: 10m, max_entries: 50 }")
      assert.deepStrictEqual(options.responseCache, { ttl: "10 minutes", capacity: 50 })
      assert.isUndefined((yield* optionsOf("cache: { type: memory }")).responseCache)
    })))

  it.live("memory, max_entries: 1: a second prompt evicts the first (without it both stay)", () =>
    Effect.gen(function*() {
      const { ask, server } = yield* setup("evict", "cache: { max_entries: 1 }")
      assert.strictEqual(yield* ask("a"), "answer 1")
      assert.strictEqual(yield* ask("a"), "answer 1")
      assert.strictEqual(yield* ask("b"), "answer 2")
      // "a" was evicted by "b"
      assert.strictEqual(yield* ask("a"), "answer 3")
      assert.strictEqual(server.requests.length, 3)
      const control = yield* setup("keep", "")
      yield* control.ask("a")
      yield* control.ask("b")
      assert.strictEqual(yield* control.ask("a"), "answer 1")
      assert.strictEqual(control.server.requests.length, 2)
    }).pipe(Effect.scoped), 120_000)

  it.effect("memory, ttl: 10m: an answer a step caches without a ttl of its own expires after 10 minutes", () =>
    Effect.gen(function*() {
      const { ask, server } = yield* setup("expire", "cache: { ttl: 10m }")
      assert.strictEqual(yield* ask("a"), "answer 1")
      yield* TestClock.adjust("9 minutes")
      assert.strictEqual(yield* ask("a"), "answer 1")
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual(yield* ask("a"), "answer 2")
      assert.strictEqual(server.requests.length, 2)
      // the default for such a step: no expiry
      const control = yield* setup("forever", "")
      yield* control.ask("a")
      yield* TestClock.adjust("1000 hours")
      assert.strictEqual(yield* control.ask("a"), "answer 1")
    }).pipe(Effect.scoped), 120_000)

  it.live.skipIf(!redis.run)("redis: entries expire after cache.ttl (their PTTL) and at most max_entries stay", () =>
    Effect.gen(function*() {
      if (redis.reason !== undefined) return yield* Effect.die(redis.reason)
      const { ask, server } = yield* setup("shared", `cache: { type: redis, url: "${redisUrl}", prefix: "${prefix}", ttl: 10m, max_entries: 2 }`)
      yield* ask("a")
      yield* ask("b")
      yield* ask("c")
      assert.strictEqual(server.requests.length, 3)
      const client = createClient({ url: redisUrl })
      yield* Effect.promise(() => client.connect())
      const keys = yield* Effect.promise(async () => {
        const out: Array<string> = []
        for await (const batch of client.scanIterator({ MATCH: `${prefix}shared/answer:e:*`, COUNT: 100 })) out.push(...batch)
        return out
      })
      const ttls = yield* Effect.promise(() => Promise.all(keys.map((k) => client.pTTL(k))))
      yield* Effect.promise(() => client.close())
      // two of the three answers stay ("a", the least recently used, was evicted), each expiring within 10 minutes
      assert.strictEqual(keys.length, 2, keys.join(", "))
      for (const t of ttls) assert.isTrue(t > 9 * 60_000 && t <= 10 * 60_000, `PTTL ${t}`)
      assert.strictEqual(yield* ask("c"), "answer 3")
      assert.strictEqual(yield* ask("a"), "answer 4")
    }).pipe(Effect.scoped), 120_000)
})

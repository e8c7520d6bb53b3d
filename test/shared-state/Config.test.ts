/**
 * Shared state from the configuration file (`rate_limit_store: { type: redis }`, `cache: { type: redis }`), as the
 * CLI's run, listen and the workers use it: two pipeline runs with services of their own (as two processes would
 * have) against the real Redis share one provider budget and one response cache; without the sections each counts
 * and caches alone.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Config from "../../src/config/Config.ts"
import * as ConfigFile from "../../src/config/ConfigFile.ts"
import * as Pipeline from "../../src/pipeline/Pipeline.ts"
import { deleteKeys, redisAvailability, redisUrl, testPrefix } from "../support/redis.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const redis = await redisAvailability()
const prefix = testPrefix("config")
const dir = mkdtempSync(join(tmpdir(), "queues-config-"))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  if (redis.run && redis.reason === undefined) await deleteKeys(prefix)
})

const file = join(dir, "ask.yaml")
writeFileSync(file, `name: ask
inputs:
  text: string
steps:
  - id: answer
    type: llm
    provider: local
    model: m-1
    prompt: "Answer {{ input.text }}"
    cache: { ttl: 1h }
    output: answer
`)

const optionsOf = (yaml: string) =>
  Effect.map(Config.parse("llm-orchestrator.yaml", yaml), (config) => Config.toRunOptions({ file: "llm-orchestrator.yaml", dir, config }, {}))

describe.skipIf(!redis.run)("shared state from the configuration file", () => {
  it.live("rate_limit_store: redis: the second process finds the shared bucket empty; memory: each has its own", () =>
    Effect.gen(function*() {
      if (redis.reason !== undefined) return yield* Effect.die(redis.reason)
      const server = yield* WireServer.start(() => Wire.chat("ok"))
      const provider = (extra: string) => `providers:
  local: { use: openai, api_key: "env:KEY", base_url: "${server.url}/v1", reliability: { retry: false, rate_limit: { requests_per_minute: 1, on_exceeded: fail } } }
${extra}`
      const env = { KEY: "sk-test" }
      const shared = yield* optionsOf(provider(`rate_limit_store: { type: redis, url: "${redisUrl}", prefix: "${prefix}limits:" }`))
      assert.deepStrictEqual(shared.sharedState, { limits: { url: redisUrl, prefix: `${prefix}limits:` }, cache: undefined })
      const run = (options: typeof shared, text: string) => Pipeline.runFile(file, { input: { text }, env, ...options })
      assert.deepStrictEqual((yield* run(shared, "a")).outputs, { answer: "ok" })
      // another run with services of its own (another process): one request per minute between them
      const refused = yield* Effect.flip(run(shared, "b"))
      assert.match(refused.message, /^Step 'answer' failed on attempt 1: RateLimited: .*Rate limit exceeded\. Retry after \d+s/)
      assert.strictEqual(server.requests.length, 1)
      // the same limit in memory: each run's services count alone
      const alone = yield* optionsOf(provider(""))
      assert.isUndefined(alone.sharedState)
      yield* run(alone, "c")
      yield* run(alone, "d")
      assert.strictEqual(server.requests.length, 3)
    }).pipe(Effect.scoped), 30_000)

  it.live("cache: redis: a step's cached answer is a hit for a run with services of its own", () =>
    Effect.gen(function*() {
      if (redis.reason !== undefined) return yield* Effect.die(redis.reason)
      let n = 0
      const server = yield* WireServer.start(() => Wire.chat(`answer ${++n}`))
      const options = yield* optionsOf(`providers:
  local: { use: openai, api_key: "env:KEY", base_url: "${server.url}/v1" }
cache: { type: redis, url: "${redisUrl}", prefix: "${prefix}cache:" }
`)
      const run = () => Pipeline.runFile(file, { input: { text: "same" }, env: { KEY: "sk-test" }, ...options })
      assert.deepStrictEqual((yield* run()).outputs, { answer: "answer 1" })
      assert.deepStrictEqual((yield* run()).outputs, { answer: "answer 1" })
      assert.strictEqual(server.requests.length, 1)
    }).pipe(Effect.scoped), 30_000)

  it("the schema names both sections", () => {
    const doc = JSON.stringify(ConfigFile.jsonSchema())
    assert.include(doc, "rate_limit_store")
    assert.include(doc, "priority_aging")
  })
})

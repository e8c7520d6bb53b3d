/**
 * Runs started from a Redis Stream (consumer group) on the real Redis (127.0.0.1:6379): one run per message, acked
 * once durably started, a repeated idempotency key starts no second run, malformed messages go to the dead-letter
 * stream with the reason; and a consumer killed (kill -9) between accept and ack: the entry is delivered again and
 * finds the same run.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Schedule } from "effect"
import { Redis } from "effect/persistence"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DurableRuns } from "../../src/durable/index.ts"
import { RedisConnection } from "../../src/shared-state/index.ts"
import { Listener, RedisStreamSource } from "../../src/triggers/index.ts"
import { deleteKeys, redisAvailability, redisUrl, testPrefix } from "../support/redis.ts"
import { greet } from "./support/greet.ts"
import { kill9, spawnConsumer } from "./support/spawnConsumer.ts"

const redis = await redisAvailability()
const prefix = testPrefix("triggers")
const dir = mkdtempSync(join(tmpdir(), "queues-triggers-"))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  if (redis.run && redis.reason === undefined) await deleteKeys(prefix)
})

const fieldsOf = (entry: readonly [string, ReadonlyArray<string>]) => {
  const f: Record<string, string> = {}
  for (let i = 0; i + 1 < entry[1].length; i += 2) f[entry[1][i]!] = entry[1][i + 1]!
  return f
}

const pendingCount = (stream: string) =>
  Effect.flatMap(Redis.Redis, (r) => r.send<[number, ...Array<unknown>]>("XPENDING", stream, "runs")).pipe(Effect.map((p) => Number(p[0])))

describe.skipIf(!redis.run)("Redis Stream triggers", () => {
  it.live("one run per message, acked after the start; repeated keys start one run; malformed ones dead-lettered with the reason", () =>
    Effect.gen(function*() {
      if (redis.reason !== undefined) return yield* Effect.die(redis.reason)
      const stream = `${prefix}jobs-a`
      const r = yield* Redis.Redis
      const add = (...fields: Array<string>) => r.send<string>("XADD", stream, "*", ...fields)
      const first = yield* add("body", JSON.stringify({ input: { name: "ada" } }))
      yield* add("body", "not json")
      yield* add("body", JSON.stringify({ workflow: "nope", input: {} }))
      yield* add("body", JSON.stringify({ input: { name: 1 } }))
      yield* add("body", JSON.stringify({ input: { name: "bob" } }), "idempotency-key", "order-1")
      yield* add("body", JSON.stringify({ input: { name: "bob again" }, idempotency_key: "order-1", priority: "high" }))
      yield* add("body", JSON.stringify({ input: { name: "cy" }, extra: 1 }))

      const runs = yield* DurableRuns.DurableRuns
      const accepted: Array<string> = []
      const source = yield* RedisStreamSource.make({ stream, group: "runs", consumer: "c1", block: "100 millis" })
      const listener = yield* Listener.run({ source, workflows: [greet()], onAccepted: ({ runId }) => Effect.sync(() => accepted.push(runId)) })
        .pipe(Effect.forkChild)
      const dead = `${stream}:dead`
      while ((yield* r.send<number>("XLEN", dead)) < 4 || accepted.length < 3) yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(listener)

      // three accepted messages, two runs: the repeated key found the run of the first
      assert.strictEqual(accepted.length, 3)
      assert.strictEqual(accepted[1], accepted[2])
      assert.notStrictEqual(accepted[0], accepted[1])
      const all = yield* runs.list()
      assert.strictEqual(all.length, 2)
      const ada = yield* runs.await(accepted[0]!)
      assert.deepStrictEqual(ada.output, { hello: "hello ada" })
      assert.strictEqual(ada.idempotencyKey, `redis-stream ${stream} ${first}`)
      const bob = yield* runs.await(accepted[1]!)
      assert.deepStrictEqual(bob.output, { hello: "hello bob" })
      assert.strictEqual(bob.idempotencyKey, "order-1")
      // every entry was acknowledged: nothing pending
      assert.strictEqual(yield* pendingCount(stream), 0)
      const deadEntries = (yield* r.send<Array<readonly [string, ReadonlyArray<string>]>>("XRANGE", dead, "-", "+")).map(fieldsOf)
      assert.deepStrictEqual(deadEntries.map((e) => e["stream"]), [stream, stream, stream, stream])
      assert.match(deadEntries[0]!["reason"]!, /^the body is not JSON: /)
      assert.strictEqual(deadEntries[0]!["body"], "not json")
      assert.strictEqual(deadEntries[1]!["reason"], `unknown workflow "nope" (this listener runs greet)`)
      assert.strictEqual(deadEntries[2]!["reason"], "input of greet: name: Expected string")
      assert.strictEqual(deadEntries[3]!["reason"], `unknown field(s) "extra" (expected workflow, input, idempotency_key, priority)`)
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(DurableRuns.layerMemory, RedisConnection.layer({ url: redisUrl })))), 30_000)

  it.live("an entry whose start failed stays pending and is started on a later look", () =>
    Effect.gen(function*() {
      if (redis.reason !== undefined) return yield* Effect.die(redis.reason)
      const stream = `${prefix}jobs-b`
      const r = yield* Redis.Redis
      yield* r.send("XADD", stream, "*", "body", JSON.stringify({ input: { name: "dee" } }))
      let attempts = 0
      const source = yield* RedisStreamSource.make({ stream, group: "runs", consumer: "c1", block: "100 millis", retryEvery: "300 millis" })
      const runs = yield* DurableRuns.DurableRuns
      const accepted: Array<string> = []
      // the first start fails like an unreachable store; the entry must not be acked or dead-lettered
      const fiber = yield* source.consume((m) =>
        ++attempts === 1
          ? Effect.fail(new Error("store unreachable"))
          : Listener.handler({ source, workflows: [greet()], onAccepted: ({ runId }) => Effect.sync(() => accepted.push(runId)) })(m).pipe(
            Effect.provideService(DurableRuns.DurableRuns, runs)
          )
      ).pipe(Effect.forkChild)
      while (accepted.length === 0) yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(attempts, 2)
      assert.strictEqual(yield* pendingCount(stream), 0)
      assert.strictEqual(yield* r.send<number>("XLEN", `${stream}:dead`), 0)
      assert.deepStrictEqual((yield* runs.await(accepted[0]!)).output, { hello: "hello dee" })
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(DurableRuns.layerMemory, RedisConnection.layer({ url: redisUrl })))), 30_000)

  it.live("a listener whose connections are closed by the server reconnects and goes on: nothing lost, nothing started twice", () =>
    Effect.gen(function*() {
      if (redis.reason !== undefined) return yield* Effect.die(redis.reason)
      const stream = `${prefix}jobs-reconnect`
      const name = `${prefix}listener`
      const r = yield* Redis.Redis
      const runs = yield* DurableRuns.DurableRuns
      const accepted: Array<string> = []
      const source = yield* RedisStreamSource.make({ stream, group: "runs", consumer: "c1", block: "200 millis" })
      const listener = yield* Listener.run({ source, workflows: [greet()], onAccepted: ({ runId }) => Effect.sync(() => accepted.push(runId)) })
        .pipe(Effect.forkChild)
      const until = (done: () => boolean) =>
        Effect.gen(function*() {
          for (let i = 0; i < 300 && !done(); i++) yield* Effect.sleep("50 millis")
          assert.isTrue(done(), "timed out")
        })
      yield* r.send("XADD", stream, "*", "body", JSON.stringify({ input: { name: "before" } }))
      yield* until(() => accepted.length === 1)
      // Close every connection of this layer (ours only, found by its name), as a Redis restart or a proxy would.
      const list = yield* r.send<string>("CLIENT", "LIST")
      const ids = list.split("\n").filter((line) => line.includes(` name=${name} `)).map((line) => /\bid=(\d+)/.exec(line)![1]!)
      assert.isAtLeast(ids.length, 2, "the client and the listener's blocking connection")
      for (const id of ids) yield* Effect.ignore(r.send("CLIENT", "KILL", "ID", id))
      // the next message is still taken, once
      yield* Effect.retry(r.send("XADD", stream, "*", "body", JSON.stringify({ input: { name: "after" } })), { times: 20, schedule: Schedule.spaced("100 millis") })
      yield* until(() => accepted.length === 2)
      yield* Effect.sleep("500 millis")
      yield* Fiber.interrupt(listener)
      assert.strictEqual(accepted.length, 2)
      assert.notStrictEqual(accepted[0], accepted[1])
      assert.deepStrictEqual((yield* runs.await(accepted[1]!)).output, { hello: "hello after" })
      assert.strictEqual(yield* pendingCount(stream), 0)
      assert.strictEqual(yield* r.send<number>("XLEN", `${stream}:dead`), 0)
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(DurableRuns.layerMemory, RedisConnection.layer({ url: redisUrl, name: `${prefix}listener` })))
    ), 60_000)

  it("kill -9 between accept and ack: the entry is delivered again, finds the same run, and only then is acked", async () => {
    if (redis.reason !== undefined) throw new Error(redis.reason)
    const stream = `${prefix}jobs-kill`
    const store = `sqlite:${join(dir, "kill-redis.db")}`
    const log = join(dir, "kill-redis.log")
    const id = await Effect.runPromise(
      Effect.flatMap(Redis.Redis, (r) => r.send<string>("XADD", stream, "*", "body", JSON.stringify({ input: { name: "eve" } }))).pipe(
        Effect.provide(RedisConnection.layer({ url: redisUrl }))
      )
    )
    const a = spawnConsumer(["redis", store, redisUrl, stream, "worker-1", log], { BLOCK_AFTER_ACCEPT: "1" })
    let runId: string
    try {
      runId = (await a.line(/ACCEPTED (\S+)/))[1]!
    } finally {
      await kill9(a)
    }
    // accepted but never acknowledged: still pending
    const pending = () =>
      Effect.runPromise(pendingCount(stream).pipe(Effect.provide(RedisConnection.layer({ url: redisUrl }))))
    assert.strictEqual(await pending(), 1)
    const b = spawnConsumer(["redis", store, redisUrl, stream, "worker-1", log])
    try {
      const again = await b.line(/ACCEPTED (\S+)/)
      assert.strictEqual(again[1], runId, "the redelivered entry found the run the killed consumer started")
      const result = await b.line(/RESULT (\S+) (\S+) (.*) (\d+)\n/)
      assert.deepStrictEqual([result[1], result[2], JSON.parse(result[3]!), result[4]], [runId, "succeeded", { hello: "hello eve" }, "1"])
      assert.strictEqual(await pending(), 0)
    } finally {
      await kill9(b)
    }
    // the step ran (once or, when the kill landed inside it, twice) for the one run; never a second run
    const steps = readFileSync(log, "utf8").trim().split("\n")
    assert.isAtLeast(steps.length, 1)
    assert.isTrue(steps.every((l) => l.startsWith("hello eve ")), steps.join("|"))
    assert.isString(id)
  }, 180_000)
})

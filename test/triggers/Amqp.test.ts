/**
 * Runs started from a RabbitMQ queue on the real broker (127.0.0.1:5672, guest/guest): one run per message, acked
 * once durably started, a redelivered or repeated message starts no second run, malformed ones go to the
 * dead-letter queue with the reason (x-reason); and a consumer killed (kill -9) between accept and ack: the broker
 * delivers the message again and it finds the same run.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Schedule } from "effect"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DurableRuns } from "../../src/durable/index.ts"
import { AmqpSource, Listener } from "../../src/triggers/index.ts"
import { amqpAvailability, amqpUrl, deleteQueues, publish, testQueue, withChannel } from "../support/amqp.ts"
import { greet } from "./support/greet.ts"
import { kill9, spawnConsumer } from "./support/spawnConsumer.ts"

const broker = await amqpAvailability()
const queues: Array<string> = []
const queue = (what: string) => {
  const q = testQueue(what)
  queues.push(q, `${q}.dead`)
  return q
}
const dir = mkdtempSync(join(tmpdir(), "queues-amqp-"))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  if (broker.run && broker.reason === undefined) await deleteQueues(queues)
})

// `rabbitmqctl close_connection` for each connection of ours (by its client-provided name); how many were closed
const rabbitmqctl = (args: ReadonlyArray<string>) =>
  new Promise<string>((resolve, reject) => execFile("rabbitmqctl", ["-q", ...args], { timeout: 60_000 }, (e, out) => (e ? reject(e) : resolve(out))))
const closeConnection = async (name: string): Promise<number> => {
  const lines = (await rabbitmqctl(["list_connections", "pid", "client_properties"])).split("\n").filter((l) => l.includes(name))
  for (const line of lines) await rabbitmqctl(["close_connection", line.split("\t")[0]!, "test: connection closed by the broker"])
  return lines.length
}

const messageCount = (q: string) => withChannel(async (channel) => (await channel.checkQueue(q)).messageCount)

describe.skipIf(!broker.run)("RabbitMQ triggers", () => {
  it.live("one run per message, acked after the start; a repeated message id starts one run; malformed ones dead-lettered with x-reason", () =>
    Effect.gen(function*() {
      if (broker.reason !== undefined) return yield* Effect.die(broker.reason)
      const q = queue("a")
      const send = (body: string, options: Record<string, unknown> = {}) => Effect.promise(() => publish(q, body, options))
      yield* send(JSON.stringify({ input: { name: "ada" } }), { messageId: "m-1" })
      yield* send(JSON.stringify({ input: { name: "ada" } }), { messageId: "m-1" })
      yield* send("{oops", { messageId: "m-2" })
      yield* send(JSON.stringify({ input: { name: "nobody" } }))
      yield* send(JSON.stringify({ input: { name: "bob" } }), { headers: { "idempotency-key": "order-9" } })

      const runs = yield* DurableRuns.DurableRuns
      const accepted: Array<string> = []
      const source = yield* AmqpSource.make({ url: amqpUrl, queue: q })
      const listener = yield* Listener.run({ source, workflows: [greet()], onAccepted: ({ runId }) => Effect.sync(() => accepted.push(runId)) })
        .pipe(Effect.forkChild)
      while (accepted.length < 3) yield* Effect.sleep("50 millis")
      // the dead-lettered ones are confirmed before their ack: once all are settled the queue is empty
      const dead = yield* Effect.promise(() =>
        withChannel(async (channel) => {
          const got: Array<{ body: string; reason: unknown; messageId: unknown }> = []
          for (let i = 0; i < 100 && got.length < 2; i++) {
            const m = await channel.get(`${q}.dead`, { noAck: true })
            if (m === false) await new Promise((r) => setTimeout(r, 50))
            else got.push({ body: m.content.toString(), reason: m.properties.headers?.["x-reason"], messageId: m.properties.messageId })
          }
          return got
        })
      )
      yield* Fiber.interrupt(listener)
      assert.strictEqual(accepted[0], accepted[1], "the second delivery of m-1 found the first run")
      assert.notStrictEqual(accepted[0], accepted[2])
      assert.strictEqual((yield* runs.list()).length, 2)
      const ada = yield* runs.await(accepted[0]!)
      assert.deepStrictEqual(ada.output, { hello: "hello ada" })
      assert.strictEqual(ada.idempotencyKey, `amqp ${q} m-1`)
      assert.strictEqual((yield* runs.await(accepted[2]!)).idempotencyKey, "order-9")
      assert.deepStrictEqual(dead.map((d) => d.body), ["{oops", JSON.stringify({ input: { name: "nobody" } })])
      assert.match(String(dead[0]!.reason), /^the body is not JSON: /)
      assert.strictEqual(dead[0]!.messageId, "m-2")
      assert.strictEqual(
        String(dead[1]!.reason),
        `the message has no id, no "idempotency-key" header and no "idempotency_key" field: a redelivery could not be told from a new request`
      )
      assert.strictEqual(yield* Effect.promise(() => messageCount(q)), 0)
    }).pipe(Effect.scoped, Effect.provide(DurableRuns.layerMemory)), 30_000)

  it.live("the broker closes the connection: the listener reconnects and goes on; nothing is lost or started twice", () =>
    Effect.gen(function*() {
      if (broker.reason !== undefined) return yield* Effect.die(broker.reason)
      const q = queue("reconnect")
      const send = (body: string, options: Record<string, unknown> = {}) => Effect.promise(() => publish(q, body, options))
      const runs = yield* DurableRuns.DurableRuns
      const accepted: Array<string> = []
      const connectionName = `llmo-test ${q}`
      const source = yield* AmqpSource.make({ url: amqpUrl, queue: q, connectionName, reconnect: Schedule.spaced("200 millis") })
      const listener = yield* Listener.run({ source, workflows: [greet()], onAccepted: ({ runId }) => Effect.sync(() => accepted.push(runId)) })
        .pipe(Effect.forkChild)
      yield* send(JSON.stringify({ input: { name: "ada" } }), { messageId: "r-1" })
      while (accepted.length < 1) yield* Effect.sleep("50 millis")
      // close our connection from the broker's side (the shared RabbitMQ itself keeps running)
      const closed = yield* Effect.promise(() => closeConnection(connectionName))
      assert.isAtLeast(closed, 1, "the listener's connection was found")
      yield* send(JSON.stringify({ input: { name: "bob" } }), { messageId: "r-2" })
      // the same message again after the reconnection: it finds its run
      yield* send(JSON.stringify({ input: { name: "ada" } }), { messageId: "r-1" })
      while (accepted.length < 3) yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(listener)
      assert.strictEqual(accepted[2], accepted[0], "r-1 again found its run")
      assert.notStrictEqual(accepted[1], accepted[0])
      assert.strictEqual((yield* runs.list()).length, 2)
      assert.deepStrictEqual((yield* runs.await(accepted[1]!)).output, { hello: "hello bob" })
      assert.strictEqual(yield* Effect.promise(() => messageCount(q)), 0)
    }).pipe(Effect.scoped, Effect.provide(DurableRuns.layerMemory)), 60_000)

  it("kill -9 between accept and ack: the broker redelivers, the same run is found, then acked", async () => {
    if (broker.reason !== undefined) throw new Error(broker.reason)
    const q = queue("kill")
    const store = `sqlite:${join(dir, "kill-amqp.db")}`
    const log = join(dir, "kill-amqp.log")
    await publish(q, JSON.stringify({ input: { name: "eve" } }), { messageId: "order-42" })
    const a = spawnConsumer(["amqp", store, amqpUrl, q, "worker-1", log], { BLOCK_AFTER_ACCEPT: "1" })
    let runId: string
    try {
      runId = (await a.line(/ACCEPTED (\S+)/))[1]!
    } finally {
      await kill9(a)
    }
    const b = spawnConsumer(["amqp", store, amqpUrl, q, "worker-2", log])
    try {
      const again = await b.line(/ACCEPTED (\S+)/)
      assert.strictEqual(again[1], runId, "the redelivered message found the run the killed consumer started")
      const result = await b.line(/RESULT (\S+) (\S+) (.*) (\d+)\n/)
      assert.deepStrictEqual([result[1], result[2], JSON.parse(result[3]!), result[4]], [runId, "succeeded", { hello: "hello eve" }, "1"])
    } finally {
      await kill9(b)
    }
    // acknowledged by the second consumer: nothing comes back once it is gone
    assert.strictEqual(await messageCount(q), 0)
    const steps = readFileSync(log, "utf8").trim().split("\n")
    assert.isTrue(steps.length >= 1 && steps.every((l) => l.startsWith("hello eve ")), steps.join("|"))
  }, 180_000)
})

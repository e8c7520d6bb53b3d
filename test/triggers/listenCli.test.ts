/**
 * `llm-orchestrator listen` as users meet it: the CLI in a child process consuming a Redis Stream (real Redis) into
 * a SQLite run store, starting a YAML workflow per message, dead-lettering a bad one with the reason, and stopping
 * cleanly (exit 0) on SIGTERM.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Redis } from "effect/persistence"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import { DurableRuns } from "../../src/durable/index.ts"
import { RedisConnection } from "../../src/shared-state/index.ts"
import { finished, spawnCli, until } from "../cli/support/cliProcess.ts"
import { deleteKeys, redisAvailability, redisUrl, testPrefix } from "../support/redis.ts"

const redis = await redisAvailability()
const prefix = testPrefix("listen")
const dir = mkdtempSync(join(tmpdir(), "queues-listen-"))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  if (redis.run && redis.reason === undefined) await deleteKeys(prefix)
})

const yaml = `name: shout
inputs:
  text: string
steps:
  - id: up
    type: transform
    function: template
    template: "{{ input.text }}!"
    output: loud
outputs:
  loud: "{{ loud }}"
`

const send = <A>(f: (r: Redis.Redis["Service"]) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.flatMap(Redis.Redis, f).pipe(Effect.provide(RedisConnection.layer({ url: redisUrl }))) as Effect.Effect<A>)

describe.skipIf(!redis.run)("llm-orchestrator listen", () => {
  it("--redis-stream: a run per message on the store, the bad one dead-lettered, SIGTERM exits 0", async () => {
    if (redis.reason !== undefined) throw new Error(redis.reason)
    const file = join(dir, "shout.yaml")
    writeFileSync(file, yaml)
    const store = `sqlite:${join(dir, "runs.db")}`
    const stream = `${prefix}jobs`
    const id = await send((r) => r.send<string>("XADD", stream, "*", "body", JSON.stringify({ input: { text: "hey" } })))
    await send((r) => r.send("XADD", stream, "*", "body", JSON.stringify({ workflow: "whisper", input: { text: "psst" } })))
    const child = spawnCli(["listen", file, "--store", store, "--redis-stream", stream, "--redis", redisUrl, "--consumer", "cli-1"])
    const done = finished(child)
    let stderr = ""
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
    try {
      await until(() => /accepted run-\S+/.test(stderr) && stderr.includes("dead-lettered"), "the two messages settled", 90_000)
      const runId = /accepted (run-\S+) \(message (\S+)\)/.exec(stderr)!
      assert.strictEqual(runId[2], id)
      assert.match(stderr, new RegExp(`dead-lettered message \\S+: unknown workflow "whisper" \\(this listener runs shout\\)`))
      const run = await Effect.runPromise(
        Effect.gen(function*() {
          const runs = yield* DurableRuns.make({ store, role: "client", pollInterval: "100 millis" })
          return yield* runs.await(runId[1]!)
        }).pipe(Effect.scoped)
      )
      assert.strictEqual(run.status, "succeeded")
      assert.strictEqual((run.output as Record<string, unknown>)["up"], "hey!", JSON.stringify(run.output))
      const dead = await send((r) => r.send<Array<[string, Array<string>]>>("XRANGE", `${stream}:dead`, "-", "+"))
      assert.strictEqual(dead.length, 1)
      const pending = await send((r) => r.send<[number]>("XPENDING", stream, "llm-orchestrator"))
      assert.strictEqual(Number(pending[0]), 0)
    } finally {
      child.kill("SIGTERM")
    }
    const exit = await done
    assert.strictEqual(exit.code, 0, exit.stderr)
  }, 120_000)

  it.effect("refuses a command line without exactly one source, or --amqp without --queue (exit 2)", () =>
    Effect.gen(function*() {
      // in this process: a usage error needs no child process
      for (const [args, message] of [
        [[], "error: give one source: --redis-stream NAME, or --amqp URL --queue NAME"],
        [["--redis-stream", "a", "--amqp", "amqp://x"], "error: give one source: --redis-stream NAME, or --amqp URL --queue NAME"],
        [["--amqp", "amqp://127.0.0.1"], "error: --amqp needs --queue NAME"],
        [["--redis-stream", "a", "--store", "memory"], "error: the memory store keeps runs only inside one process: use sqlite:PATH or postgres://..."]
      ] as const) {
        const cap = Output.capture({ cwd: dir })
        const code = yield* runWith(["listen", join(dir, "none.yaml"), ...((args as ReadonlyArray<string>).includes("--store") ? [] : ["--store", `sqlite:${join(dir, "x.db")}`]), ...args], cap.layer)
        assert.strictEqual(code, 2)
        assert.deepStrictEqual(cap.stderr, [message])
      }
    }))
})

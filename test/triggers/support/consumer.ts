/**
 * A trigger consumer process for the kill -9 tests: a Listener on a Redis Stream or a RabbitMQ queue starting runs of
 * `greet` on a SQLite run store. Prints `READY` once consuming, `ACCEPTED <runId>` when a run is durably started
 * (before the acknowledgement); with BLOCK_AFTER_ACCEPT=1 it then hangs there (the test kills it with SIGKILL
 * between accept and ack). Otherwise it awaits the run and prints `RESULT <runId> <status> <output-json> <runs-in-store>`.
 *
 * usage: node --import tsx consumer.ts <redis|amqp> <store> <url> <stream|queue> <consumer-name> <log>
 */
import { Effect, Layer } from "effect"
import { DurableRuns } from "../../../src/durable/index.ts"
import { RedisConnection } from "../../../src/shared-state/index.ts"
import { AmqpSource, Listener, RedisStreamSource } from "../../../src/triggers/index.ts"
import { greet } from "./greet.ts"

const [kind, store, url, name, consumer, log] = process.argv.slice(2)
const block = process.env["BLOCK_AFTER_ACCEPT"] === "1"
const print = (line: string) => process.stdout.write(`${line}\n`)

const program = Effect.gen(function*() {
  const runs = yield* DurableRuns.DurableRuns
  const source = kind === "redis"
    ? yield* RedisStreamSource.make({ stream: name!, group: "runs", consumer: consumer!, block: "200 millis", retryEvery: "500 millis" })
    : yield* AmqpSource.make({ url: url!, queue: name! })
  print("READY")
  return yield* Listener.run({
    source,
    workflows: [greet(log)],
    onAccepted: ({ runId }) =>
      Effect.gen(function*() {
        print(`ACCEPTED ${runId}`)
        if (block) return yield* Effect.never
        yield* Effect.forkDetach(Effect.gen(function*() {
          const done = yield* runs.await(runId)
          const all = yield* runs.list()
          print(`RESULT ${runId} ${done.status} ${JSON.stringify(done.output ?? done.error ?? null)} ${all.length}`)
        }).pipe(Effect.orDie))
      })
  })
}).pipe(
  Effect.scoped,
  Effect.provide(Layer.mergeAll(
    DurableRuns.layer({ store: store!, pollInterval: "100 millis", gracePeriod: "1 second" }),
    kind === "redis" ? RedisConnection.layer({ url: url! }) : Layer.empty
  ))
)

Effect.runPromise(program as Effect.Effect<never, unknown>).catch((e) => {
  process.stderr.write(`consumer failed: ${e}\n`)
  process.exit(1)
})
process.on("SIGTERM", () => process.exit(0))

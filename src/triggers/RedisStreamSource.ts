/**
 * Runs triggered by a Redis Stream, read by a consumer group (`XREADGROUP`): every entry is delivered to one consumer
 * of the group, stays pending until it is acknowledged (`XACK`, only after its run is durably started), and is
 * delivered again when its consumer died before that: a consumer first re-reads its own pending entries (a restart
 * under the same consumer name), and claims those of other consumers idle longer than `claimIdle` (`XAUTOCLAIM`: a
 * consumer that is gone for good). Rejected entries are added to the dead-letter stream (default `<stream>:dead`)
 * with the reason, then acknowledged.
 *
 * An entry carries the request in its `body` field (JSON, see `TriggerMessage`); its other fields are headers
 * (`idempotency-key`, ...). Its entry id is the message id: a redelivered entry has the same one.
 *
 * @example
 * ```ts
 * // redis-cli XADD jobs '*' body '{"input":{"query":"hi"}}'
 * const source = yield* RedisStreamSource.make({ stream: "jobs", group: "runs", consumer: `worker-${process.pid}` })
 * yield* Listener.run({ source, workflows: [wf] })
 * ```
 */
import { Clock, Duration, Effect } from "effect"
import { Redis } from "effect/persistence"
import { TriggerError } from "./TriggerError.ts"
import type { Inbound } from "./TriggerMessage.ts"
import type { Outcome, TriggerSource } from "./TriggerSource.ts"

/**
 * Options of a stream source.
 *
 * @example
 * ```ts
 * const options: RedisStreamSource.Options = { stream: "jobs", group: "runs", consumer: "w1", claimIdle: "2 minutes" }
 * ```
 */
export interface Options {
  readonly stream: string
  /** The consumer group (created at the start of the stream when it does not exist, the stream too). */
  readonly group: string
  /** This consumer's name, unique in the group and stable across restarts of the same worker. */
  readonly consumer: string
  /** Where rejected entries go (default `<stream>:dead`). */
  readonly deadLetter?: string | undefined
  /** Entries read at once (default 10). */
  readonly count?: number | undefined
  /** How long one read blocks for new entries (default 2 s). */
  readonly block?: Duration.Input | undefined
  /** Pending entries of other consumers idle this long are claimed (default 1 minute; above your longest start). */
  readonly claimIdle?: Duration.Input | undefined
  /** How often own pending entries (a start that failed) and others' idle ones are looked at again (default 5 s). */
  readonly retryEvery?: Duration.Input | undefined
}

type Entry = readonly [id: string, fields: ReadonlyArray<string> | null]

const millis = (d: Duration.Input | undefined, fallback: number) => d === undefined ? fallback : Duration.toMillis(Duration.fromInputUnsafe(d))

/** The entries of an XREADGROUP reply (RESP2 arrays or RESP3 maps), or none. */
const entriesOf = (reply: unknown): ReadonlyArray<Entry> => {
  if (reply === null || reply === undefined) return []
  if (Array.isArray(reply)) return reply.flatMap((s) => (Array.isArray(s) && Array.isArray(s[1]) ? (s[1] as Array<Entry>) : []))
  if (typeof reply === "object") return Object.values(reply as Record<string, ReadonlyArray<Entry>>).flat()
  return []
}

const toInbound = (entry: Entry, redelivered: boolean): Inbound => {
  const fields = entry[1] ?? []
  const headers: Record<string, string> = {}
  let body = ""
  let hasBody = false
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === "body") {
      body = String(fields[i + 1])
      hasBody = true
    } else headers[String(fields[i])] = String(fields[i + 1])
  }
  return { id: entry[0], body: hasBody ? body : JSON.stringify(headers), headers: hasBody ? headers : {}, redelivered }
}

/**
 * A stream source on the `Redis` service of the context (`RedisConnection.layer`); creates the group (and the
 * stream) when missing.
 *
 * @example
 * ```ts
 * const source = yield* RedisStreamSource.make({ stream: "jobs", group: "runs", consumer: "w1" })
 * ```
 */
export const make = (options: Options): Effect.Effect<TriggerSource, TriggerError, Redis.Redis> =>
  Effect.gen(function*() {
    const redis = yield* Redis.Redis
    const name = `redis-stream ${options.stream}`
    const deadLetter = options.deadLetter ?? `${options.stream}:dead`
    const count = String(Math.max(1, options.count ?? 10))
    const blockMillis = millis(options.block, 2000)
    const claimIdleMillis = millis(options.claimIdle, 60_000)
    const retryMillis = millis(options.retryEvery, 5000)
    const fail = (what: string) => (e: Redis.RedisError) =>
      new TriggerError({ source: `${name} (group ${options.group})`, message: `${what}: ${e.cause instanceof Error ? e.cause.message : String(e.cause)}` })

    yield* redis.send("XGROUP", "CREATE", options.stream, options.group, "0", "MKSTREAM").pipe(
      Effect.catchTag("RedisError", (e) =>
        String(e.cause instanceof Error ? e.cause.message : e.cause).startsWith("BUSYGROUP") ? Effect.void : Effect.fail(fail("cannot create the consumer group")(e)))
    )

    const consume: TriggerSource["consume"] = (handle) =>
      Effect.gen(function*() {
        const settle = (entry: Entry, redelivered: boolean) =>
          Effect.gen(function*() {
            // an entry deleted from the stream while pending: nothing to run, just let it go
            if (entry[1] === null) return yield* redis.send("XACK", options.stream, options.group, entry[0])
            const message = toInbound(entry, redelivered)
            const outcome = yield* Effect.result(handle(message))
            if (outcome._tag === "Failure") {
              // left pending: looked at again within retryEvery, by this consumer or (after claimIdle) another
              return yield* Effect.logWarning(`${name}: entry ${entry[0]} not started (it will be retried): ${String((outcome.failure as { message?: string })?.message ?? outcome.failure)}`)
            }
            const o: Outcome = outcome.success
            if (o._tag === "Rejected") {
              yield* redis.send("XADD", deadLetter, "*", "body", message.body, "reason", o.reason, "stream", options.stream, "id", entry[0], "headers", JSON.stringify(message.headers))
            }
            yield* redis.send("XACK", options.stream, options.group, entry[0])
          })

        const read = (id: string, block: boolean) =>
          block
            ? Effect.scoped(Effect.flatMap(redis.reserve, (connection) =>
              connection.send("XREADGROUP", "GROUP", options.group, options.consumer, "COUNT", count, "BLOCK", String(blockMillis), "STREAMS", options.stream, id)))
            : redis.send("XREADGROUP", "GROUP", options.group, options.consumer, "COUNT", count, "STREAMS", options.stream, id)

        const revisit = Effect.gen(function*() {
          // own pending entries first (a restart under the same name, or a start that failed), then idle ones of others
          for (const entry of entriesOf(yield* read("0", false))) yield* settle(entry, true)
          let cursor = "0-0"
          for (let round = 0; round < 100; round++) {
            const reply = (yield* redis.send("XAUTOCLAIM", options.stream, options.group, options.consumer, String(claimIdleMillis), cursor, "COUNT", count)) as [string, ReadonlyArray<Entry>, ReadonlyArray<string>?]
            for (const entry of reply[1] ?? []) yield* settle(entry, true)
            for (const id of reply[2] ?? []) yield* redis.send("XACK", options.stream, options.group, id)
            cursor = reply[0]
            if (cursor === "0-0") break
          }
        })

        let lastRevisit = Number.NEGATIVE_INFINITY
        const step = Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          if (now - lastRevisit >= retryMillis) {
            lastRevisit = now
            yield* revisit
          }
          for (const entry of entriesOf(yield* read(">", true))) yield* settle(entry, false)
        }).pipe(
          // Redis went away: node-redis reconnects; wait a moment and go on (nothing unacknowledged is lost)
          Effect.catchTag("RedisError", (e) => Effect.andThen(Effect.logWarning(fail("read failed")(e).message), Effect.sleep("1 second")))
        )
        return yield* Effect.forever(step)
      })

    return { name, consume }
  })

/**
 * Runs triggered by a RabbitMQ (AMQP 0-9-1) queue, with amqplib: messages are consumed with manual
 * acknowledgements (`prefetch` at a time); a message is acknowledged only after its run is durably started, and one
 * left unacknowledged (the consumer died, its connection dropped) is delivered again by the broker, to this or
 * another consumer, with `redelivered` set. Rejected messages are published to the dead-letter queue (default
 * `<queue>.dead`, through a publisher-confirmed channel) with the reason in the `x-reason` header, then acknowledged.
 * A message whose start failed (the run store is unreachable) is returned to the queue after `retryDelay`.
 *
 * The message id is the AMQP `messageId` property (set it when publishing); the `idempotency-key` header or the
 * body's `idempotency_key` can name the key instead. A message with none of them is dead-lettered: a redelivery of
 * it could not be told apart from a new request.
 *
 * When the connection is lost, `consume` reconnects with backoff (`reconnect`) and consumes again: nothing is lost
 * or started twice, the broker redelivers what was not acknowledged and its idempotency key finds the run. Only a
 * broker that cannot be reached at the start fails `make` with `TriggerError`.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * const source = yield* AmqpSource.make({ url: Redacted.make("amqp://guest:guest@127.0.0.1:5672"), queue: "jobs" })
 * yield* Listener.run({ source, workflows: [wf] })
 * ```
 */
import * as amqp from "amqplib"
import { Cause, Duration, Effect, Queue, Redacted, Schedule, Scope } from "effect"
import { TriggerError } from "./TriggerError.ts"
import type { Inbound } from "./TriggerMessage.ts"
import type { TriggerSource } from "./TriggerSource.ts"

/**
 * Options of a queue source.
 *
 * @example
 * ```ts
 * const options: AmqpSource.Options = { url: "amqp://guest:guest@127.0.0.1:5672", queue: "jobs", prefetch: 20 }
 * ```
 */
export interface Options {
  /** `amqp://user:password@host:port/vhost` (`amqps://` for TLS). */
  readonly url: string | Redacted.Redacted<string>
  /** The queue (declared durable when missing). */
  readonly queue: string
  /** Where rejected messages go (default `<queue>.dead`, declared durable). */
  readonly deadLetter?: string | undefined
  /** Unacknowledged messages this consumer holds at once (default 10). */
  readonly prefetch?: number | undefined
  /** How long a message whose start failed waits before it is returned to the queue (default 2 s). */
  readonly retryDelay?: Duration.Input | undefined
  /** When to reconnect after the connection is lost (default: jittered, 500 ms doubling up to 30 s, for ever). */
  readonly reconnect?: Schedule.Schedule<unknown, TriggerError> | undefined
  /** The connection's name in the broker (`rabbitmqctl list_connections client_properties`; default `llm-orchestrator <queue>`). */
  readonly connectionName?: string | undefined
}

const printable = (url: string) => {
  try {
    const u = new URL(url)
    if (u.password !== "") u.password = "***"
    return u.toString().replace(/\/$/, "")
  } catch {
    return "(invalid AMQP URL)"
  }
}

const headersOf = (properties: amqp.MessageProperties): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(properties.headers ?? {})) {
    if (v === undefined || v === null) continue
    out[k.toLowerCase()] = Buffer.isBuffer(v) ? v.toString("utf8") : typeof v === "object" ? JSON.stringify(v) : String(v)
  }
  return out
}

/**
 * A queue source connected for the scope's lifetime (the connection closes with it).
 *
 * @example
 * ```ts
 * const source = yield* AmqpSource.make({ url: "amqp://guest:guest@127.0.0.1:5672", queue: "jobs" })
 * ```
 */
export const make = (options: Options): Effect.Effect<TriggerSource, TriggerError, Scope.Scope> =>
  Effect.gen(function*() {
    const url = Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url
    const name = `amqp ${options.queue}`
    const where = `${printable(url)} queue ${options.queue}`
    const deadLetter = options.deadLetter ?? `${options.queue}.dead`
    const fail = (what: string) => (e: unknown) =>
      new TriggerError({ source: where, message: `${what}: ${e instanceof Error ? e.message : String(e)}` })

    const connectionName = options.connectionName ?? `llm-orchestrator ${options.queue}`
    // One session: a connection, a confirm channel, the queues declared; closed with its scope.
    const open = Effect.gen(function*() {
      const connection = yield* Effect.acquireRelease(
        Effect.tryPromise({ try: () => amqp.connect(url, { clientProperties: { connection_name: connectionName } }), catch: fail("cannot connect") }),
        (c) => Effect.tryPromise(() => c.close()).pipe(Effect.timeout("2 seconds"), Effect.ignore)
      )
      // an error event without a listener would crash the process; the session's own listeners report it
      connection.on("error", () => undefined)
      const channel = yield* Effect.tryPromise({ try: () => connection.createConfirmChannel(), catch: fail("cannot open a channel") })
      channel.on("error", () => undefined)
      yield* Effect.tryPromise({
        try: async () => {
          await channel.assertQueue(options.queue, { durable: true })
          await channel.assertQueue(deadLetter, { durable: true })
          await channel.prefetch(Math.max(1, options.prefetch ?? 10))
        },
        catch: fail("cannot declare the queues")
      })
      return { connection, channel }
    })
    type Session = Effect.Success<typeof open>

    // the first session is opened here, so a broker that cannot be reached fails `make` (the CLI exits 3)
    const firstScope = yield* Scope.make()
    yield* Effect.addFinalizer((exit) => Scope.close(firstScope, exit))
    const first = yield* Scope.provide(open, firstScope)

    const session = (handle: Parameters<TriggerSource["consume"]>[0], { connection, channel }: Session) =>
      Effect.gen(function*() {
        const inbox = yield* Queue.unbounded<amqp.ConsumeMessage, TriggerError>()
        const lost = (e: unknown) => Queue.failCauseUnsafe(inbox, Cause.fail(fail("connection lost")(e ?? "closed")))
        connection.on("error", lost)
        connection.on("close", lost)
        channel.on("error", lost)
        channel.on("close", () => lost("the channel closed"))
        const consumer = yield* Effect.tryPromise({
          try: () => channel.consume(options.queue, (m) => (m === null ? lost("the broker cancelled the consumer") : Queue.offerUnsafe(inbox, m)), { noAck: false }),
          catch: fail("cannot consume")
        })
        // on a channel the broker closed, cancel may throw or never answer: bounded, and ignored
        yield* Effect.addFinalizer(() =>
          Effect.tryPromise(() => channel.cancel(consumer.consumerTag)).pipe(Effect.timeout("2 seconds"), Effect.ignore)
        )
        // on a channel that just closed, ack/nack throw: the message was not acknowledged and comes back (the
        // run's idempotency key finds the run it started), so the loss is reported by the inbox, not as a defect
        const settleWith = (what: string, f: () => void) => Effect.try({ try: f, catch: fail(what) })

        const settle = (m: amqp.ConsumeMessage) =>
          Effect.gen(function*() {
            const message: Inbound = {
              id: typeof m.properties.messageId === "string" && m.properties.messageId !== "" ? m.properties.messageId : undefined,
              body: m.content.toString("utf8"),
              headers: headersOf(m.properties),
              redelivered: m.fields.redelivered
            }
            const outcome = yield* Effect.result(handle(message))
            if (outcome._tag === "Failure") {
              yield* Effect.logWarning(`${name}: message ${message.id ?? m.fields.deliveryTag} not started (it will be retried): ${String((outcome.failure as { message?: string })?.message ?? outcome.failure)}`)
              yield* Effect.sleep(options.retryDelay ?? "2 seconds")
              return yield* settleWith("cannot return a message to the queue", () => channel.nack(m, false, true))
            }
            if (outcome.success._tag === "Rejected") {
              const reason = outcome.success.reason
              yield* Effect.tryPromise({
                try: () =>
                  new Promise<void>((resolve, reject) =>
                    channel.sendToQueue(deadLetter, m.content, {
                      persistent: true,
                      contentType: m.properties.contentType,
                      messageId: m.properties.messageId,
                      headers: { ...(m.properties.headers ?? {}), "x-reason": reason, "x-original-queue": options.queue }
                    }, (err) => (err ? reject(err) : resolve()))
                  ),
                catch: fail("cannot dead-letter a message")
              })
            }
            yield* settleWith("cannot acknowledge a message", () => channel.ack(m))
          })

        return yield* Effect.forever(Effect.flatMap(Queue.take(inbox), settle))
      }).pipe(Effect.scoped)

    // After a lost connection: reconnect with backoff (jittered, doubling from 500 ms up to 30 s) and consume again;
    // what was not acknowledged is delivered again and its idempotency key finds the run already started.
    const reconnect: Schedule.Schedule<unknown, TriggerError> = options.reconnect ?? Schedule.exponential("500 millis").pipe(
      Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.seconds(30)))),
      Schedule.jittered
    )
    const consume: TriggerSource["consume"] = (handle) =>
      Effect.gen(function*() {
        let current: Effect.Effect<Session, TriggerError, Scope.Scope> = Effect.succeed(first)
        return yield* Effect.suspend(() => Effect.scoped(Effect.flatMap(current, (s) => session(handle, s)))).pipe(
          Effect.tapError((e) =>
            Effect.sync(() => {
              current = open
            }).pipe(Effect.andThen(Effect.logWarning(`${name}: ${e.message}; reconnecting`)))
          ),
          Effect.retry(reconnect)
        )
      })

    return { name, consume }
  })

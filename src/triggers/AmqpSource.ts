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
 * When the connection is lost, `consume` fails with `TriggerError` (run the listener under a supervisor, e.g. the
 * CLI's `listen` in a service manager): nothing is lost, the broker redelivers what was not acknowledged.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * const source = yield* AmqpSource.make({ url: Redacted.make("amqp://guest:guest@127.0.0.1:5672"), queue: "jobs" })
 * yield* Listener.run({ source, workflows: [wf] })
 * ```
 */
import * as amqp from "amqplib"
import { Cause, Duration, Effect, Queue, Redacted, type Scope } from "effect"
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

    const connection = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => amqp.connect(url), catch: fail("cannot connect") }),
      (c) => Effect.promise(() => c.close().catch(() => undefined))
    )
    const channel = yield* Effect.tryPromise({ try: () => connection.createConfirmChannel(), catch: fail("cannot open a channel") })
    yield* Effect.tryPromise({
      try: async () => {
        await channel.assertQueue(options.queue, { durable: true })
        await channel.assertQueue(deadLetter, { durable: true })
        await channel.prefetch(Math.max(1, options.prefetch ?? 10))
      },
      catch: fail("cannot declare the queues")
    })

    const consume: TriggerSource["consume"] = (handle) =>
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
        yield* Effect.addFinalizer(() => Effect.promise(() => channel.cancel(consumer.consumerTag).catch(() => undefined)))

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
              return channel.nack(m, false, true)
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
            channel.ack(m)
          })

        return yield* Effect.forever(Effect.flatMap(Queue.take(inbox), settle))
      })

    return { name, consume }
  })

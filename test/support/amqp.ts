/**
 * The local RabbitMQ (127.0.0.1:5672, guest/guest) for the trigger tests: availability (fail loudly under CI=true,
 * skip with a printed reason elsewhere), queue names of the test's own (`queues-<random>`), and their deletion.
 */
import * as amqp from "amqplib"
import { randomBytes } from "node:crypto"
import { serviceAvailability } from "./redis.ts"

export const amqpHost = process.env["AMQP_HOST"] ?? "127.0.0.1"
export const amqpPort = Number(process.env["AMQP_PORT"] ?? 5672)
export const amqpUrl = `amqp://guest:guest@${amqpHost}:${amqpPort}`

export const amqpAvailability = () => serviceAvailability("RabbitMQ", amqpHost, amqpPort)

/** A fresh queue name (`queues-<what>-<pid>-<random>`). */
export const testQueue = (what = "q"): string => `queues-${what}-${process.pid}-${randomBytes(4).toString("hex")}`

/** Runs `f` with a channel of a connection of its own (closed after). */
export const withChannel = async <A>(f: (channel: amqp.ConfirmChannel) => Promise<A>): Promise<A> => {
  const connection = await amqp.connect(amqpUrl)
  try {
    const channel = await connection.createConfirmChannel()
    return await f(channel)
  } finally {
    await connection.close().catch(() => undefined)
  }
}

/** Publishes (persistent, confirmed) to `queue`, declaring it durable first. */
export const publish = (queue: string, body: string, options: amqp.Options.Publish = {}) =>
  withChannel(async (channel) => {
    await channel.assertQueue(queue, { durable: true })
    await new Promise<void>((resolve, reject) =>
      channel.sendToQueue(queue, Buffer.from(body), { persistent: true, ...options }, (err) => (err ? reject(err) : resolve()))
    )
  })

/** Deletes test queues. */
export const deleteQueues = (queues: ReadonlyArray<string>) =>
  withChannel(async (channel) => {
    for (const q of queues) {
      if (!q.startsWith("queues-")) throw new Error(`refusing to delete queue ${q}: not a test queue`)
      await channel.deleteQueue(q)
    }
  })

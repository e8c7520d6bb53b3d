/**
 * Runs started by messages: a Redis Stream consumer group (`RedisStreamSource`) or a RabbitMQ queue
 * (`AmqpSource`) feeds a `Listener`, which starts a durable run per message and lets the source acknowledge it only
 * once the run is in the run store. Other brokers (Kafka) plug in as a `TriggerSource`.
 *
 * @example
 * ```ts
 * import { AmqpSource, Listener } from "llm-orchestrator/triggers"
 * const source = yield* AmqpSource.make({ url: "amqp://guest:guest@127.0.0.1:5672", queue: "jobs" })
 * yield* Listener.run({ source, workflows: [wf] })
 * ```
 */
export * as AmqpSource from "./AmqpSource.ts"
export * as Listener from "./Listener.ts"
export * as RedisStreamSource from "./RedisStreamSource.ts"
export * as TriggerError from "./TriggerError.ts"
export * as TriggerMessage from "./TriggerMessage.ts"
export * as TriggerSource from "./TriggerSource.ts"

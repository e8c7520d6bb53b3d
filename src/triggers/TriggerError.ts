/**
 * A trigger source failed: it could not connect, declare its queue or stream, or lost its connection. Messages are
 * never lost by it: what was not acknowledged is delivered again (to this or another consumer).
 *
 * @example
 * ```ts
 * Listener.run(options).pipe(Effect.catchTag("TriggerError", (e) => Effect.logError(e.message)))
 * ```
 */
import { Schema } from "effect"

/**
 * See the module doc; `source` is printable (no password).
 *
 * @example
 * ```ts
 * new TriggerError({ source: "amqp://guest:***@127.0.0.1:5672 queue jobs", message: "connection refused" })
 * ```
 */
export class TriggerError extends Schema.TaggedError<TriggerError>()("TriggerError", {
  source: Schema.String,
  message: Schema.String
}) {}

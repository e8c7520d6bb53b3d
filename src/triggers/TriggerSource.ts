/**
 * The extension point of triggers: where messages come from. A source delivers messages one by one to a handler and
 * settles each by what the handler decided:
 *
 * - `Accepted` (the run is durably started, or already was): acknowledge the message;
 * - `Rejected` (it can never be served: malformed, unknown workflow, bad input): put it in the dead-letter place
 *   with the reason, then acknowledge it;
 * - the handler **failed** (the run store is unreachable): do not acknowledge; the message is delivered again later.
 *
 * Built in: `RedisStreamSource` (a consumer group) and `AmqpSource` (a RabbitMQ queue). Kafka (no broker on these
 * machines, so none is shipped): implement `consume` over a consumer of a group, commit the offset of a message only
 * after its handler returned, and produce rejected ones to a dead-letter topic with the reason in a header; the
 * message id is `<topic>/<partition>/<offset>` (stable across redeliveries).
 *
 * @example
 * ```ts
 * const mySource: TriggerSource.TriggerSource = {
 *   name: "kafka jobs",
 *   consume: (handle) => Effect.forever(Effect.gen(function*() {
 *     const record = yield* poll
 *     const outcome = yield* handle({ id: `${record.topic}/${record.partition}/${record.offset}`, body: record.value, headers: record.headers })
 *     if (outcome._tag === "Rejected") yield* produceDeadLetter(record, outcome.reason)
 *     yield* commit(record)
 *   }))
 * }
 * ```
 */
import type { Effect, Scope } from "effect"
import type { Inbound } from "./TriggerMessage.ts"
import type { TriggerError } from "./TriggerError.ts"

/**
 * What the handler decided about one message.
 *
 * @example
 * ```ts
 * const o: TriggerSource.Outcome = { _tag: "Rejected", reason: `unknown workflow "x"` }
 * ```
 */
export type Outcome =
  | { readonly _tag: "Accepted"; readonly runId: string }
  | { readonly _tag: "Rejected"; readonly reason: string }

/**
 * A source; see the module doc. `consume` runs until interrupted (or fails with a `TriggerError`); a handler
 * failure leaves that message unacknowledged and goes on with the next.
 *
 * @example
 * ```ts
 * yield* source.consume((m) => Effect.succeed({ _tag: "Rejected", reason: "not today" }))
 * ```
 */
export interface TriggerSource {
  /** Printable (no password), e.g. `redis-stream jobs (group runs)`. */
  readonly name: string
  readonly consume: <E>(handle: (message: Inbound) => Effect.Effect<Outcome, E>) => Effect.Effect<never, TriggerError, Scope.Scope>
}

/**
 * Starts durable runs from messages: each message a source delivers is read (`TriggerMessage.read`), its workflow
 * found among `workflows` (by the message's `workflow` field; the only one when there is one), and a run started
 * with `DurableRuns.start(graph, input, { idempotencyKey, priority })`. The source acknowledges the message only
 * after `start` returned, i.e. once the run is in the run store; a message delivered again (the consumer died before
 * its acknowledgement, the broker redelivered it) carries the same key and so finds the same run instead of starting
 * a second one. A message that can never start a run (malformed, unknown workflow, input that does not decode, a
 * workflow that cannot run durably) is rejected with the reason, into the source's dead-letter place. When the run
 * store is unreachable the message is left unacknowledged, to be delivered again.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DurableRuns } from "llm-orchestrator/durable"
 * import { Listener, RedisStreamSource } from "llm-orchestrator/triggers"
 * const listen = Effect.gen(function*() {
 *   const source = yield* RedisStreamSource.make({ stream: "jobs", group: "runs", consumer: "worker-1" })
 *   return yield* Listener.run({ source, workflows: [summarise] })
 * }).pipe(Effect.provide([DurableRuns.layer({ store: "postgres://..." }), RedisConnection.layer({ url })]), Effect.scoped)
 * ```
 */
import { Effect, type Scope } from "effect"
import type { Graph } from "../../dsl/Node.ts"
import { DurableRuns } from "../durable/DurableRuns.ts"
import type { RunStoreError } from "../store/RunStoreShape.ts"
import type { TriggerError } from "./TriggerError.ts"
import * as TriggerMessage from "./TriggerMessage.ts"
import type { Outcome, TriggerSource } from "./TriggerSource.ts"

/**
 * Options of a listener.
 *
 * @example
 * ```ts
 * const options: Listener.Options = { source, workflows: [a, b], onAccepted: ({ runId }) => Effect.log(`run ${runId}`) }
 * ```
 */
export interface Options {
  readonly source: TriggerSource
  /** The workflows a message may start (by name); with one, a message need not name it. */
  readonly workflows: ReadonlyArray<Graph>
  /** Called once the run is durably started, before the message is acknowledged. */
  readonly onAccepted?: ((info: { readonly message: TriggerMessage.Inbound; readonly runId: string }) => Effect.Effect<void>) | undefined
  /** Called before a message goes to the dead-letter place. */
  readonly onRejected?: ((info: { readonly message: TriggerMessage.Inbound; readonly reason: string }) => Effect.Effect<void>) | undefined
}

/**
 * The handler of one message (what {@link run} gives the source): `Accepted` with the run id, `Rejected` with the
 * reason, or a failure when the run store is unreachable.
 *
 * @example
 * ```ts
 * const outcome = yield* Listener.handler({ source, workflows: [wf] })({ id: "1-0", body: '{"input":{}}', headers: {} })
 * ```
 */
export const handler = (options: Options) => {
  const byName = new Map(options.workflows.map((g) => [g.name, g]))
  const names = [...byName.keys()].sort()
  return (message: TriggerMessage.Inbound): Effect.Effect<Outcome, RunStoreError, DurableRuns> =>
    Effect.gen(function*() {
      const reject = (reason: string) =>
        Effect.as(options.onRejected === undefined ? Effect.void : options.onRejected({ message, reason }), { _tag: "Rejected", reason } as Outcome)
      const read = TriggerMessage.read(message, options.source.name)
      if (read._tag === "Malformed") return yield* reject(read.reason)
      const graph = read.workflow === undefined ? (byName.size === 1 ? options.workflows[0] : undefined) : byName.get(read.workflow)
      if (graph === undefined) {
        return yield* reject(read.workflow === undefined
          ? `field "workflow" is missing (this listener runs ${names.join(", ")})`
          : `unknown workflow "${read.workflow}" (this listener runs ${names.join(", ")})`)
      }
      const runs = yield* DurableRuns
      const started = yield* runs.start(graph, read.input, { idempotencyKey: read.idempotencyKey, priority: read.priority }).pipe(
        Effect.map((run) => ({ _tag: "Started", run }) as const),
        Effect.catchTag("WorkflowInputError", (e) =>
          Effect.succeed({ _tag: "Refused", reason: `input of ${graph.name}: ${e.issues.map((i) => `${i.path}: ${i.message}`).join("; ") || e.message}` } as const)),
        Effect.catchTag("NotDurable", (e) => Effect.succeed({ _tag: "Refused", reason: e.message } as const))
      )
      if (started._tag === "Refused") return yield* reject(started.reason)
      if (options.onAccepted !== undefined) yield* options.onAccepted({ message, runId: started.run.runId })
      return { _tag: "Accepted", runId: started.run.runId } as Outcome
    })
}

/**
 * Consumes `options.source` until interrupted, starting runs (see the module doc).
 *
 * @example
 * ```ts
 * yield* Listener.run({ source, workflows: [wf] }).pipe(Effect.forkScoped)
 * ```
 */
export const run = (options: Options): Effect.Effect<never, TriggerError, DurableRuns | Scope.Scope> =>
  Effect.flatMap(Effect.context<DurableRuns>(), (context) => {
    const handle = handler(options)
    return options.source.consume((message) => Effect.provide(handle(message), context))
  })

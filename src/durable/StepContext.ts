/**
 * What a step of a durable run can know about itself: the run, its unit name and a stable idempotency key, the same
 * every time the unit runs (a unit that was in flight when its process died runs again, with the same key: pass it to
 * the side effects that must happen once, such as a payment or an e-mail).
 *
 * @example
 * ```ts
 * import { Durable } from "llm-orchestrator/durable"
 * wf.step("charge", (ctx) => Effect.gen(function*() {
 *   const key = yield* Durable.idempotencyKey
 *   return yield* payments.charge({ amount: ctx.input.amount, idempotencyKey: key })
 * }))
 * ```
 */
import { Context, Effect } from "effect"
import { randomUUID } from "node:crypto"

/**
 * The unit of work a durable step runs as.
 *
 * @example
 * ```ts
 * const info = yield* StepContext
 * info?.name // "charge", "summaries#3", "refine@2"
 * ```
 */
export interface StepInfo {
  readonly runId: string
  /** The node's path. */
  readonly stepId: string
  /** The unit's durable name. */
  readonly name: string
  /** Stable across re-executions of this unit (a hash of the run's execution and the unit name). */
  readonly idempotencyKey: string
}

/**
 * The current durable unit, or `undefined` outside durable runs.
 *
 * @example
 * ```ts
 * const info = yield* StepContext
 * ```
 */
export const StepContext = Context.Reference<StepInfo | undefined>("llm-orchestrator/durable/StepContext", {
  defaultValue: () => undefined
})

/**
 * The idempotency key of the current durable unit; outside a durable run (nothing is retried after a crash there) a
 * fresh random key.
 *
 * @example
 * ```ts
 * const key = yield* Durable.idempotencyKey
 * ```
 */
export const idempotencyKey: Effect.Effect<string> = Effect.map(StepContext, (info) => info?.idempotencyKey ?? randomUUID())

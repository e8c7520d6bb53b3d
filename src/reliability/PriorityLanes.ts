/**
 * Where `Reliability.make` gets the lane of each provider and limit (the queue that orders calls waiting for a rate
 * limit by priority). Without this service in the context every guard keeps lanes of its own in memory
 * (`PriorityLane.make`): priorities order the calls of one process. `SharedLimits.layer` provides lanes that queue
 * in Redis, so priorities order the waiting calls of every worker sharing the limit.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { PriorityLane, PriorityLanes } from "llm-orchestrator/reliability"
 * // the default, spelt out: one in-memory lane per key
 * const lanes = new Map<string, PriorityLane.PriorityLane>()
 * const local = Layer.succeed(PriorityLanes.PriorityLanes, {
 *   lane: (key) => lanes.get(key) ?? lanes.set(key, PriorityLane.make()).get(key)!
 * })
 * ```
 */
import { Context } from "effect"
import type { PriorityLane } from "./PriorityLane.ts"

/**
 * The lanes of the context: `lane(key)` is the lane of one limit (`<provider>:requests`, `<provider>:tokens`); the
 * same key must give the same lane for the lifetime of the service.
 *
 * @example
 * ```ts
 * const lanes = yield* PriorityLanes.PriorityLanes
 * const lane = lanes.lane("openai:requests")
 * ```
 */
export class PriorityLanes extends Context.Service<PriorityLanes, {
  readonly lane: (key: string) => PriorityLane
}>()("llm-orchestrator/reliability/PriorityLanes") {}

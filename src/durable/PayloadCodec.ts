/**
 * A hook for what durable runs keep at rest: a codec wraps the run store (run inputs, outputs and errors, step
 * outputs and errors, wait requests and signals, event data) and seals the values the workflow engine journals
 * (each unit's result, the signals it delivers, the run's result), so that a policy can mask or encrypt them before
 * they reach a row and open them when they are read back. Durable runs know nothing of the policy; governance
 * (`llm-orchestrator/governance`, `StoredData`) implements the codec.
 *
 * @example
 * ```ts
 * import { DurableRuns } from "llm-orchestrator/durable"
 * DurableRuns.layer({ store: "sqlite:runs.db", codec })
 * ```
 */
import type { Effect } from "effect"
import type { Json, RunStoreShape } from "../store/RunStoreShape.ts"

/**
 * Where a journaled value belongs.
 *
 * @example
 * ```ts
 * const at: PayloadCodec.At = { runId: "run-1", stepId: "answer" }
 * ```
 */
export interface At {
  readonly runId: string
  /** The step the value is the output (or error) of; undefined for the run's own result. */
  readonly stepId?: string | undefined
}

/**
 * The codec.
 *
 * @example
 * ```ts
 * const identity: PayloadCodec.PayloadCodec = { store: (s) => s, seal: (_at, v) => Effect.succeed(v), open: (_at, v) => Effect.succeed(v) }
 * ```
 */
export interface PayloadCodec {
  /** The run store as durable runs use it (reads answer what was written before sealing). */
  readonly store: (store: RunStoreShape) => RunStoreShape
  /** A value about to be journaled by the engine, as it may be kept. */
  readonly seal: (at: At, value: Json) => Effect.Effect<Json>
  /** A journaled value back (a value that was never sealed comes back unchanged). */
  readonly open: (at: At, value: Json) => Effect.Effect<Json>
}

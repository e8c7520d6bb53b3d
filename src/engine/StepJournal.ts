/**
 * The per-unit seam of durable runs. A run with a journal (an observer, so it always takes the graph driver) hands
 * every unit of work to it: a plain step (with its retries and timeout inside), each map item, each loop iteration,
 * and each wait. The journal persists a unit's outcome before returning it, and on a replay returns the persisted
 * outcome without running the unit again. Branch decisions, map lists and loop conditions are computed from the
 * journaled values, so a replay takes the same path.
 *
 * Unit names are stable and unique within a run: the step path (`route/safe/publish`), `path#i` for map item i,
 * `path@n` for loop iteration n, with `~k` after the path for attempt k > 1 of a retried map, loop, branch or call
 * (so a retry never replays the failed attempt's units).
 *
 * The engine knows only this interface; `src/durable` implements it on effect/workflow.
 */
import type { Effect, Schema } from "effect"
import type { AnyCtx, NodeKind, WaitNode } from "../../dsl/Node.ts"

/** One unit of work of a run. */
export interface JournalUnit {
  /** The unit's durable name (see the module doc). */
  readonly name: string
  /** The path of the node the unit belongs to (`name` without the item or iteration). */
  readonly stepId: string
  readonly kind: NodeKind
  /** The Schema the unit's output is persisted with; `undefined`: as JSON (refused when the value is not JSON). */
  readonly output: Schema.Top | undefined
}

/** A node's attempt count: a replayed step unit restores it, so `StepFailed.attempt` is the same after a crash. */
export interface AttemptCount {
  attempt: number
}

/**
 * Persists units of work.
 *
 * @example
 * ```ts
 * // inside the engine (runNode): the step's whole execution, retries included, is one unit
 * state.journal.unit({ name: "answer", stepId: "answer", kind: "step", output: node.output }, wrapped, nodeRun)
 * ```
 */
export interface StepJournal {
  /** Runs `effect` as unit `unit`, or returns its persisted outcome. */
  readonly unit: (unit: JournalUnit, effect: Effect.Effect<unknown, unknown, unknown>, attempts: AttemptCount | undefined) => Effect.Effect<unknown, unknown, unknown>
  /** Waits for the signal of wait node `node` (suspending the run until it arrives), or returns the persisted signal. */
  readonly wait: (unit: JournalUnit, node: WaitNode, ctx: AnyCtx) => Effect.Effect<unknown, unknown, unknown>
}

/**
 * The path prefix of the work inside attempt `attempt` of a retried node: the path itself for the first attempt,
 * `path~attempt` after.
 *
 * @example
 * ```ts
 * attemptPath("route", 2) // "route~2"
 * ```
 */
export const attemptPath = (path: string, attempt: number): string => (attempt > 1 ? `${path}~${attempt}` : path)

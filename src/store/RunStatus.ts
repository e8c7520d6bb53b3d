/**
 * The states of a durable run and the transitions between them (the plan's §2.3):
 *
 * ```
 * pending -> running -> (suspended <-> running) -> succeeded | failed | cancelled
 * ```
 *
 * A run may also be cancelled or fail before it ever ran (pending -> cancelled | failed), and cancelled while
 * suspended. Terminal states never change again. Moving to the state a run is already in is allowed and changes
 * nothing, because a replayed workflow body reports its state again.
 *
 * @example
 * ```ts
 * import { RunStatus } from "llm-orchestrator/store"
 * RunStatus.canMove("suspended", "running") // true
 * RunStatus.canMove("succeeded", "running") // false
 * ```
 */
import { Schema } from "effect"

/**
 * The status of a run.
 *
 * @example
 * ```ts
 * const s: RunStatus.Status = "suspended"
 * ```
 */
export const Status = Schema.Literals(["pending", "running", "suspended", "succeeded", "failed", "cancelled"])
/**
 * The type of {@link Status}.
 *
 * @example
 * ```ts
 * const done: ReadonlyArray<RunStatus.Status> = ["succeeded", "failed", "cancelled"]
 * ```
 */
export type Status = typeof Status.Type

/**
 * The statuses a run never leaves.
 *
 * @example
 * ```ts
 * RunStatus.terminal.includes("failed") // true
 * ```
 */
export const terminal: ReadonlyArray<Status> = ["succeeded", "failed", "cancelled"]

/**
 * True when a run in `status` is finished.
 *
 * @example
 * ```ts
 * RunStatus.isTerminal("cancelled") // true
 * ```
 */
export const isTerminal = (status: Status): boolean => terminal.includes(status)

const moves: Readonly<Record<Status, ReadonlyArray<Status>>> = {
  pending: ["running", "failed", "cancelled"],
  running: ["suspended", "succeeded", "failed", "cancelled"],
  suspended: ["running", "failed", "cancelled"],
  succeeded: [],
  failed: [],
  cancelled: []
}

/**
 * True when a run may move from `from` to `to` (staying where it is always may).
 *
 * @example
 * ```ts
 * RunStatus.canMove("pending", "suspended") // false: a run suspends only while running
 * ```
 */
export const canMove = (from: Status, to: Status): boolean => from === to || moves[from].includes(to)

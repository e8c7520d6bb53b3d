/**
 * The priority of LLM calls (the plan's FR-6): a number carried by the fiber (higher goes first, default 0). When a
 * provider's rate limit is the bottleneck, the calls waiting for it in one process are served in order of
 * `arrival - priority * aging`: a call of priority 2 is served as if it had arrived two aging periods (default 10 s
 * each) before it did. So higher priorities wait less, and nothing starves: a call of priority 0 goes before every
 * call of priority 1 that arrives more than one aging period after it.
 *
 * A run carries one (`DurableRuns.start(wf, input, { priority: 2 })`, or `Priority.with(2)` around `Workflow.run`),
 * a step can raise or lower its own calls with `Priority.with` inside its body. Every call of the fiber gets it.
 *
 * @example
 * ```ts
 * import { Priority } from "llm-orchestrator/reliability"
 * const urgent = Workflow.run(wf, input).pipe(Priority.with(Priority.high))
 * ```
 */
import { Context, Effect } from "effect"

/**
 * The priority of the calls of the current fiber (default {@link normal}, 0; higher goes first).
 *
 * @example
 * ```ts
 * const p = yield* Priority.Priority
 * ```
 */
export const Priority: Context.Reference<number> = Context.Reference<number>("llm-orchestrator/reliability/Priority", {
  defaultValue: () => 0
})

/**
 * Named levels: `low` (-1), `normal` (0), `high` (1); any finite number works.
 *
 * @example
 * ```ts
 * Priority.with(Priority.low)(batchJob)
 * ```
 */
export const low = -1
/** @see low */
export const normal = 0
/** @see low */
export const high = 1

/**
 * Runs `self` with priority `priority` (its LLM calls, and those of the fibers it starts).
 *
 * @example
 * ```ts
 * yield* Llm.generate({ provider: "openai", model, prompt }).pipe(Priority.with(2))
 * ```
 */
const withPriority = (priority: number) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(self, Priority, Number.isFinite(priority) ? priority : 0)
export { withPriority as with }

/**
 * A priority given by name or number (`"high"`, `"low"`, `"normal"`, `"2"`); undefined when it is neither.
 *
 * @example
 * ```ts
 * Priority.parse("high") // 1
 * Priority.parse("-3") // -3
 * ```
 */
export const parse = (text: string | number): number | undefined => {
  if (typeof text === "number") return Number.isFinite(text) ? text : undefined
  const t = text.trim().toLowerCase()
  if (t === "low") return low
  if (t === "normal") return normal
  if (t === "high") return high
  const n = Number(t)
  return t !== "" && Number.isFinite(n) ? n : undefined
}

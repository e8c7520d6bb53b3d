/**
 * The engine: runs a workflow graph with maximum parallelism. Each node starts as soon as its needs are done; a
 * driver fiber per graph starts ready nodes (forking one fiber each, or running the only ready node inline when nothing
 * else is in flight, which keeps sequential chains cheap) and reacts to their completions. A failure interrupts the
 * nodes still running, waits for their finalizers, and fails the run with `StepFailed`.
 *
 * `Workflow.run` without options runs a series-parallel graph as a compiled program instead (chains in sequence,
 * independent parts in forked fibers), with the same start time for every node and the same failures; see `runGraph`.
 *
 * The driver is in `driver.ts`, the compiled path in `compiled.ts`, one node in `NodeRun.ts`. Branch and call nodes
 * run nested graphs, so `kinds.ts` imports `runGraph` back: the import cycle is safe because these modules only use
 * each other inside functions, never while they are evaluated.
 */
import { Effect } from "effect"
import type { Graph } from "../../dsl/Node.ts"
import { Env, exec } from "./compiled.ts"
import { decompose } from "./decompose.ts"
import { driveGraph } from "./driver.ts"
import { planOf } from "./plan.ts"
import type { RunState } from "./RunState.ts"

/**
 * Runs every node of `graph` (whose external needs are in `external`) and returns the record of its own outputs.
 * Failures are `StepFailed`; interruption of the calling fiber interrupts every running node.
 *
 * When nobody can observe per-step details (no records, events, spans or concurrency limit: `Workflow.run` without
 * options) and the graph is series-parallel, it runs as a compiled program (see `decompose.ts`); otherwise through
 * the driver, which starts each node when its needs are done. Both start every node at the same moment.
 */
export const runGraph = (
  state: RunState,
  graph: Graph,
  prefix: string,
  input: unknown,
  external: Record<string, unknown>
): Effect.Effect<Record<string, unknown>, unknown, unknown> => {
  if (state.records !== undefined || state.emit !== undefined || state.spans || state.semaphore !== undefined) {
    return driveGraph(state, graph, prefix, input, external)
  }
  const plan = planOf(graph)
  let program = plan.program
  if (program === undefined) {
    const decomposed = decompose(plan.nodes)
    program = plan.program = decomposed._tag === "Rest" ? null : decomposed
  }
  if (program === null) return driveGraph(state, graph, prefix, input, external)
  return Effect.suspend(() => {
    const env = new Env(state, graph, plan, prefix, input, { ...external })
    return Effect.map(exec(env, program), () => env.outputs())
  })
}

/**
 * The engine: runs a workflow graph with maximum parallelism. Each node starts as soon as its needs are done; a
 * driver fiber per graph starts ready nodes (forking one fiber each, or running the only ready node inline when nothing
 * else is in flight, which keeps sequential chains cheap) and reacts to their completions. A failure interrupts the
 * nodes still running, waits for their finalizers, and fails the run with `StepFailed`.
 *
 * A run that no observer but events and records watches (`RunState.mode === "compiled"`: `Workflow.run` without
 * options, `Workflow.execute`, `onEvent`) runs a series-parallel graph as a compiled program instead (chains in
 * sequence, independent parts in forked fibers), with the same start time for every node, the same failures, and the
 * same events and records.
 *
 * The driver is in `driver.ts`, the compiled path in `compiled.ts`, one node in `NodeRun.ts`, the kinds in `kinds.ts`.
 * Branch and call nodes run nested graphs through `state.runGraph` (this function), so no module imports back.
 */
import { runCompiled } from "./compiled.ts"
import { decompose } from "./decompose.ts"
import { driveGraph } from "./driver.ts"
import { planOf } from "./plan.ts"
import type { GraphRunner } from "./RunState.ts"

/**
 * Runs every node of `graph` (whose external needs are in `external`) and returns the record of its own outputs.
 * Failures are `StepFailed`; interruption of the calling fiber interrupts every running node.
 *
 * In `"compiled"` mode a series-parallel graph runs as a compiled program (see `decompose.ts`); otherwise, and for
 * what does not decompose, through the driver, which starts each node when its needs are done. Both start every node
 * at the same moment.
 */
export const runGraph: GraphRunner = (state, graph, prefix, input, external) => {
  if (state.mode === "driven") return driveGraph(state, graph, prefix, input, external)
  const plan = planOf(graph)
  let program = plan.program
  if (program === undefined) {
    const decomposed = decompose(plan.nodes)
    program = plan.program = decomposed._tag === "Rest" ? null : decomposed
  }
  if (program === null) return driveGraph(state, graph, prefix, input, external)
  return runCompiled(state, graph, plan, program, prefix, input, external)
}

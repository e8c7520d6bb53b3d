/**
 * The effect of one attempt of a node, by kind: branch, map, loop and call (a plain step is its own function).
 */
import { Effect } from "effect"
import { LoopMaxIterations, UnknownBranchCase } from "../../dsl/errors.ts"
import type { AnyCtx, BranchNode, CallNode, LoopNode, MapNode, Node } from "../../dsl/Node.ts"
import { runGraph } from "./runGraph.ts"
import type { RunState } from "./RunState.ts"

/** The effect of one attempt of a node, by kind. */
export const kindEffect = (
  state: RunState,
  node: Node,
  path: string,
  input: unknown,
  ctx: AnyCtx
): Effect.Effect<unknown, unknown, unknown> => {
  switch (node.kind) {
    case "step":
      return Effect.suspend(() => node.run(ctx))
    case "branch":
      return runBranch(state, node, path, input, ctx)
    case "map":
      return runMap(state, node, ctx)
    case "loop":
      return runLoop(node, path, ctx)
    case "call":
      return runCall(state, node, path, ctx)
  }
}

const runBranch = (state: RunState, node: BranchNode, path: string, input: unknown, ctx: AnyCtx) =>
  Effect.suspend(() => {
    const chosen = node.on(ctx)
    const graph = node.cases[chosen]
    if (graph === undefined) {
      const cases = Object.keys(node.cases)
      return Effect.fail(
        new UnknownBranchCase({ stepId: path, value: String(chosen), cases, message: `Branch '${path}' got '${String(chosen)}', which is none of its cases (${cases.join(", ")})` })
      )
    }
    if (state.emit !== undefined) {
      const at = state.clock.currentTimeMillisUnsafe()
      for (const [name, other] of Object.entries(node.cases)) {
        if (name === chosen) continue
        for (const skipped of other.nodes) {
          const stepId = `${path}/${name}/${skipped.id}`
          if (state.records !== undefined) {
            state.records[stepId] = { stepId, kind: skipped.kind, status: "skipped", attempts: 0, startedAt: at, durationMillis: 0 }
          }
          state.emit({ _tag: "StepSkipped", runId: state.runId, workflow: state.workflow, at, stepId, reason: `branch '${path}' took case '${chosen}'` })
        }
      }
    }
    const visible: Record<string, unknown> = {}
    for (const need of node.needs) visible[need] = ctx[need]
    return Effect.map(runGraph(state, graph, `${path}/${chosen}`, input, visible), (value) => ({ case: chosen, value }))
  })

const runMap = (state: RunState, node: MapNode, ctx: AnyCtx) =>
  Effect.suspend(() => {
    const items = node.over(ctx)
    const body = state.semaphore === undefined
      ? (item: unknown, index: number) => node.body(item, ctx, index)
      : (item: unknown, index: number) => state.semaphore!.withPermits(1)(node.body(item, ctx, index))
    return Effect.forEach(items, body, { concurrency: node.concurrency })
  })

// A module-level generator: a generator closure built per execution costs V8 about 1.7 µs.
const runLoop: (node: LoopNode, path: string, ctx: AnyCtx) => Effect.Effect<unknown, unknown, unknown> = Effect.fnUntraced(
  function*(node: LoopNode, path: string, ctx: AnyCtx) {
    let state = node.initial(ctx)
    for (let iteration = 0; iteration < node.maxIterations; iteration++) {
      if (node.until(state, iteration)) return state
      state = yield* node.body(state, ctx, iteration)
    }
    if (node.until(state, node.maxIterations) || node.onMaxIterations === "return") return state
    return yield* new LoopMaxIterations({
      stepId: path,
      maxIterations: node.maxIterations,
      lastState: state,
      message: `Loop '${path}' reached maxIterations (${node.maxIterations}) before its 'until' condition held`
    })
  }
)

const runCall = (state: RunState, node: CallNode, path: string, ctx: AnyCtx) =>
  Effect.suspend(() => runGraph(state, node.workflow, path, node.input(ctx), {}))

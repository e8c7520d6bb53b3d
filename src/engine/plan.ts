/**
 * The per-graph plan: what the engine precomputes once for a graph (indices, dependents, per-node wrappers) and caches
 * with it.
 */
import type { Effect } from "effect"
import type { Graph, Node } from "../../dsl/Node.ts"
import type { Program } from "./decompose.ts"
import { type KindTraits, traitsOf } from "./kinds.ts"
import { fallbacksOf } from "./fallback.ts"
import { wrapperOf } from "./wrap.ts"

/** What the engine precomputes once per node and caches with the graph. */
export interface Plan {
  readonly nodes: ReadonlyArray<Node>
  readonly index: ReadonlyMap<string, number>
  /** For each node, the indices of the nodes that need it (inside this graph). */
  readonly dependents: ReadonlyArray<ReadonlyArray<number>>
  /** For each node, how many of its needs are produced inside this graph. */
  readonly internalNeeds: ReadonlyArray<number>
  /** The nodes with no needs inside this graph, in declaration order. */
  readonly roots: ReadonlyArray<number>
  /**
   * Every node id in declaration order, each `undefined`: copied to start a run's values and outputs records, so that
   * storing an output never changes their shape (an object grown key by key past a few dozen keys turns into a slow
   * dictionary in V8; a copy of this one stays fast).
   */
  readonly template: Readonly<Record<string, unknown>>
  /** For each node, for each of its needs (in order), the index of the node producing it, or -1 when it is external. */
  readonly needSlots: ReadonlyArray<Int32Array>
  /** For each node, the traits of its kind (a node of an unknown kind fails the planning). */
  readonly traits: ReadonlyArray<KindTraits>
  readonly wrap: ReadonlyArray<
    (run: Effect.Effect<unknown, unknown, unknown>, path: string, onError: { lastError: unknown } | undefined) => Effect.Effect<unknown, unknown, unknown>
  >
  /** For each node: no retry and no timeout, so it makes exactly one attempt that starts when the node starts. */
  readonly once: ReadonlyArray<boolean>
  /**
   * The graph as a series-parallel program, for the compiled path: null when nothing of it decomposes, undefined
   * until a run without options first needs it (runs with events or records never do).
   */
  program: Program | null | undefined
}

const plans = new WeakMap<Graph, Plan>()

/**
 * The plan of a graph, computed once and cached per graph object. Throws `WorkflowDefinitionError` for a node of an
 * unknown kind (the run dies with it, before any node of that graph starts).
 */
export const planOf = (graph: Graph): Plan => {
  const cached = plans.get(graph)
  if (cached !== undefined) return cached
  const nodes = graph.nodes
  const traits = nodes.map((node) => traitsOf(graph, node))
  const index = new Map<string, number>()
  nodes.forEach((node, i) => index.set(node.id, i))
  const dependents: Array<Array<number>> = nodes.map(() => [])
  const internalNeeds = nodes.map((node, i) => {
    let count = 0
    for (const need of node.needs) {
      const j = index.get(need)
      if (j !== undefined) {
        dependents[j]!.push(i)
        count++
      }
    }
    return count
  })
  const roots: Array<number> = []
  internalNeeds.forEach((count, i) => {
    if (count === 0) roots.push(i)
  })
  const plan: Plan = {
    nodes,
    index,
    dependents,
    internalNeeds,
    roots,
    template: Object.fromEntries(nodes.map((node) => [node.id, undefined])),
    needSlots: nodes.map((node) => Int32Array.from(node.needs, (need) => index.get(need) ?? -1)),
    traits,
    wrap: nodes.map(wrapperOf),
    // a node with fallbacks goes through `runNode` (which adds them), never the one-attempt shortcut
    once: nodes.map((node) => node.options.retry === undefined && node.options.timeout === undefined && fallbacksOf(node).length === 0),
    program: undefined
  }
  plans.set(graph, plan)
  return plan
}

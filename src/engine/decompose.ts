/**
 * Series-parallel decomposition of a workflow graph, used by the engine's compiled path: a graph that decomposes runs
 * as a fixed Effect program (chains in sequence, independent parts in parallel) instead of through the graph driver.
 *
 * The decomposition keeps maximum parallelism exactly. A parallel split is made only between weakly-connected parts,
 * which never wait on each other. A series split `P ; Q` is made only when every node of Q without needs inside Q
 * directly needs every node of P that no other node of P needs: then no node of Q could start before the whole of P
 * has finished, with or without the split. What does not decompose is left to the driver (`Rest`).
 */

/** A program over the nodes of one graph; `index` and `indices` point into the graph's node list. */
export type Program =
  | { readonly _tag: "Node"; readonly index: number }
  | { readonly _tag: "Series"; readonly parts: ReadonlyArray<Program> }
  | { readonly _tag: "Parallel"; readonly parts: ReadonlyArray<Program> }
  | { readonly _tag: "Rest"; readonly indices: ReadonlyArray<number> }

/** The shape of a node the decomposition needs. */
export interface DecomposableNode {
  readonly id: string
  readonly needs: ReadonlyArray<string>
}

/** Decomposes the graph of `nodes` (needs on ids outside the list count as already available). */
export const decompose = (nodes: ReadonlyArray<DecomposableNode>): Program => {
  const index = new Map<string, number>()
  nodes.forEach((node, i) => index.set(node.id, i))
  const needs: Array<Array<number>> = nodes.map((node) => {
    const own = new Set<number>()
    for (const need of node.needs) {
      const j = index.get(need)
      if (j !== undefined) own.add(j)
    }
    return [...own]
  })
  const dependents: Array<Array<number>> = nodes.map(() => [])
  needs.forEach((ns, i) => {
    for (const j of ns) dependents[j]!.push(i)
  })
  return decomposeSet(needs, dependents, nodes.map((_, i) => i))
}

/** Decomposes the nodes `set` (ascending indices); edges to nodes outside it are ignored. */
const decomposeSet = (
  needs: ReadonlyArray<ReadonlyArray<number>>,
  dependents: ReadonlyArray<ReadonlyArray<number>>,
  set: ReadonlyArray<number>
): Program => {
  if (set.length === 1) return { _tag: "Node", index: set[0]! }
  const inSet = new Set(set)

  // Weakly-connected components, each in ascending order, ordered by their first node.
  const component = new Map<number, number>()
  const components: Array<Array<number>> = []
  for (const start of set) {
    if (component.has(start)) continue
    const members: Array<number> = []
    const stack = [start]
    component.set(start, components.length)
    while (stack.length > 0) {
      const v = stack.pop()!
      members.push(v)
      for (const w of needs[v]!.concat(dependents[v]!)) {
        if (inSet.has(w) && !component.has(w)) {
          component.set(w, components.length)
          stack.push(w)
        }
      }
    }
    components.push(members.sort((a, b) => a - b))
  }
  if (components.length > 1) {
    return { _tag: "Parallel", parts: components.map((members) => decomposeSet(needs, dependents, members)) }
  }

  // Depth: the longest chain of needs inside the set leading to a node (Kahn's order; a cycle is left to the driver).
  const depth = new Map<number, number>()
  const pending = new Map<number, number>()
  const queue: Array<number> = []
  for (const v of set) {
    const count = needs[v]!.filter((w) => inSet.has(w)).length
    pending.set(v, count)
    if (count === 0) {
      depth.set(v, 0)
      queue.push(v)
    }
  }
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q]!
    for (const w of dependents[v]!) {
      if (!inSet.has(w)) continue
      depth.set(w, Math.max(depth.get(w) ?? 0, depth.get(v)! + 1))
      const left = pending.get(w)! - 1
      pending.set(w, left)
      if (left === 0) queue.push(w)
    }
  }
  if (queue.length < set.length) return { _tag: "Rest", indices: set }

  // A series split is only possible between depths (every node of Q is deeper than every node of P): try each.
  // For a cut after depth k, node v is a sink of P while depth(v) <= k < the smallest depth of its dependents, and
  // a source of Q while the largest depth of its needs <= k < depth(v); bucket both by k (linear for chains).
  let maxDepth = 0
  for (const v of set) maxDepth = Math.max(maxDepth, depth.get(v)!)
  const sinksAt: Array<Array<number>> = Array.from({ length: maxDepth }, () => [])
  const sourcesAt: Array<Array<number>> = Array.from({ length: maxDepth }, () => [])
  for (const v of set) {
    const d = depth.get(v)!
    let until = maxDepth
    for (const w of dependents[v]!) if (inSet.has(w)) until = Math.min(until, depth.get(w)!)
    for (let k = d; k < until; k++) sinksAt[k]!.push(v)
    if (d === 0) continue
    let from = 0
    for (const w of needs[v]!) if (inSet.has(w)) from = Math.max(from, depth.get(w)!)
    for (let k = from; k < d; k++) sourcesAt[k]!.push(v)
  }
  const cuts: Array<number> = []
  for (let k = 0; k < maxDepth; k++) {
    const sinks = sinksAt[k]!
    if (sourcesAt[k]!.every((v) => sinks.every((s) => needs[v]!.includes(s)))) cuts.push(k)
  }
  if (cuts.length === 0) return { _tag: "Rest", indices: set }
  cuts.push(maxDepth)
  const byDepth: Array<Array<number>> = Array.from({ length: maxDepth + 1 }, () => [])
  for (const v of set) byDepth[depth.get(v)!]!.push(v)
  const parts: Array<Program> = []
  let low = 0
  for (const cut of cuts) {
    const block = byDepth.slice(low, cut + 1).flat().sort((a, b) => a - b)
    parts.push(decomposeSet(needs, dependents, block))
    low = cut + 1
  }
  return { _tag: "Series", parts }
}

/** A readable form of a program, e.g. `a ; (b | c) ; d` (for tests and debugging). */
export const show = (program: Program, ids: ReadonlyArray<string>): string => {
  switch (program._tag) {
    case "Node":
      return ids[program.index]!
    case "Series":
      return program.parts.map((p) => (p._tag === "Parallel" ? `(${show(p, ids)})` : show(p, ids))).join(" ; ")
    case "Parallel":
      return program.parts.map((p) => (p._tag === "Series" ? `(${show(p, ids)})` : show(p, ids))).join(" | ")
    case "Rest":
      return `rest{${program.indices.map((i) => ids[i]!).join(", ")}}`
  }
}

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
  const n = nodes.length
  const scratch: Scratch = {
    needs,
    dependents,
    mark: new Int32Array(n),
    generation: 0,
    group: new Int32Array(n),
    depth: new Int32Array(n),
    pending: new Int32Array(n),
    budget: 32 * n + 4096
  }
  return decomposeSet(scratch, nodes.map((_, i) => i))
}

/**
 * Per-node working arrays shared by every level of the recursion. A level uses them only before it recurses, and
 * marks the members of its set with a fresh generation (so no per-level Set or Map: a deep, narrow graph recurses
 * once per level over the rest of the graph).
 */
interface Scratch {
  readonly needs: ReadonlyArray<ReadonlyArray<number>>
  readonly dependents: ReadonlyArray<ReadonlyArray<number>>
  readonly mark: Int32Array
  generation: number
  readonly group: Int32Array
  readonly depth: Int32Array
  readonly pending: Int32Array
  /**
   * Node visits left. Each level visits its whole set, so a deeply nested shape (a long spine with side branches)
   * would cost quadratic time; past the budget the rest is left to the driver, which is always correct.
   */
  budget: number
}

/** Decomposes the nodes `set` (ascending indices); edges to nodes outside it are ignored. */
const decomposeSet = (scratch: Scratch, set: ReadonlyArray<number>): Program => {
  if (set.length === 1) return { _tag: "Node", index: set[0]! }
  scratch.budget -= set.length
  if (scratch.budget < 0) return { _tag: "Rest", indices: set }
  const { needs, dependents, mark, group, depth, pending } = scratch
  const generation = ++scratch.generation
  for (const v of set) {
    mark[v] = generation
    group[v] = -1
  }
  const inSet = (v: number) => mark[v] === generation

  // Weakly-connected components, ordered by their first node; members listed in ascending order.
  let count = 0
  const stack: Array<number> = []
  for (const start of set) {
    if (group[start] !== -1) continue
    group[start] = count
    stack.push(start)
    while (stack.length > 0) {
      const v = stack.pop()!
      for (const w of needs[v]!) {
        if (inSet(w) && group[w] === -1) {
          group[w] = count
          stack.push(w)
        }
      }
      for (const w of dependents[v]!) {
        if (inSet(w) && group[w] === -1) {
          group[w] = count
          stack.push(w)
        }
      }
    }
    count++
  }
  if (count > 1) {
    const components: Array<Array<number>> = Array.from({ length: count }, () => [])
    for (const v of set) components[group[v]!]!.push(v)
    return { _tag: "Parallel", parts: components.map((members) => decomposeSet(scratch, members)) }
  }

  // Depth: the longest chain of needs inside the set leading to a node (Kahn's order; a cycle is left to the driver).
  const queue: Array<number> = []
  for (const v of set) {
    let inside = 0
    for (const w of needs[v]!) if (inSet(w)) inside++
    pending[v] = inside
    depth[v] = 0
    if (inside === 0) queue.push(v)
  }
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q]!
    for (const w of dependents[v]!) {
      if (!inSet(w)) continue
      if (depth[w]! < depth[v]! + 1) depth[w] = depth[v]! + 1
      if (--pending[w]! === 0) queue.push(w)
    }
  }
  if (queue.length < set.length) return { _tag: "Rest", indices: set }

  // A series split is only possible between depths (every node of Q is deeper than every node of P). For a cut
  // after depth k, v is a sink of P while depth(v) <= k < until(v), the smallest depth of its dependents; a source
  // of Q has depth k + 1 (it needs the deepest node of P). So in a valid cut every sink has until(v) = k + 1, and a
  // node rules out every cut in [depth(v), until(v) - 1). Linear in the size of the set.
  let maxDepth = 0
  for (const v of set) if (depth[v]! > maxDepth) maxDepth = depth[v]!
  const ruledOut = new Int32Array(maxDepth + 1)
  const sinksAt = new Map<number, Array<number>>()
  const sourcesAt = new Map<number, Array<number>>()
  for (const v of set) {
    const d = depth[v]!
    let until = Number.POSITIVE_INFINITY
    for (const w of dependents[v]!) if (inSet(w) && depth[w]! < until) until = depth[w]!
    const last = Math.min(until - 1, maxDepth)
    if (d < last) {
      ruledOut[d]!++
      ruledOut[last]!--
    }
    if (until !== Number.POSITIVE_INFINITY) push(sinksAt, until - 1, v)
    if (d > 0) push(sourcesAt, d - 1, v)
  }
  const cutAt = new Int32Array(maxDepth + 1)
  let cuts = 0
  let ruled = 0
  for (let k = 0; k < maxDepth; k++) {
    ruled += ruledOut[k]!
    cutAt[k] = cuts
    if (ruled > 0) continue
    const sinks = sinksAt.get(k) ?? []
    if ((sourcesAt.get(k) ?? []).every((v) => sinks.every((sink) => needs[v]!.includes(sink)))) cuts++
  }
  if (cuts === 0) return { _tag: "Rest", indices: set }
  cutAt[maxDepth] = cuts
  // Block b holds the depths after the b-th cut and up to the next one; listed in ascending order.
  const blocks: Array<Array<number>> = Array.from({ length: cuts + 1 }, () => [])
  for (const v of set) blocks[cutAt[depth[v]!]!]!.push(v)
  return { _tag: "Series", parts: blocks.map((block) => decomposeSet(scratch, block)) }
}

const push = (buckets: Map<number, Array<number>>, key: number, v: number) => {
  const bucket = buckets.get(key)
  if (bucket === undefined) buckets.set(key, [v])
  else bucket.push(v)
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

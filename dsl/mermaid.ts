/**
 * Draws a workflow as a Mermaid flowchart: one node per step (shape by kind), an edge per need, branch cases and
 * sub-workflows as subgraphs.
 *
 * @example
 * ```ts
 * import { Workflow } from "llm-orchestrator/dsl"
 * console.log(Workflow.toMermaid(rag))
 * // flowchart TD
 * //   embed["embed"]
 * //   embed --> docs
 * ```
 */
import type { Graph, Node } from "./Node.ts"

const safeId = (path: string) => path.replace(/[^A-Za-z0-9_]/g, "_")
const label = (text: string) => text.replace(/"/g, "#quot;")

const shape = (node: Node, id: string, text: string): string => {
  switch (node.kind) {
    case "step":
      return `${id}["${text}"]`
    case "branch":
      return `${id}{"${text}"}`
    case "map":
      return `${id}[["${text} (map)"]]`
    case "loop":
      return `${id}(("${text} (loop)"))`
    case "call":
      return `${id}[/"${text} (call)"/]`
    case "wait":
      return `${id}>"${text} (wait)"]`
  }
}

const draw = (graph: Graph, prefix: string, lines: Array<string>, indent: string) => {
  for (const node of graph.nodes) {
    const path = prefix === "" ? node.id : `${prefix}/${node.id}`
    const id = safeId(path)
    lines.push(`${indent}${shape(node, id, label(node.id))}`)
    for (const need of node.needs) {
      const own = graph.nodes.some((n) => n.id === need)
      // A need from outside a case graph points at the branch's own needs, drawn at the parent level.
      const needPath = own ? (prefix === "" ? need : `${prefix}/${need}`) : parentPath(prefix, need)
      lines.push(`${indent}${safeId(needPath)} --> ${id}`)
    }
    if (node.kind === "branch") {
      for (const [name, sub] of Object.entries(node.cases)) {
        const casePath = `${path}/${name}`
        lines.push(`${indent}subgraph ${safeId(casePath)}["${label(`${node.id}: ${name}`)}"]`)
        draw(sub, casePath, lines, indent + "  ")
        lines.push(`${indent}end`)
        lines.push(`${indent}${id} -->|${label(name)}| ${safeId(casePath)}`)
      }
    }
    if (node.kind === "call") {
      const callPath = `${path}/${node.workflow.name}`
      lines.push(`${indent}subgraph ${safeId(callPath)}["${label(node.workflow.name)}"]`)
      draw(node.workflow, path, lines, indent + "  ")
      lines.push(`${indent}end`)
    }
  }
}

/** The branch path prefix is `a/b/route/case`; external needs of the case live beside `route`, two levels up. */
const parentPath = (prefix: string, need: string): string => {
  const parts = prefix.split("/")
  const parent = parts.slice(0, -2).join("/")
  return parent === "" ? need : `${parent}/${need}`
}

/**
 * The Mermaid flowchart of a workflow.
 *
 * @example
 * ```ts
 * Workflow.toMermaid(Workflow.make("demo", { input: Schema.String }).step("a", () => Effect.succeed(1)))
 * // "flowchart TD\n  a[\"a\"]\n"
 * ```
 */
export const toMermaid = (graph: Graph): string => {
  const lines = ["flowchart TD"]
  draw(graph, "", lines, "  ")
  return lines.join("\n") + "\n"
}

/**
 * Diagrams of a workflow file's step graph (Mermaid or Graphviz dot), drawn from the analysis: nested branch cases
 * and map/loop bodies become subgraphs; edges follow the dependencies.
 *
 * @example
 * ```ts
 * toMermaid(analyzeFile("examples/parallel-rag.yaml"))  // "flowchart TD\n  embed_query[...]"
 * ```
 */
import type { Analysis, Node, Scope } from "./analyze.ts"

const label = (n: Node) => `${n.id} (${n.step.type})`
const esc = (s: string) => s.replace(/"/g, "'")

/**
 * Mermaid flowchart.
 *
 * @example
 * ```ts
 * toMermaid(analyzeFile("examples/content-moderation.yaml")).startsWith("flowchart TD") // true
 * ```
 */
export const toMermaid = (a: Analysis): string => {
  const lines = ["flowchart TD"]
  const edges: Array<string> = []
  const scope = (s: Scope, indent: string) => {
    for (const n of s.nodes) {
      if (n.cases !== undefined || n.body !== undefined) {
        lines.push(`${indent}${n.id}{"${esc(label(n))}"}`)
        const subs = n.body !== undefined
          ? [["body", n.body] as const]
          : [...n.cases!.entries(), ...(n.defaultCase ? [["default", n.defaultCase] as const] : [])]
        for (const [name, sub] of subs) {
          lines.push(`${indent}subgraph ${n.id}__${name}["${esc(`${n.id}: ${name}`)}"]`)
          scope(sub, `${indent}  `)
          lines.push(`${indent}end`)
          edges.push(`  ${n.id} -->|${esc(name)}| ${n.id}__${name}`)
        }
      } else {
        lines.push(`${indent}${n.id}["${esc(label(n))}"]`)
      }
      for (const d of [...n.needs].sort()) edges.push(`  ${d} --> ${n.id}`)
    }
  }
  scope(a.root, "  ")
  return [...lines, ...edges].join("\n") + "\n"
}

/**
 * Graphviz dot.
 *
 * @example
 * ```ts
 * toDot(analyzeFile("examples/parallel-rag.yaml")) // 'digraph "parallel-rag-search" {...'
 * ```
 */
export const toDot = (a: Analysis): string => {
  const lines = [`digraph "${esc(a.workflow?.name ?? "workflow")}" {`, "  rankdir=TB;", "  node [shape=box];"]
  const edges: Array<string> = []
  const scope = (s: Scope, indent: string) => {
    for (const n of s.nodes) {
      const shape = n.cases !== undefined ? "diamond" : n.body !== undefined ? "hexagon" : "box"
      lines.push(`${indent}"${n.id}" [label="${esc(label(n))}", shape=${shape}];`)
      const subs = n.body !== undefined
        ? [["body", n.body] as const]
        : [...(n.cases?.entries() ?? []), ...(n.defaultCase ? [["default", n.defaultCase] as const] : [])]
      for (const [name, sub] of subs) {
        lines.push(`${indent}subgraph "cluster_${n.id}_${name}" {`)
        lines.push(`${indent}  label="${esc(`${n.id}: ${name}`)}";`)
        scope(sub, `${indent}  `)
        lines.push(`${indent}}`)
        const first = sub.nodes[0]
        if (first !== undefined) edges.push(`  "${n.id}" -> "${first.id}" [label="${esc(name)}", style=dashed];`)
      }
      for (const d of [...n.needs].sort()) edges.push(`  "${d}" -> "${n.id}";`)
    }
  }
  scope(a.root, "  ")
  return [...lines, ...edges, "}"].join("\n") + "\n"
}

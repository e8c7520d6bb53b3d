/**
 * `llm-orchestrator graph <file> [--format mermaid|dot]`: the step graph as Mermaid (default) or Graphviz dot.
 *
 * @example
 * ```sh
 * llm-orchestrator graph examples/parallel-rag.yaml --format dot | dot -Tsvg > rag.svg
 * ```
 */
import { Effect } from "effect"
import { analyzeFile } from "../../codegen/analyze.ts"
import { formatDiagnostic } from "../../codegen/Diagnostic.ts"
import { toDot, toMermaid } from "../../codegen/graph.ts"
import { Output } from "./Output.ts"
import type { GraphArgs } from "./graphCommand.ts"

/** Runs `graph` (loaded by `graphCommand.ts` when the command runs). */
export const graph = ({ file, format }: GraphArgs) =>
  Output.use((o) =>
    Effect.sync(() => {
      const a = analyzeFile(file)
      const errors = a.diagnostics.filter((d) => d.severity === "error")
      if (errors.length > 0) {
        for (const d of errors) o.err(formatDiagnostic(d))
        o.exit(2)
        return
      }
      o.out((format === "dot" ? toDot(a) : toMermaid(a)).trimEnd())
    })
  )

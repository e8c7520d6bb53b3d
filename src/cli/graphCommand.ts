/**
 * `llm-orchestrator graph <file> [--format mermaid|dot]`: the step graph as Mermaid (default) or Graphviz dot.
 *
 * @example
 * ```sh
 * llm-orchestrator graph examples/parallel-rag.yaml --format dot | dot -Tsvg > rag.svg
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { analyzeFile } from "../../codegen/analyze.ts"
import { formatDiagnostic } from "../../codegen/Diagnostic.ts"
import { toDot, toMermaid } from "../../codegen/graph.ts"
import { Output } from "./Output.ts"

/** `graph <file> --format mermaid|dot`: prints the workflow's dependency graph. */
export const graphCommand = Command.make("graph", {
  file: Argument.String("file").pipe(Argument.withDescription("A YAML workflow file")),
  format: Flag.Literals("format", ["mermaid", "dot"]).pipe(Flag.withDescription("Diagram language"), Flag.withDefault("mermaid"))
}, ({ file, format }) =>
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
  )).pipe(Command.withDescription("Print the step graph of a workflow (Mermaid or dot)"))

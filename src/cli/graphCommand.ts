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

const config = {
  file: Argument.String("file").pipe(Argument.withDescription("A YAML workflow file")),
  format: Flag.Literals("format", ["mermaid", "dot"]).pipe(Flag.withDescription("Diagram language"), Flag.withDefault("mermaid"))
}

/** The parsed arguments of `graph`. */
export type GraphArgs = Command.Command.Config.Infer<typeof config>

/** `graph <file> --format mermaid|dot`: prints the workflow's dependency graph. */
export const graphCommand = Command.make("graph", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./graphHandler.ts")), (handler) => handler.graph(args))
).pipe(Command.withDescription("Print the step graph of a workflow (Mermaid or dot)"))

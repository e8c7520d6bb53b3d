/**
 * `llm-orchestrator codegen <files...> --out <dir>`: one TypeScript module per valid YAML file (and per sub-workflow
 * file they call). Invalid files are reported as in `validate` and make the exit code 1.
 *
 * @example
 * ```sh
 * llm-orchestrator codegen examples/*.yaml --out src/generated
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { formatDiagnostic } from "../../codegen/Diagnostic.ts"
import { writeModules } from "../../codegen/writeModules.ts"
import { workflowFilesOf } from "./workflowFiles.ts"
import { Output } from "./Output.ts"

/** `codegen <files...> --out <dir>`: writes one TypeScript module per valid YAML workflow. */
export const codegenCommand = Command.make("codegen", {
  files: Argument.String("file").pipe(Argument.withDescription("YAML workflow files"), Argument.atLeast(1)),
  out: Flag.String("out").pipe(Flag.withDescription("Directory to write the modules to")),
  importFrom: Flag.String("import-from").pipe(
    Flag.withDescription("Module the generated code imports Workflow, Llm, ... from"),
    Flag.withDefault("llm-orchestrator")
  )
}, ({ files: given, out, importFrom }) =>
  Output.use((o) =>
    Effect.sync(() => {
      const { files, skipped } = workflowFilesOf(given)
      if (skipped.length > 0) o.err(`skipped ${skipped.length} test/mock/input file(s): ${skipped.join(", ")}`)
      const r = writeModules(files, out, { importFrom, runtimeFrom: `${importFrom}/yaml` })
      for (const d of r.diagnostics) o.out(formatDiagnostic(d))
      for (const w of r.written) o.err(`wrote ${w}`)
      if (r.diagnostics.some((d) => d.severity === "error")) o.exit(1)
    })
  )).pipe(Command.withDescription("Generate one typed TypeScript module per YAML workflow"))

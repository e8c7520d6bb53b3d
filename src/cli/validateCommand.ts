/**
 * `llm-orchestrator validate <files...>`: prints `file:line:col: message` for every problem; exit 1 when any file
 * has an error (warnings alone keep 0).
 *
 * @example
 * ```sh
 * llm-orchestrator validate examples/*.yaml
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { analyzeFile } from "../../codegen/analyze.ts"
import { formatDiagnostic, sortDiagnostics } from "../../codegen/Diagnostic.ts"
import { workflowFilesOf } from "./workflowFiles.ts"
import { Output, style } from "./Output.ts"

/** `validate <files...> [--json]`: prints every file's diagnostics; fails when one has errors. */
export const validateCommand = Command.make("validate", {
  files: Argument.String("file").pipe(Argument.withDescription("YAML workflow files"), Argument.atLeast(1)),
  json: Flag.Boolean("json").pipe(Flag.withDescription("Print the diagnostics as JSON"), Flag.withDefault(false))
}, ({ files: given, json }) =>
  Output.use((o) =>
    Effect.sync(() => {
      const { files, skipped } = workflowFilesOf(given)
      if (skipped.length > 0 && !json) o.err(`skipped ${skipped.length} test/mock/input file(s): ${skipped.join(", ")}`)
      const s = style(o.color && !json)
      const all = []
      let bad = 0
      for (const file of files) {
        const ds = sortDiagnostics(analyzeFile(file).diagnostics)
        all.push(...ds)
        const errors = ds.filter((d) => d.severity === "error").length
        if (errors > 0) bad++
        if (!json) {
          for (const d of ds) {
            const text = formatDiagnostic(d)
            o.out(d.severity === "error" ? text : s.yellow(text))
          }
        }
      }
      if (json) o.out(JSON.stringify({ valid: bad === 0, diagnostics: all }, null, 2))
      else {
        o.err(bad === 0 ? s.green(`${files.length} file(s) valid`) : s.red(`${bad} of ${files.length} file(s) invalid`))
      }
      if (bad > 0) o.exit(1)
    })
  )).pipe(Command.withDescription("Check YAML workflow files; errors print as file:line:col: message"))

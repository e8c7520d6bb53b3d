/**
 * `llm-orchestrator codegen <files...> --out <dir>`: one TypeScript module per valid YAML file (and per sub-workflow
 * file they call). Invalid files are reported as in `validate` and make the exit code 1.
 *
 * @example
 * ```sh
 * llm-orchestrator codegen examples/*.yaml --out src/generated
 * llm-orchestrator codegen moderation.yaml --out src/generated --actions ./actions.ts   # typed action parameters
 * ```
 */
import { relative, resolve, sep } from "node:path"
import { Effect, Option } from "effect"
import { formatDiagnostic } from "../../codegen/Diagnostic.ts"
import type { GenerateOptions } from "../../codegen/generate.ts"
import { writeModules } from "../../codegen/writeModules.ts"
import * as ActionModule from "../actions/ActionModule.ts"
import { workflowFilesOf } from "./workflowFiles.ts"
import { Output } from "./Output.ts"
import type { CodegenArgs } from "./codegenCommand.ts"

/** Runs `codegen` (loaded by `codegenCommand.ts` when the command runs). */
export const codegen = ({ files: given, out, importFrom, actions }: CodegenArgs) =>
  Output.use((o) =>
    Effect.gen(function*() {
      const { files, skipped } = workflowFilesOf(given)
      if (skipped.length > 0) o.err(`skipped ${skipped.length} test/mock/input file(s): ${skipped.join(", ")}`)
      let typed: GenerateOptions["actions"]
      if (Option.isSome(actions)) {
        const described = yield* Effect.result(ActionModule.describe(actions.value, process.cwd()))
        if (described._tag === "Failure") {
          o.err(described.failure.message)
          return o.exit(1)
        }
        // The import path from the generated modules' folder, as a relative specifier with its extension.
        let from = relative(resolve(out), described.success.path).split(sep).join("/")
        if (!from.startsWith(".")) from = `./${from}`
        typed = { from, exports: described.success.exports.map(({ name, named }) => ({ name, named })) }
      }
      const r = writeModules(files, out, { importFrom, runtimeFrom: `${importFrom}/yaml`, ...(typed !== undefined ? { actions: typed } : {}) })
      for (const d of r.diagnostics) o.out(formatDiagnostic(d))
      for (const w of r.written) o.err(`wrote ${w}`)
      if (r.diagnostics.some((d) => d.severity === "error")) o.exit(1)
    })
  )

/**
 * `llm-orchestrator validate <files...>`: prints `file:line:col: message` for every problem; exit 1 when any file
 * has an error (warnings alone keep 0).
 *
 * @example
 * ```sh
 * llm-orchestrator validate examples/*.yaml
 * ```
 */
import { basename } from "node:path"
import { Effect, Option } from "effect"
import * as ActionModule from "../actions/ActionModule.ts"
import * as Config from "../config/Config.ts"
import * as Project from "../config/Project.ts"
import { providerNames } from "../pipeline/Pipeline.ts"
import { analyzeFile } from "../../codegen/analyze.ts"
import { formatDiagnostic, sortDiagnostics } from "../../codegen/Diagnostic.ts"
import { workflowFilesOf } from "./workflowFiles.ts"
import { Output, style } from "./Output.ts"
import type { ValidateArgs } from "./validateCommand.ts"

/** Runs `validate` (loaded by `validateCommand.ts` when the command runs). */
export const validate = ({ files: given, json, config, actions }: ValidateArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const project = yield* Effect.result(Project.load({ cwd: o.cwd, config: Option.getOrUndefined(config), actionsModule: Option.getOrUndefined(actions), env: {} }))
    const configProblems = project._tag === "Failure"
      ? (project.failure._tag === "ConfigInvalid" ? project.failure.problems : [project.failure.message])
      : []
    const providers = project._tag === "Success" ? providerNames(Config.toRunOptions(project.success.config)) : undefined
    const knownActions = project._tag === "Success" ? project.success.actions : {}
    {
      const { files: inputs, skipped } = workflowFilesOf(given)
      // A configuration file given among the workflows is validated as one.
      const isConfig = (f: string) => (Config.defaultNames as ReadonlyArray<string>).includes(basename(f))
      const files = inputs.filter((f) => !isConfig(f))
      if (skipped.length > 0 && !json) o.err(`skipped ${skipped.length} test/mock/input file(s): ${skipped.join(", ")}`)
      const s = style(o.color && !json)
      const all = []
      const configErrors: Array<string> = []
      let bad = 0
      for (const file of inputs.filter(isConfig)) {
        const r = yield* Effect.result(Config.load({ path: file, cwd: o.cwd }))
        if (r._tag === "Failure") {
          bad++
          configErrors.push(...r.failure.problems)
        }
      }
      configErrors.push(...configProblems)
      if (configProblems.length > 0) bad++
      if (!json) for (const p of configErrors) o.out(p)
      for (const file of files) {
        const analysis = analyzeFile(file, providers !== undefined ? { providers } : {})
        const ds = sortDiagnostics([...analysis.diagnostics, ...(analysis.diagnostics.some((d) => d.severity === "error") ? [] : ActionModule.checkSteps(analysis, knownActions))])
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
      if (json) o.out(JSON.stringify({ valid: bad === 0, diagnostics: all, ...(configErrors.length > 0 ? { configErrors } : {}) }, null, 2))
      else {
        o.err(bad === 0 ? s.green(`${inputs.length} file(s) valid`) : s.red(`${bad} of ${inputs.length} file(s) invalid`))
      }
      if (bad > 0) o.exit(1)
    }
  })

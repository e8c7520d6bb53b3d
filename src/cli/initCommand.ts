/**
 * `llm-orchestrator init <dir>`: scaffolds a project with one workflow, its test file, a mock file and npm scripts.
 * Existing files are never overwritten.
 *
 * @example
 * ```sh
 * llm-orchestrator init my-flows && cd my-flows && npx llm-orchestrator test workflows/summarize.yaml
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"

const config = {
  dir: Argument.String("dir").pipe(Argument.withDescription("Directory of the new project")),
  from: Flag.String("from").pipe(
    Flag.withDescription("Depend on llm-orchestrator from this tarball or directory (until it is on the registry): npm pack's .tgz or a checkout"),
    Flag.optional
  )
}

/** The parsed arguments of `init`. */
export type InitArgs = Command.Command.Config.Infer<typeof config>

/** `init <dir>`: scaffolds a new workflow project (example workflow, mocks, tests, package.json). */
export const initCommand = Command.make("init", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./initHandler.ts")), (handler) => handler.init(args))
).pipe(Command.withDescription("Scaffold a project with one workflow, its tests and npm scripts"))

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

const config = {
  files: Argument.String("file").pipe(Argument.withDescription("YAML workflow files"), Argument.atLeast(1)),
  json: Flag.Boolean("json").pipe(Flag.withDescription("Print the diagnostics as JSON"), Flag.withDefault(false)),
  config: Flag.String("config").pipe(Flag.withDescription("Configuration file (its providers are valid names; default ./llm-orchestrator.yaml)"), Flag.optional),
  actions: Flag.String("actions").pipe(Flag.withDescription("A module of custom actions: action steps' parameters are checked against their schemas"), Flag.optional)
}

/** The parsed arguments of `validate`. */
export type ValidateArgs = Command.Command.Config.Infer<typeof config>

/** `validate <files...> [--json]`: prints every file's diagnostics; fails when one has errors. */
export const validateCommand = Command.make("validate", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./validateHandler.ts")), (handler) => handler.validate(args))
).pipe(Command.withDescription("Check YAML workflow files; errors print as file:line:col: message"))

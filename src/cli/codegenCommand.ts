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
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"

const config = {
  files: Argument.String("file").pipe(Argument.withDescription("YAML workflow files"), Argument.atLeast(1)),
  out: Flag.String("out").pipe(Flag.withDescription("Directory to write the modules to")),
  importFrom: Flag.String("import-from").pipe(
    Flag.withDescription("Module the generated code imports Workflow, Llm, ... from"),
    Flag.withDefault("llm-orchestrator")
  ),
  actions: Flag.String("actions").pipe(
    Flag.withDescription("A module of custom actions (Action.make): action steps get parameters typed by their Schemas"),
    Flag.optional
  )
}

/** The parsed arguments of `codegen`. */
export type CodegenArgs = Command.Command.Config.Infer<typeof config>

/** `codegen <files...> --out <dir>`: writes one TypeScript module per valid YAML workflow. */
export const codegenCommand = Command.make("codegen", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./codegenHandler.ts")), (handler) => handler.codegen(args))
).pipe(Command.withDescription("Generate one typed TypeScript module per YAML workflow"))

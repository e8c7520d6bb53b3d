/**
 * `llm-orchestrator test <file> [--actions ./actions.ts] [--config F]`: runs the cases of the sidecar `<name>.test.yaml`
 * (input, mocks, expected outputs, steps that must run or be skipped, or an expected error) and prints pass/fail per
 * case; exit 1 when any fails, 2 when a file cannot be read or is invalid. With `--actions` (or the config's
 * `actions.module`), action steps' parameters are checked against their Schemas first (as `validate` does), and an
 * action step without a mock runs the action (your code); mock it to keep the test away from what it calls.
 *
 * Sidecar format:
 * ```yaml
 * # unmocked: call    # steps without a mock call their services (default fail: every service call must be mocked);
 * #                   # for workflows whose services run offline (memory store, offline embedding)
 * cases:
 *   - name: blocks bad content
 *     input: { content: "..." }
 *     mocks: { moderate_content: block }          # or mock_file: ./x.mock.yaml
 *     expect:
 *       outputs: { moderation_result: block }     # partial match
 *       path: [moderate_content, route_based_on_moderation/block/notify_user]
 *       skipped: [route_based_on_moderation/safe/auto_publish]
 *       # error: StepFailed                      # expect a failure with this tag instead
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"

const config = {
  files: Argument.String("file").pipe(
    Argument.withDescription("YAML workflows (their <name>.test.yaml is read) or .test.yaml files; mock/input files are ignored"),
    Argument.atLeast(1)
  ),
  actions: Flag.String("actions").pipe(
    Flag.withDescription("A module of custom actions (Action.make): their parameters are checked against their Schemas, and an action step without a mock runs the action"),
    Flag.optional
  ),
  config: Flag.String("config").pipe(Flag.withDescription("Configuration file (its actions module and providers; default: ./llm-orchestrator.yaml when present)"), Flag.optional)
}

/** The parsed arguments of `test`. */
export type TestArgs = Command.Command.Config.Infer<typeof config>

/** `test <files...>`: runs each workflow's `<name>.test.yaml` cases with mocks and reports passed/failed. */
export const testCommand = Command.make("test", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./testHandler.ts")), (handler) => handler.test(args))
).pipe(Command.withDescription("Run the test cases of <name>.test.yaml files with mocks"))

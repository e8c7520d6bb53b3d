/**
 * `llm-orchestrator status <run-id> [--watch] [--json]`: a run's state, steps (attempts, durations, tokens, cost) and
 * outputs, from the run store or the server of `--remote` (handler in `remote.ts`). `--watch` prints it again whenever
 * it changes, until it finishes (or suspends, with `--json`: one document per change).
 *
 * @example
 * ```sh
 * llm-orchestrator status run-lx2k-1a2b3c4d --watch
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"

const storeFlag = Flag.String("store").pipe(
  Flag.withDescription("The run store (without --remote): memory, sqlite:PATH or postgres://... (default: LLM_ORCHESTRATOR_STORE, else the config's run_store, else .llm-orchestrator/runs.db)"),
  Flag.optional
)
const configFlag = Flag.String("config").pipe(Flag.withDescription("Configuration file (its run_store; default: ./llm-orchestrator.yaml when present)"), Flag.optional)

const config = {
  runId: Argument.String("run-id"),
  json: Flag.Boolean("json").pipe(Flag.withDefault(false)),
  watch: Flag.Boolean("watch").pipe(Flag.withDescription("Follow the run live until it finishes"), Flag.withDefault(false)),
  interval: Flag.Int("interval").pipe(Flag.withDescription("With --watch: milliseconds between reads (default 500)"), Flag.withDefault(500)),
  store: storeFlag,
  config: configFlag
}

/** The parsed arguments of `status`. */
export type StatusArgs = Command.Command.Config.Infer<typeof config>

export const statusCommand = Command.make("status", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./remote.ts")), (handler) => handler.status(args))
).pipe(Command.withDescription("Show a run: status, steps (attempts, durations, tokens, cost), waits, outputs; --watch follows it"))

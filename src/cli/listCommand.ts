/**
 * `llm-orchestrator list`: runs, newest first, as a table (or `--json`), from the run store or the server of
 * `--remote` (handler in `remote.ts`).
 *
 * @example
 * ```sh
 * llm-orchestrator list --status failed --since 1d
 * ```
 */
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"

const storeFlag = Flag.String("store").pipe(
  Flag.withDescription("The run store (without --remote): memory, sqlite:PATH or postgres://... (default: LLM_ORCHESTRATOR_STORE, else the config's run_store, else .llm-orchestrator/runs.db)"),
  Flag.optional
)
const configFlag = Flag.String("config").pipe(Flag.withDescription("Configuration file (its run_store; default: ./llm-orchestrator.yaml when present)"), Flag.optional)

const config = {
  workflow: Flag.String("workflow").pipe(Flag.optional),
  status: Flag.Literals("status", ["pending", "running", "suspended", "succeeded", "failed", "cancelled"]).pipe(Flag.optional),
  since: Flag.String("since").pipe(Flag.withDescription("Only runs created in this last period (1h, 7d) or since this date (2026-01-31)"), Flag.optional),
  limit: Flag.Int("limit").pipe(Flag.withDescription("At most this many runs (default 50)"), Flag.optional),
  json: Flag.Boolean("json").pipe(Flag.withDefault(false)),
  store: storeFlag,
  config: configFlag
}

/** The parsed arguments of `list`. */
export type ListArgs = Command.Command.Config.Infer<typeof config>

export const listCommand = Command.make("list", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./remote.ts")), (handler) => handler.list(args))
).pipe(Command.withDescription("List runs, newest first (--status, --workflow, --since, --limit, --json)"))

/**
 * `llm-orchestrator run <file> [--input JSON | --input-file F] [--mock F] [--output F] [--json] [--store S]`: runs a
 * YAML workflow durably on the run store (default `.llm-orchestrator/runs.db`; `--store memory` runs it in memory only,
 * see `durableRun.ts`). Exit codes: 0 success, 1 workflow failure, 2 invalid definition or input, 4 suspended (waiting
 * for a signal), 5 cancelled, 130/143 interrupted (the run is saved and resumes).
 *
 * @example
 * ```sh
 * llm-orchestrator run examples/parallel-rag.yaml --input '{"query":"what is effect?"}' --mock examples/parallel-rag.mock.yaml
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { logLevels } from "./RunLog.ts"
import { telemetryFlags } from "./TelemetryFlags.ts"

const config = {
  file: Argument.String("file").pipe(Argument.withDescription("A YAML workflow file")),
  input: Flag.String("input").pipe(Flag.withDescription("Workflow input as JSON (or YAML)"), Flag.optional),
  inputFile: Flag.String("input-file").pipe(Flag.withDescription("File holding the input (JSON or YAML)"), Flag.optional),
  mock: Flag.String("mock").pipe(Flag.withDescription("YAML/JSON file mapping step ids to mocked outputs"), Flag.optional),
  output: Flag.String("output").pipe(Flag.withDescription("Also write the outputs as JSON to this file"), Flag.optional),
  concurrency: Flag.Int("concurrency").pipe(Flag.withDescription("At most this many steps (and map items) at once"), Flag.optional),
  priority: Flag.String("priority").pipe(
    Flag.withDescription("The run's priority behind a saturated rate limit: a number (higher first) or high, normal, low (kept with a durable run)"),
    Flag.optional
  ),
  json: Flag.Boolean("json").pipe(Flag.withDescription("Print one JSON document and nothing else"), Flag.withDefault(false)),
  stream: Flag.Boolean("stream").pipe(Flag.withDescription("Print the answers of streaming LLM steps (stream: true) on stderr as they are written"), Flag.withDefault(false)),
  config: Flag.String("config").pipe(Flag.withDescription("Configuration file (default: ./llm-orchestrator.yaml when present)"), Flag.optional),
  envFile: Flag.String("env-file").pipe(Flag.withDescription("Load environment variables from this file (KEY=value lines); the environment wins"), Flag.optional),
  actions: Flag.String("actions").pipe(Flag.withDescription("A TS/JS module exporting custom actions (Action.make)"), Flag.optional),
  verbose: Flag.Boolean("verbose").pipe(Flag.withDescription("Same as --log-level debug"), Flag.withDefault(false)),
  store: Flag.String("store").pipe(
    Flag.withDescription("Where the run is kept: sqlite:PATH (default .llm-orchestrator/runs.db), postgres://..., or memory (not durable); also LLM_ORCHESTRATOR_STORE or the config's run_store"),
    Flag.optional
  ),
  grace: Flag.String("grace").pipe(Flag.withDescription("On SIGINT/SIGTERM, how long steps in flight may take to finish (default 30s); the run resumes later"), Flag.withDefault("30s")),
  logLevel: Flag.Literals("log-level", logLevels).pipe(
    Flag.withDescription("Run log on stderr: error, warn (breaker opened, failovers), info (also retries, rate-limit waits), debug"),
    Flag.optional
  ),
  ...telemetryFlags
}

/** The parsed arguments of `run`. */
export type RunArgs = Command.Command.Config.Infer<typeof config>

/** `run <file>`: runs a YAML workflow with its input, optional mocks, progress output and concurrency. */
export const runCommand = Command.make("run", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./runHandler.ts")), (handler) => handler.run(args))
).pipe(Command.withDescription("Run a YAML workflow durably (offline with --mock); exit 0 ok, 1 failed, 2 invalid, 4 waiting for a signal, 5 cancelled, 130/143 interrupted"))

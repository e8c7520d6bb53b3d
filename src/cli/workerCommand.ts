/**
 * `llm-orchestrator worker --store postgres://... --address HOST:PORT [FILE|DIR]... [--module M]...`: a worker of a
 * cluster (effect/cluster on Postgres). It hosts the given workflows (YAML files, and TS/JS modules that export
 * workflows), and runs of other YAML workflows by their stored source; any number of workers share one store, and
 * runs started by `run --store` on it (or the server, or the library) spread over them. When a worker dies, another one
 * takes its runs over after their last finished step.
 *
 * Traces the runs it executes over OTLP/HTTP with `--otlp-endpoint` (or `OTEL_EXPORTER_OTLP_ENDPOINT`, or the config's
 * `telemetry` section): a run continues the trace its starter handed over (`traceparent`: a server's request, a CLI's
 * `TRACEPARENT`).
 *
 * Stops on SIGTERM/SIGINT: it leaves the cluster after its steps in flight finished (within `--grace`, 120 s) and
 * exits 0; a second signal exits at once. `--health HOST:PORT` serves `/health` and `/ready` for probes.
 *
 * @example
 * ```sh
 * llm-orchestrator worker --store postgres://app@db:5432/runs --address 10.0.0.7:34431 --listen 0.0.0.0:34431 workflows/
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { telemetryFlags } from "./TelemetryFlags.ts"

const duration = (label: string) =>
  Flag.String(label).pipe(Flag.optional)

/** The settings flags, each overriding one default of `Settings` (durations as 10s, 500ms, 2m). */
const settingFlags = {
  lockExpiry: duration("lock-expiry").pipe(Flag.withDescription("How long a worker's shard locks last without renewal (default 9s)")),
  lockRefresh: duration("lock-refresh").pipe(Flag.withDescription("How often a worker renews its locks and heartbeat (default 3s)")),
  healthCheck: duration("health-check").pipe(Flag.withDescription("How often the workers' health is checked by ping (default 2s)")),
  assignmentsRefresh: duration("assignments-refresh").pipe(Flag.withDescription("How often shard assignments are re-read (default 1s)")),
  messagePoll: duration("message-poll").pipe(Flag.withDescription("How often storage is read for messages no one was told about (default 1s)")),
  inboxPoll: duration("inbox-poll").pipe(Flag.withDescription("How often the run store's inbox (runs, cancels, signals) is read (default 500ms)")),
  grace: duration("grace").pipe(Flag.withDescription("On SIGTERM, how long steps in flight may take to finish before they are left to another worker (default 120s)")),
  shards: Flag.Int("shards").pipe(Flag.withDescription("Shards per group; every member must agree (default 300)"), Flag.optional)
}

const config = {
  files: Argument.String("file").pipe(Argument.withDescription("YAML workflow files, or directories of them, to host"), Argument.atLeast(0)),
  module: Flag.String("module").pipe(Flag.withDescription("A TS/JS module whose exported workflows to host (and its `layer` export, the services of their steps); repeatable"), Flag.atLeast(0)),
  store: Flag.String("store").pipe(Flag.withDescription("The Postgres store the workers share: postgres://..., or a secret reference holding it (file:/run/secrets/store-url); default LLM_ORCHESTRATOR_STORE"), Flag.optional),
  address: Flag.String("address").pipe(Flag.withDescription("HOST:PORT the other members reach this worker at (default LLM_ORCHESTRATOR_WORKER_ADDRESS; never HOST/PORT)"), Flag.optional),
  listen: Flag.String("listen").pipe(Flag.withDescription("HOST:PORT to listen on when not the address (0.0.0.0:34431 in a container)"), Flag.optional),
  health: Flag.String("health").pipe(Flag.withDescription("HOST:PORT to serve /health and /ready on (default LLM_ORCHESTRATOR_WORKER_HEALTH; none)"), Flag.optional),
  mock: Flag.String("mock").pipe(Flag.withDescription("YAML/JSON file of mocked step outputs for the given YAML files"), Flag.optional),
  config: Flag.String("config").pipe(Flag.withDescription("Configuration file (default: ./llm-orchestrator.yaml when present)"), Flag.optional),
  envFile: Flag.String("env-file").pipe(Flag.withDescription("Load environment variables from this file"), Flag.optional),
  actions: Flag.String("actions").pipe(Flag.withDescription("A TS/JS module exporting custom actions (Action.make)"), Flag.optional),
  otlpEndpoint: telemetryFlags.otlpEndpoint,
  logFormat: telemetryFlags.logFormat,
  ...settingFlags
}

/** The parsed arguments of `worker`. */
export type WorkerArgs = Command.Command.Config.Infer<typeof config>

/** `worker`: a cluster worker until SIGTERM/SIGINT. */
export const workerCommand = Command.make("worker", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./workerHandler.ts")), (handler) => handler.worker(args))
).pipe(Command.withDescription("Run as a worker of a cluster on a Postgres store until SIGTERM: hosts the given workflows and takes its share of the runs"))

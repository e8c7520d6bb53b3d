/**
 * `llm-orchestrator metrics`: with `--url URL [--raw]`, the current metrics of a running process (a server, a worker,
 * a run with `--metrics-port`), read from its Prometheus `/metrics`: runs by workflow and status with p50/p99
 * durations, runs in flight and suspended, LLM calls by provider and model with latency and tokens, cost, retries,
 * failovers, open circuits; `--raw` prints the exposition as served. Without `--url`, a summary of the run store
 * (`--store`, else `LLM_ORCHESTRATOR_STORE`, else the config's `run_store`, else `.llm-orchestrator/runs.db`) over a
 * period (`--since`, 24h by default): per workflow, runs by status, p50/p99 duration, tokens, calls and cost; `--json`
 * prints it as one document. Exit codes: 0, 1 when the endpoint or the store cannot be read, 2 bad usage.
 *
 * @example
 * ```sh
 * llm-orchestrator metrics --url http://localhost:9464/metrics
 * llm-orchestrator metrics --store sqlite:.llm-orchestrator/runs.db --since 7d --workflow triage --json
 * ```
 */
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"

const config = {
  url: Flag.String("url").pipe(Flag.withDescription("The /metrics URL of a running process (a bare host:port gets /metrics); without it, a summary of the run store"), Flag.optional),
  raw: Flag.Boolean("raw").pipe(Flag.withDescription("With --url: print the Prometheus exposition as served"), Flag.withDefault(false)),
  store: Flag.String("store").pipe(
    Flag.withDescription("Without --url: the run store to summarise, sqlite:PATH or postgres://... (default: LLM_ORCHESTRATOR_STORE, else the config's run_store, else .llm-orchestrator/runs.db)"),
    Flag.optional
  ),
  config: Flag.String("config").pipe(Flag.withDescription("Configuration file (its run_store; default: ./llm-orchestrator.yaml when present)"), Flag.optional),
  since: Flag.String("since").pipe(Flag.withDescription("Without --url: the runs created in this last period (1h, 7d) or since this date (2026-01-31); default 24h"), Flag.optional),
  workflow: Flag.String("workflow").pipe(Flag.withDescription("Without --url: only this workflow's runs"), Flag.optional),
  json: Flag.Boolean("json").pipe(Flag.withDescription("Without --url: print the summary as one JSON document"), Flag.withDefault(false))
}

/** The parsed arguments of `metrics`. */
export type MetricsArgs = Command.Command.Config.Infer<typeof config>

/** `metrics --url URL [--raw]`, or `metrics [--store S] [--since P] [--workflow W] [--json]`. */
export const metricsCommand = Command.make("metrics", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./metricsHandler.ts")), (handler) => handler.metrics(args))
).pipe(Command.withDescription("Print the current metrics of a running server, worker or run (--url), or a summary of the run store's runs per workflow"))

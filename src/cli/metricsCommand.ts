/**
 * `llm-orchestrator metrics --url URL [--raw]`: the current metrics of a running process (a server, a worker, a run
 * with `--metrics-port`), read from its Prometheus `/metrics`: runs by workflow and status with p50/p99 durations,
 * runs in flight and suspended, LLM calls by provider and model with latency and tokens, cost, retries, failovers,
 * open circuits. `--raw` prints the exposition as served. Exit codes: 0, 1 when the endpoint cannot be read.
 *
 * @example
 * ```sh
 * llm-orchestrator metrics --url http://localhost:9464/metrics
 * ```
 */
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"

const config = {
  url: Flag.String("url").pipe(Flag.withDescription("The /metrics URL of a running process (a bare host:port gets /metrics)")),
  raw: Flag.Boolean("raw").pipe(Flag.withDescription("Print the Prometheus exposition as served"), Flag.withDefault(false))
}

/** The parsed arguments of `metrics`. */
export type MetricsArgs = Command.Command.Config.Infer<typeof config>

/** `metrics --url URL [--raw]`. */
export const metricsCommand = Command.make("metrics", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./metricsHandler.ts")), (handler) => handler.metrics(args))
).pipe(Command.withDescription("Print the current metrics of a running server, worker or run (--metrics-port)"))

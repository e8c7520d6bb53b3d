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
import * as PrometheusText from "../telemetry/PrometheusText.ts"
import { Output } from "./Output.ts"
import type { MetricsArgs } from "./metricsCommand.ts"

/** Runs `metrics` (loaded by `metricsCommand.ts` when the command runs). */
export const metrics = ({ raw, url }: MetricsArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const target = /^https?:\/\//.test(url) ? url : `http://${url}`
    const full = new URL(target).pathname === "/" ? new URL("/metrics", target).toString() : target
    const text = yield* Effect.tryPromise({
      try: async (signal) => {
        const res = await fetch(full, { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) })
        if (!res.ok) throw new Error(`HTTP ${res.status} from ${full}`)
        return res.text()
      },
      catch: (e) => (e instanceof Error ? e.message : String(e))
    }).pipe(Effect.result)
    if (text._tag === "Failure") {
      o.err(`error: cannot read metrics from ${full}: ${text.failure}`)
      o.exit(1)
      return
    }
    o.out(raw ? text.success.trimEnd() : PrometheusText.summary(text.success))
  })

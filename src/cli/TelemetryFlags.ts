/**
 * The observability and budget flags of `run` (`--otlp-endpoint`, `--trace`, `--metrics-port`, `--log-format`,
 * `--budget-usd`, `--budget-tokens`): the flags only, so the command's spec loads nothing else; what they turn into
 * (the telemetry layer, the cost lines, the waterfall) is in `RunTelemetry.ts`, loaded when `run` runs.
 *
 * @example
 * ```ts
 * const config = { file: Argument.String("file"), ...telemetryFlags }
 * ```
 */
import type { Option } from "effect"
import { Flag } from "effect/cli"

/** The flags. */
export const telemetryFlags = {
  otlpEndpoint: Flag.String("otlp-endpoint").pipe(
    Flag.withDescription("Export traces over OTLP/HTTP to this base URL (default: OTEL_EXPORTER_OTLP_ENDPOINT)"),
    Flag.optional
  ),
  trace: Flag.Boolean("trace").pipe(Flag.withDescription("Print the run's span tree as a waterfall at the end (stderr)"), Flag.withDefault(false)),
  metricsPort: Flag.Int("metrics-port").pipe(Flag.withDescription("Serve Prometheus /metrics on this port while the run lasts"), Flag.optional),
  logFormat: Flag.Literals("log-format", ["text", "json", "pretty", "auto"]).pipe(
    Flag.withDescription("text: the run log; json: JSON lines with run_id, step_id, trace_id on stderr; pretty / auto (pretty on a TTY)"),
    Flag.optional
  ),
  budgetUsd: Flag.Finite("budget-usd").pipe(Flag.withDescription("Stop the run before a call that could take its spend past this many USD"), Flag.optional),
  budgetTokens: Flag.Int("budget-tokens").pipe(Flag.withDescription("Stop the run before a call that could take it past this many tokens"), Flag.optional)
} as const

/** The parsed flags. */
export interface TelemetryArgs {
  readonly otlpEndpoint: Option.Option<string>
  readonly trace: boolean
  readonly metricsPort: Option.Option<number>
  readonly logFormat: Option.Option<"text" | "json" | "pretty" | "auto">
  readonly budgetUsd: Option.Option<number>
  readonly budgetTokens: Option.Option<number>
}

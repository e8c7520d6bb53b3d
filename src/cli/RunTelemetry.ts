/**
 * What the observability and budget flags of `run` (`TelemetryFlags.ts`) become: merged with the config file's
 * `telemetry`, `logging` and `prices` sections into one telemetry layer, plus the lines that show cost and the
 * waterfall at the end of a run.
 *
 * @example
 * ```ts
 * const t = telemetryOf(args, project.config.config, o)
 * yield* Pipeline.runFile(file, { ...options, budget: t.budget }).pipe(Effect.provide(t.layer))
 * ```
 */
import { Effect, Layer, Option } from "effect"
import type { HttpServerError } from "effect/http"
import * as OtlpExporter from "effect/observability/OtlpExporter"
import type { Budget } from "../budget/Budget.ts"
import type { ConfigFile } from "../config/ConfigFile.ts"
import type { RunReport } from "../pipeline/RunReport.ts"
import * as Pricing from "../providers/Pricing.ts"
import * as SpanRecorder from "../telemetry/SpanRecorder.ts"
import type * as Telemetry from "../telemetry/Telemetry.ts"
import * as Waterfall from "../telemetry/Waterfall.ts"
import type { TelemetryArgs } from "./TelemetryFlags.ts"

/** What a run gets from the flags and the config: its layer, its budget (when given), and the recorder for `--trace`. */
export interface RunTelemetry {
  readonly layer: Layer.Layer<OtlpExporter.Flusher, HttpServerError.ServeError>
  readonly budget: Budget | undefined
  readonly recorder: SpanRecorder.Recorder | undefined
  /** Problems with the flags (exit 2). */
  readonly problems: ReadonlyArray<string>
}

/**
 * The run's telemetry from the flags (which win) and the config file.
 *
 * @example
 * ```ts
 * const t = telemetryOf(args, config, env, secrets)
 * ```
 */
export const telemetryOf = (
  args: TelemetryArgs,
  config: ConfigFile | undefined,
  env: Readonly<Record<string, string | undefined>>,
  secrets: ReadonlyArray<string>
): RunTelemetry => {
  const problems: Array<string> = []
  if (Option.isSome(args.budgetUsd) && !(args.budgetUsd.value > 0)) problems.push("--budget-usd must be more than 0")
  if (Option.isSome(args.budgetTokens) && args.budgetTokens.value < 1) problems.push("--budget-tokens must be at least 1")
  const t = config?.telemetry
  const format = Option.getOrUndefined(args.logFormat) ?? config?.logging?.format
  const recorder = args.trace ? SpanRecorder.make() : undefined
  const otlpEndpoint = Option.getOrUndefined(args.otlpEndpoint) ?? t?.endpoint
  const metricsPort = Option.getOrUndefined(args.metricsPort) ?? t?.metrics_port
  const options: Telemetry.Options = {
    // `enabled: false` in the config turns export off unless a flag asks for it
    env: t?.enabled === false && Option.isNone(args.otlpEndpoint) ? {} : env,
    ...(otlpEndpoint === undefined || (t?.enabled === false && Option.isNone(args.otlpEndpoint)) ? {} : { otlpEndpoint }),
    ...(t?.service_name === undefined ? {} : { serviceName: t.service_name }),
    ...(metricsPort === undefined ? {} : { metricsPort }),
    ...(recorder === undefined ? {} : { recorder }),
    ...(t?.semconv === undefined ? {} : { semconv: t.semconv }),
    ...(t?.capture_content === undefined ? {} : { captureContent: t.capture_content }),
    // structured logs go to stderr: stdout carries the run's outputs
    ...(format === undefined || format === "text" ? {} : { log: { format, stream: "stderr" as const, secrets } })
  }
  // The exporter, the /metrics server and the logger are loaded only when asked for: a plain run starts faster.
  const wanted = options.otlpEndpoint !== undefined || options.metricsPort !== undefined || options.log !== undefined ||
    options.recorder !== undefined || options.semconv !== undefined || options.captureContent !== undefined ||
    Object.keys(options.env ?? {}).some((k) => k === "OTEL_EXPORTER_OTLP_ENDPOINT" || k === "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
  const telemetry: Layer.Layer<OtlpExporter.Flusher, HttpServerError.ServeError> = wanted
    ? Layer.unwrap(Effect.map(Effect.promise(() => import("../telemetry/Telemetry.ts")), (m) => m.layer(options)))
    : OtlpExporter.layerFlusher
  const layer = Layer.merge(telemetry, config?.prices === undefined ? Layer.empty : Pricing.layer(config.prices))
  const usd = Option.getOrUndefined(args.budgetUsd)
  const tokens = Option.getOrUndefined(args.budgetTokens)
  const budget = usd === undefined && tokens === undefined
    ? undefined
    : { ...(usd === undefined ? {} : { usd }), ...(tokens === undefined ? {} : { tokens }) }
  return { layer, budget, recorder, problems }
}

const usd = (n: number) => `$${n.toFixed(n !== 0 && n < 0.01 ? 6 : 4)}`

/**
 * The end-of-run summary line: duration, calls, tokens and cost (and the budget's spend when there was one).
 *
 * @example
 * ```ts
 * summaryLine(report) // "done in 1204ms · 3 calls · 812 in / 95 out tokens · $0.0031"
 * ```
 */
export const summaryLine = (report: RunReport): string => {
  const parts = [`done in ${report.durationMillis}ms`]
  if (report.usage !== undefined && report.usage.calls > 0) {
    parts.push(`${report.usage.calls} call${report.usage.calls === 1 ? "" : "s"}`)
    parts.push(`${report.usage.inputTokens} in / ${report.usage.outputTokens} out tokens`)
    if (report.costUsd !== undefined) parts.push(usd(report.costUsd))
  }
  return parts.join(" · ")
}

/**
 * The cost of each step that called a model, one line each (for the text output).
 *
 * @example
 * ```ts
 * costLines(report) // ["  answer  $0.0021", "  classify  $0.0010"]
 * ```
 */
export const costLines = (report: RunReport): ReadonlyArray<string> => {
  const steps = Object.values(report.steps).filter((s) => s.costUsd !== undefined)
  if (steps.length < 2) return []
  const width = Math.max(...steps.map((s) => s.stepId.length))
  return steps.map((s) => `  ${s.stepId.padEnd(width)}  ${usd(s.costUsd!)}`)
}

/**
 * The `--trace` waterfall of the recorded spans.
 *
 * @example
 * ```ts
 * if (t.recorder) o.err(waterfallOf(t.recorder))
 * ```
 */
export const waterfallOf = (recorder: SpanRecorder.Recorder): string => Waterfall.render(recorder.spans()).trimEnd()

/**
 * All of telemetry for a front end (the CLI, the REST server, a worker) in one layer, from flags, a settings file and
 * the `OTEL_*` environment: trace export over OTLP, an in-process span recorder (for `run --trace`), a Prometheus
 * `/metrics` server, structured logs, the semantic-convention version and content capture. Each piece is off unless
 * asked for, so the layer with no options adds nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Telemetry } from "llm-orchestrator/telemetry"
 * const main = program.pipe(Effect.provide(Telemetry.layer({ otlpEndpoint: "http://localhost:4318", metricsPort: 9464, log: { format: "json" } })))
 * ```
 */
import { Layer, Schema } from "effect"
import type { HttpServerError } from "effect/http"
import type { OtlpExporter } from "effect/observability"
import { CaptureContent } from "./GenAiSpan.ts"
import * as Logging from "./Logging.ts"
import * as Prometheus from "./Prometheus.ts"
import { CurrentVersion, type Version } from "./Semconv.ts"
import * as SpanRecorder from "./SpanRecorder.ts"
import * as Tracing from "./Tracing.ts"

/**
 * What to turn on.
 *
 * @example
 * ```ts
 * const options: Telemetry.Options = { otlpEndpoint: "http://collector:4318", serviceName: "rag-worker", semconv: "latest" }
 * ```
 */
export interface Options {
  /** OTLP base endpoint; default: the `OTEL_EXPORTER_OTLP_*` variables (export is off when neither is set). */
  readonly otlpEndpoint?: string | undefined
  readonly serviceName?: string | undefined
  /** Serve Prometheus `/metrics` on this port (0: a random one) and record workflow metrics. */
  readonly metricsPort?: number | undefined
  readonly metricsHost?: string | undefined
  /** Structured logs. */
  readonly log?: Logging.Options | undefined
  /** Keep the spans in process too (for a waterfall at the end). */
  readonly recorder?: SpanRecorder.Recorder | undefined
  /** GenAI convention version (default: `OTEL_SEMCONV_STABILITY_OPT_IN`). */
  readonly semconv?: Version | undefined
  /** Record prompt and completion text on spans (default: `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`). */
  readonly captureContent?: boolean | undefined
  /** The environment to read `OTEL_*` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
}

/**
 * The `telemetry` section of a settings file.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Telemetry.Settings)({ otlp_endpoint: "http://localhost:4318", metrics_port: 9464, semconv: "latest" })
 * ```
 */
export const Settings = Schema.Struct({
  otlp_endpoint: Schema.optionalKey(Schema.String.annotate({ description: "OTLP/HTTP base endpoint, e.g. http://localhost:4318" })),
  service_name: Schema.optionalKey(Schema.String),
  metrics_port: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))),
  semconv: Schema.optionalKey(Schema.Literals(["v1.41", "latest"])),
  capture_content: Schema.optionalKey(Schema.Boolean)
}).annotate({ identifier: "TelemetrySettings", description: "Traces, metrics and GenAI conventions" })

/**
 * The `logging` section of a settings file.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Telemetry.LoggingSettings)({ format: "json", level: "debug" })
 * ```
 */
export const LoggingSettings = Schema.Struct({
  format: Schema.optionalKey(Schema.Literals(["json", "pretty", "auto"])),
  level: Schema.optionalKey(Schema.Literals(["trace", "debug", "info", "warn", "error", "fatal"]))
}).annotate({ identifier: "LoggingSettings", description: "Structured logs on stdout/stderr" })

/**
 * Options from the two settings sections (flags given to {@link layer} afterwards win).
 *
 * @example
 * ```ts
 * Telemetry.fromSettings({ otlp_endpoint: "http://localhost:4318" }, { format: "json" })
 * ```
 */
export const fromSettings = (
  telemetry: typeof Settings.Type | undefined,
  logging: typeof LoggingSettings.Type | undefined
): Options => ({
  ...(telemetry?.otlp_endpoint === undefined ? {} : { otlpEndpoint: telemetry.otlp_endpoint }),
  ...(telemetry?.service_name === undefined ? {} : { serviceName: telemetry.service_name }),
  ...(telemetry?.metrics_port === undefined ? {} : { metricsPort: telemetry.metrics_port }),
  ...(telemetry?.semconv === undefined ? {} : { semconv: telemetry.semconv }),
  ...(telemetry?.capture_content === undefined ? {} : { captureContent: telemetry.capture_content }),
  ...(logging === undefined ? {} : {
    log: {
      ...(logging.format === undefined ? {} : { format: logging.format }),
      ...(logging.level === undefined ? {} : { level: Logging.levelOf(logging.level) })
    }
  })
})

/**
 * The layer of `options`.
 *
 * @example
 * ```ts
 * Effect.provide(program, Telemetry.layer({ metricsPort: 9464 }))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<OtlpExporter.Flusher, HttpServerError.ServeError> => {
  const env = options.env ?? globalThis.process?.env ?? {}
  const tracing = Tracing.layer({ endpoint: options.otlpEndpoint, serviceName: options.serviceName }, env)
  const traces = options.recorder === undefined
    ? tracing
    : SpanRecorder.layer(options.recorder).pipe(Layer.provideMerge(tracing))
  const parts: Array<Layer.Layer<never, HttpServerError.ServeError>> = []
  if (options.metricsPort !== undefined) parts.push(Prometheus.layerServerOnly({ port: options.metricsPort, host: options.metricsHost }))
  if (options.log !== undefined) parts.push(Logging.layer(options.log))
  if (options.semconv !== undefined) parts.push(Layer.succeed(CurrentVersion, options.semconv))
  if (options.captureContent !== undefined) parts.push(Layer.succeed(CaptureContent, options.captureContent))
  return Layer.mergeAll(traces, ...parts)
}

/**
 * Trace export over OTLP/HTTP with effect's built-in OTLP tracer (no OpenTelemetry SDK needed): configured by the
 * standard `OTEL_*` variables or an explicit endpoint, and off (adding nothing, so the engine makes no spans at all)
 * when neither is set. Any OTLP/HTTP receiver takes it: an OpenTelemetry Collector, Jaeger, Tempo, Honeycomb,
 * Datadog's OTLP intake.
 *
 * Variables read: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (a full URL) or `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL,
 * `/v1/traces` appended), `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` (`http/protobuf`, the default, or `http/json`),
 * `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS` (`k=v,k2=v2`), `OTEL_SERVICE_NAME` (default `llm-orchestrator`),
 * `OTEL_SERVICE_VERSION`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_TRACES_EXPORTER=none` and
 * `OTEL_SDK_DISABLED=true` (both turn export off).
 *
 * Spans are batched and flushed when the layer is released, so a CLI run exports everything before it exits.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Tracing } from "llm-orchestrator/telemetry"
 * // OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 in the environment, or explicitly:
 * const program = Workflow.execute(wf, input).pipe(Effect.provide(Tracing.layer({ endpoint: "http://localhost:4318" })))
 * ```
 */
import { Duration, Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { OtlpExporter, OtlpSerialization, OtlpTracer } from "effect/observability"

/**
 * Where and how spans are exported.
 *
 * @example
 * ```ts
 * const config: Tracing.Config = { url: "http://localhost:4318/v1/traces", protocol: "http/json", serviceName: "rag-api" }
 * ```
 */
export interface Config {
  /** The OTLP traces URL (`.../v1/traces`). */
  readonly url: string
  readonly protocol: "http/protobuf" | "http/json"
  readonly serviceName: string
  readonly serviceVersion?: string | undefined
  readonly attributes?: Readonly<Record<string, string>> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Delay between batch exports (default 5 s; everything left is flushed on release). */
  readonly exportInterval?: Duration.Input | undefined
}

/**
 * Overrides of the environment (a `--otlp-endpoint` flag, a settings file).
 *
 * @example
 * ```ts
 * Tracing.fromEnv(process.env, { endpoint: "http://collector:4318", serviceName: "worker" })
 * ```
 */
export interface Overrides {
  /** A base OTLP endpoint (`http://host:4318`; `/v1/traces` is appended) or a full `.../v1/traces` URL. */
  readonly endpoint?: string | undefined
  readonly serviceName?: string | undefined
  readonly protocol?: "http/protobuf" | "http/json" | undefined
}

type Env = Readonly<Record<string, string | undefined>>

const nonEmpty = (s: string | undefined) => (s === undefined || s.trim() === "" ? undefined : s.trim())

/** `k=v,k2=v2` (values percent-decoded), as OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS are written. */
const keyValues = (s: string | undefined): Record<string, string> | undefined => {
  if (nonEmpty(s) === undefined) return undefined
  const out: Record<string, string> = {}
  for (const part of s!.split(",")) {
    const i = part.indexOf("=")
    if (i <= 0) continue
    const key = part.slice(0, i).trim()
    let value = part.slice(i + 1).trim()
    try {
      value = decodeURIComponent(value)
    } catch {
      // kept as written: a malformed escape must not stop the program
    }
    if (key !== "") out[key] = value
  }
  return out
}

const tracesUrl = (endpoint: string): string => {
  if (/\/v1\/traces\/?$/.test(endpoint)) return endpoint
  return `${endpoint.replace(/\/+$/, "")}/v1/traces`
}

const protocolOf = (s: string | undefined): "http/protobuf" | "http/json" | undefined =>
  s === "http/json" ? "http/json" : s === "http/protobuf" ? "http/protobuf" : undefined

/**
 * The export configuration from environment variables and overrides; `undefined` when export is off (no endpoint,
 * `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`).
 *
 * @example
 * ```ts
 * Tracing.fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318" })?.url // "http://localhost:4318/v1/traces"
 * Tracing.fromEnv({}) // undefined: off
 * ```
 */
export const fromEnv = (env: Env, overrides: Overrides = {}): Config | undefined => {
  if (nonEmpty(env["OTEL_SDK_DISABLED"])?.toLowerCase() === "true") return undefined
  const exporters = nonEmpty(env["OTEL_TRACES_EXPORTER"])?.split(",").map((s) => s.trim().toLowerCase())
  if (overrides.endpoint === undefined && exporters !== undefined && !exporters.includes("otlp")) return undefined
  const explicit = nonEmpty(overrides.endpoint)
  const tracesEndpoint = nonEmpty(env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
  const base = nonEmpty(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
  const url = explicit !== undefined ? tracesUrl(explicit) : tracesEndpoint ?? (base === undefined ? undefined : tracesUrl(base))
  if (url === undefined) return undefined
  const attributes = keyValues(env["OTEL_RESOURCE_ATTRIBUTES"]) ?? {}
  const headers = keyValues(env["OTEL_EXPORTER_OTLP_TRACES_HEADERS"]) ?? keyValues(env["OTEL_EXPORTER_OTLP_HEADERS"])
  const delay = Number(nonEmpty(env["OTEL_BSP_SCHEDULE_DELAY"]))
  const serviceVersion = nonEmpty(env["OTEL_SERVICE_VERSION"]) ?? attributes["service.version"]
  return {
    url,
    protocol: overrides.protocol ??
      protocolOf(nonEmpty(env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"])) ??
      protocolOf(nonEmpty(env["OTEL_EXPORTER_OTLP_PROTOCOL"])) ??
      "http/protobuf",
    serviceName: overrides.serviceName ?? nonEmpty(env["OTEL_SERVICE_NAME"]) ?? attributes["service.name"] ?? "llm-orchestrator",
    ...(serviceVersion === undefined ? {} : { serviceVersion }),
    attributes,
    ...(headers === undefined ? {} : { headers }),
    ...(Number.isFinite(delay) && delay > 0 ? { exportInterval: Duration.millis(delay) } : {})
  }
}

/**
 * Exports every span to `config`: installs the OTLP tracer (with its HTTP client and serialization); flushes on
 * release, or on demand through the `Flusher` it provides.
 *
 * @example
 * ```ts
 * Effect.provide(program, Tracing.layerConfig({ url: "http://localhost:4318/v1/traces", protocol: "http/json", serviceName: "svc" }))
 * ```
 */
export const layerConfig = (config: Config): Layer.Layer<OtlpExporter.Flusher> => {
  const { attributes, serviceName, serviceVersion } = config
  const resource = {
    serviceName,
    ...(serviceVersion === undefined ? {} : { serviceVersion }),
    attributes: { ...attributes, "service.name": serviceName }
  }
  return OtlpTracer.layer({
    url: config.url,
    resource,
    ...(config.headers === undefined ? {} : { headers: config.headers }),
    ...(config.exportInterval === undefined ? {} : { exportInterval: config.exportInterval })
  }).pipe(
    Layer.provide(config.protocol === "http/json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf),
    Layer.provide(FetchHttpClient.layer)
  )
}

/**
 * Export configured by `env` (default `process.env`) and `overrides`; nothing when export is off.
 *
 * @example
 * ```ts
 * const TracingLive = Tracing.layer({ endpoint: flags.otlpEndpoint })   // undefined endpoint: the environment decides
 * ```
 */
export const layer = (overrides: Overrides = {}, env: Env = globalThis.process?.env ?? {}): Layer.Layer<OtlpExporter.Flusher> => {
  const config = fromEnv(env, overrides)
  // off: only a Flusher with nothing to flush, and Effect's native tracer stays (the engine then makes no spans)
  return config === undefined ? OtlpExporter.layerFlusher : layerConfig(config)
}

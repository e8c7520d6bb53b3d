/**
 * The OpenTelemetry GenAI semantic conventions we emit, pinned on purpose. Every GenAI name is still `Development`
 * (experimental) and renaming: the conventions left `open-telemetry/semantic-conventions` after v1.41.0 for
 * `open-telemetry/semantic-conventions-genai`, whose migration guide says breaking changes are still being made. So
 * one table per version, chosen once per process like the OpenTelemetry instrumentations do:
 *
 * - `"v1.41"` (default): the last release of the main repository, what most backends read today
 *   (`gen_ai.client.operation.duration`, `gen_ai.client.token.usage` with `gen_ai.token.type`).
 * - `"latest"`: the names of semantic-conventions-genai main, chosen with
 *   `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental` (inference duration on
 *   `gen_ai.client.inference.duration`, token counters `gen_ai.client.inference.usage.*` with `gen_ai.token.modality`,
 *   `gen_ai.usage.cache_write.input_tokens`, `gen_ai.invoke_workflow.duration`).
 *
 * The tests check every emitted attribute and metric name against these tables, so a rename is one edit here.
 *
 * @example
 * ```ts
 * import { Semconv } from "llm-orchestrator/telemetry"
 * const names = Semconv.names(Semconv.fromEnv("gen_ai_latest_experimental")) // the latest table
 * names.metrics.inferenceDuration.name // "gen_ai.client.inference.duration"
 * ```
 */
import { Context } from "effect"

/**
 * A pinned convention version.
 *
 * @example
 * ```ts
 * const version: Semconv.Version = "v1.41"
 * ```
 */
export type Version = "v1.41" | "latest"

/**
 * One metric of the conventions: its OpenTelemetry name, unit and instrument, the name it gets in Prometheus (the
 * OpenTelemetry-to-Prometheus translation: dots to underscores, unit suffix, `_total` on counters) and bucket
 * boundaries for histograms (the conventions' advice).
 *
 * @example
 * ```ts
 * const d: Semconv.MetricName = Semconv.names("v1.41").metrics.inferenceDuration
 * d.prometheus // "gen_ai_client_operation_duration_seconds"
 * ```
 */
export interface MetricName {
  readonly name: string
  readonly unit: string
  readonly instrument: "histogram" | "counter"
  readonly prometheus: string
  readonly boundaries?: ReadonlyArray<number> | undefined
  readonly description: string
}

/**
 * The names of one version.
 *
 * @example
 * ```ts
 * Semconv.names("v1.41").attributes.usageInputTokens // "gen_ai.usage.input_tokens"
 * ```
 */
export interface Names {
  readonly version: Version
  readonly attributes: {
    readonly operationName: string
    readonly providerName: string
    readonly requestModel: string
    readonly requestMaxTokens: string
    readonly requestTemperature: string
    readonly requestTopP: string
    readonly requestStopSequences: string
    readonly responseModel: string
    readonly responseFinishReasons: string
    readonly usageInputTokens: string
    readonly usageOutputTokens: string
    readonly usageCacheReadInputTokens: string
    readonly usageCacheWriteInputTokens: string
    readonly inputMessages: string
    readonly outputMessages: string
    readonly systemInstructions: string
    readonly tokenType: string
    /** latest only: the modality of counted tokens (required on the token counters). */
    readonly tokenModality: string | undefined
    readonly workflowName: string
    readonly toolName: string
    readonly errorType: string
  }
  readonly metrics: {
    /** Duration of one inference (chat / text completion) call. */
    readonly inferenceDuration: MetricName
    /** Duration of a non-inference GenAI operation (embeddings). */
    readonly operationDuration: MetricName
    /** v1.41: one histogram for both directions, split by `gen_ai.token.type`. */
    readonly tokenUsage: MetricName | undefined
    /** latest: input-token counter (split by `gen_ai.token.modality`). */
    readonly inputTokens: MetricName | undefined
    /** latest: output-token counter. */
    readonly outputTokens: MetricName | undefined
    /** latest: workflow run duration. */
    readonly workflowDuration: MetricName | undefined
  }
  readonly operations: {
    readonly chat: "chat"
    readonly textCompletion: "text_completion"
    readonly embeddings: "embeddings"
    readonly executeTool: "execute_tool"
    readonly invokeWorkflow: "invoke_workflow"
    readonly retrieval: "retrieval"
  }
}

/** Advised boundaries of `gen_ai.client.operation.duration` (seconds). */
const durationBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
/** Advised boundaries of `gen_ai.client.token.usage` (tokens). */
const tokenBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
/** Advised boundaries of `gen_ai.invoke_workflow.duration` (seconds). */
const workflowBoundaries = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200]

const unitSuffix: Readonly<Record<string, string>> = { s: "seconds", ms: "milliseconds", By: "bytes" }

/**
 * The Prometheus name of an OpenTelemetry metric, as the OpenTelemetry-to-Prometheus compatibility rules derive it:
 * invalid characters to `_`, the unit as a suffix (annotations in braces such as `{token}` are dropped), `_total` for
 * counters.
 *
 * @example
 * ```ts
 * Semconv.prometheusName("gen_ai.client.operation.duration", "s", "histogram") // "gen_ai_client_operation_duration_seconds"
 * ```
 */
export const prometheusName = (name: string, unit: string, instrument: "histogram" | "counter" | "gauge"): string => {
  let out = name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/_+/g, "_")
  const suffix = unitSuffix[unit]
  if (suffix !== undefined && !out.endsWith(`_${suffix}`)) out += `_${suffix}`
  if (instrument === "counter" && !out.endsWith("_total")) out += "_total"
  return out
}

const metric = (
  name: string,
  unit: string,
  instrument: "histogram" | "counter",
  description: string,
  boundaries?: ReadonlyArray<number>
): MetricName => ({ name, unit, instrument, prometheus: prometheusName(name, unit, instrument), boundaries, description })

const operations = {
  chat: "chat",
  textCompletion: "text_completion",
  embeddings: "embeddings",
  executeTool: "execute_tool",
  invokeWorkflow: "invoke_workflow",
  retrieval: "retrieval"
} as const

const commonAttributes = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  requestMaxTokens: "gen_ai.request.max_tokens",
  requestTemperature: "gen_ai.request.temperature",
  requestTopP: "gen_ai.request.top_p",
  requestStopSequences: "gen_ai.request.stop_sequences",
  responseModel: "gen_ai.response.model",
  responseFinishReasons: "gen_ai.response.finish_reasons",
  usageInputTokens: "gen_ai.usage.input_tokens",
  usageOutputTokens: "gen_ai.usage.output_tokens",
  usageCacheReadInputTokens: "gen_ai.usage.cache_read.input_tokens",
  inputMessages: "gen_ai.input.messages",
  outputMessages: "gen_ai.output.messages",
  systemInstructions: "gen_ai.system_instructions",
  tokenType: "gen_ai.token.type",
  workflowName: "gen_ai.workflow.name",
  toolName: "gen_ai.tool.name",
  errorType: "error.type"
} as const

const operationDuration = metric("gen_ai.client.operation.duration", "s", "histogram", "GenAI operation duration.", durationBoundaries)

/**
 * v1.41.0, the last GenAI release of open-telemetry/semantic-conventions.
 *
 * @example
 * ```ts
 * Semconv.v1_41.metrics.tokenUsage?.prometheus // "gen_ai_client_token_usage"
 * ```
 */
export const v1_41: Names = {
  version: "v1.41",
  attributes: { ...commonAttributes, usageCacheWriteInputTokens: "gen_ai.usage.cache_creation.input_tokens", tokenModality: undefined },
  metrics: {
    inferenceDuration: operationDuration,
    operationDuration,
    tokenUsage: metric("gen_ai.client.token.usage", "{token}", "histogram", "Number of input and output tokens used.", tokenBoundaries),
    inputTokens: undefined,
    outputTokens: undefined,
    workflowDuration: undefined
  },
  operations
}

/**
 * The latest names of open-telemetry/semantic-conventions-genai (`gen_ai_latest_experimental`).
 *
 * @example
 * ```ts
 * Semconv.latest.metrics.inputTokens?.prometheus // "gen_ai_client_inference_usage_input_tokens_total"
 * ```
 */
export const latest: Names = {
  version: "latest",
  attributes: {
    ...commonAttributes,
    usageCacheWriteInputTokens: "gen_ai.usage.cache_write.input_tokens",
    tokenModality: "gen_ai.token.modality"
  },
  metrics: {
    inferenceDuration: metric("gen_ai.client.inference.duration", "s", "histogram", "GenAI inference duration.", durationBoundaries),
    operationDuration,
    tokenUsage: undefined,
    inputTokens: metric("gen_ai.client.inference.usage.input_tokens", "{token}", "counter", "The number of input (prompt) tokens used, including cached tokens."),
    outputTokens: metric("gen_ai.client.inference.usage.output_tokens", "{token}", "counter", "The number of output (completion) tokens used, including reasoning tokens."),
    workflowDuration: metric("gen_ai.invoke_workflow.duration", "s", "histogram", "GenAI workflow duration.", workflowBoundaries)
  },
  operations
}

/**
 * The table of `version`.
 *
 * @example
 * ```ts
 * Semconv.names("latest").attributes.usageCacheWriteInputTokens // "gen_ai.usage.cache_write.input_tokens"
 * ```
 */
export const names = (version: Version): Names => (version === "latest" ? latest : v1_41)

/**
 * The version chosen by `OTEL_SEMCONV_STABILITY_OPT_IN` (a comma-separated list; `gen_ai_latest_experimental` in it
 * selects `"latest"`, anything else keeps `"v1.41"`).
 *
 * @example
 * ```ts
 * Semconv.fromEnv("http,gen_ai_latest_experimental") // "latest"
 * Semconv.fromEnv(undefined) // "v1.41"
 * ```
 */
export const fromEnv = (optIn: string | undefined): Version =>
  optIn !== undefined && optIn.split(",").some((s) => s.trim() === "gen_ai_latest_experimental") ? "latest" : "v1.41"

/**
 * Every attribute and metric name of a version (what the tests hold emitted names against).
 *
 * @example
 * ```ts
 * Semconv.allNames(Semconv.v1_41).has("gen_ai.request.model") // true
 * ```
 */
export const allNames = (table: Names): ReadonlySet<string> => {
  const out = new Set<string>()
  for (const a of Object.values(table.attributes)) if (a !== undefined) out.add(a)
  for (const m of Object.values(table.metrics)) if (m !== undefined) out.add(m.name)
  return out
}

/**
 * The version in use: read once from the process environment at first use; provide it to switch per program (tests
 * do).
 *
 * @example
 * ```ts
 * program.pipe(Effect.provideService(Semconv.CurrentVersion, "latest"))
 * ```
 */
export const CurrentVersion: Context.Reference<Version> = Context.Reference<Version>("llm-orchestrator/telemetry/SemconvVersion", {
  defaultValue: () => fromEnv(globalThis.process?.env?.["OTEL_SEMCONV_STABILITY_OPT_IN"])
})

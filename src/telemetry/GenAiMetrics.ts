/**
 * The GenAI client metrics of every language-model and embedding call, under the names of the pinned convention
 * version (see `Semconv`): the call duration and the tokens, labelled by operation, provider, request and response
 * model and `error.type`. The `Llm` and `Embeddings` helpers record them; any effect metrics backend exports them
 * (`Prometheus` here, as `gen_ai_client_operation_duration_seconds`, `gen_ai_client_token_usage` ...).
 *
 * @example
 * ```ts
 * import { GenAiMetrics } from "llm-orchestrator/telemetry"
 * yield* GenAiMetrics.record("v1.41", {
 *   operation: "chat", provider: "openai", requestModel: "gpt-4o", responseModel: "gpt-4o-2024-08-06",
 *   errorType: undefined, durationSeconds: 1.2, usage: { inputTokens: 100, outputTokens: 20 }
 * })
 * ```
 */
import { Effect, Metric } from "effect"
import { type MetricName, names, type Version } from "./Semconv.ts"

/**
 * One finished call, as the metrics see it.
 *
 * @example
 * ```ts
 * const call: GenAiMetrics.CallOutcome = { operation: "embeddings", provider: "openai", requestModel: "text-embedding-3-small",
 *   responseModel: undefined, errorType: undefined, durationSeconds: 0.05, usage: { inputTokens: 8, outputTokens: 0 } }
 * ```
 */
export interface CallOutcome {
  readonly operation: string
  readonly provider: string
  readonly requestModel: string
  readonly responseModel: string | undefined
  /** The error tag when the call failed. */
  readonly errorType: string | undefined
  readonly durationSeconds: number
  /** Token usage, when the call reported it. */
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number } | undefined
}

interface Instruments {
  readonly inferenceDuration: Metric.Metric<number, unknown>
  readonly operationDuration: Metric.Metric<number, unknown>
  readonly tokenUsage: Metric.Metric<number, unknown> | undefined
  readonly inputTokens: Metric.Metric<number, unknown> | undefined
  readonly outputTokens: Metric.Metric<number, unknown> | undefined
}

const instrumentOf = (m: MetricName): Metric.Metric<number, unknown> =>
  m.instrument === "histogram"
    ? Metric.histogram(m.name, { description: m.description, boundaries: m.boundaries ?? [] })
    : Metric.counter(m.name, { description: m.description, incremental: true })

const instruments = new Map<Version, Instruments>()
const instrumentsOf = (version: Version): Instruments => {
  let out = instruments.get(version)
  if (out === undefined) {
    const m = names(version).metrics
    const operationDuration = instrumentOf(m.operationDuration)
    out = {
      inferenceDuration: m.inferenceDuration.name === m.operationDuration.name ? operationDuration : instrumentOf(m.inferenceDuration),
      operationDuration,
      tokenUsage: m.tokenUsage === undefined ? undefined : instrumentOf(m.tokenUsage),
      inputTokens: m.inputTokens === undefined ? undefined : instrumentOf(m.inputTokens),
      outputTokens: m.outputTokens === undefined ? undefined : instrumentOf(m.outputTokens)
    }
    instruments.set(version, out)
  }
  return out
}

const inference = new Set(["chat", "text_completion", "generate_content"])

/**
 * Records one finished call in the metrics of `version`.
 *
 * @example
 * ```ts
 * yield* GenAiMetrics.record(yield* Semconv.CurrentVersion, outcome)
 * ```
 */
export const record = (version: Version, call: CallOutcome): Effect.Effect<void> =>
  Effect.suspend(() => {
    const table = names(version)
    const a = table.attributes
    const i = instrumentsOf(version)
    const attributes: Record<string, string> = {
      [a.operationName]: call.operation,
      [a.providerName]: call.provider,
      [a.requestModel]: call.requestModel
    }
    if (call.responseModel !== undefined) attributes[a.responseModel] = call.responseModel
    if (call.errorType !== undefined) attributes[a.errorType] = call.errorType
    const isInference = inference.has(call.operation)
    const updates: Array<Effect.Effect<void>> = [
      Metric.update(Metric.withAttributes(isInference ? i.inferenceDuration : i.operationDuration, attributes), call.durationSeconds)
    ]
    const usage = call.usage
    if (usage !== undefined) {
      if (i.tokenUsage !== undefined) {
        updates.push(Metric.update(Metric.withAttributes(i.tokenUsage, { ...attributes, [a.tokenType]: "input" }), usage.inputTokens))
        if (isInference) {
          updates.push(Metric.update(Metric.withAttributes(i.tokenUsage, { ...attributes, [a.tokenType]: "output" }), usage.outputTokens))
        }
      }
      if (isInference && i.inputTokens !== undefined && i.outputTokens !== undefined && a.tokenModality !== undefined) {
        // The modality is required on the latest counters; our calls are text.
        const withModality = { ...attributes, [a.tokenModality]: "text" }
        updates.push(Metric.update(Metric.withAttributes(i.inputTokens, withModality), usage.inputTokens))
        updates.push(Metric.update(Metric.withAttributes(i.outputTokens, withModality), usage.outputTokens))
      }
    }
    return Effect.all(updates, { discard: true })
  })

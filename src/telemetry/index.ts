/**
 * Telemetry: OpenTelemetry traces with the GenAI semantic conventions exported over OTLP/HTTP, GenAI metrics, and the
 * convention tables they are named by.
 *
 * @example
 * ```ts
 * import { Tracing } from "llm-orchestrator/telemetry"
 * Workflow.execute(wf, input).pipe(Effect.provide(Tracing.layer({ endpoint: "http://localhost:4318" })))
 * ```
 */
export * as GenAiMetrics from "./GenAiMetrics.ts"
export * as GenAiSpan from "./GenAiSpan.ts"
export * as Semconv from "./Semconv.ts"
export * as Tracing from "./Tracing.ts"
export * as Prometheus from "./Prometheus.ts"
export * as PrometheusText from "./PrometheusText.ts"
export * as WorkflowMetrics from "./WorkflowMetrics.ts"
export * as Correlation from "./Correlation.ts"
export * as Logging from "./Logging.ts"
export * as SpanRecorder from "./SpanRecorder.ts"
export * as Telemetry from "./Telemetry.ts"
export * as Waterfall from "./Waterfall.ts"
export * as TraceContext from "./TraceContext.ts"
export * as CallSpans from "./CallSpans.ts"
export * as RunSummary from "./RunSummary.ts"

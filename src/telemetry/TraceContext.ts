/**
 * W3C Trace Context across process boundaries: a run submitted through the REST API, handed to a worker through a
 * queue, or started by a CI job continues the caller's trace instead of opening a new one. {@link inject} writes the
 * current span as a `traceparent` (into HTTP headers, a job's metadata, a child's environment), {@link extract} reads
 * one back, and {@link withParent} runs an effect (a workflow run) as a child of it. `TRACEPARENT` in the environment is
 * the OpenTelemetry convention for processes; `run` reads it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TraceContext } from "llm-orchestrator/telemetry"
 * // producer: put the current span on the job
 * const traceparent = yield* TraceContext.inject
 * yield* queue.offer({ input, traceparent })
 * // worker: continue it
 * yield* Workflow.execute(wf, job.input).pipe(TraceContext.withParent(job.traceparent))
 * ```
 */
import { Effect, Option, Tracer } from "effect"
import { Headers, HttpTraceContext } from "effect/http"

/**
 * The span a `traceparent` value (`00-<trace id>-<span id>-<flags>`) names; none when it is absent or malformed (a bad
 * header must never fail a request, only start a new trace).
 *
 * @example
 * ```ts
 * TraceContext.extract("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") // Some(ExternalSpan)
 * TraceContext.extract("garbage") // None
 * ```
 */
export const extract = (traceparent: string | undefined): Option.Option<Tracer.ExternalSpan> =>
  traceparent === undefined ? Option.none() : HttpTraceContext.w3c(Headers.fromInput({ traceparent: traceparent.trim() }))

/**
 * The span of incoming HTTP headers (W3C `traceparent`, then B3).
 *
 * @example
 * ```ts
 * TraceContext.fromHeaders(request.headers)
 * ```
 */
export const fromHeaders = (headers: Headers.Input): Option.Option<Tracer.ExternalSpan> => HttpTraceContext.fromHeaders(Headers.fromInput(headers))

/**
 * The `traceparent` of `span`.
 *
 * @example
 * ```ts
 * TraceContext.format(span) // "00-<32 hex>-<16 hex>-01"
 * ```
 */
export const format = (span: Tracer.AnySpan): string =>
  `00-${span.traceId.padStart(32, "0")}-${span.spanId}-${span.sampled ? "01" : "00"}`

/**
 * The `traceparent` of the current span, or undefined outside any span (or with tracing off).
 *
 * @example
 * ```ts
 * const traceparent = yield* TraceContext.inject
 * ```
 */
export const inject: Effect.Effect<string | undefined> = Effect.withFiber((fiber) => {
  const span = fiber.cache.span
  return Effect.succeed(span === undefined || fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer ? undefined : format(span))
})

/**
 * The current span as outgoing HTTP headers (`traceparent`, `b3`), empty outside any span.
 *
 * @example
 * ```ts
 * fetch(url, { headers: { ...(yield* TraceContext.headers) } })
 * ```
 */
export const headers: Effect.Effect<Readonly<Record<string, string>>> = Effect.withFiber((fiber) => {
  const span = fiber.cache.span
  if (span === undefined || span._tag !== "Span" || fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer) return Effect.succeed({})
  return Effect.succeed({ ...HttpTraceContext.toHeaders(span) })
})

/**
 * Runs `self` as a child of the span `traceparent` names; unchanged when it is absent or malformed.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input).pipe(TraceContext.withParent(request.headers["traceparent"]))
 * ```
 */
export const withParent = (traceparent: string | undefined) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const parent = extract(traceparent)
  return Option.isNone(parent) ? self : (Effect.withParentSpan(self, parent.value) as Effect.Effect<A, E, R>)
}

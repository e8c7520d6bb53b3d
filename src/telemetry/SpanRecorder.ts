/**
 * Keeps the spans a program makes, in process, while still passing them to the tracer that was installed (an OTLP
 * exporter, or Effect's native tracer): what `run --trace` draws as a waterfall at the end of a CLI run, and what
 * tests read.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SpanRecorder, Waterfall } from "llm-orchestrator/telemetry"
 * const recorder = SpanRecorder.make()
 * yield* Workflow.execute(wf, input).pipe(Effect.provide(SpanRecorder.layer(recorder)))
 * console.log(Waterfall.render(recorder.spans()))
 * ```
 */
import { Effect, Layer, Tracer } from "effect"

/**
 * A recorder: the spans made under its layer, in the order they started.
 *
 * @example
 * ```ts
 * const recorder = SpanRecorder.make()
 * recorder.spans().filter((s) => s.status._tag === "Ended")
 * ```
 */
export interface Recorder {
  readonly spans: () => ReadonlyArray<Tracer.Span>
  /** Wraps `inner`: every span it makes is kept too. */
  readonly wrap: (inner: Tracer.Tracer) => Tracer.Tracer
}

/**
 * A new recorder (keeps at most `limit` spans, default 10,000, so a long run cannot grow it without bound).
 *
 * @example
 * ```ts
 * const recorder = SpanRecorder.make({ limit: 1000 })
 * ```
 */
export const make = (options: { readonly limit?: number | undefined } = {}): Recorder => {
  const limit = options.limit ?? 10_000
  const spans: Array<Tracer.Span> = []
  return {
    spans: () => spans,
    wrap: (inner) =>
      Tracer.make({
        span(options) {
          const span = inner.span(options)
          if (spans.length < limit) spans.push(span)
          return span
        },
        ...(inner.context === undefined ? {} : { context: inner.context })
      })
  }
}

/**
 * Installs `recorder` around the tracer already in context (provide the exporter's layer to this one, or install it
 * outside).
 *
 * @example
 * ```ts
 * SpanRecorder.layer(recorder).pipe(Layer.provideMerge(Tracing.layer({ endpoint })))
 * ```
 */
export const layer = (recorder: Recorder): Layer.Layer<never> =>
  Layer.effect(Tracer.Tracer, Effect.withFiber((fiber) => Effect.succeed(recorder.wrap(fiber.getRef(Tracer.Tracer)))))

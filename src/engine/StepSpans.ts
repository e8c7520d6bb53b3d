/**
 * The spans a run makes below its own: one per step, map item and loop iteration. `Effect.withSpan` costs several
 * microseconds per call (it reads half a dozen references of the fiber, builds closures, makes a second context change
 * for a stack frame, and on the way out restores two contexts); a step's span needs none of that per step, because
 * everything but its parent is the same for the whole run. So the run reads those settings once (`StepSpans.of`), and
 * each span is made straight through the run's tracer, becomes the parent of what the step does with one context change,
 * and ends with the step.
 *
 * The spans are the same as `Effect.withSpan`'s: the same tracer call, parent (the fiber's current span, skipping
 * spans that disable propagation), sampling (the parent's, then the trace levels), start and end times, the
 * annotations and links of `Effect.annotateSpans` / `Effect.linkSpans` around the run, and the attributes given. Only
 * the stack frame is left out (it would point into the engine, not at the user's step). With tracing disabled around
 * the run (`References.TracerEnabled`), spans go through `Effect.useSpan`, which makes the no-op spans Effect makes.
 */
import { Cause, type Clock, Context, Effect, Exit, type Fiber, LogLevel, Option, References, Tracer } from "effect"

/** The span settings of one run, read once from the run's fiber. */
export class StepSpans {
  private constructor(
    readonly enabled: boolean,
    readonly tracer: Tracer.Tracer,
    readonly clock: Clock.Clock,
    readonly timing: boolean,
    /** `Effect.annotateSpans` around the run: put on every span (undefined when there are none, as usual). */
    readonly annotations: Readonly<Record<string, unknown>> | undefined,
    readonly links: ReadonlyArray<Tracer.SpanLink>,
    /** The trace level of the run's spans passes the minimum trace level. */
    readonly levelSampled: boolean
  ) {}

  /**
   * The settings around `fiber` (the run's).
   *
   * @example
   * ```ts
   * Effect.withFiber((fiber) => StepSpans.of(fiber).wrap(step, "workflow.step a", { "workflow.step": "a" }))
   * ```
   */
  static of(fiber: Fiber.Fiber<unknown, unknown>, clock: Clock.Clock): StepSpans {
    const annotations = fiber.getRef(References.TracerSpanAnnotations)
    let none = true
    for (const _ in annotations) {
      none = false
      break
    }
    return new StepSpans(
      fiber.cache.tracerEnabled,
      fiber.cache.tracer ?? Tracer.nativeTracer,
      clock,
      fiber.getRef(References.TracerTimingEnabled),
      none ? undefined : annotations,
      fiber.getRef(References.TracerSpanLinks),
      !LogLevel.isGreaterThan(fiber.getRef(Tracer.MinimumTraceLevel), fiber.getRef(Tracer.CurrentTraceLevel))
    )
  }

  /**
   * `self` in a span named `name` with `attributes`, a child of the fiber's current span. `failure` maps the error the
   * span ends with (the step's `StepFailed`, when `self` fails with the step's own error); the exit of `self` is not
   * changed.
   */
  wrap<A, E, R>(
    self: Effect.Effect<A, E, R>,
    name: string,
    attributes: Readonly<Record<string, unknown>>,
    failure?: (error: unknown) => unknown
  ): Effect.Effect<A, E, R> {
    if (!this.enabled) {
      return Effect.useSpan(name, { attributes }, (span) => Effect.provideService(self, Tracer.ParentSpan, span))
    }
    const scope = new SpanScope(this, self as Effect.Effect<unknown, unknown, unknown>, name, attributes, failure)
    return Effect.onExit(Effect.withFiber(scope.enter), scope.leave) as Effect.Effect<A, E, R>
  }
}

const noAnnotations = Context.empty()
const zero = BigInt(0)

/** The parent a new span gets: the nearest span that does not disable propagation, as `Effect.withSpan` chooses. */
const parentOf = (span: Tracer.AnySpan | undefined): Option.Option<Tracer.AnySpan> => {
  while (span !== undefined) {
    if (span.annotations === noAnnotations || !Context.get(span.annotations, Tracer.DisablePropagation)) return Option.some(span)
    span = span._tag === "Span" ? Option.getOrUndefined(span.parent) : undefined
  }
  return Option.none()
}

/**
 * One span while its effect runs. The end is registered (`onExit`) before the span starts, so an interruption between
 * the two cannot leave it open; the callbacks are made in the constructor (under tsx's `keepNames`, a named closure
 * made elsewhere pays an `Object.defineProperty` each time).
 */
class SpanScope {
  span: Tracer.Span | undefined = undefined
  previous: Context.Context<never> | undefined = undefined
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  readonly enter: (fiber: Fiber.Fiber<unknown, unknown>) => Effect.Effect<unknown, unknown, unknown>
  readonly leave: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>
  constructor(
    spans: StepSpans,
    self: Effect.Effect<unknown, unknown, unknown>,
    name: string,
    attributes: Readonly<Record<string, unknown>>,
    failure: ((error: unknown) => unknown) | undefined
  ) {
    this.enter = (fiber) => {
      const parent = parentOf(fiber.cache.span)
      const span = spans.tracer.span({
        name,
        parent,
        annotations: noAnnotations,
        links: spans.links.length === 0 ? [] : spans.links.slice(),
        startTime: spans.timing ? spans.clock.currentTimeNanosUnsafe() : zero,
        kind: "internal",
        root: false,
        sampled: parent._tag === "Some" && parent.value.sampled === false ? false : spans.levelSampled
      })
      const env = spans.annotations
      if (env !== undefined) for (const key in env) span.attribute(key, env[key])
      for (const key in attributes) span.attribute(key, attributes[key])
      this.span = span
      this.fiber = fiber
      const previous = fiber.context
      this.previous = previous
      fiber.setContext(Context.add(previous, Tracer.ParentSpan, span))
      return self
    }
    this.leave = (exit) => {
      const span = this.span
      if (span === undefined) return Effect.void
      this.fiber!.setContext(this.previous!)
      if (span.status._tag === "Ended") return Effect.void
      if (failure !== undefined && Exit.isFailure(exit)) exit = Exit.failCause(Cause.map(exit.cause, failure))
      span.end(spans.timing ? spans.clock.currentTimeNanosUnsafe() : zero, exit)
      return Effect.void
    }
  }
}

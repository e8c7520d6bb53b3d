/**
 * Logs and spans never carry personal data: {@link layer} wraps the loggers and the tracer in context so every log
 * message, log annotation, span name, span attribute, span event and failure cause they receive has its personal
 * data replaced by labels (`[EMAIL]`, `[CARD]`). Applied whatever the prompt policy says (a prompt policy may let
 * data reach a provider; it never reaches telemetry). Span results are not passed on (exporters do not send them,
 * and a custom tracer must not see an answer that holds restored data).
 *
 * @example
 * ```ts
 * import { Governance, Telemetry } from "llm-orchestrator/governance"
 * program.pipe(Effect.provide(Telemetry.layer(Governance.detectorsOf(policy))))   // Governance.layer includes it
 * ```
 */
import { Cause, Effect, Exit, Layer, Logger, References, Tracer } from "effect"
import * as Detectors from "./Detectors.ts"
import type { Detector } from "./Pii.ts"
import * as Redaction from "./Redaction.ts"

const maskCause = (cause: Cause.Cause<unknown>, mask: (s: string) => string): Cause.Cause<unknown> => {
  if (cause.reasons.length === 0) return cause
  const pretty = Cause.pretty(cause)
  const masked = mask(pretty)
  if (masked === pretty) return cause
  const error = new Error(masked)
  error.stack = masked
  return Cause.die(error)
}

/**
 * `logger` with personal data masked in what it receives.
 *
 * @example
 * ```ts
 * const safe = Telemetry.maskLogger(Logger.consoleJson, Detectors.defaults)
 * ```
 */
export const maskLogger = <Output>(logger: Logger.Logger<unknown, Output>, detectors: ReadonlyArray<Detector>): Logger.Logger<unknown, Output> => {
  const mask = (s: string) => Redaction.maskText(s, detectors)
  return Logger.make((options) => {
    const fiber = options.fiber
    const annotations = fiber.getRef(References.CurrentLogAnnotations)
    const maskedAnnotations = Redaction.mapStrings(annotations, mask) as typeof annotations
    // the fiber as the logger sees it: same fiber, masked annotations
    const view = new Proxy(fiber, {
      get: (target, property) => {
        if (property === "getRef") {
          return (ref: unknown) => ref === References.CurrentLogAnnotations ? maskedAnnotations : target.getRef(ref as never)
        }
        const v = Reflect.get(target, property, target)
        return typeof v === "function" ? v.bind(target) : v
      }
    })
    return logger.log({ ...options, message: Redaction.mapStrings(options.message, mask), cause: maskCause(options.cause, mask), fiber: view })
  })
}

/**
 * `tracer` with personal data masked in span names, attributes, events and failure causes.
 *
 * @example
 * ```ts
 * const safe = Telemetry.maskTracer(tracer, Detectors.defaults)
 * ```
 */
export const maskTracer = (tracer: Tracer.Tracer, detectors: ReadonlyArray<Detector>): Tracer.Tracer => {
  const mask = (s: string) => Redaction.maskText(s, detectors)
  const value = (v: unknown) => Redaction.mapStrings(v, mask)
  return Tracer.make({
    ...tracer,
    span(options) {
      const span = tracer.span({ ...options, name: mask(options.name) })
      return new Proxy(span, {
        get: (target, property) => {
          switch (property) {
            case "attribute":
              return (key: string, v: unknown) => target.attribute(key, value(v))
            case "event":
              return (name: string, startTime: bigint, attributes?: Record<string, unknown>) =>
                target.event(mask(name), startTime, attributes === undefined ? undefined : value(attributes) as Record<string, unknown>)
            case "end":
              return (endTime: bigint, exit: Exit.Exit<unknown, unknown>) =>
                target.end(endTime, Exit.isSuccess(exit) ? Exit.void : Exit.failCause(maskCause(exit.cause, mask)))
          }
          const v = Reflect.get(target, property, target)
          return typeof v === "function" ? v.bind(target) : v
        }
      })
    }
  })
}

/**
 * Masks the loggers and the tracer in context for everything that runs with this layer.
 *
 * @example
 * ```ts
 * Workflow.run(wf, input).pipe(Effect.provide(Telemetry.layer()))
 * ```
 */
export const layer = (detectors: ReadonlyArray<Detector> = Detectors.defaults): Layer.Layer<never> =>
  Layer.mergeAll(
    Layer.effect(Logger.CurrentLoggers, Effect.map(Logger.CurrentLoggers, (loggers) => new Set([...loggers].map((l) => maskLogger(l, detectors))))),
    Layer.effect(Tracer.Tracer, Effect.map(Tracer.Tracer, (tracer) => maskTracer(tracer, detectors)))
  ) as Layer.Layer<never>

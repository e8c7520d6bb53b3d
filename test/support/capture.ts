/**
 * Captures what a program writes to logs and spans, for tests asserting that something (a secret, masked PII) never
 * reaches them: `text()` is every log message, span name, attribute and event, serialised.
 */
import { Layer, Logger, Tracer } from "effect"

export interface Captured {
  readonly logs: Array<string>
  readonly spans: Array<Tracer.NativeSpan>
  /** Logs, span names, attributes and events as one string, for `notInclude` checks. */
  readonly text: () => string
  readonly layer: Layer.Layer<never>
}

const show = (value: unknown): string => {
  try {
    return typeof value === "string" ? value : JSON.stringify(value, (_k, v) => typeof v === "bigint" ? String(v) : v instanceof Map ? Object.fromEntries(v) : v)
  } catch {
    return String(value)
  }
}

export const capture = (): Captured => {
  const logs: Array<string> = []
  const spans: Array<Tracer.NativeSpan> = []
  const events: Array<string> = []
  const logger = Logger.make((options) => {
    logs.push(`${show(options.message)} ${options.cause.reasons.length > 0 ? show(options.cause) : ""}`)
  })
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      const event = span.event.bind(span)
      span.event = (name, startTime, attributes) => {
        events.push(`${name} ${show(attributes)}`)
        event(name, startTime, attributes)
      }
      spans.push(span)
      return span
    }
  })
  return {
    logs,
    spans,
    text: () => [...logs, ...spans.map((s) => `${s.name} ${show(s.attributes)} ${show(s.status)}`), ...events].join("\n"),
    layer: Layer.mergeAll(Logger.layer([logger]), Layer.succeed(Tracer.Tracer, tracer))
  }
}

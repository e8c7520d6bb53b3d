/**
 * Structured logs. {@link layer} replaces effect's loggers with one that writes each `Effect.log*` line as JSON (one
 * object per line, for Loki, Elasticsearch/Filebeat, Datadog, CloudWatch: they read JSON lines from a process's
 * output) or as a readable line for a terminal (`"auto"`: pretty on a TTY, JSON otherwise). Every line carries the
 * level, the message, `run_id`, `step_id` and `workflow` of the step that logged it (the engine's correlation, which
 * this layer turns on), `trace_id` and `span_id` when tracing is on, and the log annotations. Secrets never reach the
 * output: `Redacted` values print as `<redacted>`, fields named like credentials (`apiKey`, `authorization`,
 * `password`, ...) are replaced, known key shapes (`sk-...`, `Bearer ...`) and any secret strings passed in are
 * masked in every string.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logging } from "llm-orchestrator/telemetry"
 * const main = Workflow.execute(wf, input).pipe(Effect.provide(Logging.layer({ format: "json" })))
 * // {"timestamp":"2026-12-01T10:00:00.000Z","level":"INFO","message":"retrying","run_id":"run-...","step_id":"answer","workflow":"rag",...}
 * ```
 */
import { Cause, Layer, Logger, LogLevel, Redacted, References } from "effect"
import { CurrentStep, Enabled as CorrelationEnabled } from "./Correlation.ts"

/**
 * Output format: `json` lines, `pretty` lines, or `auto` (pretty when the stream is a TTY).
 *
 * @example
 * ```ts
 * const format: Logging.Format = process.stdout.isTTY ? "pretty" : "json"
 * ```
 */
export type Format = "json" | "pretty" | "auto"

/**
 * Options of {@link layer}.
 *
 * @example
 * ```ts
 * Logging.layer({ format: "json", level: "Debug", stream: "stderr", secrets: [apiKey] })
 * ```
 */
export interface Options {
  readonly format?: Format | undefined
  /** The least severe level written (default `Info`). */
  readonly level?: LogLevel.LogLevel | undefined
  /** Where lines go (default `stdout`). */
  readonly stream?: "stdout" | "stderr" | undefined
  /** Strings masked wherever they appear (API keys the process resolved). */
  readonly secrets?: ReadonlyArray<string> | undefined
  /** Writes one line (default: the chosen stream); tests collect with it. */
  readonly write?: ((line: string) => void) | undefined
  /** Colours in pretty lines (default: when the stream is a TTY). */
  readonly color?: boolean | undefined
}

/**
 * One log line, as {@link format} builds it before serializing.
 *
 * @example
 * ```ts
 * const entry: Logging.Entry = { timestamp: "...", level: "INFO", message: "hi", run_id: "run-1", step_id: "a", workflow: "w" }
 * ```
 */
export interface Entry {
  readonly timestamp: string
  readonly level: string
  readonly message: unknown
  readonly run_id?: string
  readonly step_id?: string
  readonly workflow?: string
  readonly trace_id?: string
  readonly span_id?: string
  readonly cause?: string
  readonly [annotation: string]: unknown
}

const secretKey = /^(api[-_]?key|x-api-key|authorization|proxy-authorization|password|passwd|secret|client[-_]?secret|access[-_]?token|refresh[-_]?token|id[-_]?token|token|bearer|cookie|set-cookie|private[-_]?key)$/i
const secretShapes = [/\bsk-[A-Za-z0-9_-]{12,}/g, /\bBearer\s+[A-Za-z0-9._~+/=-]+/g, /\bxox[abpr]-[A-Za-z0-9-]{10,}/g]

/**
 * A function masking secrets in a string: the given secret strings (4+ characters) and known key shapes.
 *
 * @example
 * ```ts
 * Logging.maskSecrets(["hunter22"])("password is hunter22, key sk-abcdefghijklmnop") // "password is <redacted>, key <redacted>"
 * ```
 */
export const maskSecrets = (secrets: ReadonlyArray<string> = []) => {
  const list = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)
  return (text: string): string => {
    let out = text
    for (const s of list) if (out.includes(s)) out = out.split(s).join("<redacted>")
    for (const shape of secretShapes) out = out.replace(shape, "<redacted>")
    return out
  }
}

/**
 * A copy of `value` safe to log: `Redacted` values and credential-named fields replaced, strings masked, errors as
 * `{ _tag, message }`, cycles cut, depth bounded.
 *
 * @example
 * ```ts
 * Logging.redact({ apiKey: "sk-123", user: "ada", key: Redacted.make("x") }, Logging.maskSecrets()) // { apiKey: "<redacted>", user: "ada", key: "<redacted>" }
 * ```
 */
export const redact = (value: unknown, mask: (text: string) => string, depth = 0, seen: Set<object> = new Set()): unknown => {
  if (typeof value === "string") return mask(value)
  if (typeof value === "bigint") return value.toString()
  if (typeof value !== "object" || value === null) return value
  if (Redacted.isRedacted(value)) return "<redacted>"
  if (seen.has(value) || depth > 8) return "[...]"
  seen.add(value)
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map((v) => redact(v, mask, depth + 1, seen))
  if (value instanceof Error) {
    const tag = (value as { _tag?: unknown })._tag
    return { ...(tag === undefined ? {} : { _tag: String(tag) }), name: value.name, message: mask(value.message) }
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = secretKey.test(k) && v !== undefined && v !== null && v !== "" ? "<redacted>" : redact(v, mask, depth + 1, seen)
  }
  return out
}

/**
 * The entry of one log call (what the JSON format writes).
 *
 * @example
 * ```ts
 * Logger.make((options) => console.log(JSON.stringify(Logging.format(options, Logging.maskSecrets()))))
 * ```
 */
export const format = (options: Logger.Options<unknown>, mask: (text: string) => string): Entry => {
  const { cause, date, fiber, logLevel, message } = options
  const entry: Record<string, unknown> = {
    timestamp: date.toISOString(),
    level: logLevel.toUpperCase(),
    message: redact(Array.isArray(message) && message.length === 1 ? message[0] : message, mask)
  }
  const step = fiber.getRef(CurrentStep)
  if (step !== undefined) {
    if (step.runId !== "") entry.run_id = step.runId
    if (step.stepId !== undefined) entry.step_id = step.stepId
    entry.workflow = step.workflow
  }
  const span = fiber.cache.span
  if (span !== undefined) {
    entry.trace_id = span.traceId
    entry.span_id = span.spanId
  }
  const annotations = fiber.getRef(References.CurrentLogAnnotations)
  for (const key in annotations) {
    if (!(key in entry)) entry[key] = secretKey.test(key) ? "<redacted>" : redact(annotations[key], mask)
  }
  if (cause.reasons.length > 0) entry.cause = mask(Cause.pretty(cause))
  return entry as Entry
}

const colors = { DEBUG: "\x1b[90m", INFO: "\x1b[36m", WARN: "\x1b[33m", ERROR: "\x1b[31m", FATAL: "\x1b[35m", TRACE: "\x1b[90m" } as const

const pretty = (entry: Entry, color: boolean): string => {
  const { timestamp, level, message, run_id, step_id, workflow, trace_id: _t, span_id: _s, cause, ...rest } = entry
  const time = timestamp.slice(11, 23)
  const where = [workflow, run_id, step_id].filter((x) => x !== undefined).join(" ")
  const text = typeof message === "string" ? message : JSON.stringify(message)
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")
  const lvl = level.padEnd(5)
  const c = color ? colors[level as keyof typeof colors] ?? "" : ""
  const reset = color ? "\x1b[0m" : ""
  return `${time} ${c}${lvl}${reset}${where === "" ? "" : ` [${where}]`} ${text}${fields === "" ? "" : ` ${fields}`}${cause === undefined ? "" : `\n${cause}`}`
}

/**
 * The logger {@link layer} installs.
 *
 * @example
 * ```ts
 * Logger.layer([Logging.make({ format: "json", write: (l) => lines.push(l) })])
 * ```
 */
export const make = (options: Options = {}): Logger.Logger<unknown, void> => {
  const stream = options.stream === "stderr" ? process.stderr : process.stdout
  const write = options.write ?? ((line: string) => void stream.write(`${line}\n`))
  const tty = options.write === undefined && stream.isTTY === true
  const json = options.format === "json" || ((options.format ?? "auto") === "auto" && !tty)
  const color = options.color ?? tty
  const mask = maskSecrets(options.secrets)
  return Logger.make((o) => {
    const entry = format(o, mask)
    write(json ? JSON.stringify(entry) : pretty(entry, color))
  })
}

/**
 * Structured logging for everything it is provided to: replaces effect's loggers with {@link make}, sets the minimum
 * level and turns step correlation on (a per-step observer: runs go through the graph driver).
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(Logging.layer({ format: "auto", level: "Debug" })))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<never> =>
  Layer.mergeAll(
    Logger.layer([make(options)]),
    Layer.succeed(References.MinimumLogLevel, options.level ?? "Info"),
    Layer.succeed(CorrelationEnabled, true)
  )

/**
 * A logger for tests: lines (JSON entries) are kept instead of printed.
 *
 * @example
 * ```ts
 * const logs = Logging.test()
 * yield* program.pipe(Effect.provide(logs.layer))
 * logs.entries.map((e) => e.message) // ["Retrying", "Retrying"]
 * ```
 */
export const test = (options: Omit<Options, "write" | "format"> = {}) => {
  const entries: Array<Entry> = []
  const layer_ = layer({ ...options, format: "json", write: (line) => entries.push(JSON.parse(line) as Entry) })
  return { layer: layer_, entries }
}

/**
 * Parses a `--log-level` style name (case-insensitive) into a level.
 *
 * @example
 * ```ts
 * Logging.levelOf("debug") // "Debug"
 * ```
 */
export const levelOf = (name: string): LogLevel.LogLevel | undefined =>
  LogLevel.values.find((l) => l.toLowerCase() === name.toLowerCase())

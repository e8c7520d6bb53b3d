/**
 * The run's diagnostic log on stderr (`--log-level`, `--verbose`): step retries and, from the reliability layer,
 * provider retries, failovers, circuit-breaker changes and rejections, rate-limit waits and cache hits. Every line
 * goes through a redactor that replaces the secrets the run resolved (API keys) with `<redacted>`.
 *
 * @example
 * ```ts
 * const log = runLog({ level: "debug", write: (l) => process.stderr.write(`${l}\n`), secrets: ["sk-..."] })
 * log.onEvent(event)
 * ```
 */
import type { WorkflowEvent } from "../engine/events.ts"
import type { ReliabilityEvent } from "../reliability/ReliabilityEvent.ts"

/** How much the run log shows: `error` (nothing beyond errors), `warn` (breaker opened, failovers), `info` (also retries, rate-limit waits), `debug` (everything). */
export type LogLevel = "error" | "warn" | "info" | "debug"

/** The levels, least verbose first. */
export const logLevels: ReadonlyArray<LogLevel> = ["error", "warn", "info", "debug"]

const rank = (l: LogLevel) => logLevels.indexOf(l)

/** Replaces every occurrence of each secret (at least 4 characters long) in `text` with `<redacted>`. */
export const redactor = (secrets: ReadonlyArray<string>) => {
  const list = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)
  return (text: string): string => list.reduce((t, s) => t.split(s).join("<redacted>"), text)
}

const reliabilityLine = (stepId: string, e: ReliabilityEvent): readonly [LogLevel, string] => {
  switch (e._tag) {
    case "Retrying":
      return ["info", `retry     ${stepId}: ${e.provider} attempt ${e.attempt} in ${Math.round(e.delayMillis)}ms after ${e.error._tag}: ${e.error.message}`]
    case "CircuitStateChanged":
      return [e.to === "Open" ? "warn" : "info", `breaker   ${e.provider}: ${e.from} -> ${e.to}`]
    case "CircuitRejected":
      return ["info", `breaker   ${stepId}: ${e.provider} rejected the call (circuit open, next probe in ${Math.round(e.retryAfterMillis)}ms)`]
    case "CircuitWaited":
      return ["info", `breaker   ${stepId}: ${e.provider} waited ${Math.round(e.waitedMillis)}ms at the ${e.state === "Open" ? "open" : "half-open"} circuit`]
    case "RateLimitWaited":
      return ["info", `ratelimit ${stepId}: ${e.provider} waited ${Math.round(e.waitedMillis)}ms for ${e.limit}`]
    case "Failover":
      return ["warn", `failover  ${stepId}: ${e.from} -> ${e.to}${e.error !== undefined ? ` after ${e.error._tag}: ${e.error.message}` : ""}`]
    case "CacheHit":
      return ["debug", `cache     ${stepId}: hit in ${e.cache}`]
    case "CacheMiss":
      return ["debug", `cache     ${stepId}: miss in ${e.cache}`]
    case "BudgetExceeded":
      return ["warn", `budget    ${stepId}: ${e.error.message}`]
  }
}

/**
 * A run log writing the lines at or above `level` to `write`, with `secrets` redacted. With `json`, each line is a JSON
 * object (`timestamp`, `level`, `message`, `run_id`, `workflow`, `step_id`), like the structured logs.
 */
export const runLog = (options: {
  readonly level: LogLevel
  readonly write: (line: string) => void
  readonly secrets?: ReadonlyArray<string>
  readonly json?: boolean
}) => {
  let secrets = [...(options.secrets ?? [])]
  let redact = redactor(secrets)
  /** Also redacts these values (the secrets the run's providers were built with). */
  const addSecrets = (more: ReadonlyArray<string>) => {
    secrets = [...secrets, ...more]
    redact = redactor(secrets)
  }
  let current: WorkflowEvent | undefined
  const emit = (level: LogLevel, line: string) => {
    if (rank(level) > rank(options.level)) return
    if (options.json !== true) return options.write(redact(`[${level}] ${line}`))
    const e = current
    options.write(redact(JSON.stringify({
      timestamp: new Date(e?.at ?? Date.now()).toISOString(),
      level: level.toUpperCase(),
      message: line.replace(/^(\S+)\s+/, "$1 "),
      ...(e === undefined ? {} : { run_id: e.runId, workflow: e.workflow }),
      ...(e !== undefined && "stepId" in e ? { step_id: e.stepId } : {})
    })))
  }
  const onEvent = (e: WorkflowEvent): void => {
    current = e
    switch (e._tag) {
      case "ProviderEvent": {
        const [level, line] = reliabilityLine(e.stepId, e.event)
        return emit(level, line)
      }
      case "StepRetrying":
        return emit("info", `retry     ${e.stepId}: step attempt ${e.attempt}: ${e.error}`)
      case "StepStarted":
        return emit("debug", `start     ${e.stepId}`)
      case "StepFailed":
        return emit(e.interrupted ? "debug" : "error", `failed    ${e.stepId}: ${e.error}`)
      case "StepFallback":
        return emit("warn", `fallback  ${e.stepId}: served by fallback ${e.index} (${e.kind}) after ${e.error}`)
      case "RunFinished":
        return emit("debug", `run       ${e.status} in ${e.durationMillis}ms`)
    }
  }
  return { onEvent, emit, addSecrets, redact: (text: string) => redact(text) }
}

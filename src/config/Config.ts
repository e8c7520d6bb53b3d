/**
 * Loads `llm-orchestrator.yaml` (or the file given with `--config`): parsed with positions, validated against
 * {@link ConfigFile}, every problem reported as `file:line:col: message`; then turned into what the run pipeline
 * takes (provider sections with secret references and reliability policies). `--env-file` files are read here too.
 *
 * @example
 * ```ts
 * const loaded = yield* Config.load({ cwd: process.cwd() })          // ./llm-orchestrator.yaml when present
 * const report = yield* Pipeline.runFile("wf.yaml", { input, env, ...Config.toRunOptions(loaded) })
 * ```
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { parseEnv } from "node:util"
import { Effect, Schema, SchemaIssue } from "effect"
import { formatDiagnostic } from "../../codegen/Diagnostic.ts"
import { didYouMean } from "../../codegen/didYouMean.ts"
import { toDurationInput } from "../../codegen/duration.ts"
import { parseSource } from "../../codegen/SourceFile.ts"
import type { ProviderConfig, ServicesOptions } from "../pipeline/Services.ts"
import * as Reliability from "../reliability/Reliability.ts"
import * as ConfigFile from "./ConfigFile.ts"

/** The names looked for in the working directory when no `--config` is given. */
export const defaultNames = ["llm-orchestrator.yaml", "llm-orchestrator.yml"] as const

/** The configuration file is unreadable or invalid; `problems` are `file:line:col: message` lines. */
export class ConfigInvalid extends Schema.TaggedError<ConfigInvalid>()("ConfigInvalid", {
  file: Schema.String,
  problems: Schema.Array(Schema.String)
}) {
  override get message() {
    return this.problems.join("\n")
  }
}

/** A loaded configuration: the file it came from (none: defaults) and its directory (relative paths resolve there). */
export interface Loaded {
  readonly file: string | undefined
  readonly dir: string
  readonly config: ConfigFile.ConfigFile
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const fieldsAt = (path: ReadonlyArray<string | number>): ReadonlyArray<string> => {
  const top = Object.keys(ConfigFile.ConfigFile.fields)
  if (path.length === 0) return top
  const [first, , third] = path
  if ((first === "providers" || first === "stores") && path.length === 2) return Object.keys(ConfigFile.Provider.fields)
  if (first === "reliability" && path.length === 1) return Object.keys(ConfigFile.Reliability.fields)
  if ((first === "providers" || first === "stores") && third === "reliability" && path.length === 3) return Object.keys(ConfigFile.Reliability.fields)
  const section = (ConfigFile.ConfigFile.fields as Record<string, unknown>)[String(first)]
  const fields = (section as { schema?: { fields?: object } } | undefined)?.schema?.fields
  return path.length === 1 && fields !== undefined ? Object.keys(fields) : []
}

/** Validates configuration text: the decoded file, or every problem with its position. */
export const parse = (file: string, text: string): Effect.Effect<ConfigFile.ConfigFile, ConfigInvalid> =>
  Effect.suspend(() => {
    const src = parseSource(file, text)
    if (src.syntaxErrors.some((d) => d.severity === "error")) {
      return Effect.fail(new ConfigInvalid({ file, problems: src.syntaxErrors.filter((d) => d.severity === "error").map(formatDiagnostic) }))
    }
    const value = src.value ?? {}
    const res = Schema.decodeUnknownResult(ConfigFile.ConfigFile)(value, { errors: "all", onExcessProperty: "error" })
    if (res._tag === "Success") return Effect.succeed(res.success)
    const found: Array<{ readonly line: number; readonly column: number; readonly text: string }> = []
    for (const issue of formatter(res.failure.issue).issues) {
      const path = (issue.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p)) as Array<string | number>
      const last = path[path.length - 1]
      let message = issue.message
      let pos = src.locate(path)
      if (message === "Missing key") {
        pos = src.locate(path.slice(0, -1))
        message = `missing required field "${String(last)}"`
      } else if (message.startsWith("Expected no excess property") || message.startsWith("Unexpected key")) {
        pos = src.locate(path, { key: true })
        message = `unknown field "${String(last)}"${didYouMean(String(last), fieldsAt(path.slice(0, -1)))}`
      } else {
        message = `${typeof last === "string" ? `field "${last}": ` : ""}${message.charAt(0).toLowerCase()}${message.slice(1)}`
      }
      const text = formatDiagnostic({ file, ...pos, severity: "error", message })
      if (!found.some((f) => f.text === text)) found.push({ ...pos, text })
    }
    const problems = found.sort((a, b) => a.line - b.line || a.column - b.column).map((f) => f.text)
    return Effect.fail(new ConfigInvalid({ file, problems }))
  })

/**
 * Loads the configuration: `path` when given (it must exist), else `llm-orchestrator.yaml` in `cwd` when there is
 * one, else the defaults (an empty configuration).
 */
export const load = (options: { readonly path?: string | undefined; readonly cwd: string }): Effect.Effect<Loaded, ConfigInvalid> =>
  Effect.suspend(() => {
    const file = options.path !== undefined
      ? resolve(options.cwd, options.path)
      : defaultNames.map((n) => join(options.cwd, n)).find((f) => existsSync(f))
    if (file === undefined) return Effect.succeed<Loaded>({ file: undefined, dir: options.cwd, config: {} })
    let text: string
    try {
      text = readFileSync(file, "utf8")
    } catch (e) {
      return Effect.fail(new ConfigInvalid({ file, problems: [`${file}: cannot read the configuration file (${(e as NodeJS.ErrnoException).code ?? String(e)})`] }))
    }
    return Effect.map(parse(file, text), (config): Loaded => ({ file, dir: dirname(file), config }))
  })

/** A reliability section on top of `base` (what it leaves out keeps `base`). */
export const toPolicy = (r: ConfigFile.Reliability | undefined, base: Reliability.Policy = Reliability.defaultPolicy): Reliability.Policy => {
  if (r === undefined) return base
  const d = (s: string | undefined) => (s === undefined ? undefined : toDurationInput(s))
  return {
    retry: r.retry === undefined
      ? base.retry
      : r.retry === false
      ? false
      : {
        ...(base.retry === false ? {} : base.retry),
        ...(r.retry.times !== undefined ? { times: r.retry.times } : {}),
        ...(r.retry.base !== undefined ? { base: d(r.retry.base) } : {}),
        ...(r.retry.factor !== undefined ? { factor: r.retry.factor } : {}),
        ...(r.retry.max_delay !== undefined ? { maxDelay: d(r.retry.max_delay) } : {}),
        ...(r.retry.jitter !== undefined ? { jitter: r.retry.jitter } : {}),
        ...(r.retry.honour_retry_after !== undefined ? { honourRetryAfter: r.retry.honour_retry_after } : {})
      },
    circuitBreaker: r.circuit_breaker === undefined
      ? base.circuitBreaker
      : r.circuit_breaker === false
      ? false
      : {
        ...(base.circuitBreaker === false ? {} : base.circuitBreaker),
        ...(r.circuit_breaker.failure_rate !== undefined ? { failureRate: r.circuit_breaker.failure_rate } : {}),
        ...(r.circuit_breaker.window !== undefined ? { window: r.circuit_breaker.window } : {}),
        ...(r.circuit_breaker.minimum_calls !== undefined ? { minimumCalls: r.circuit_breaker.minimum_calls } : {}),
        ...(r.circuit_breaker.consecutive_failures !== undefined ? { consecutiveFailures: r.circuit_breaker.consecutive_failures } : {}),
        ...(r.circuit_breaker.open_for !== undefined ? { openFor: d(r.circuit_breaker.open_for) } : {}),
        ...(r.circuit_breaker.max_open_for !== undefined ? { maxOpenFor: d(r.circuit_breaker.max_open_for) } : {}),
        ...(r.circuit_breaker.when_open !== undefined ? { whenOpen: r.circuit_breaker.when_open } : {}),
        ...(r.circuit_breaker.max_wait !== undefined ? { maxWait: d(r.circuit_breaker.max_wait) } : {})
      },
    rateLimit: r.rate_limit === undefined
      ? base.rateLimit
      : r.rate_limit === false
      ? false
      : {
        ...(r.rate_limit.requests_per_minute !== undefined ? { requestsPerMinute: r.rate_limit.requests_per_minute } : {}),
        ...(r.rate_limit.tokens_per_minute !== undefined ? { tokensPerMinute: r.rate_limit.tokens_per_minute } : {}),
        ...(r.rate_limit.on_exceeded !== undefined ? { onExceeded: r.rate_limit.on_exceeded } : {}),
        ...(r.rate_limit.burst !== undefined ? { burst: r.rate_limit.burst } : {}),
        ...(r.rate_limit.priority_aging !== undefined ? { priorityAging: d(r.rate_limit.priority_aging) } : {})
      },
    concurrency: r.concurrency ?? base.concurrency,
    timeout: r.timeout !== undefined ? toDurationInput(r.timeout) : base.timeout
  }
}

const section = (p: ConfigFile.Provider, policy: Reliability.Policy): ProviderConfig => {
  const settings: Record<string, string> = {}
  for (const k of ["api_key", "base_url", "model", "url"] as const) if (p[k] !== undefined) settings[k] = p[k]!
  return { use: p.use, settings, policy: toPolicy(p.reliability, policy) }
}

/** What the run pipeline takes from the configuration: provider and store sections, the default policy, shared state. */
export const toRunOptions = (loaded: Loaded, env: Readonly<Record<string, string | undefined>> = process.env): Pick<ServicesOptions, "providers" | "stores" | "policy" | "sharedState" | "responseCache"> => {
  const policy = toPolicy(loaded.config.reliability)
  const map = (r: Readonly<Record<string, ConfigFile.Provider>> | undefined) =>
    r === undefined ? undefined : Object.fromEntries(Object.entries(r).map(([k, v]) => [k, section(v, policy)]))
  const redis = (section: { readonly type?: string | undefined; readonly url?: string | undefined; readonly prefix?: string | undefined } | undefined) =>
    section?.type !== "redis" ? undefined : {
      url: section.url ?? env["REDIS_URL"] ?? "redis://127.0.0.1:6379",
      ...(section.prefix !== undefined ? { prefix: section.prefix } : {})
    }
  const limits = redis(loaded.config.rate_limit_store)
  const cache = redis(loaded.config.cache)
  const c = loaded.config.cache
  const responseCache = c?.ttl === undefined && c?.max_entries === undefined ? undefined : {
    ...(c.ttl !== undefined ? { ttl: toDurationInput(c.ttl) } : {}),
    ...(c.max_entries !== undefined ? { capacity: c.max_entries } : {})
  }
  return {
    providers: map(loaded.config.providers),
    stores: map(loaded.config.stores),
    policy,
    ...(responseCache === undefined ? {} : { responseCache }),
    ...(limits === undefined && cache === undefined ? {} : { sharedState: { limits, cache } })
  }
}

/** Reads `KEY=value` lines (the dotenv format: comments, quotes, `export` prefixes) from each file, later files winning. */
export const loadEnvFiles = (files: ReadonlyArray<string>, cwd: string): Effect.Effect<Record<string, string>, ConfigInvalid> =>
  Effect.suspend(() => {
    const out: Record<string, string> = {}
    for (const f of files) {
      const path = resolve(cwd, f)
      try {
        Object.assign(out, parseEnv(readFileSync(path, "utf8").replace(/^\s*export\s+/gm, "")))
      } catch (e) {
        return Effect.fail(new ConfigInvalid({ file: path, problems: [`--env-file ${f}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`] }))
      }
    }
    return Effect.succeed(out)
  })

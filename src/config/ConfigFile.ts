/**
 * The schema of `llm-orchestrator.yaml`, the project configuration (the plan's Appendix B, in YAML): providers with
 * their settings (keys as secret references), reliability defaults and per-provider overrides, vector stores, the run
 * store, the cache, logging, telemetry and actions. Durations are strings such as `200ms`, `30s`, `1 minute`.
 *
 * @example
 * ```yaml
 * providers:
 *   openai:
 *     api_key: env:OPENAI_API_KEY
 *     reliability: { retry: { times: 4 }, rate_limit: { requests_per_minute: 500 } }
 *   local:
 *     use: openai
 *     base_url: http://127.0.0.1:11434/v1
 * ```
 */
import { Schema } from "effect"

const isDuration = (s: string) => /^\s*\d+(?:\.\d+)?\s*(ms|millis|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\s*$/.test(s)

/** A duration such as `200ms`, `30s`, `5 minutes`. */
export const Duration = Schema.String.check(Schema.makeFilter((s: string) => isDuration(s) || `not a duration: "${s}" (e.g. 200ms, 30s, 5 minutes)`))

const isSecretReference = (s: string) => /^(env|file|vault|aws-sm):\S+$/.test(s)

/** A secret: a reference (`env:NAME`, `file:/run/secrets/x`, `vault:path#field`, `aws-sm:name`), never the value itself. */
export const SecretReference = Schema.String.check(Schema.makeFilter((s: string) =>
  isSecretReference(s) || `a secret must be a reference such as env:OPENAI_API_KEY or file:/run/secrets/openai, not the value`
))

/** Reliability settings (all optional; what is left out keeps the default policy of docs/reliability.md). */
export const Reliability = Schema.Struct({
  retry: Schema.optionalKey(Schema.Union([
    Schema.Literal(false),
    Schema.Struct({
      times: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
      base: Schema.optionalKey(Duration),
      factor: Schema.optionalKey(Schema.Number),
      max_delay: Schema.optionalKey(Duration),
      jitter: Schema.optionalKey(Schema.Boolean),
      honour_retry_after: Schema.optionalKey(Schema.Boolean)
    })
  ])),
  circuit_breaker: Schema.optionalKey(Schema.Union([
    Schema.Literal(false),
    // the breaker of src/reliability/Breaker.ts: a failure rate over a window by default
    Schema.Struct({
      failure_rate: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
      window: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
      minimum_calls: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
      consecutive_failures: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
      open_for: Schema.optionalKey(Duration),
      max_open_for: Schema.optionalKey(Duration),
      when_open: Schema.optionalKey(Schema.Literals(["wait", "fail"])),
      max_wait: Schema.optionalKey(Duration)
    })
  ])),
  rate_limit: Schema.optionalKey(Schema.Union([
    Schema.Literal(false),
    Schema.Struct({
      requests_per_minute: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0))),
      tokens_per_minute: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0))),
      on_exceeded: Schema.optionalKey(Schema.Literals(["wait", "fail"])),
      burst: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1))),
      priority_aging: Schema.optionalKey(Duration)
    })
  ])),
  concurrency: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
  timeout: Schema.optionalKey(Duration)
})
export type Reliability = typeof Reliability.Type

/** A provider section: the catalogue entry it uses (default: its own name), its settings and its reliability. */
export const Provider = Schema.Struct({
  use: Schema.optionalKey(Schema.String),
  api_key: Schema.optionalKey(SecretReference),
  base_url: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  url: Schema.optionalKey(Schema.String),
  reliability: Schema.optionalKey(Reliability)
})
export type Provider = typeof Provider.Type

/** The configuration file. */
export const ConfigFile = Schema.Struct({
  providers: Schema.optionalKey(Schema.Record(Schema.String, Provider)),
  /** Named vector stores: which provider serves each (`use: qdrant`) and its settings. */
  stores: Schema.optionalKey(Schema.Record(Schema.String, Provider)),
  /** Defaults for every provider without its own `reliability`. */
  reliability: Schema.optionalKey(Reliability),
  run_store: Schema.optionalKey(Schema.Struct({
    type: Schema.Literals(["memory", "postgres", "sqlite"]),
    url: Schema.optionalKey(Schema.String),
    max_connections: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0)))
  })),
  /** Rate limits counted in Redis, shared by every process with the same url and prefix (default: in memory, per process). */
  rate_limit_store: Schema.optionalKey(Schema.Struct({
    type: Schema.Literals(["memory", "redis"]),
    /** redis://... (default: REDIS_URL, else redis://127.0.0.1:6379). */
    url: Schema.optionalKey(Schema.String),
    prefix: Schema.optionalKey(Schema.String)
  })),
  cache: Schema.optionalKey(Schema.Struct({
    type: Schema.optionalKey(Schema.Literals(["memory", "redis"])),
    url: Schema.optionalKey(Schema.String),
    prefix: Schema.optionalKey(Schema.String),
    ttl: Schema.optionalKey(Duration),
    max_entries: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0)))
  })),
  logging: Schema.optionalKey(Schema.Struct({
    level: Schema.optionalKey(Schema.Literals(["error", "warn", "info", "debug"])),
    /** `text`: the run log lines; `json`: JSON lines with run_id, step_id, trace_id (`pretty`/`auto` for a terminal). */
    format: Schema.optionalKey(Schema.Literals(["text", "json", "pretty", "auto"]))
  })),
  telemetry: Schema.optionalKey(Schema.Struct({
    /** false: no trace export, whatever the OTEL_* variables say. */
    enabled: Schema.optionalKey(Schema.Boolean),
    /** OTLP/HTTP base endpoint (http://host:4318); default: OTEL_EXPORTER_OTLP_ENDPOINT. */
    endpoint: Schema.optionalKey(Schema.String),
    service_name: Schema.optionalKey(Schema.String),
    /** Serve Prometheus /metrics on this port while the process runs. */
    metrics_port: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))),
    /** GenAI semantic-convention names: v1.41 (default) or latest (as OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental). */
    semconv: Schema.optionalKey(Schema.Literals(["v1.41", "latest"])),
    /** Record prompt and completion text on spans (default false: privacy). */
    capture_content: Schema.optionalKey(Schema.Boolean)
  })),
  /** Price overrides in USD per million tokens, by model id or id prefix, on top of the built-in table. */
  prices: Schema.optionalKey(Schema.Record(Schema.String, Schema.Struct({
    input: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)),
    output: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))
  }))),
  /** `llm-orchestrator serve`: where it listens, its store, credentials and limits (flags override these). */
  server: Schema.optionalKey(Schema.Struct({
    host: Schema.optionalKey(Schema.String),
    port: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))),
    /** memory, sqlite:PATH or postgres://... (default: the run store of the CLI). */
    store: Schema.optionalKey(Schema.String),
    /** YAML workflow files or directories registered at start (relative to the config file). */
    workflows: Schema.optionalKey(Schema.Array(Schema.String)),
    cors: Schema.optionalKey(Schema.Struct({ origins: Schema.Array(Schema.String) })),
    tls: Schema.optionalKey(Schema.Struct({ cert: Schema.String, key: Schema.String })),
    jwt: Schema.optionalKey(Schema.Struct({
      /** The HS256 secret, as a reference (env:JWT_SECRET, file:..., vault:..., aws-sm:...). */
      secret: Schema.optionalKey(SecretReference),
      /** A JWKS file with the RS256/ES256 public keys (relative to the config file). */
      jwks_file: Schema.optionalKey(Schema.String),
      issuer: Schema.optionalKey(Schema.String),
      audience: Schema.optionalKey(Schema.String),
      role_claim: Schema.optionalKey(Schema.String),
      workflows_claim: Schema.optionalKey(Schema.String)
    })),
    /**
     * Per-workflow daily budgets (UTC days) of the runs the server starts, by workflow name, counted in the run store
     * (across restarts and every server and worker on it).
     */
    daily_budgets: Schema.optionalKey(Schema.Record(
      Schema.String,
      Schema.Struct({
        usd: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0))),
        tokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
        max_output_tokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0)))
      }).check(Schema.makeFilter((b) => b.usd !== undefined || b.tokens !== undefined || "a daily budget needs usd or tokens"))
    )),
    limits: Schema.optionalKey(Schema.Struct({
      body_bytes: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
      requests_per_minute: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
      max_concurrent_runs: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
      request_timeout: Schema.optionalKey(Duration)
    }))
  })),
  actions: Schema.optionalKey(Schema.Struct({
    /** A TypeScript/JavaScript module exporting custom actions (relative to the config file). */
    module: Schema.optionalKey(Schema.String),
    /** The directory `file_read` / `file_write` are confined to (relative to the config file; default: its directory). */
    files_dir: Schema.optionalKey(Schema.String),
    /** The key `webhook` signs with (HMAC-SHA256). */
    webhook_secret: Schema.optionalKey(SecretReference)
  }))
})
export type ConfigFile = typeof ConfigFile.Type

/** The file's JSON Schema, for editors (`# yaml-language-server: $schema=...`). */
export const jsonSchema = (): Record<string, unknown> => {
  const doc = Schema.toJsonSchemaDocument(ConfigFile, { onExcessProperty: "error" })
  return { $schema: "https://json-schema.org/draft/2020-12/schema", title: "llm-orchestrator.yaml", ...doc.schema, $defs: doc.definitions }
}

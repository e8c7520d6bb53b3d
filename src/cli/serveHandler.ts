/**
 * `llm-orchestrator serve [--port N] [--host H] [--store S] [--workflows PATH]... [--tls-cert F --tls-key F]`: the REST
 * API on the project's configuration (providers, secrets, and the `server:` section of `llm-orchestrator.yaml`, which
 * the flags override). Workflow
 * files given with `--workflows` (files or directories of `.yaml`) are registered at start. When the key store holds
 * no key, an admin key is created and printed once, so a fresh server can be used at all.
 *
 * Stops on SIGINT/SIGTERM: event streams end, requests in flight finish, runs checkpoint, then it exits.
 *
 * @example
 * ```sh
 * llm-orchestrator serve --port 8080 --workflows examples/   # on .llm-orchestrator/runs.db, like the CLI
 * ```
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import { HttpServer } from "effect/http"
import { KeyStore } from "../auth/KeyStore.ts"
import { toDurationInput } from "../../codegen/duration.ts"
import type { ConfigFile } from "../config/ConfigFile.ts"
import * as Project from "../config/Project.ts"
import { providerNames } from "../pipeline/Pipeline.ts"
import * as Store from "../durable/Store.ts"
import * as Backend from "../server/Backend.ts"
import * as Server from "../server/Server.ts"
import { WorkflowRegistry } from "../server/WorkflowRegistry.ts"
import * as WorkflowMetrics from "../telemetry/WorkflowMetrics.ts"
import { Interrupt } from "./Interrupt.ts"
import { telemetryOf } from "./RunTelemetry.ts"
import { Output } from "./Output.ts"
import * as SecretReference from "./secretReference.ts"
import type { ServeArgs } from "./serveCommand.ts"

const yamlFiles = (path: string): ReadonlyArray<string> => {
  const stat = statSync(path)
  if (!stat.isDirectory()) return [path]
  return readdirSync(path).filter((f) => /\.ya?ml$/.test(f) && !/\.(mock|test|input)\.ya?ml$/.test(f)).sort().map((f) => join(path, f))
}

type Section = NonNullable<ConfigFile["server"]>

/**
 * The server's settings: each flag given wins over the config file's `server:` section (its paths relative to the
 * file), which wins over the defaults; a string is what is wrong.
 *
 * @example
 * ```ts
 * serveSettings(flags, { port: 9000, limits: { requests_per_minute: 60 } }, "/srv/app", process.cwd()).port // 9000 unless --port
 * ```
 */
export const serveSettings = (
  flags: {
    readonly port: Option.Option<number>
    readonly host: Option.Option<string>
    readonly store: Option.Option<string>
    readonly workflows: ReadonlyArray<string>
    readonly tlsCert: Option.Option<string>
    readonly tlsKey: Option.Option<string>
    readonly cors: ReadonlyArray<string>
    readonly jwtSecret: Option.Option<string>
    readonly jwks: Option.Option<string>
    readonly jwtIssuer: Option.Option<string>
    readonly jwtAudience: Option.Option<string>
    readonly rate: Option.Option<number>
    readonly maxRuns: Option.Option<number>
    readonly bodyLimit: Option.Option<number>
    readonly timeout: Option.Option<number>
  },
  section: Section | undefined,
  configDir: string,
  cwd: string
) => {
  const c = section ?? {}
  const flag = <A>(o: Option.Option<A>) => Option.getOrUndefined(o)
  const fromFile = (p: string | undefined) => (p === undefined ? undefined : resolve(configDir, p))
  const fromCwd = (p: string | undefined) => (p === undefined ? undefined : resolve(cwd, p))
  const certFile = fromCwd(flag(flags.tlsCert)) ?? fromFile(c.tls?.cert)
  const keyFile = fromCwd(flag(flags.tlsKey)) ?? fromFile(c.tls?.key)
  if ((certFile === undefined) !== (keyFile === undefined)) return "--tls-cert and --tls-key (server.tls.cert and key) go together"
  const jwtSecret = flag(flags.jwtSecret) ?? c.jwt?.secret
  if (jwtSecret !== undefined && !/^(env|file|vault|aws-sm):\S+$/.test(jwtSecret)) {
    return "--jwt-secret takes a secret reference (env:NAME, file:/path, vault:..., aws-sm:...), never the secret itself"
  }
  const timeout = flag(flags.timeout)
  const dailyBudgets = c.daily_budgets === undefined ? undefined : Object.fromEntries(Object.entries(c.daily_budgets).map(([workflow, b]) => [workflow, {
    ...(b.usd === undefined ? {} : { usd: b.usd }),
    ...(b.tokens === undefined ? {} : { tokens: b.tokens }),
    ...(b.max_output_tokens === undefined ? {} : { maxOutputTokens: b.max_output_tokens })
  }]))
  return {
    dailyBudgets,
    port: flag(flags.port) ?? c.port ?? 8080,
    host: flag(flags.host) ?? c.host ?? "127.0.0.1",
    store: flag(flags.store) ?? c.store,
    workflows: [...flags.workflows.map((p) => resolve(cwd, p)), ...(c.workflows ?? []).map((p) => resolve(configDir, p))],
    tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined,
    cors: flags.cors.length > 0 ? flags.cors : c.cors?.origins ?? [],
    jwtSecret,
    jwt: {
      jwksFile: fromCwd(flag(flags.jwks)) ?? fromFile(c.jwt?.jwks_file),
      issuer: flag(flags.jwtIssuer) ?? c.jwt?.issuer,
      audience: flag(flags.jwtAudience) ?? c.jwt?.audience,
      roleClaim: c.jwt?.role_claim,
      workflowsClaim: c.jwt?.workflows_claim
    },
    limits: {
      requestsPerWindow: flag(flags.rate) ?? c.limits?.requests_per_minute,
      maxConcurrentRuns: flag(flags.maxRuns) ?? c.limits?.max_concurrent_runs,
      bodyBytes: flag(flags.bodyLimit) ?? c.limits?.body_bytes,
      requestTimeout: timeout !== undefined ? Duration.seconds(timeout) : c.limits?.request_timeout === undefined ? undefined : toDurationInput(c.limits.request_timeout)
    }
  }
}

/** Runs `serve` (loaded by `serveCommand.ts` when the command runs). */
export const serve = (args: ServeArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const fail = (message: string) => {
      o.err(`error: ${message}`)
      o.exit(2)
    }
    const project = yield* Effect.result(Project.load({
      cwd: o.cwd,
      config: Option.getOrUndefined(args.config),
      envFiles: Option.isSome(args.envFile) ? [args.envFile.value] : []
    }))
    if (project._tag === "Failure") {
      const e = project.failure
      return fail(e._tag === "ConfigInvalid" ? e.problems.join("\n") : e.message)
    }
    const runOptions = Project.runOptions(project.success)
    const env = project.success.env
    const settings = serveSettings(args, project.success.config.config.server, project.success.config.dir, o.cwd)
    if (typeof settings === "string") return fail(settings)
    let jwtSecret: Redacted.Redacted<string> | undefined
    if (settings.jwtSecret !== undefined) {
      const reference = settings.jwtSecret
      const resolved = yield* Effect.result(SecretReference.resolve(reference, env))
      if (resolved._tag === "Failure") return fail(`JWT secret ${resolved.failure}`)
      jwtSecret = resolved.success
    }
    let storeText = settings.store ?? env["LLM_ORCHESTRATOR_STORE"]
    const storeNamed = storeText
    // `file:/run/secrets/store-url` (Docker/Kubernetes secrets), `env:NAME`, `vault:...`: a Postgres URL with its password.
    if (storeText !== undefined) {
      const resolved = yield* Effect.result(SecretReference.storeText(storeText, env))
      if (resolved._tag === "Failure") return fail(`store ${resolved.failure}`)
      storeText = resolved.success
    }
    const store = storeText === undefined ? Store.defaultSpec(o.cwd) : Store.parse(storeText)
    if (store === undefined) return fail(`unknown store '${storeNamed}'${storeNamed === storeText ? "" : " (its value is not shown)"}: use memory, sqlite:PATH (or a .db file) or postgres://user@host:port/db`)
    const options: Server.Options = {
      port: settings.port,
      host: settings.host,
      ...(settings.tls !== undefined ? { tls: settings.tls } : {}),
      ...(settings.cors.length > 0 ? { cors: { origins: settings.cors } } : {}),
      ...(jwtSecret !== undefined || settings.jwt.jwksFile !== undefined ? { jwt: { ...settings.jwt, secret: jwtSecret } } : {}),
      limits: settings.limits
    }
    // A client of the workers hosts no runs, even when none is up yet (`auto` would take the store's runner lease then).
    // (LLM_ORCHESTRATOR_CLUSTER read here, not through RunStoreCli, which would load effect/cluster into the server)
    const client = args.client || env["LLM_ORCHESTRATOR_CLUSTER"]?.trim().toLowerCase() === "client"
    if (client && store._tag === "memory") return fail("--client needs a store that workers share (postgres://...): in memory, nothing would ever run the runs")
    const services = { env, providers: runOptions.providers, stores: runOptions.stores, policy: runOptions.policy }
    const backend = Backend.layer({
      store,
      ...(client ? { role: "client" as const } : {}),
      services,
      registry: { analyze: { providers: providerNames(services) }, actions: runOptions.actions },
      approval: { required: args.requireApproval },
      ...(settings.dailyBudgets === undefined ? {} : { dailyBudgets: settings.dailyBudgets }),
      onProblem: (m) => o.err(`warning: ${m}`)
    })
    const interrupt = yield* Interrupt
    const program = Effect.gen(function*() {
      const registry = yield* WorkflowRegistry
      for (const path of settings.workflows) {
        for (const file of yamlFiles(path)) {
          const entry = yield* registry.register({ source: readFileSync(file, "utf8"), by: "serve --workflows" }).pipe(
            Effect.mapError((e) => new Error(`${file}: ${e._tag === "BadRequest" ? (e.problems ?? []).map((p) => p.text.replace(/^workflow\.(yaml|json)/, file)).join("\n") || e.message : e.message}`))
          )
          o.err(`registered ${entry.name} (${file})`)
        }
      }
      const keys = yield* KeyStore
      if ((yield* keys.list()).length === 0) {
        const { token, key } = yield* keys.create({ name: "bootstrap-admin", role: "admin" })
        o.err(`created admin key ${key.id} (shown once, store it now): ${Redacted.value(token)}`)
      }
      const server = yield* Layer.build(Server.layer(options))
      const address = server.mapUnsafe.get(HttpServer.HttpServer.key) as { address: { hostname?: string; port?: number } }
      o.err(`serving on ${options.tls ? "https" : "http"}://${options.host}:${address.address.port} (store: ${Store.show(store)}${client ? "; a client: runs go to the workers" : ""}; docs at /docs)`)
      const signal = yield* interrupt
      o.err(`${signal}: shutting down (event streams end, requests in flight finish, runs checkpoint)`)
    }).pipe(Effect.scoped, Effect.provide(backend))
    // Traces of requests and runs over OTLP (--otlp-endpoint, the config's telemetry section, OTEL_*), structured logs,
    // and workflow metrics of the runs this process executes on /metrics.
    const telemetry = telemetryOf({
      otlpEndpoint: args.otlpEndpoint,
      logFormat: args.logFormat,
      trace: false,
      metricsPort: Option.none(),
      budgetUsd: Option.none(),
      budgetTokens: Option.none()
    }, project.success.config.config, env, [])
    const result = yield* Effect.result(program.pipe(Effect.provide(Layer.merge(telemetry.layer, Layer.succeed(WorkflowMetrics.Enabled, true)))))
    if (result._tag === "Failure") return fail((result.failure as { message?: string }).message ?? String(result.failure))
  })

/**
 * `llm-orchestrator worker --store postgres://... --address HOST:PORT [FILE|DIR]... [--module M]...`: a worker of a
 * cluster (effect/cluster on Postgres). It hosts the given workflows (YAML files, and TS/JS modules that export
 * workflows), and runs of other YAML workflows by their stored source; any number of workers share one store, and
 * runs started by `run --store` on it (or the server, or the library) spread over them. When a worker dies, another one
 * takes its runs over after their last finished step.
 *
 * Stops on SIGTERM/SIGINT: it leaves the cluster after its steps in flight finished (within `--grace`, 120 s) and
 * exits 0; a second signal exits at once. `--health HOST:PORT` serves `/health` and `/ready` for probes.
 *
 * @example
 * ```sh
 * llm-orchestrator worker --store postgres://app@db:5432/runs --address 10.0.0.7:34431 --listen 0.0.0.0:34431 workflows/
 * ```
 */
import { readdirSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Context, Duration, Effect, Layer, Option, Schema } from "effect"
import type { Graph } from "../../dsl/Node.ts"
import * as HealthServer from "../cluster/HealthServer.ts"
import * as Settings from "../cluster/Settings.ts"
import * as Config from "../config/Config.ts"
import * as Store from "../durable/Store.ts"
import * as WorkflowMetrics from "../telemetry/WorkflowMetrics.ts"
import { allowGracefulShutdown, Interrupt, stopsCleanlyOnSignal } from "./Interrupt.ts"
import { Output, style } from "./Output.ts"
import * as RunStoreCli from "./RunStoreCli.ts"
import { telemetryOf } from "./RunTelemetry.ts"
import * as SecretReference from "./secretReference.ts"
import type { WorkerArgs } from "./workerCommand.ts"

const yamlFiles = (path: string): ReadonlyArray<string> => {
  const stat = statSync(path)
  if (!stat.isDirectory()) return [path]
  return readdirSync(path).filter((f) => /\.ya?ml$/.test(f) && !/\.(mock|test|input)\.ya?ml$/.test(f)).sort().map((f) => join(path, f))
}

const isGraph = (value: unknown): value is Graph => {
  const v = value as Partial<Graph> | null
  return v !== null && typeof v === "object" && typeof v.name === "string" && Array.isArray(v.nodes) && Schema.isSchema(v.input)
}

/** Runs `worker` (loaded by `workerCommand.ts` when the command runs). */
export const worker = (args: WorkerArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const s = style(o.color)
    const env = process.env
    const invalid = (messages: ReadonlyArray<string>) => {
      for (const m of messages) o.err(`${s.red("error:")} ${m}`)
      o.exit(2)
    }
    // The settings.
    const problems: Array<string> = []
    const settings: { -readonly [K in keyof Settings.Settings]: Settings.Settings[K] } = {}
    for (const key of ["lockExpiry", "lockRefresh", "healthCheck", "assignmentsRefresh", "messagePoll", "inboxPoll", "grace"] as const) {
      const given = Option.getOrUndefined(args[key])
      if (given === undefined) continue
      const millis = RunStoreCli.durationMillis(given)
      const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
      if (millis === undefined) problems.push(`--${flag} '${given}' is not a duration (10s, 500ms, 2m)`)
      else settings[key === "grace" ? "gracePeriod" : key] = Duration.millis(millis)
    }
    if (Option.isSome(args.shards)) settings.shards = args.shards.value
    const addressText = Option.getOrUndefined(args.address) ?? env["LLM_ORCHESTRATOR_WORKER_ADDRESS"]
    if (addressText === undefined || addressText === "") problems.push("--address HOST:PORT is required: how the other members reach this worker (or LLM_ORCHESTRATOR_WORKER_ADDRESS)")
    else if (Settings.parseAddress(addressText) === undefined) problems.push(`--address '${addressText}' is not HOST:PORT`)
    const listen = Option.getOrUndefined(args.listen)
    if (listen !== undefined && Settings.parseAddress(listen) === undefined) problems.push(`--listen '${listen}' is not HOST:PORT`)
    const healthText = Option.getOrUndefined(args.health) ?? env["LLM_ORCHESTRATOR_WORKER_HEALTH"]
    const health = healthText === undefined || healthText === "" ? undefined : Settings.parseAddress(healthText)
    if (healthText !== undefined && healthText !== "" && health === undefined) problems.push(`--health '${healthText}' is not HOST:PORT`)
    problems.push(...Settings.problems(Settings.resolve(settings)))
    // The store: Postgres only.
    const storeGiven = Option.getOrUndefined(args.store) ?? env["LLM_ORCHESTRATOR_STORE"]
    let spec: Store.Spec | undefined
    if (storeGiven === undefined || storeGiven === "") problems.push("--store postgres://... is required (or LLM_ORCHESTRATOR_STORE): the workers share one Postgres store")
    else {
      const text = yield* Effect.result(SecretReference.storeText(storeGiven, env))
      if (text._tag === "Failure") problems.push(`store ${text.failure}`)
      else {
        spec = Store.parse(text.success)
        if (spec?._tag !== "postgres") {
          problems.push(`the workers need a Postgres store (postgres://user@host:5432/db), not '${text.success === storeGiven ? storeGiven : `${storeGiven} (its value is not shown)`}'`)
        }
      }
    }
    if (problems.length > 0) return invalid(problems)
    const resolved = Settings.resolve(settings)
    allowGracefulShutdown(Duration.toMillis(resolved.gracePeriod))
    stopsCleanlyOnSignal()
    const interrupt = yield* Interrupt

    // Traces of the runs this worker executes (--otlp-endpoint, the config's telemetry section, OTEL_*), flushed when it
    // stops; the runs' workflow metrics are recorded.
    const config = yield* Effect.result(Config.load({ path: Option.getOrUndefined(args.config), cwd: o.cwd }))
    if (config._tag === "Failure") return invalid(config.failure.problems)
    const telemetry = telemetryOf({
      otlpEndpoint: args.otlpEndpoint,
      logFormat: args.logFormat,
      trace: false,
      metricsPort: Option.none(),
      budgetUsd: Option.none(),
      budgetTokens: Option.none()
    }, config.success.config, env, [])

    return yield* Effect.scoped(Effect.gen(function*() {
      const healthServer = health === undefined ? undefined : yield* HealthServer.listen({ host: health.host, port: health.port })
      const opened = yield* Effect.result(RunStoreCli.open(spec!, {
        onProblem: (m) => o.err(s.dim(`llm-orchestrator: ${m}`)),
        worker: { address: addressText!, listen, settings }
      }))
      if (opened._tag === "Failure") {
        const e = opened.failure as { message?: string }
        o.err(`${s.red("error:")} ${e.message ?? String(e)}`)
        return o.exit(3)
      }
      const runs = opened.success
      const names: Array<string> = []
      // YAML files: interpreted as `run` does, with their mocks, config, env file and actions.
      for (const given of args.files) {
        for (const file of yamlFiles(resolve(o.cwd, given))) {
          const source = RunStoreCli.yamlSource(o.cwd, file, {
            mock: Option.getOrUndefined(args.mock),
            config: Option.getOrUndefined(args.config),
            envFile: Option.getOrUndefined(args.envFile),
            actions: Option.getOrUndefined(args.actions)
          })
          const prepared = yield* Effect.result(RunStoreCli.prepare(source))
          if (prepared._tag === "Failure") return invalid(RunStoreCli.problemsOf(prepared.failure).map((m) => `${file}: ${m}`))
          const registered = yield* Effect.result(runs.register(prepared.success.graph, { source: source as never, context: prepared.success.context }))
          if (registered._tag === "Failure") return invalid(registered.failure.problems.map((p) => `${file}: step '${p.stepId}': ${p.message}`))
          names.push(prepared.success.graph.name)
        }
      }
      // Modules: every exported workflow, with the services of the module's `layer` export.
      for (const given of args.module) {
        const path = resolve(o.cwd, given)
        const loaded = yield* Effect.result(Effect.tryPromise(() => import(pathToFileURL(path).href) as Promise<Record<string, unknown>>))
        if (loaded._tag === "Failure") return invalid([`--module ${given}: ${String((loaded.failure.cause as { message?: unknown })?.message ?? loaded.failure.cause)}`])
        const exports = loaded.success
        const layer = exports["layer"]
        const context = Layer.isLayer(layer)
          ? yield* Layer.build(layer as unknown as Layer.Layer<never, unknown>).pipe(Effect.orDie)
          : Context.empty()
        const graphs = Object.values(exports).filter(isGraph)
        if (graphs.length === 0) return invalid([`--module ${given} exports no workflow`])
        for (const graph of graphs) {
          const registered = yield* Effect.result(runs.register(graph, { context: context as Context.Context<never> }))
          if (registered._tag === "Failure") return invalid(registered.failure.problems.map((p) => `${given}: step '${p.stepId}': ${p.message}`))
          names.push(graph.name)
        }
      }
      healthServer?.setReady(true)
      o.err(`worker ${addressText} ready on ${runs.store} (pid ${process.pid}; workflows: ${names.join(", ") || "none: runs of YAML files are loaded from their stored source"})`)
      const signal = yield* interrupt
      healthServer?.setReady(false)
      o.err(`worker ${addressText} stopping on ${signal}: steps in flight finish (within ${Duration.format(resolved.gracePeriod)}), then its runs go to the other workers`)
    })).pipe(Effect.provide(Layer.merge(telemetry.layer, Layer.succeed(WorkflowMetrics.Enabled, true))))
  })

/**
 * What the CLI's durable commands share: which run store they use (`--store`, else `LLM_ORCHESTRATOR_STORE`, else the
 * config file's `run_store`, else the embedded `.llm-orchestrator/runs.db` under the working directory), how a run of
 * a YAML file remembers where its definition lives (its `source`: the file, mocks, config, env file, actions module),
 * so any later process (after `kill -9`, `resume`, `signal`) loads it again, and how a run is followed until it
 * finishes or suspends.
 *
 * @example
 * ```ts
 * const spec = storeOf({ flag: Option.none(), env: process.env, config: {}, cwd: process.cwd() })
 * // { _tag: "Ok", spec: { _tag: "sqlite", filename: ".../.llm-orchestrator/runs.db" } }
 * ```
 */
import { resolve } from "node:path"
import { Cause, Context, Duration, Effect, Layer, Option, Redacted, Scope } from "effect"
import type { ConfigFile } from "../config/ConfigFile.ts"
import * as Config from "../config/Config.ts"
import * as Project from "../config/Project.ts"
import type { Graph } from "../../dsl/Node.ts"
import type * as ClusterSettings from "../cluster/Settings.ts"
import * as Workers from "../cluster/Workers.ts"
import * as DurableRuns from "../durable/DurableRuns.ts"
import * as Store from "../durable/Store.ts"
import type { WorkflowEvent } from "../engine/events.ts"
import * as Pipeline from "../pipeline/Pipeline.ts"
import { describeMissing } from "../pipeline/PipelineError.ts"
import * as Services from "../pipeline/Services.ts"
import type { Json, RunRecord } from "../store/RunStoreShape.ts"
import { isTerminal } from "../store/RunStatus.ts"
import type { Analysis } from "../../codegen/analyze.ts"
import { toMillis } from "../../codegen/duration.ts"
import { asRecord, loadData } from "./loadData.ts"

/** The store a command uses, or why the text names none. */
export type StoreChoice = { readonly _tag: "Ok"; readonly spec: Store.Spec } | { readonly _tag: "Error"; readonly message: string }

const unknownStore = (text: string) => `unknown store '${text}': use memory, sqlite:PATH (or a .db file) or postgres://user@host:port/db`

/**
 * The run store: `--store`, else `LLM_ORCHESTRATOR_STORE`, else the config file's `run_store`, else the embedded
 * SQLite file `.llm-orchestrator/runs.db` under `cwd`. A relative SQLite path is relative to `cwd`.
 *
 * @example
 * ```ts
 * storeOf({ flag: Option.some("memory"), env: {}, config: {}, cwd: "/srv" }) // { _tag: "Ok", spec: { _tag: "memory" } }
 * ```
 */
export const storeOf = (options: {
  readonly flag: Option.Option<string>
  readonly env: Readonly<Record<string, string | undefined>>
  readonly config: ConfigFile
  readonly cwd: string
}): StoreChoice => {
  const fromConfig = (): string | undefined => {
    const rs = options.config.run_store
    if (rs === undefined) return undefined
    if (rs.type === "memory") return "memory"
    if (rs.type === "sqlite") return `sqlite:${rs.url ?? ".llm-orchestrator/runs.db"}`
    return rs.url ?? "postgres://postgres@127.0.0.1:5432/postgres"
  }
  const envText = options.env["LLM_ORCHESTRATOR_STORE"]
  const text = Option.getOrUndefined(options.flag) ?? (envText !== undefined && envText !== "" ? envText : undefined) ?? fromConfig()
  if (text === undefined) return { _tag: "Ok", spec: Store.defaultSpec(options.cwd) }
  const spec = Store.parse(text)
  if (spec === undefined) return { _tag: "Error", message: unknownStore(text) }
  return { _tag: "Ok", spec: spec._tag === "sqlite" ? { ...spec, filename: resolve(options.cwd, spec.filename) } : spec }
}

/** The store of a command that has only `--store` and `--config` (status, list, resume, cancel, ...). */
export const storeOfCommand = (flag: Option.Option<string>, configPath: Option.Option<string>, cwd: string): Effect.Effect<StoreChoice> =>
  Effect.map(Effect.result(Config.load({ path: Option.getOrUndefined(configPath), cwd })), (loaded) =>
    loaded._tag === "Failure"
      ? { _tag: "Error", message: loaded.failure.problems.join("; ") }
      : storeOf({ flag, env: process.env, config: loaded.success.config, cwd }))

/**
 * Where a run's YAML definition lives: what `run` was given, with absolute paths, so another process can interpret the
 * same workflow (with the same mocks and actions) to resume it.
 */
export interface YamlSource {
  readonly kind: "yaml"
  readonly file: string
  readonly cwd: string
  readonly mock?: string | undefined
  readonly config?: string | undefined
  readonly envFile?: string | undefined
  readonly actions?: string | undefined
}

/** The source of a run of `file` started from `cwd` with these flags. */
export const yamlSource = (cwd: string, file: string, flags: Omit<YamlSource, "kind" | "file" | "cwd">): YamlSource => {
  const abs = (p: string | undefined) => (p === undefined ? undefined : resolve(cwd, p))
  return {
    kind: "yaml",
    file: resolve(cwd, file),
    cwd,
    ...(flags.mock !== undefined ? { mock: abs(flags.mock) } : {}),
    ...(flags.config !== undefined ? { config: abs(flags.config) } : {}),
    ...(flags.envFile !== undefined ? { envFile: abs(flags.envFile) } : {}),
    ...(flags.actions !== undefined ? { actions: abs(flags.actions) } : {})
  }
}

/** A source stored with a run, if it is a YAML file's. */
export const asYamlSource = (json: Json | undefined): YamlSource | undefined => {
  const s = json as Partial<YamlSource> | null | undefined
  return s !== null && typeof s === "object" && s.kind === "yaml" && typeof s.file === "string" && typeof s.cwd === "string" ? s as YamlSource : undefined
}

/** A YAML workflow ready to run: its graph, the services its steps use, what the run pipeline found. */
export interface Prepared {
  readonly graph: Graph
  readonly context: Context.Context<never>
  readonly analysis: Analysis
  readonly project: Project.Project
  /** Secret values the services were built with (redacted from the run log). */
  readonly secrets: ReadonlyArray<string>
}

/** The messages of a failure to load, validate or resolve a workflow. */
export const problemsOf = (e: unknown): ReadonlyArray<string> => {
  const x = e as { _tag?: string; problems?: ReadonlyArray<string>; missing?: ReadonlyArray<Parameters<typeof describeMissing>[0]>; provider?: string; setting?: string; message?: string }
  if (x?._tag === "ServicesMissing" && x.missing !== undefined) return x.missing.map(describeMissing)
  if (x?._tag === "ProviderConfigInvalid") return [`provider "${x.provider}" setting ${x.setting}: ${x.message}`]
  if (x?.problems !== undefined && x.problems.length > 0) return x.problems
  return [x?.message ?? String(e)]
}

/**
 * Loads a YAML workflow as `run` does (project config, env file, actions, mocks), interprets it and builds its
 * services in the current scope (they live as long as the runs that use them).
 */
export const prepare = (source: YamlSource, options: { readonly project?: Project.Project | undefined; readonly onLog?: ((line: string) => void) | undefined } = {}) =>
  Effect.gen(function*() {
    const project = options.project ?? (yield* Project.load({
      cwd: source.cwd,
      config: source.config,
      envFiles: source.envFile !== undefined ? [source.envFile] : [],
      actionsModule: source.actions
    }))
    const runOptions = Project.runOptions(project)
    let mocks: Readonly<Record<string, unknown>> | undefined
    if (source.mock !== undefined) {
      const m = loadData(source.mock)
      if (m._tag === "Error") return yield* Effect.fail({ _tag: "MockInvalid", message: m.message })
      const r = asRecord(m.value ?? {}, `--mock ${source.mock}`)
      if (typeof r === "string") return yield* Effect.fail({ _tag: "MockInvalid", message: r })
      mocks = r
    }
    const analysis = yield* Pipeline.load(source.file, { providers: Pipeline.providerNames(runOptions) })
    const interpreted = yield* Pipeline.prepare(analysis, { mocks, actions: runOptions.actions, onLog: options.onLog })
    const services = yield* Services.resolve(interpreted.requirements, runOptions)
    const context = yield* Layer.build(services.layer as Layer.Layer<never, unknown>)
    return {
      graph: interpreted.workflow as unknown as Graph,
      context: context as Context.Context<never>,
      analysis,
      project,
      secrets: [...project.secrets, ...services.secrets].map(Redacted.value)
    } satisfies Prepared
  })

/**
 * How a command on a Postgres store meets a cluster of workers (`LLM_ORCHESTRATOR_CLUSTER`): `auto` (the default) joins
 * as their client when live workers are registered on the store, else runs as before (one runner per store); `client`
 * always joins as a client (runs wait in the store until a worker starts); `off` never does.
 *
 * @example
 * ```ts
 * clusterModeOf({ LLM_ORCHESTRATOR_CLUSTER: "client" }) // "client"
 * ```
 */
export const clusterModeOf = (env: Readonly<Record<string, string | undefined>>): "auto" | "client" | "off" => {
  const v = env["LLM_ORCHESTRATOR_CLUSTER"]?.trim().toLowerCase()
  return v === "client" || v === "off" ? v : "auto"
}

/**
 * True when a command on `spec` is to be a client of workers (see {@link clusterModeOf}).
 *
 * @example
 * ```ts
 * const client = yield* joinsCluster({ _tag: "postgres", url: "postgres://app@db/runs" })
 * ```
 */
export const joinsCluster = (spec: Store.Spec): Effect.Effect<boolean> => {
  if (spec._tag !== "postgres") return Effect.succeed(false)
  const mode = clusterModeOf(process.env)
  if (mode !== "auto") return Effect.succeed(mode === "client")
  return Workers.alive().pipe(
    Effect.map((live) => live.length > 0),
    Effect.provide(Store.sqlLayer(spec)),
    Effect.orElseSucceed(() => false),
    Effect.scoped
  )
}

/**
 * Opens the durable runs of `spec` for a CLI command: a run whose workflow this process has not registered is loaded
 * from its YAML source (problems go to `onProblem`). On a Postgres store that workers run (`llm-orchestrator worker`),
 * the command is their client; `cluster` makes it a worker itself.
 */
export const open = (
  spec: Store.Spec,
  options: {
    readonly role?: "auto" | "client" | "runner" | undefined
    readonly gracePeriod?: Duration.Input | undefined
    readonly onEvent?: ((runId: string, event: WorkflowEvent) => void) | undefined
    readonly onProblem: (message: string) => void
    /** This process is a worker of a cluster at `address`. */
    readonly worker?: {
      readonly address: string
      readonly listen?: string | undefined
      readonly settings: ClusterSettings.Settings
    } | undefined
  }
): Effect.Effect<DurableRuns.DurableRunsShape, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Scope.Scope
    const load = (run: RunRecord) =>
      Effect.gen(function*() {
        const source = asYamlSource(run.source)
        if (source === undefined) return undefined
        const prepared = yield* Effect.result(Scope.provide(prepare(source), scope))
        if (prepared._tag === "Failure") {
          options.onProblem(`run ${run.runId}: cannot load ${source.file}: ${problemsOf(prepared.failure).join("; ")}`)
          return undefined
        }
        return { graph: prepared.success.graph, context: prepared.success.context }
      }).pipe(Effect.catchCause((cause) => Effect.as(Effect.sync(() => options.onProblem(`run ${run.runId}: ${Cause.pretty(cause)}`)), undefined)))
    const common = { store: spec, load, onProblem: options.onProblem, ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}) }
    // effect/cluster's runner and its sockets are loaded only by a worker and a worker's client, not by a process that
    // runs its store alone (SQLite, or Postgres without workers).
    const cluster = Effect.promise(() => import("../cluster/ClusterRuns.ts"))
    if (options.worker !== undefined) return yield* (yield* cluster).worker({ ...common, ...options.worker })
    if (yield* joinsCluster(spec)) return yield* (yield* cluster).client(common)
    return yield* DurableRuns.make({
      ...common,
      role: options.role ?? "auto",
      ...(options.gracePeriod !== undefined ? { gracePeriod: options.gracePeriod } : {})
    })
  })

/** Where a followed run stopped: finished, or suspended on waits that have no signal yet. */
export type Stopped = { readonly _tag: "Finished"; readonly run: RunRecord } | { readonly _tag: "Suspended"; readonly run: RunRecord; readonly waits: ReadonlyArray<string> } | { readonly _tag: "Blocked"; readonly run: RunRecord; readonly reason: string }

/**
 * Follows a run until it finishes, suspends for a signal, or is blocked (its definition missing or changed); polls the
 * store every `every` (the runner in this process also wakes `await` at once).
 */
export const follow = (runs: DurableRuns.DurableRunsShape, runId: string, every: Duration.Input = "100 millis") =>
  Effect.gen(function*() {
    while (true) {
      const view = yield* runs.get(runId)
      const run = view.run
      if (isTerminal(run.status)) return { _tag: "Finished", run } satisfies Stopped as Stopped
      if (run.blocked !== undefined) return { _tag: "Blocked", run, reason: run.blocked } satisfies Stopped as Stopped
      if (run.status === "suspended") {
        const open = view.waits.filter((w) => w.signal === undefined).map((w) => w.stepId)
        if (open.length > 0) return { _tag: "Suspended", run, waits: open } satisfies Stopped as Stopped
      }
      yield* Effect.raceFirst(runs.await(runId), Effect.sleep(every))
    }
  })

/**
 * Parses a duration such as `30d`, `12h`, `90m`, `30s`, `500ms` (also `30 days`); undefined when it is not one.
 *
 * @example
 * ```ts
 * durationMillis("30d") // 2592000000
 * ```
 */
export const durationMillis = (text: string): number | undefined => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|millis|milliseconds?|s|sec|seconds?|m|min|minutes?|h|hours?|d|days?|w|weeks?)\s*$/i.exec(text)
  if (m === null) {
    try {
      const millis = toMillis(text)
      return Number.isFinite(millis) ? millis : undefined
    } catch {
      return undefined
    }
  }
  const n = Number(m[1])
  const unit = m[2]!.toLowerCase()
  const factor = unit.startsWith("ms") || unit.startsWith("milli") ? 1
    : unit.startsWith("s") ? 1_000
    : unit === "m" || unit.startsWith("min") ? 60_000
    : unit.startsWith("h") ? 3_600_000
    : unit.startsWith("d") ? 86_400_000
    : 604_800_000
  return n * factor
}

/** Shown in messages: the store, as `sqlite:/path` or a Postgres URL without its password. */
export const show = Store.show

/** The default grace period of a shutdown (flag `--grace`). */
export const defaultGrace = Duration.seconds(30)

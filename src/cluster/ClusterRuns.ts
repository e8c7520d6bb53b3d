/**
 * Durable runs on a cluster of workers: the same `DurableRuns` service (start, await, status, list, cancel, signal,
 * resume) with effect/cluster underneath instead of one runner per store. Any number of **workers** share one Postgres
 * store and run the registered workflows (TS and YAML alike); which worker runs a run is decided by its shard, and
 * when a worker dies another one takes its runs over after its last finished step. **Clients** (submitters) host
 * nothing: they write runs, cancels and signals to the run store, where one worker (a cluster singleton) hands each to
 * the worker that owns it, and read the results back; only `resume` joins the cluster, as a client-only member, for
 * the call (docs/scale-out.md says why).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ClusterRuns } from "llm-orchestrator/cluster"
 * import { Durable } from "llm-orchestrator/durable"
 * // a submitter
 * const outputs = yield* Durable.run(rag, { query: "hi" }).pipe(
 *   Effect.provide(ClusterRuns.layerClient({ store: "postgres://app@db:5432/runs" }))
 * )
 * ```
 */
import { Effect, Layer, type Scope } from "effect"
import type { RunnerAddress } from "effect/cluster"
import * as DurableRuns from "../durable/DurableRuns.ts"
import { RunFinished, type RunnerActive, type StoreUnavailable } from "../durable/errors.ts"
import { RunWorkflow } from "../durable/RunWorkflow.ts"
import * as Store from "../durable/Store.ts"
import { isTerminal } from "../store/RunStatus.ts"
import type { RunStoreError } from "../store/RunStoreShape.ts"
import * as ClusterEngine from "./ClusterEngine.ts"
import { ClusterSettingsInvalid } from "./errors.ts"
import * as Settings from "./Settings.ts"

type Common = Omit<DurableRuns.Options, "cluster" | "role" | "pollInterval" | "gracePeriod" | "leaseExpiry">

/**
 * Options of a worker.
 *
 * @example
 * ```ts
 * const options: ClusterRuns.WorkerOptions = { store: "postgres://app@db/runs", address: "10.0.0.7:34431", listen: "0.0.0.0:34431" }
 * ```
 */
export interface WorkerOptions extends Common {
  /** How the other members reach this worker, `host:port` (always explicit: never read from `HOST`/`PORT`). */
  readonly address: RunnerAddress.RunnerAddress | string
  /** Where it listens when that is not the address (`0.0.0.0:34431` in a container). */
  readonly listen?: RunnerAddress.RunnerAddress | string | undefined
  readonly settings?: Settings.Settings | undefined
}

/**
 * Options of a client (a submitter).
 *
 * @example
 * ```ts
 * const options: ClusterRuns.ClientOptions = { store: "postgres://app@db/runs" }
 * ```
 */
export interface ClientOptions extends Common {
  /** Must agree with the workers' (`shards` above all). */
  readonly settings?: Settings.Settings | undefined
}

const address = (label: string, value: RunnerAddress.RunnerAddress | string | undefined, problems: Array<string>) => {
  if (value === undefined || typeof value !== "string") return value
  const parsed = Settings.parseAddress(value)
  if (parsed === undefined) problems.push(`${label} '${value}' is not host:port`)
  return parsed
}

const checked = (settings: Settings.Settings | undefined, more: ReadonlyArray<string> = []) => {
  const resolved = Settings.resolve(settings)
  const problems = [...more, ...Settings.problems(resolved)]
  return problems.length === 0
    ? Effect.succeed(resolved)
    : Effect.fail(new ClusterSettingsInvalid({ problems, message: `Cluster settings invalid: ${problems.join("; ")}` }))
}

/**
 * A worker's durable runs, for the lifetime of the scope: it joins the cluster, takes its share of the shards, and
 * runs the runs on them; closing the scope hands its shards over after the steps in flight finished (within the
 * grace period).
 *
 * @example
 * ```ts
 * const runs = yield* ClusterRuns.worker({ store: "postgres://app@db/runs", address: "127.0.0.1:34431" })
 * yield* runs.register(rag)
 * ```
 */
export const worker = (
  options: WorkerOptions
): Effect.Effect<DurableRuns.DurableRunsShape, ClusterSettingsInvalid | StoreUnavailable | RunnerActive | RunStoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const problems: Array<string> = []
    const own = address("address", options.address, problems)
    const listen = address("listen address", options.listen, problems)
    const settings = yield* checked(options.settings, problems)
    const { address: _a, listen: _l, settings: _s, ...rest } = options
    return yield* DurableRuns.make({
      ...rest,
      pollInterval: settings.inboxPoll,
      gracePeriod: settings.gracePeriod,
      cluster: { member: "worker", engine: ClusterEngine.layer({ member: "worker", address: own!, listen, settings }) }
    })
  })

/**
 * A client's durable runs (a submitter: hosts no shards; see above), for the lifetime of the scope.
 *
 * @example
 * ```ts
 * const runs = yield* ClusterRuns.client({ store: "postgres://app@db/runs" })
 * const run = yield* runs.start(rag, { query: "hi" })
 * ```
 */
export const client = (
  options: ClientOptions
): Effect.Effect<DurableRuns.DurableRunsShape, ClusterSettingsInvalid | StoreUnavailable | RunnerActive | RunStoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* checked(options.settings)
    const { settings: _s, ...rest } = options
    // A client of the store: runs, cancels and signals go through it to the workers' inbox.
    const runs = yield* DurableRuns.make({ ...rest, role: "client", pollInterval: settings.inboxPoll, gracePeriod: settings.gracePeriod })
    const spec = typeof options.store === "string" ? Store.parse(options.store) : options.store
    const engine = ClusterEngine.layer({ member: "client", settings })
    // Resume: the owner of the run's shard resumes it; this process joins the cluster for the call only.
    const resume: DurableRuns.DurableRunsShape["resume"] = (runId, resumeOptions) =>
      Effect.gen(function*() {
        const { run } = yield* runs.get(runId)
        if (isTerminal(run.status)) return yield* new RunFinished({ runId, status: run.status, message: `Run '${runId}' already ${run.status}` })
        if (resumeOptions?.force === true) yield* runs.runStore.updateRun(runId, { forced: true })
        yield* runs.runStore.updateRun(runId, { blocked: null })
        // A run not yet submitted is submitted by the workers' inbox.
        if (run.submitted && spec !== undefined && spec._tag === "postgres") {
          yield* Effect.scoped(Effect.gen(function*() {
            const context = yield* Layer.build(engine.pipe(Layer.provide(Store.sqlLayer(spec))))
            yield* Effect.provideContext(RunWorkflow.resume(yield* RunWorkflow.executionId({ runId })), context)
          })).pipe(Effect.orDie)
        }
        return (yield* runs.get(runId)).run
      })
    return { ...runs, cluster: "client" as const, resume }
  })

/**
 * A worker as the `DurableRuns` layer.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(ClusterRuns.layerWorker({ store: "postgres://app@db/runs", address: "127.0.0.1:34431" })))
 * ```
 */
export const layerWorker = (options: WorkerOptions): Layer.Layer<DurableRuns.DurableRuns, ClusterSettingsInvalid | StoreUnavailable | RunnerActive | RunStoreError> =>
  Layer.effect(DurableRuns.DurableRuns, worker(options))

/**
 * A client as the `DurableRuns` layer: `Durable.run`, `Durable.start`, `Durable.result` then go through the workers.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(ClusterRuns.layerClient({ store: "postgres://app@db/runs" })))
 * ```
 */
export const layerClient = (options: ClientOptions): Layer.Layer<DurableRuns.DurableRuns, ClusterSettingsInvalid | StoreUnavailable | RunnerActive | RunStoreError> =>
  Layer.effect(DurableRuns.DurableRuns, client(options))

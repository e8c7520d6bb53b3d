/**
 * The durable runs service: start, await, inspect, cancel, signal, resume, rerun and prune runs on a store, from the
 * runner of that store or from any other process.
 *
 * One process per store is the **runner**: it holds the runner lease in the run store (renewed every couple of
 * seconds; a holder whose process is gone is replaced at once), hosts the workflow engine, resumes every unfinished
 * run when it starts, and applies what other processes asked for. Any other process is a **client**: its requests
 * (start, cancel, signal) are written to the run store, and the runner picks them up within one poll interval
 * (250 ms by default); in the runner's own process they take effect at once. With `role: "auto"` (the default) a
 * process becomes the runner when no other live process is, and a client otherwise, so two processes on one SQLite
 * file never run the same steps twice.
 *
 * Server (issue 12) and scale-out (issue 15) build on this service: they call the same methods; scale-out replaces
 * the single-runner engine (`Engine.ts`) underneath.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DurableRuns } from "llm-orchestrator/durable"
 * const program = Effect.gen(function*() {
 *   const runs = yield* DurableRuns.DurableRuns
 *   yield* runs.register(wf)
 *   const run = yield* runs.start(wf, { query: "hi" })
 *   return yield* runs.await(run.runId)
 * }).pipe(Effect.provide(DurableRuns.layer({ store: "sqlite:.llm-orchestrator/runs.db" })))
 * ```
 */
import { Cause, Clock, Context, Deferred, Duration, Effect, Exit, Layer, Schedule, Schema, Scope } from "effect"
import { EntityAddress, EntityId, EntityType, MessageStorage, ShardId, type Sharding, ShardingConfig, Singleton, SqlMessageStorage } from "effect/cluster"
import * as Digest from "effect/crypto/Digest"
import type { SqlClient } from "effect/sql"
import { DurableDeferred, type WorkflowEngine } from "effect/workflow"
import * as Workers from "../cluster/Workers.ts"
import { createHash, randomUUID } from "node:crypto"
import { hostname } from "node:os"
import type { Graph, Node, WaitNode } from "../../dsl/Node.ts"
import { SignalInvalid } from "../../dsl/errors.ts"
import type { Budget } from "../budget/Budget.ts"
import type * as DailyBudget from "../budget/DailyBudget.ts"
import type { WorkflowEvent } from "../engine/events.ts"
import { issuesOf, type WorkflowInputError } from "../engine/errors.ts"
import { decodeInput } from "../engine/run.ts"
import { isTerminal } from "../store/RunStatus.ts"
import { RunStore } from "../store/RunStore.ts"
import {
  AlreadySignalled,
  type Json,
  type ListFilter,
  RunNotFound,
  type RunEvent,
  type RunRecord,
  type RunStoreError,
  type RunStoreShape,
  type StepRow,
  type WaitRow
} from "../store/RunStoreShape.ts"
import { checkDurable } from "./checks.ts"
import { decodeValue, jsonCodec } from "./codec.ts"
import * as Engine from "./Engine.ts"
import { NotAWait, type NotDurable, RunFinished, RunnerActive, StoreUnavailable, UnknownStep, WorkflowNotRegistered } from "./errors.ts"
import * as GraphShape from "./GraphShape.ts"
import { replayProblems } from "./replay.ts"
import { Cancellations, waitDeferred } from "./Journal.ts"
import { type Registered, Registry } from "./Registry.ts"
import type { PayloadCodec } from "./PayloadCodec.ts"
import { runBody, RunWorkflow } from "./RunWorkflow.ts"
import * as Store from "./Store.ts"
import * as TraceContext from "../telemetry/TraceContext.ts"

/**
 * Options of a run.
 *
 * @example
 * ```ts
 * runs.start(wf, input, { idempotencyKey: `order-${order.id}`, concurrency: 4 })
 * ```
 */
export interface StartOptions {
  /** The run id (a fresh one when absent); starting an existing id returns that run. */
  readonly runId?: string | undefined
  /** Derives the run id from the workflow name and this key: starting twice with one key starts one run. */
  readonly idempotencyKey?: string | undefined
  /** At most this many steps (and map items, loop bodies) running at once. */
  readonly concurrency?: number | undefined
  /**
   * The priority of the run's LLM calls when a rate limit is the bottleneck (higher first, default 0; see
   * `Priority`); kept with the run, so a resumed run keeps it.
   */
  readonly priority?: number | undefined
  /** Spending limits of the run (counted per execution: units replayed from the journal after a restart cost nothing). */
  readonly budget?: Budget | undefined
  /**
   * The workflow's daily budget (the server's `dailyBudgets`): kept with the run, so whichever process executes it
   * charges its calls to the workflow's ledger for the day in the store, shared by every process on the store.
   */
  readonly daily?: DailyBudget.Daily | undefined
  /**
   * The W3C `traceparent` of the caller (an HTTP request's span, a CI job's `TRACEPARENT`): the run's spans continue
   * that trace, in whichever process runs it and after every restart.
   */
  readonly traceparent?: string | undefined
  /** Where the definition lives (a YAML file), so another process can load it to resume the run. */
  readonly source?: Json | undefined
  /** @internal rerun bookkeeping */
  readonly parentRunId?: string | undefined
  /** @internal */
  readonly rerunFrom?: string | undefined
  /** @internal */
  readonly seeds?: Readonly<Record<string, Json>> | undefined
}

/**
 * A run with its units of work and waits.
 *
 * @example
 * ```ts
 * const view = yield* runs.get("run-1")
 * view.steps.filter((s) => s.status === "failed")
 * ```
 */
export interface RunView {
  readonly run: RunRecord
  readonly steps: ReadonlyArray<StepRow>
  readonly waits: ReadonlyArray<WaitRow>
}

/**
 * What `check` says about one stored run of a workflow.
 *
 * @example
 * ```ts
 * for (const r of yield* runs.check(wf)) if (!r.compatible) console.error(r.runId, r.problems)
 * ```
 */
export interface CheckResult {
  readonly runId: string
  readonly status: RunRecord["status"]
  readonly compatible: boolean
  readonly problems: ReadonlyArray<string>
}

/**
 * Durable runs on a cluster of workers (effect/cluster on Postgres) instead of one runner per store: a `worker` hosts
 * the engine and runs workflows (which worker runs a run is decided by its shard), a `client` (a submitter) only sends
 * runs, cancels and resumes to the workers. Built by `llm-orchestrator/cluster` (`ClusterRuns`), which also says how.
 *
 * @example
 * ```ts
 * const cluster: DurableRuns.ClusterOption = { member: "client", engine: ClusterEngine.layer({ member: "client", settings }) }
 * ```
 */
export interface ClusterOption {
  readonly member: "worker" | "client"
  /** The member's engine (`ClusterEngine.layer`), on the store's `SqlClient`. */
  readonly engine: Layer.Layer<WorkflowEngine.WorkflowEngine | Sharding.Sharding | MessageStorage.MessageStorage, unknown, SqlClient.SqlClient>
}

/**
 * Options of the service.
 *
 * @example
 * ```ts
 * DurableRuns.layer({ store: "postgres://postgres@127.0.0.1:5432/runs", pollInterval: "500 millis", gracePeriod: "60 seconds" })
 * ```
 */
export interface Options {
  readonly store: Store.Spec | string
  /** `auto` (default): the runner when no other live process is, else a client. */
  readonly role?: "auto" | "runner" | "client" | undefined
  /** How often the runner reads the run store for work from other processes, and the engine its storage (250 ms). */
  readonly pollInterval?: Duration.Input | undefined
  /** How long shutting down waits for the units in flight (30 s). */
  readonly gracePeriod?: Duration.Input | undefined
  /** How long a runner lease lasts without a heartbeat (10 s). */
  readonly leaseExpiry?: Duration.Input | undefined
  /**
   * Loads the definition of a run whose workflow is not registered (the CLI loads its YAML file from the run's
   * `source`); undefined: not available here.
   */
  readonly load?: ((run: RunRecord) => Effect.Effect<{ readonly graph: Graph; readonly context: Context.Context<never> } | undefined>) | undefined
  /** The engine's events of the runs this process executes (the CLI's progress view). */
  readonly onEvent?: ((runId: string, event: WorkflowEvent) => void) | undefined
  /**
   * What is kept at rest: a codec masks or encrypts run inputs, outputs, errors, signals and event data before they
   * reach the store or the engine's journal (governance's `StoredData.codec`). Default: kept as they are.
   */
  readonly codec?: PayloadCodec | undefined
  /** Where the runner reports problems it cannot fail anything with (a store write that failed; default: stderr). */
  readonly onProblem?: ((message: string) => void) | undefined
  /** On a cluster of workers (Postgres only); see `ClusterOption`. */
  readonly cluster?: ClusterOption | undefined
}

/**
 * What the service does.
 *
 * @example
 * ```ts
 * const runs = yield* DurableRuns.DurableRuns
 * runs.role // "runner" or "client"
 * ```
 */
export interface DurableRunsShape {
  readonly role: "runner" | "client"
  /** On a cluster of workers: which member this process is (`worker` is also `role: "runner"`). */
  readonly cluster?: "worker" | "client" | undefined
  /** The store, as it may be printed. */
  readonly store: string
  /** The run store underneath (for reading what the service does not wrap). */
  readonly runStore: RunStoreShape
  /**
   * Makes a workflow runnable here; its steps will run with `context` (by default the services of the caller).
   * Runs of it that were waiting for their definition go on.
   */
  readonly register: (
    graph: Graph,
    options?: { readonly source?: Json | undefined; readonly context?: Context.Context<never> | undefined }
  ) => Effect.Effect<Registered, NotDurable>
  /** Starts a run (durable once this returns); registers the workflow with the caller's services if needed. */
  readonly start: (graph: Graph, input: unknown, options?: StartOptions) => Effect.Effect<RunRecord, NotDurable | WorkflowInputError | RunStoreError>
  readonly get: (runId: string) => Effect.Effect<RunView, RunNotFound | RunStoreError>
  /**
   * Waits for the run to finish and returns it (succeeded, failed or cancelled). A store that stops answering for up
   * to a minute (a Postgres restart) only delays it.
   */
  readonly await: (runId: string) => Effect.Effect<RunRecord, RunNotFound | RunStoreError>
  readonly list: (filter?: ListFilter) => Effect.Effect<ReadonlyArray<RunRecord>, RunStoreError>
  readonly events: (runId: string, after?: number) => Effect.Effect<ReadonlyArray<RunEvent>, RunStoreError>
  /**
   * Cancels a run: acknowledged when this returns (no provider call starts after), its units in flight are
   * interrupted, and it is `cancelled` within about a second when a runner is alive (at once when none is).
   */
  readonly cancel: (runId: string) => Effect.Effect<RunRecord, RunNotFound | RunFinished | RunStoreError>
  /**
   * Delivers the signal of wait step `stepId`, given as JSON (the signal Schema's encoded form); a value that does not
   * decode is refused with the fields named, and the run keeps waiting.
   */
  readonly signal: (
    runId: string,
    stepId: string,
    value: unknown
  ) => Effect.Effect<void, RunNotFound | RunFinished | NotAWait | SignalInvalid | AlreadySignalled | WorkflowNotRegistered | RunStoreError>
  /** Resumes a run that is not going on (its definition was missing or changed: `force` runs it on the current one). */
  readonly resume: (runId: string, options?: { readonly force?: boolean | undefined }) => Effect.Effect<RunRecord, RunNotFound | RunFinished | RunnerActive | RunStoreError>
  /**
   * Starts a new run from a finished one, reusing the outputs of every step that does not depend on `from`, and
   * re-running `from` and what depends on it (or using `value`, as JSON, as `from`'s output).
   */
  readonly rerun: (
    runId: string,
    options: { readonly from: string; readonly value?: unknown }
  ) => Effect.Effect<RunRecord, RunNotFound | UnknownStep | WorkflowNotRegistered | NotDurable | WorkflowInputError | SignalInvalid | RunStoreError>
  /** Deletes finished runs older than `olderThan` (with the engine's rows of them); returns their ids. */
  readonly prune: (options: {
    readonly olderThan: Duration.Input
    /** Only this workflow's runs. */
    readonly workflow?: string | undefined
    /** Not these workflows' runs. */
    readonly except?: ReadonlyArray<string> | undefined
  }) => Effect.Effect<ReadonlyArray<string>, RunStoreError>
  /** Replays the stored journal of each unfinished (or, with `all`, every) run of `graph`'s workflow against it. */
  readonly check: (graph: Graph, options?: { readonly all?: boolean | undefined }) => Effect.Effect<ReadonlyArray<CheckResult>, RunStoreError>
}

/**
 * The service.
 *
 * @example
 * ```ts
 * const runs = yield* DurableRuns.DurableRuns
 * ```
 */
export class DurableRuns extends Context.Service<DurableRuns, DurableRunsShape>()("llm-orchestrator/DurableRuns") {}

const newRunId = () => `run-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`

/** True when a process on this host with that pid is gone (`kill(pid, 0)` fails with ESRCH). */
const isDead = (lease: { readonly pid: number; readonly host: string }): boolean => {
  if (lease.host !== hostname()) return false
  if (lease.pid === process.pid) return false
  try {
    process.kill(lease.pid, 0)
    return false
  } catch (e) {
    return (e as { code?: string }).code === "ESRCH"
  }
}

/** The wait node at `path` of `graph` (`route/safe/approve`, `sub/approve`; a `~n` attempt suffix is ignored). */
const findWait = (graph: Graph, path: string): WaitNode | undefined => {
  const parts = path.split("/").map((p) => p.replace(/~\d+$/, ""))
  let nodes: ReadonlyArray<Node> = graph.nodes
  for (let i = 0; i < parts.length; i++) {
    const node = nodes.find((n) => n.id === parts[i])
    if (node === undefined) return undefined
    if (i === parts.length - 1) return node.kind === "wait" ? node : undefined
    if (node.kind === "branch") {
      const sub = node.cases[parts[++i]!]
      if (sub === undefined) return undefined
      nodes = sub.nodes
    } else if (node.kind === "call") nodes = node.workflow.nodes
    else return undefined
  }
  return undefined
}

/** Every wait path of a graph (for messages). */
const waitPaths = (shape: GraphShape.Shape) => Object.entries(shape).filter(([, s]) => s.kind === "wait").map(([p]) => p)

/**
 * The units downstream of `from` (itself included) in a graph's shape: nodes that need it, transitively, at its level;
 * a container's children and, from a child, the container's dependants.
 */
const downstreamOf = (shape: GraphShape.Shape, from: string): Set<string> => {
  const paths = Object.keys(shape)
  const parentOf = (p: string) => {
    const parts = p.split("/")
    // `route/case/x` belongs to `route`; `sub/x` (a call) to `sub`.
    for (let k = parts.length - 1; k > 0; k--) {
      const candidate = parts.slice(0, k).join("/")
      if (shape[candidate] !== undefined) return candidate
    }
    return undefined
  }
  const siblingPath = (p: string, need: string): string => {
    const parent = parentOf(p)
    if (parent === undefined) return need
    const rest = p.slice(parent.length + 1).split("/")
    const kind = shape[parent]!.kind
    const base = kind === "branch" ? `${parent}/${rest[0]}` : parent
    const own = `${base}/${need}`
    return shape[own] !== undefined ? own : siblingPath(parent, need)
  }
  const dependants = new Map<string, Array<string>>()
  const add = (a: string, b: string) => {
    let list = dependants.get(a)
    if (list === undefined) dependants.set(a, (list = []))
    list.push(b)
  }
  for (const p of paths) {
    for (const need of shape[p]!.needs) add(siblingPath(p, need), p)
    const parent = parentOf(p)
    if (parent !== undefined) {
      add(parent, p)
      add(p, parent)
    }
  }
  const out = new Set<string>([from])
  const queue = [from]
  while (queue.length > 0) {
    const p = queue.pop()!
    for (const q of dependants.get(p) ?? []) {
      // From a child up to its container only for dependants of the container, never back down to other children.
      if (!out.has(q)) {
        out.add(q)
        if (!(parentOf(p) === q && q !== from)) queue.push(q)
        else for (const r of dependants.get(q) ?? []) if (parentOf(r) !== q && !out.has(r)) {
          out.add(r)
          queue.push(r)
        }
      }
    }
  }
  return out
}

/**
 * Builds the service on a store; in the runner role, also the engine and the runner's loop, for the lifetime of the
 * scope. Closing the scope stops taking work, lets the units in flight finish within the grace period, releases the
 * lease, and leaves the rest to be resumed.
 *
 * @example
 * ```ts
 * const runs = yield* DurableRuns.make({ store: "memory" })
 * ```
 */
export const make = (options: Options): Effect.Effect<DurableRunsShape, StoreUnavailable | RunnerActive | RunStoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const spec = typeof options.store === "string" ? Store.parse(options.store) : options.store
    if (spec === undefined) {
      return yield* new StoreUnavailable({
        store: String(options.store),
        message: `Unknown store '${String(options.store)}': use memory, sqlite:PATH (or a .db file) or postgres://user@host:port/db`
      })
    }
    const shown = Store.show(spec)
    const cluster = options.cluster
    if (cluster !== undefined && spec._tag !== "postgres") {
      return yield* new StoreUnavailable({ store: shown, message: `A cluster of workers needs a Postgres store (postgres://...), not ${shown}` })
    }
    const pollInterval = Duration.fromInputUnsafe(options.pollInterval ?? "250 millis")
    const gracePeriod = Duration.fromInputUnsafe(options.gracePeriod ?? "30 seconds")
    const leaseExpiry = Duration.toMillis(Duration.fromInputUnsafe(options.leaseExpiry ?? "10 seconds"))
    const problem = options.onProblem ?? ((message: string) => process.stderr.write(`llm-orchestrator: ${message}\n`))

    // The store: its SqlClient (SQLite, Postgres) and the run index on it.
    const sqlContext = spec._tag === "memory" ? undefined : yield* Layer.build(Store.sqlLayer(spec))
    const rawStore = sqlContext === undefined
      ? (yield* Layer.build(RunStore.layerMemory)).pipe(Context.get(RunStore))
      : (yield* Layer.build(RunStore.layerSql.pipe(Layer.provide(Layer.succeedContext(sqlContext))))).pipe(Context.get(RunStore))
    const codec = options.codec
    const store = codec === undefined ? rawStore : codec.store(rawStore)

    // The workers of a cluster on this store (none unless it is Postgres and workers run on it).
    const workersAlive = sqlContext === undefined ? Effect.succeed(false) : Effect.map(Effect.provideContext(Workers.alive(), sqlContext), (a) => a.length > 0)

    // The role: one runner per store, or the members of a cluster.
    const owner = { owner: randomUUID(), pid: process.pid, host: hostname() }
    let role: "runner" | "client" = cluster?.member === "worker" ? "runner" : "client"
    if (cluster?.member === "worker") {
      // A single-process runner on the same store would run the same steps as the workers.
      const lease = yield* store.runner()
      if (lease !== undefined && lease.heartbeatAt + leaseExpiry >= (yield* Clock.currentTimeMillis) && !isDead(lease)) {
        return yield* new RunnerActive({
          store: shown,
          pid: lease.pid,
          host: lease.host,
          message: `A single-process runner (pid ${lease.pid} on ${lease.host}) runs the workflows of ${shown}: stop it before starting workers`
        })
      }
    } else if (cluster === undefined && spec._tag === "postgres" && options.role !== "client" && (yield* workersAlive)) {
      // Workers run this store: this process is their client (a runner here would run their steps a second time).
      if (options.role === "runner") {
        return yield* new RunnerActive({
          store: shown,
          pid: 0,
          host: "",
          message: `Workers (llm-orchestrator worker) run the workflows of ${shown}: this process can only be their client`
        })
      }
    } else if (cluster === undefined && (spec._tag === "memory" || options.role !== "client")) {
      const lease = yield* store.acquireRunner(owner, yield* Clock.currentTimeMillis, leaseExpiry, isDead)
      if (lease.acquired) role = "runner"
      else if (options.role === "runner") {
        return yield* new RunnerActive({
          store: shown,
          pid: lease.holder.pid,
          host: lease.holder.host,
          message: `Another process (pid ${lease.holder.pid} on ${lease.holder.host}, since ${new Date(lease.holder.startedAt).toISOString()}) runs the workflows of ${shown}; this one can only be its client`
        })
      }
    }

    // The lease is held (and its heartbeat kept) until the engine has shut down: finalizers run in reverse order, so
    // these, added before the engine is built, run after the units in flight finished (or the grace period ended). A
    // process that released it earlier would let another runner start the same units while they still run here.
    if (role === "runner" && cluster === undefined) {
      yield* Effect.addFinalizer(() => Effect.ignore(store.releaseRunner(owner.owner)))
      yield* Effect.forkScoped(Effect.gen(function*() {
        while (true) {
          yield* Effect.sleep("2 seconds")
          const ok = yield* Effect.orElseSucceed(store.heartbeat(owner.owner, yield* Clock.currentTimeMillis), () => true)
          if (!ok) problem(`another process took over the runner lease of ${shown}`)
        }
      }))
    }

    const registry = new Registry()
    const cancellations = new Cancellations()
    const waiters = new Map<string, Set<Deferred.Deferred<RunRecord | undefined>>>()
    // Runs this runner handed to the engine whose body has not yet reported `running` (which marks them submitted in
    // the store): the inbox does not hand them over again.
    const submittedHere = new Set<string>()
    // Records of runs created here and handed to the engine, taken by their first execution (one read fewer per run).
    const fresh = new Map<string, RunRecord>()
    /**
     * A run's status changed here; `run` is its record when the change returned it. Its waiters wait for its end: a
     * move to a state that is not one does not wake them, and a final one hands them the record (no read).
     */
    const changed = (runId: string, run?: RunRecord) => {
      if (run !== undefined && (run.submitted || isTerminal(run.status))) submittedHere.delete(runId)
      if (run === undefined || isTerminal(run.status)) fresh.delete(runId)
      if (run !== undefined && !isTerminal(run.status)) return
      const set = waiters.get(runId)
      if (set === undefined) return
      waiters.delete(runId)
      for (const d of set) Deferred.doneUnsafe(d, Exit.succeed(run))
    }
    let wake: Deferred.Deferred<void> = Deferred.makeUnsafe()
    const poke = () => Deferred.doneUnsafe(wake, Exit.void)
    const now = Clock.currentTimeMillis

    const load = (run: RunRecord): Effect.Effect<Registered | undefined> =>
      options.load === undefined
        ? Effect.succeed(undefined)
        : Effect.map(options.load(run), (found) => (found === undefined ? undefined : registry.register(found.graph, found.context, run.source)))

    // The engine, in the runner only (in every member of a cluster: a client sends its messages through it).
    let engineContext: Context.Context<WorkflowEngine.WorkflowEngine | MessageStorage.MessageStorage | Sharding.Sharding> | undefined
    const takeFresh = (runId: string) => {
      const run = fresh.get(runId)
      if (run !== undefined) fresh.delete(runId)
      return run
    }
    const handler = RunWorkflow.toLayer((payload) =>
      runBody({ store, registry, cancellations, cancelInStore: cluster !== undefined, load, takeFresh: cluster === undefined ? takeFresh : undefined, changed, onEvent: options.onEvent, codec, onStoreError: (e) => problem(`run store: ${String((e as { message?: unknown }).message ?? e)}`) }, payload.runId)
    )
    if (cluster !== undefined) {
      const engine = cluster.engine.pipe(Layer.provide(Layer.succeedContext(sqlContext!)))
      engineContext = yield* Layer.build(cluster.member === "worker" ? handler.pipe(Layer.provideMerge(engine)) : engine).pipe(
        Effect.mapError((error) => new StoreUnavailable({ store: shown, message: `Cannot join the cluster on ${shown}: ${String((error as { message?: unknown }).message ?? error)}` }))
      )
    } else if (role === "runner") {
      const engineOptions = { pollInterval, terminationTimeout: gracePeriod }
      const engine = sqlContext === undefined
        ? Engine.layerMemory(engineOptions)
        : Engine.layerSql(engineOptions).pipe(Layer.provide(Layer.succeedContext(sqlContext)))
      engineContext = yield* Layer.build(handler.pipe(Layer.provideMerge(engine)))
    }
    const withEngine = <A, E>(effect: Effect.Effect<A, E, WorkflowEngine.WorkflowEngine | MessageStorage.MessageStorage>): Effect.Effect<A, E> =>
      Effect.provideContext(effect, engineContext!)
    const executionIdOf = (runId: string) => RunWorkflow.executionId({ runId })

    const submit = (run: RunRecord) =>
      Effect.gen(function*() {
        submittedHere.add(run.runId)
        yield* withEngine(RunWorkflow.execute({ runId: run.runId }, { discard: true })).pipe(
          Effect.onError(() => Effect.sync(() => submittedHere.delete(run.runId)))
        )
        // On a cluster the run may start on another worker, and the inbox moves between workers: the flag is stored
        // at once (a single runner knows what it submitted, and the body's move to running stores it).
        if (cluster !== undefined) {
          submittedHere.delete(run.runId)
          yield* store.updateRun(run.runId, { submitted: true })
        }
      })

    const applyWait = (wait: WaitRow) =>
      Effect.gen(function*() {
        const executionId = yield* executionIdOf(wait.runId)
        const deferred = waitDeferred(wait.stepId)
        const token = DurableDeferred.tokenFromExecutionId(deferred, { workflow: RunWorkflow, executionId })
        const at = yield* now
        if (wait.signal !== undefined) {
          const signal = codec === undefined ? wait.signal : yield* codec.seal({ runId: wait.runId, stepId: wait.stepId }, wait.signal)
          yield* withEngine(DurableDeferred.succeed(deferred, { token, value: { signal } }))
          yield* store.markWaitApplied(wait.runId, wait.stepId, at, false)
        } else if (yield* store.claimTimeout(wait.runId, wait.stepId, at)) {
          const timeoutMillis = (wait.deadlineAt ?? at) - (wait.waitingSince ?? at)
          yield* withEngine(DurableDeferred.fail(deferred, { token, error: { timedOut: true, timeoutMillis } }))
        }
      })

    // Cancels this process has carried out (on a cluster, every worker also fires its own units' cancellations, which
    // must not make the inbox skip the interrupt of the execution).
    const cancelsHandled = new Set<string>()
    const cancelHere = (run: RunRecord) =>
      Effect.gen(function*() {
        cancelsHandled.add(run.runId)
        cancellations.fire(run.runId)
        if (run.submitted || submittedHere.has(run.runId)) yield* withEngine(RunWorkflow.interrupt(yield* executionIdOf(run.runId)))
        if (!run.submitted || run.status === "pending") {
          yield* store.setStatus(run.runId, "cancelled", yield* now, { error: { _tag: "RunCancelled", message: `Run '${run.runId}' was cancelled` } }).pipe(
            Effect.catchTag("InvalidTransition", () => Effect.void),
            Effect.catchTag("RunNotFound", () => Effect.void)
          )
          changed(run.runId)
        }
      })

    // The runner's loop: the inbox (new runs, cancels, signals and timed-out waits from any process) and the lease.
    if (role === "runner") {
      const tick = Effect.gen(function*() {
        for (const run of yield* store.runsToSubmit()) if (!submittedHere.has(run.runId)) yield* submit(run)
        for (const run of yield* store.cancelRequested()) {
          if (!cancelsHandled.has(run.runId)) yield* cancelHere(run)
        }
        for (const wait of yield* store.waitsToApply(yield* now)) yield* applyWait(wait)
      })
      // A store that does not answer (a Postgres restart) is reported once, with its reason, and again when it is
      // back, instead of a stack trace at every poll; other failures are reported whole.
      let storeAway = false
      const loop = Effect.gen(function*() {
        while (true) {
          yield* tick.pipe(
            Effect.tap(() =>
              Effect.sync(() => {
                if (storeAway) problem(`runner: the run store ${shown} answers again`)
                storeAway = false
              })
            ),
            Effect.catchCause((cause) =>
              Effect.sync(() => {
                const error = Cause.findErrorOption(cause)
                if (error._tag === "Some" && (error.value as { _tag?: unknown })._tag === "RunStoreError") {
                  if (!storeAway) problem(`runner: ${(error.value as RunStoreError).message} (retried every ${Duration.format(pollInterval)})`)
                  storeAway = true
                } else problem(`runner: ${Cause.pretty(cause)}`)
              })
            )
          )
          const current = wake
          yield* Effect.raceFirst(Deferred.await(current), Effect.sleep(pollInterval))
          if (current === wake) wake = Deferred.makeUnsafe()
        }
      })
      if (cluster === undefined) yield* Effect.forkScoped(loop)
      else {
        // One worker at a time reads the inbox (a cluster singleton: it moves to another worker when its owner dies).
        yield* Layer.build(Singleton.make("llm-orchestrator/inbox", loop).pipe(Layer.provide(Layer.succeedContext(engineContext!))))
        // Every worker interrupts its own units of a cancelled run at once (the inbox also interrupts the execution).
        yield* Effect.forkScoped(Effect.gen(function*() {
          while (true) {
            yield* Effect.sleep(pollInterval)
            const requested = yield* Effect.orElseSucceed(store.cancelRequested(), () => [] as ReadonlyArray<RunRecord>)
            for (const run of requested) if (!cancellations.isFired(run.runId)) cancellations.fire(run.runId)
          }
        }))
      }
      // Runs that were waiting for a definition go on when it is registered.
      registry.onRegister((entry) => {
        Effect.runFork(
          Effect.gen(function*() {
            for (const run of yield* store.unfinishedRuns()) {
              if (run.workflow !== entry.graph.name || run.blocked === undefined) continue
              yield* store.updateRun(run.runId, { blocked: null })
              if (run.submitted) yield* withEngine(RunWorkflow.resume(yield* executionIdOf(run.runId)))
            }
          }).pipe(Effect.catchCause((cause) => Effect.sync(() => problem(`resume after register: ${Cause.pretty(cause)}`))))
        )
      })
    }

    const getRun = (runId: string) =>
      Effect.flatMap(store.getRun(runId), (run) => (run === undefined ? Effect.fail(new RunNotFound({ runId })) : Effect.succeed(run)))

    const definitionOf = (run: RunRecord) =>
      Effect.flatMap(Effect.suspend(() => Effect.succeed(registry.exact(run.workflow, run.version))), (entry) =>
        entry !== undefined ? Effect.succeed(entry) : Effect.flatMap(load(run), (loaded) =>
          (loaded ?? registry.get(run.workflow)) !== undefined
            ? Effect.succeed((loaded ?? registry.get(run.workflow))!)
            : Effect.fail(new WorkflowNotRegistered({ workflow: run.workflow, message: `Workflow '${run.workflow}' of run '${run.runId}' is not registered in this process` }))))

    const register: DurableRunsShape["register"] = (graph, registerOptions) =>
      Effect.gen(function*() {
        const refused = checkDurable(graph)
        if (refused !== undefined) return yield* refused
        const context = registerOptions?.context ?? (yield* Effect.context<never>())
        return registry.register(graph, context, registerOptions?.source)
      })

    const start: DurableRunsShape["start"] = (graph, input, startOptions = {}) =>
      Effect.gen(function*() {
        const entry = registry.exact(graph.name, graph.version)?.graph === graph ? registry.exact(graph.name, graph.version)! : yield* register(graph, { source: startOptions.source })
        // The input is checked here, so a bad one fails the start call instead of the run.
        const decoded = yield* decodeInput(graph, input)
        const encoded = (yield* Effect.orDie(Schema.encodeUnknownEffect(jsonCodec(graph.input))(decoded))) as Json
        const runId = startOptions.runId ?? (startOptions.idempotencyKey !== undefined
          ? `run-${createHash("sha256").update(`${graph.name}\u0000${startOptions.idempotencyKey}`).digest("hex").slice(0, 24)}`
          : newRunId())
        // the caller's trace: given, else the span this start runs in
        const traceparent = startOptions.traceparent ?? (yield* TraceContext.inject)
        const { created, run } = yield* store.createRun({
          runId,
          workflow: graph.name,
          version: graph.version,
          graphHash: entry.hash,
          shape: entry.shape as unknown as Json,
          source: startOptions.source ?? entry.source,
          input: encoded,
          options: {
            ...(startOptions.priority === undefined || !Number.isFinite(startOptions.priority) ? {} : { priority: startOptions.priority }),
            ...(startOptions.concurrency === undefined ? {} : { concurrency: startOptions.concurrency }),
            ...(startOptions.budget === undefined ? {} : { budget: startOptions.budget as unknown as Json }),
            ...(startOptions.daily === undefined ? {} : { daily: startOptions.daily as unknown as Json }),
            ...(traceparent === undefined ? {} : { traceparent })
          },
          parentRunId: startOptions.parentRunId,
          rerunFrom: startOptions.rerunFrom,
          seeds: startOptions.seeds,
          idempotencyKey: startOptions.idempotencyKey,
          createdAt: yield* now
        })
        if ((role === "runner" || cluster !== undefined) && !run.submitted && run.status === "pending" && !submittedHere.has(runId)) {
          if (created && cluster === undefined) fresh.set(runId, run)
          yield* Effect.orDie(submit(run)).pipe(Effect.onError(() => Effect.sync(() => fresh.delete(runId))))
        }
        return run
      })

    const storeOutage = Schedule.min([Schedule.exponential("200 millis"), Schedule.spaced("2 seconds")]).pipe(Schedule.upTo({ duration: "60 seconds" }))
    const awaitRun: DurableRunsShape["await"] = (runId) =>
      Effect.gen(function*() {
        while (true) {
          const waiter = Deferred.makeUnsafe<RunRecord | undefined>()
          let set = waiters.get(runId)
          if (set === undefined) waiters.set(runId, (set = new Set()))
          set.add(waiter)
          const run = yield* getRun(runId).pipe(
            // A store away for a moment (a Postgres restart or failover) does not end a wait: its reads are retried
            // for up to a minute (every 0.2 s, backing off to 2 s), then its error is the wait's.
            Effect.retry({ while: (e) => e._tag === "RunStoreError", schedule: storeOutage }),
            Effect.onError(() => Effect.sync(() => set.delete(waiter)))
          )
          if (isTerminal(run.status)) {
            set.delete(waiter)
            return run
          }
          // Woken by this process's engine (with the record when the change gave it), or at the next poll (a run
          // finished by another process).
          const woken = yield* Effect.raceFirst(
            Deferred.await(waiter),
            // The runner's own engine wakes its waiters; the sleep is only a safety net (each sleeping waiter reads
            // the store once per interval: at 100 runs in flight, once a second was 100 reads a second).
            Effect.as(Effect.sleep(role === "runner" && cluster === undefined ? Duration.seconds(5) : pollInterval), undefined)
          )
          if (woken !== undefined && isTerminal(woken.status)) return woken
        }
      })

    const cancel: DurableRunsShape["cancel"] = (runId) =>
      Effect.gen(function*() {
        const before = yield* getRun(runId)
        if (isTerminal(before.status)) return yield* new RunFinished({ runId, status: before.status, message: `Run '${runId}' already ${before.status}` })
        const run = yield* store.requestCancel(runId, yield* now)
        if (role === "runner" || cluster !== undefined) {
          yield* Effect.orDie(cancelHere(run))
        } else {
          const lease = yield* store.runner()
          const alive = (lease !== undefined && lease.heartbeatAt + leaseExpiry >= (yield* now) && !isDead(lease)) || (yield* workersAlive)
          // Nobody runs it: it is cancelled now (the engine's execution ends when a runner next sees it).
          if (!alive) {
            yield* store.setStatus(runId, "cancelled", yield* now, { error: { _tag: "RunCancelled", message: `Run '${runId}' was cancelled` } }).pipe(
              Effect.catchTag("InvalidTransition", () => Effect.void),
              Effect.catchTag("RunNotFound", () => Effect.void)
            )
          }
        }
        // The runner reports it within a poll or two.
        const done = yield* awaitRun(runId).pipe(Effect.timeoutOption(Duration.seconds(2)))
        return done._tag === "Some" ? done.value : yield* getRun(runId)
      })

    const signal: DurableRunsShape["signal"] = (runId, stepId, value) =>
      Effect.gen(function*() {
        const run = yield* getRun(runId)
        if (isTerminal(run.status)) return yield* new RunFinished({ runId, status: run.status, message: `Run '${runId}' already ${run.status}: it takes no signal` })
        const entry = yield* definitionOf(run)
        const node = findWait(entry.graph, stepId)
        if (node === undefined) {
          const waits = waitPaths(entry.shape)
          return yield* new NotAWait({
            runId,
            stepId,
            waits,
            message: `Run '${runId}' has no wait step '${stepId}' (its wait steps: ${waits.join(", ") || "none"})`
          })
        }
        const decoded = yield* Effect.exit(Schema.decodeUnknownEffect(jsonCodec(node.signal))(value, { errors: "all" }))
        if (Exit.isFailure(decoded)) {
          const failure = Cause.findErrorOption(decoded.cause)
          const schemaError = failure._tag === "Some" ? failure.value as Schema.SchemaError : undefined
          const issues = schemaError === undefined ? [{ path: "(value)", message: Cause.pretty(decoded.cause) }] : signalIssues(schemaError)
          return yield* new SignalInvalid({
            stepId,
            issues,
            message: `Signal for '${stepId}' of run '${runId}' is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`
          })
        }
        yield* store.putSignal(runId, stepId, value as Json, yield* now)
        poke()
      })

    const resume: DurableRunsShape["resume"] = (runId, resumeOptions) =>
      Effect.gen(function*() {
        const run = yield* getRun(runId)
        if (isTerminal(run.status)) return yield* new RunFinished({ runId, status: run.status, message: `Run '${runId}' already ${run.status}` })
        if (role !== "runner" && cluster === undefined) {
          const lease = yield* store.runner()
          return yield* new RunnerActive({
            store: shown,
            pid: lease?.pid ?? 0,
            host: lease?.host ?? "",
            message: `Another process (pid ${lease?.pid} on ${lease?.host}) runs the workflows of ${shown}: it resumes runs itself`
          })
        }
        if (resumeOptions?.force === true) yield* store.updateRun(runId, { forced: true })
        yield* store.updateRun(runId, { blocked: null })
        if (!run.submitted) yield* Effect.orDie(submit(run))
        else yield* withEngine(RunWorkflow.resume(yield* executionIdOf(runId)))
        return yield* getRun(runId)
      })

    const rerun: DurableRunsShape["rerun"] = (runId, rerunOptions) =>
      Effect.gen(function*() {
        const parent = yield* getRun(runId)
        const entry = yield* definitionOf(parent)
        const { from } = rerunOptions
        if (entry.shape[from] === undefined) {
          return yield* new UnknownStep({ runId, stepId: from, message: `Run '${runId}' has no step '${from}' (steps: ${Object.keys(entry.shape).join(", ")})` })
        }
        const downstream = downstreamOf(entry.shape, from)
        const seeds: Record<string, Json> = {}
        for (const step of yield* store.steps(runId)) {
          if (step.status !== "succeeded" || step.output === undefined) continue
          if (downstream.has(step.stepId)) continue
          seeds[step.name] = step.output
        }
        if (Object.hasOwn(rerunOptions, "value")) {
          const node = findNode(entry.graph, from)
          const schema = node?.kind === "wait" ? node.signal : node?.output
          if (schema !== undefined) {
            const ok = yield* Effect.exit(Schema.decodeUnknownEffect(jsonCodec(schema))(rerunOptions.value, { errors: "all" }))
            if (Exit.isFailure(ok)) {
              const failure = Cause.findErrorOption(ok.cause)
              const issues = failure._tag === "Some" ? signalIssues(failure.value as Schema.SchemaError) : [{ path: "(value)", message: "invalid" }]
              return yield* new SignalInvalid({ stepId: from, issues, message: `Value for '${from}' is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}` })
            }
          }
          seeds[from] = rerunOptions.value as Json
        }
        const input = yield* decodeValue("input", entry.graph.input, parent.input)
        const encodedInput = yield* Effect.orDie(Schema.encodeUnknownEffect(entry.graph.input as Schema.Codec<unknown, unknown>)(input))
        return yield* start(entry.graph, encodedInput, {
          parentRunId: runId,
          rerunFrom: from,
          seeds,
          source: parent.source,
          concurrency: (parent.options as { concurrency?: number } | null)?.concurrency
        })
      })

    const prune: DurableRunsShape["prune"] = (pruneOptions) =>
      Effect.gen(function*() {
        const before = (yield* now) - Duration.toMillis(Duration.fromInputUnsafe(pruneOptions.olderThan))
        const pruned = yield* store.prune(before, { workflow: pruneOptions.workflow, except: pruneOptions.except })
        if (pruned.length === 0 || sqlContext === undefined && engineContext === undefined) return pruned
        // The engine's rows of those executions (messages and replies); a memory store's go with the process.
        const storage = engineContext !== undefined
          ? Context.get(engineContext, MessageStorage.MessageStorage)
          : sqlContext === undefined
          ? undefined
          : Context.get(
            yield* Layer.build(SqlMessageStorage.layer.pipe(
              Layer.provide([Digest.layerWebCrypto, ShardingConfig.layer(), Layer.succeedContext(sqlContext as Context.Context<SqlClient.SqlClient>)])
            )),
            MessageStorage.MessageStorage
          )
        if (storage === undefined) return pruned
        for (const id of pruned) {
          const executionId = yield* executionIdOf(id)
          yield* storage.clearAddress(EntityAddress.make({
            entityType: EntityType.make(`Workflow/${RunWorkflow._tag}`),
            entityId: EntityId.make(executionId),
            shardId: ShardId.make("default", 0)
          })).pipe(Effect.catchCause((cause) => Effect.sync(() => problem(`prune ${id}: ${Cause.pretty(cause)}`))))
        }
        return pruned
      }).pipe(Effect.scoped)

    const check: DurableRunsShape["check"] = (graph, checkOptions) =>
      Effect.gen(function*() {
        const shape = GraphShape.of(graph)
        const hash = GraphShape.hash(shape)
        const runs = checkOptions?.all === true ? yield* store.listRuns({ workflow: graph.name }) : (yield* store.unfinishedRuns()).filter((r) => r.workflow === graph.name)
        const out: Array<CheckResult> = []
        for (const run of runs) {
          const problems: Array<string> = []
          if (run.graphHash !== hash) {
            for (const c of GraphShape.changes(run.shape as unknown as GraphShape.Shape, shape)) if (c.breaking) problems.push(`step '${c.stepId}' ${c.change === "removed (or renamed)" ? "was removed (or renamed)" : `changed (${c.change})`}`)
          }
          if (problems.length === 0) problems.push(...(yield* replayProblems(graph, run, yield* store.steps(run.runId), yield* store.waits(run.runId))))
          out.push({ runId: run.runId, status: run.status, compatible: problems.length === 0, problems })
        }
        return out
      })

    return {
      role,
      cluster: cluster?.member,
      store: shown,
      runStore: store,
      register,
      start,
      get: (runId) =>
        Effect.gen(function*() {
          const run = yield* getRun(runId)
          return { run, steps: yield* store.steps(runId), waits: yield* store.waits(runId) }
        }),
      await: awaitRun,
      list: (filter) => store.listRuns(filter),
      events: (runId, after) => store.events(runId, { after }),
      cancel,
      signal,
      resume,
      rerun,
      prune,
      check
    } satisfies DurableRunsShape
  })

const findNode = (graph: Graph, path: string): Node | undefined => {
  const parts = path.split("/")
  let nodes: ReadonlyArray<Node> = graph.nodes
  for (let i = 0; i < parts.length; i++) {
    const node = nodes.find((n) => n.id === parts[i])
    if (node === undefined) return undefined
    if (i === parts.length - 1) return node
    if (node.kind === "branch") nodes = node.cases[parts[++i]!]?.nodes ?? []
    else if (node.kind === "call") nodes = node.workflow.nodes
    else return undefined
  }
  return undefined
}

const signalIssues = (error: Schema.SchemaError) => issuesOf(error)

/**
 * The service as a Layer.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(DurableRuns.layer({ store: "sqlite:.llm-orchestrator/runs.db" })))
 * ```
 */
export const layer = (options: Options): Layer.Layer<DurableRuns, StoreUnavailable | RunnerActive | RunStoreError> =>
  Layer.effect(DurableRuns, make(options))

/**
 * A durable runs service in memory (tests): the same engine and journal, nothing kept after the process.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(DurableRuns.layerMemory))
 * ```
 */
export const layerMemory: Layer.Layer<DurableRuns> = Layer.orDie(layer({ store: "memory", gracePeriod: "5 seconds" }))

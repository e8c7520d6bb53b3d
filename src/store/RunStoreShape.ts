/**
 * The run index of durable runs: one record per run (status, input, output or error, times, definition hash), one row
 * per unit of work (status, attempts, output, usage, cost), an append-only event log per run, the waits of
 * human-in-the-loop steps with their signals, and the lease that makes one process the runner of a store.
 *
 * The workflow engine (effect/workflow) keeps its own tables for replay; this index is what people and programs read:
 * `status`, `list`, the REST API, retention. It is also the inbox of the runner: a process that is not the runner
 * (a CLI `cancel`, `signal` or `run` beside a running worker) writes its request here and the runner applies it.
 *
 * Three implementations share one contract test (`test/store/contract.ts`): in memory (tests), SQLite (the embedded
 * default, through `SqliteClient`) and Postgres (`@effect/sql-pg`), the last two from one SQL implementation.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RunStore } from "llm-orchestrator/store"
 *
 * // models, errors and the shape of the store; the service and its layers are in RunStore.ts
 * const failedToday = Effect.gen(function*() {
 *   const store = yield* RunStore.RunStore
 *   return yield* store.listRuns({ status: "failed", since: Date.now() - 86_400_000 })
 * }).pipe(Effect.provide(RunStore.layerMemory))
 * ```
 */
import { type Effect, Schema } from "effect"
import type { Status } from "./RunStatus.ts"

/**
 * A JSON value (what the store keeps of inputs, outputs, errors and signals: their encoded form).
 *
 * @example
 * ```ts
 * const input: RunStore.Json = { text: "hello", tags: ["a"] }
 * ```
 */
export type Json = Schema.Json

/**
 * What a run is created with.
 *
 * @example
 * ```ts
 * const run: RunStore.NewRun = { runId: "run-1", workflow: "rag", version: undefined, graphHash: "ab12", shape: {}, source: undefined,
 *   input: { query: "hi" }, options: {}, parentRunId: undefined, rerunFrom: undefined, seeds: undefined, idempotencyKey: undefined, createdAt: Date.now() }
 * ```
 */
export interface NewRun {
  readonly runId: string
  readonly workflow: string
  readonly version: string | undefined
  /** Structural hash of the workflow's graph (see `GraphShape`). */
  readonly graphHash: string
  /** The structural shape the hash is of, kept to name what changed when a resume is refused. */
  readonly shape: Json
  /** Where the definition lives (a YAML file path), so another process can load it to resume the run. */
  readonly source: Json | undefined
  /** The run input, encoded with the workflow's input Schema. */
  readonly input: Json
  /** Run options (`concurrency`). */
  readonly options: Json
  readonly parentRunId: string | undefined
  /** For a rerun: the step it re-runs from. */
  readonly rerunFrom: string | undefined
  /** For a rerun: the persisted outputs it reuses, by unit name. */
  readonly seeds: Json | undefined
  readonly idempotencyKey: string | undefined
  readonly createdAt: number
}

/**
 * A run as the store knows it.
 *
 * @example
 * ```ts
 * if (run.status === "failed") console.error(run.runId, run.error)
 * ```
 */
export interface RunRecord extends NewRun {
  readonly status: Status
  /** The outputs (encoded), once succeeded. */
  readonly output: Json | undefined
  /** The failure (a persisted `StepFailed` or another error), once failed. */
  readonly error: Json | undefined
  readonly startedAt: number | undefined
  readonly finishedAt: number | undefined
  readonly updatedAt: number
  /** The runner has handed the run to the workflow engine. */
  readonly submitted: boolean
  readonly cancelRequestedAt: number | undefined
  /** Why the run cannot go on in this process (definition changed or not registered), if it cannot. */
  readonly blocked: string | undefined
  /** Resume even though the definition changed (`resume --force`). */
  readonly forced: boolean
}

/**
 * The status of one unit of work: `running` while it runs (or when its process died during it), then its outcome.
 *
 * @example
 * ```ts
 * const s: RunStore.StepStatus = "succeeded"
 * ```
 */
export type StepStatus = "running" | "succeeded" | "failed" | "interrupted"

/**
 * One unit of work of a run: a step, a map item (`path#i`) or a loop iteration (`path@n`).
 *
 * @example
 * ```ts
 * for (const step of yield* store.steps("run-1")) console.log(step.name, step.status, step.attempts)
 * ```
 */
export interface StepRow {
  readonly runId: string
  /** The unit's durable name. */
  readonly name: string
  /** The path of the node it belongs to. */
  readonly stepId: string
  readonly kind: string
  readonly status: StepStatus
  /** Attempts made (retries included); counted again from 1 when a unit runs again after a crash. */
  readonly attempts: number
  /** Times the unit was started (2 or more when a crash interrupted an earlier execution). */
  readonly executions: number
  readonly startedAt: number
  readonly finishedAt: number | undefined
  readonly output: Json | undefined
  readonly error: Json | undefined
  /** Token usage of the calls the unit made: `{ inputTokens, outputTokens, calls }`. */
  readonly usage: Json | undefined
  readonly costUsd: number | undefined
}

/**
 * One event of a run's log, with a sequence number strictly increasing per store (gap-free per run is not promised).
 *
 * @example
 * ```ts
 * const events = yield* store.events("run-1", { after: lastSeen })
 * ```
 */
export interface RunEvent {
  readonly runId: string
  readonly seq: number
  readonly at: number
  /** `RunStatus` (data: `{ status }`), `StepStarted`, `StepFinished`, `Waiting`, `Signalled`, `CancelRequested`. */
  readonly type: string
  readonly stepId: string | undefined
  readonly data: Json | undefined
}

/**
 * A wait step of a run and its signal. A signal may arrive before the run reaches the wait: it is kept and delivered.
 *
 * @example
 * ```ts
 * const open = (yield* store.waits("run-1")).filter((w) => w.signal === undefined)
 * ```
 */
export interface WaitRow {
  readonly runId: string
  /** The unit name of the wait (its path). */
  readonly stepId: string
  /** What the run showed while waiting (`request` of the wait step). */
  readonly request: Json | undefined
  /** When the wait fails with `WaitTimedOut`, if it has a timeout. */
  readonly deadlineAt: number | undefined
  /** When the run reached the wait (undefined for a signal that came first). */
  readonly waitingSince: number | undefined
  readonly signal: Json | undefined
  readonly signalledAt: number | undefined
  /** When the runner delivered the signal (or the timeout) to the engine. */
  readonly appliedAt: number | undefined
  readonly timedOut: boolean
}

/**
 * The process that runs a store's workflows.
 *
 * @example
 * ```ts
 * console.log(`runner: pid ${lease.pid} on ${lease.host}, seen ${Date.now() - lease.heartbeatAt} ms ago`)
 * ```
 */
export interface RunnerLease {
  readonly owner: string
  readonly pid: number
  readonly host: string
  readonly startedAt: number
  readonly heartbeatAt: number
}

/**
 * Filters of `listRuns` (all optional; newest first).
 *
 * @example
 * ```ts
 * store.listRuns({ status: "suspended", workflow: "review", limit: 20 })
 * ```
 */
export interface ListFilter {
  readonly status?: Status | ReadonlyArray<Status> | undefined
  readonly workflow?: string | undefined
  /** Created at or after (epoch millis). */
  readonly since?: number | undefined
  readonly limit?: number | undefined
}

/**
 * Which finished runs `prune` may delete: those of `workflow` only, or of every workflow but `except`.
 *
 * @example
 * ```ts
 * store.prune(Date.now() - 30 * 86_400_000, { except: ["audited-payments"] })
 * ```
 */
export interface PruneFilter {
  readonly workflow?: string | undefined
  readonly except?: ReadonlyArray<string> | undefined
}

/**
 * One ledger of shared spend (a workflow's daily budget): its scope and day (`YYYY-MM-DD`, UTC).
 *
 * @example
 * ```ts
 * const key: RunStore.SpendKey = { scope: "workflow:triage", day: "2026-12-01" }
 * ```
 */
export interface SpendKey {
  readonly scope: string
  readonly day: string
}

/**
 * An amount of spend: US dollars and tokens.
 *
 * @example
 * ```ts
 * const worstCase: RunStore.SpendAmount = { usd: 0.004, tokens: 1200 }
 * ```
 */
export interface SpendAmount {
  readonly usd: number
  readonly tokens: number
}

/**
 * How far past a USD limit a reservation may land and still fit: float sums of prices drift by ~1e-17, and a call
 * that fits exactly must not be refused for it.
 *
 * @example
 * ```ts
 * spent + reserved + amount <= limit + RunStore.spendEpsilon
 * ```
 */
export const spendEpsilon = 1e-9

/**
 * A ledger of shared spend as the store keeps it: what finished calls spent and what calls in flight reserved.
 *
 * @example
 * ```ts
 * const row = yield* store.spend({ scope: "workflow:triage", day: "2026-12-01" })
 * row?.spentUsd // 1.23
 * ```
 */
export interface SpendRow extends SpendKey {
  readonly spentUsd: number
  readonly spentTokens: number
  readonly reservedUsd: number
  readonly reservedTokens: number
  /** Calls admitted. */
  readonly calls: number
  /** Calls refused. */
  readonly refused: number
  readonly updatedAt: number
}

/**
 * A store operation failed (database unreachable, locked, corrupt). `operation` names the store method.
 *
 * @example
 * ```ts
 * Effect.catchTag("RunStoreError", (e) => Console.error(`run store: ${e.operation}: ${e.message}`))
 * ```
 */
export class RunStoreError extends Schema.TaggedError<RunStoreError>()("RunStoreError", {
  operation: Schema.String,
  message: Schema.String,
  cause: Schema.optionalKey(Schema.Defect())
}) {}

/**
 * No run has this id.
 *
 * @example
 * ```ts
 * Effect.catchTag("RunNotFound", (e) => Console.error(`no run ${e.runId}`))
 * ```
 */
export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", {
  runId: Schema.String
}) {
  override get message(): string {
    return `No run '${this.runId}'`
  }
}

/**
 * The requested status change is not one of the run state machine's transitions (see `RunStatus`).
 *
 * @example
 * ```ts
 * new InvalidTransition({ runId: "run-1", from: "succeeded", to: "running" }).message
 * // "Run 'run-1' is succeeded and cannot become running"
 * ```
 */
export class InvalidTransition extends Schema.TaggedError<InvalidTransition>()("InvalidTransition", {
  runId: Schema.String,
  from: Schema.String,
  to: Schema.String
}) {
  override get message(): string {
    return `Run '${this.runId}' is ${this.from} and cannot become ${this.to}`
  }
}

/**
 * A wait step already has a signal (a wait takes one value).
 *
 * @example
 * ```ts
 * Effect.catchTag("AlreadySignalled", (e) => Console.error(e.message))
 * ```
 */
export class AlreadySignalled extends Schema.TaggedError<AlreadySignalled>()("AlreadySignalled", {
  runId: Schema.String,
  stepId: Schema.String
}) {
  override get message(): string {
    return `Step '${this.stepId}' of run '${this.runId}' already has its signal`
  }
}

/**
 * What a store does. Every method is safe to call from any process sharing the store.
 *
 * @example
 * ```ts
 * const store = yield* RunStore.RunStore
 * const run = yield* store.getRun("run-1")
 * ```
 */
export interface RunStoreShape {
  /** Creates a run in `pending`; with an existing id, returns the existing run (`created: false`) instead. */
  readonly createRun: (run: NewRun) => Effect.Effect<{ readonly created: boolean; readonly run: RunRecord }, RunStoreError>
  readonly getRun: (runId: string) => Effect.Effect<RunRecord | undefined, RunStoreError>
  /** Runs matching `filter`, newest first. */
  readonly listRuns: (filter?: ListFilter) => Effect.Effect<ReadonlyArray<RunRecord>, RunStoreError>
  /**
   * Moves a run to `to` (a no-op when it is already there), setting its times (`startedAt` on first running,
   * `finishedAt` on a terminal state), and its output or error; logs a `RunStatus` event when the status changes.
   * Only the engine runs a run, so `running` also marks it `submitted`.
   */
  readonly setStatus: (
    runId: string,
    to: Status,
    at: number,
    fields?: { readonly output?: Json | undefined; readonly error?: Json | undefined }
  ) => Effect.Effect<RunRecord, RunStoreError | RunNotFound | InvalidTransition>
  /** Sets the runner's bookkeeping flags of a run. */
  readonly updateRun: (
    runId: string,
    fields: { readonly submitted?: boolean; readonly blocked?: string | null; readonly forced?: boolean }
  ) => Effect.Effect<void, RunStoreError>
  /** Records a cancel request (once; later requests keep the first time); the runner acts on it. */
  readonly requestCancel: (runId: string, at: number) => Effect.Effect<RunRecord, RunStoreError | RunNotFound>
  /** Pending runs not yet handed to the engine. */
  readonly runsToSubmit: () => Effect.Effect<ReadonlyArray<RunRecord>, RunStoreError>
  /** Runs not finished (pending, running, suspended). */
  readonly unfinishedRuns: () => Effect.Effect<ReadonlyArray<RunRecord>, RunStoreError>
  /** Unfinished runs with a cancel request. */
  readonly cancelRequested: () => Effect.Effect<ReadonlyArray<RunRecord>, RunStoreError>
  /** A unit of work started (counts an execution; a second start after a crash counts another). */
  readonly stepStarted: (row: {
    readonly runId: string
    readonly name: string
    readonly stepId: string
    readonly kind: string
    readonly at: number
  }) => Effect.Effect<void, RunStoreError>
  /** A unit of work ended. */
  readonly stepFinished: (row: {
    readonly runId: string
    readonly name: string
    readonly status: StepStatus
    readonly attempts: number
    readonly at: number
    readonly output?: Json | undefined
    readonly error?: Json | undefined
    readonly usage?: Json | undefined
    readonly costUsd?: number | undefined
  }) => Effect.Effect<void, RunStoreError>
  /** The units of a run, in the order they first started. */
  readonly steps: (runId: string) => Effect.Effect<ReadonlyArray<StepRow>, RunStoreError>
  readonly appendEvent: (event: Omit<RunEvent, "seq">) => Effect.Effect<void, RunStoreError>
  /** A run's events in order, after sequence number `after` (all when absent). */
  readonly events: (runId: string, options?: { readonly after?: number | undefined }) => Effect.Effect<ReadonlyArray<RunEvent>, RunStoreError>
  /** The run reached a wait (kept with any signal that came first). */
  readonly putWait: (row: {
    readonly runId: string
    readonly stepId: string
    readonly request: Json | undefined
    readonly deadlineAt: number | undefined
    readonly at: number
  }) => Effect.Effect<void, RunStoreError>
  /** Stores the signal of a wait (before or after the run reached it); a second signal fails `AlreadySignalled`. */
  readonly putSignal: (runId: string, stepId: string, value: Json, at: number) => Effect.Effect<void, RunStoreError | AlreadySignalled>
  readonly waits: (runId: string) => Effect.Effect<ReadonlyArray<WaitRow>, RunStoreError>
  /** Waits to deliver: with a signal, or past their deadline, and not yet delivered. */
  readonly waitsToApply: (now: number) => Effect.Effect<ReadonlyArray<WaitRow>, RunStoreError>
  /** The runner delivered a wait's signal to the engine. */
  readonly markWaitApplied: (runId: string, stepId: string, at: number, timedOut: boolean) => Effect.Effect<void, RunStoreError>
  /**
   * The runner is about to time a wait out: true when it may (no signal arrived), and from then on the wait takes no
   * signal; false when a signal came first (it is delivered instead).
   */
  readonly claimTimeout: (runId: string, stepId: string, at: number) => Effect.Effect<boolean, RunStoreError>
  /**
   * Takes the runner lease: free, held by `owner` already, expired (no heartbeat for `expiryMillis`), or held by a
   * process `isDead` says is gone. Otherwise returns the holder.
   */
  readonly acquireRunner: (
    owner: { readonly owner: string; readonly pid: number; readonly host: string },
    now: number,
    expiryMillis: number,
    isDead: (lease: RunnerLease) => boolean
  ) => Effect.Effect<{ readonly acquired: true } | { readonly acquired: false; readonly holder: RunnerLease }, RunStoreError>
  /** Renews the lease; false when another process took it. */
  readonly heartbeat: (owner: string, now: number) => Effect.Effect<boolean, RunStoreError>
  readonly releaseRunner: (owner: string) => Effect.Effect<void, RunStoreError>
  readonly runner: () => Effect.Effect<RunnerLease | undefined, RunStoreError>
  /**
   * Deletes finished runs (and their steps, events and waits) that finished before `before`; returns their ids.
   * `filter` narrows it to one workflow, or to every workflow but some (retention per workflow).
   */
  readonly prune: (before: number, filter?: PruneFilter) => Effect.Effect<ReadonlyArray<string>, RunStoreError>
  /**
   * Reserves `amount` in the ledger `key` when the spend, the other reservations and `amount` fit in `limits`
   * (check and add in one statement, so processes sharing the store never both take the last room); otherwise counts
   * a refusal. Returns whether it was admitted and the ledger after.
   */
  readonly reserveSpend: (
    key: SpendKey,
    limits: { readonly usd?: number | undefined; readonly tokens?: number | undefined },
    amount: SpendAmount,
    at: number
  ) => Effect.Effect<{ readonly admitted: boolean; readonly row: SpendRow }, RunStoreError>
  /** Gives a reservation back and adds what the call really spent (zero for a call that was never sent). */
  readonly settleSpend: (key: SpendKey, reserved: SpendAmount, spent: SpendAmount, at: number) => Effect.Effect<void, RunStoreError>
  /** The ledger `key`, if anything was reserved in it. */
  readonly spend: (key: SpendKey) => Effect.Effect<SpendRow | undefined, RunStoreError>
}


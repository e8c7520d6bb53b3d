/**
 * The services the server stands on, opened from one store: durable runs (`DurableRuns`: the run index, the event
 * log the SSE stream reads, checkpoints, waits), API keys, the audit log and registered workflows, all in the same
 * database, which is also the CLI's run store: `memory` (nothing survives the process), `sqlite:PATH` (the CLI's
 * default `.llm-orchestrator/runs.db`), or a Postgres URL.
 *
 * The server process becomes the runner of the store when no other live process is (see `DurableRuns`); the runs of
 * registered YAML workflows resume after a restart, their definitions loaded from the registry.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Backend, Server } from "llm-orchestrator/server"
 * Layer.launch(Server.layer({ port: 8080 }).pipe(Layer.provide(Backend.layer({ store: "sqlite:.llm-orchestrator/runs.db" }))))
 * ```
 */
import { Cause, type Duration, Effect, Layer, Option, Schedule } from "effect"
import type { SqlClient } from "effect/sql"
import * as KeyStore from "../auth/KeyStore.ts"
import * as DurableRuns from "../durable/DurableRuns.ts"
import * as Store from "../durable/Store.ts"
import type { ServicesOptions } from "../pipeline/Services.ts"
import { StoreUnavailable } from "../durable/errors.ts"
import * as AuditLog from "./AuditLog.ts"
import * as DailyBudget from "../budget/DailyBudget.ts"
import * as DurableRunService from "./DurableRunService.ts"
import type { RunService } from "./RunService.ts"
import * as WorkflowRegistry from "./WorkflowRegistry.ts"
import * as WorkflowServices from "./WorkflowServices.ts"
import * as WorkflowTemplates from "./WorkflowTemplates.ts"
import * as WorkflowVersions from "./WorkflowVersions.ts"
import type { Approval } from "./Lifecycle.ts"
import type { PayloadCodec } from "../durable/PayloadCodec.ts"
import type { CipherShape } from "../governance/Cipher.ts"
import type { Policy } from "../governance/Policy.ts"
import * as Retention from "../governance/Retention.ts"

/**
 * Options: the store, where workflows get their services, how definitions are validated, and the durable runs'
 * timings.
 *
 * @example
 * ```ts
 * Backend.layer({ store: "memory", services: { env: process.env } })
 * ```
 */
export interface Options {
  readonly store: string | Store.Spec
  readonly services?: ServicesOptions | undefined
  readonly registry?: Omit<WorkflowRegistry.Options, "storage"> | undefined
  /**
   * What runs keep at rest: governance's `StoredData.codec` masks or encrypts inputs, outputs, signals and event data
   * in the store and the engine's journal (default: kept as they are).
   */
  readonly codec?: PayloadCodec | undefined
  /**
   * Data protection for every workflow: the governance policy (PII masked or refused before each provider call, prompt
   * limits, masked logs and spans, and its `storage` action over what runs keep), and the `Cipher` for encryption and
   * reversible masks (`Cipher.layer` reads its keys through `Secrets`).
   */
  readonly governance?: { readonly policy: Policy; readonly cipher?: CipherShape | undefined } | undefined
  /** How long finished runs and audit entries are kept, pruned on a schedule (default: kept until `POST /runs/prune`). */
  readonly retention?: Retention.Policy | undefined
  /** Whether a new workflow version needs approval before it is deployed (default: it is deployed on registration). */
  readonly approval?: Partial<Approval> | undefined
  /** How long shutting down waits for the steps in flight (default 30 s); they resume on the next start otherwise. */
  readonly gracePeriod?: Duration.Input | undefined
  /** How often the runner reads the store for work from other processes (default 250 ms). */
  readonly pollInterval?: Duration.Input | undefined
  readonly onProblem?: ((message: string) => void) | undefined
  /** How soon a definition another server on the store registered is served and run here (default 1 s). */
  readonly syncInterval?: Duration.Input | undefined
  /**
   * `client`: never run workflows here, only submit them through the store (to workers, `llm-orchestrator worker`,
   * even before one is up). Default `auto`: the store's runner when no other process is.
   */
  readonly role?: "auto" | "client" | undefined
  /**
   * Daily budgets by workflow name: all of a workflow's runs started here may spend at most this much per day (UTC),
   * counted in the store (across restarts and every process on it); a call that would pass it fails the run with
   * `BudgetExceeded` before it is sent.
   */
  readonly dailyBudgets?: Readonly<Record<string, DailyBudget.Limits>> | undefined
}

/**
 * Everything the server needs.
 *
 * @example
 * ```ts
 * const services: Layer.Layer<Backend.Services> = Backend.layer({ store: "memory" })
 * ```
 */
export type Services =
  | KeyStore.KeyStore
  | AuditLog.AuditLog
  | WorkflowRegistry.WorkflowRegistry
  | WorkflowVersions.WorkflowVersions
  | WorkflowTemplates.WorkflowTemplates
  | WorkflowServices.WorkflowServices
  | RunService
  | DurableRuns.DurableRuns

/**
 * How long shutting down waits for the steps in flight by default (after the HTTP server's `Server.defaultGracePeriod`);
 * what is still running then is checkpointed and resumes on the next start.
 *
 * @example
 * ```ts
 * Backend.defaultGracePeriod // "30 seconds"
 * ```
 */
export const defaultGracePeriod = "30 seconds"

const unavailable = (store: string) => (cause: Cause.Cause<unknown>) => {
  const e = Cause.squash(cause) as { message?: unknown; _tag?: string }
  return e?._tag === "StoreUnavailable" || e?._tag === "RunnerActive"
    ? e
    : new StoreUnavailable({ store, message: `Store ${store}: ${String(e?.message ?? e)}` })
}

/**
 * The services on `options.store`.
 *
 * @example
 * ```ts
 * Server.layer(options).pipe(Layer.provide(Backend.layer({ store: "sqlite:runs.db" })))
 * ```
 */
export const layer = (options: Options): Layer.Layer<Services, unknown> =>
  Layer.unwrap(Effect.gen(function*() {
    const spec = typeof options.store === "string" ? Store.parse(options.store) : options.store
    if (spec === undefined) {
      return yield* new StoreUnavailable({ store: String(options.store), message: `Unknown store '${String(options.store)}': use memory, sqlite:PATH (or a .db file) or postgres://user@host:port/db` })
    }
    const shown = Store.show(spec)
    const sql = spec._tag === "memory" ? undefined : Store.sqlLayer(spec)
    // The versioned registry appends its transitions to the audit log.
    const versionsOn = <R>(
      storage: Effect.Effect<WorkflowVersions.Storage, WorkflowRegistry.RegistryError, R>,
      templates: Effect.Effect<WorkflowTemplates.Storage, WorkflowRegistry.RegistryError, R>
    ) =>
      Layer.unwrap(Effect.gen(function*() {
        const audit = yield* AuditLog.AuditLog
        const versions = WorkflowVersions.layer({ ...options.registry, approval: options.approval, onProblem: options.onProblem, audit, storage: yield* storage })
        return WorkflowTemplates.layer(templates).pipe(Layer.provideMerge(versions))
      }))
    const credentials: Layer.Layer<KeyStore.KeyStore | AuditLog.AuditLog | WorkflowRegistry.WorkflowRegistry | WorkflowVersions.WorkflowVersions | WorkflowTemplates.WorkflowTemplates, unknown> = sql === undefined
      ? Layer.merge(KeyStore.layerMemory, versionsOn(Effect.sync(WorkflowVersions.storageMemory), Effect.sync(WorkflowTemplates.storageMemory))).pipe(Layer.provideMerge(AuditLog.layerMemory))
      : Layer.merge(KeyStore.layerSql, versionsOn(WorkflowVersions.storageSql, WorkflowTemplates.storageSql)).pipe(
        Layer.provideMerge(AuditLog.layerSql),
        Layer.provide(sql as Layer.Layer<SqlClient.SqlClient, unknown>)
      )
    // Durable runs load the definition of a run whose workflow they do not know from the registry (after a restart).
    const runsOn = (codec: PayloadCodec | undefined) => Layer.unwrap(Effect.gen(function*() {
      const registry = yield* WorkflowVersions.WorkflowVersions
      const workflowServices = yield* WorkflowServices.WorkflowServices
      const load = (run: { readonly workflow: string; readonly version: string | undefined }) =>
        Effect.gen(function*() {
          yield* registry.sync
          // The version the run pinned, deprecated or not.
          const entry = yield* Effect.option(registry.forRun(run))
          if (Option.isNone(entry)) return undefined
          const context = yield* Effect.option(workflowServices.contextOf(entry.value))
          return Option.isNone(context) ? undefined : { graph: entry.value.graph, context: context.value }
        })
      const durable = DurableRuns.layer({
        store: spec,
        load,
        ...(codec !== undefined ? { codec } : {}),
        gracePeriod: options.gracePeriod ?? defaultGracePeriod,
        ...(options.pollInterval !== undefined ? { pollInterval: options.pollInterval } : {}),
        ...(options.onProblem !== undefined ? { onProblem: options.onProblem } : {}),
        ...(options.role !== undefined ? { role: options.role } : {})
      })
      // Definitions another server on the store registered (or changed) reach this process's durable runs within the
      // sync interval, so a replica that is the store's runner runs the version the run was started with.
      const keepRegistered = Layer.effectDiscard(Effect.gen(function*() {
        const runs = yield* DurableRuns.DurableRuns
        const known = new WeakSet<object>()
        const once = Effect.gen(function*() {
          yield* registry.sync
          for (const entry of yield* registry.list()) {
            if (entry.format === "typescript" || known.has(entry)) continue
            known.add(entry)
            const context = yield* Effect.option(workflowServices.contextOf(entry))
            if (Option.isNone(context)) continue
            yield* runs.register(entry.graph, { context: context.value, source: { kind: "server", workflow: entry.name } }).pipe(Effect.ignore)
          }
        })
        yield* once.pipe(Effect.repeat(Schedule.spaced(options.syncInterval ?? "1 second")), Effect.forkScoped)
      }))
      // The retention schedule, for the life of the server (audit entries expire on SQL stores).
      const retention = options.retention === undefined ? Layer.empty : Layer.effectDiscard(Effect.gen(function*() {
        const runs = yield* DurableRuns.DurableRuns
        const sqlContext = sql === undefined ? undefined : yield* Effect.context<SqlClient.SqlClient>()
        const expireAudit = sqlContext === undefined ? undefined : (before: number) => Effect.provideContext(AuditLog.expireSql(before), sqlContext)
        yield* Effect.forkScoped(Retention.schedule(options.retention!, runs, { expireAudit, onProblem: options.onProblem }))
      })).pipe(Layer.provide(sql === undefined ? Layer.empty : (sql as Layer.Layer<SqlClient.SqlClient, unknown>)))
      const service = options.dailyBudgets === undefined
        ? DurableRunService.layer
        : DurableRunService.layer.pipe(Layer.provide(Layer.succeed(DailyBudget.Configured, options.dailyBudgets)))
      return Layer.provideMerge(Layer.merge(service, retention as Layer.Layer<never>), Layer.provideMerge(keepRegistered, durable))
    }))
    // Data protection: the policy around every provider (WorkflowServices) and over what runs keep (the codec), with
    // the vault of originals in the store's database.
    const runs = Layer.unwrap(Effect.gen(function*() {
      const governance = options.governance
      if (governance === undefined) return runsOn(options.codec).pipe(Layer.provideMerge(WorkflowServices.layer(options.services ?? {})))
      // Loaded only when configured (the detectors pull in libphonenumber).
      const [Cipher, PiiVault, StoredData] = yield* Effect.promise(() =>
        Promise.all([import("../governance/Cipher.ts"), import("../governance/PiiVault.ts"), import("../governance/StoredData.ts")]))
      const cipher = governance.cipher
      const sqlContext = sql === undefined ? undefined : yield* Effect.context<SqlClient.SqlClient>()
      const vault = cipher === undefined
        ? undefined
        : yield* PiiVault.make(sqlContext === undefined ? PiiVault.memoryStore() : yield* Effect.provideContext(PiiVault.storeSql, sqlContext)).pipe(
          Effect.provideService(Cipher.Cipher, cipher)
        )
      const codec = options.codec ?? (yield* StoredData.codec({ policy: governance.policy, cipher, vault }))
      const services = WorkflowServices.layer({ ...options.services, governance: { policy: governance.policy, cipher, vault } })
      return runsOn(codec).pipe(Layer.provideMerge(services))
    })).pipe(Layer.provide(sql === undefined ? Layer.empty : (sql as Layer.Layer<SqlClient.SqlClient, unknown>)))
    return runs.pipe(
      Layer.provideMerge(credentials),
      Layer.catchCause((cause) => Layer.effect(KeyStore.KeyStore, Effect.fail(unavailable(shown)(cause))) as unknown as Layer.Layer<Services, unknown>)
    )
  })) as Layer.Layer<Services, unknown>


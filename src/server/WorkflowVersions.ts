/**
 * The versioned workflow registry: registering a YAML/JSON workflow under a name that exists adds a version (its
 * number, a label, the SHA-256 of its text) instead of replacing it; the same text again is the same version. Each
 * version goes through the lifecycle of {@link Lifecycle} (draft, pending approval, approved, deployed, deprecated),
 * every transition is compare-and-set in the storage (two admins approving at once: one wins, the other gets a
 * conflict) and an audit entry. Runs pin the version they started on: its number is the graph's `version`, stored
 * with the run, and a run resumed after a restart loads that version, deprecated or not.
 *
 * The storage (memory, or `llmo_workflow_versions` in the run store's database) is the truth: a version registered
 * or approved by another server process on the same database is seen by the next request here.
 *
 * It is a `WorkflowRegistry` too (what the endpoints of `/workflows` use): `get(name)` is the deployed version (or the
 * newest one when none is deployed), `list` one entry per name.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkflowVersions } from "llm-orchestrator/server"
 * const program = Effect.gen(function*() {
 *   const versions = yield* WorkflowVersions.WorkflowVersions
 *   const v = yield* versions.register({ source, by: "key:0123456789ab" })
 *   yield* versions.transition(v.name, v.version!, "submit", { id: "key:0123456789ab", role: "admin" })
 * })
 * ```
 */
import { createHash } from "node:crypto"
import { Clock, Context, Effect, Layer, Semaphore } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import type { Graph } from "../../dsl/Node.ts"
import type { Role } from "../auth/Role.ts"
import * as ApiError from "./ApiError.ts"
import type { AuditLogShape } from "./AuditLog.ts"
import * as Lifecycle from "./Lifecycle.ts"
import type { Actor } from "./Model.ts"
import * as WorkflowRegistry from "./WorkflowRegistry.ts"

/**
 * One stored version.
 *
 * @example
 * ```ts
 * const row: WorkflowVersions.Row = yield* storage.row("rag", 3)
 * ```
 */
export interface Row {
  readonly name: string
  readonly version: number
  readonly label: string
  readonly hash: string
  readonly format: string
  readonly source: string
  readonly state: Lifecycle.State
  readonly registeredAt: number
  readonly registeredBy: string
  readonly updatedAt: number
  readonly updatedBy: string
}

/**
 * Where versions are kept. `transition` is a compare-and-set: it changes the state only when it is one of `from`,
 * and answers the updated row, or undefined when the state was another.
 *
 * @example
 * ```ts
 * const storage = WorkflowVersions.storageMemory()
 * ```
 */
export interface Storage {
  /** Adds a version numbered one past the newest of its name. */
  readonly insert: (row: Omit<Row, "version">) => Effect.Effect<Row, WorkflowRegistry.RegistryError>
  readonly row: (name: string, version: number) => Effect.Effect<Row | undefined, WorkflowRegistry.RegistryError>
  /** Versions of `name` (every name when undefined), oldest first. */
  readonly rows: (name?: string | undefined) => Effect.Effect<ReadonlyArray<Row>, WorkflowRegistry.RegistryError>
  readonly transition: (
    name: string,
    version: number,
    from: ReadonlyArray<Lifecycle.State>,
    to: Lifecycle.State,
    at: number,
    by: string
  ) => Effect.Effect<Row | undefined, WorkflowRegistry.RegistryError>
  /** Deletes every version of `name`. */
  readonly remove: (name: string) => Effect.Effect<void, WorkflowRegistry.RegistryError>
}

/**
 * Versions in memory.
 *
 * @example
 * ```ts
 * WorkflowVersions.make({ storage: WorkflowVersions.storageMemory() })
 * ```
 */
export const storageMemory = (): Storage => {
  const rows = new Map<string, Array<Row>>()
  return {
    insert: (row) =>
      Effect.sync(() => {
        const list = rows.get(row.name) ?? []
        const stored: Row = { ...row, version: (list[list.length - 1]?.version ?? 0) + 1 }
        rows.set(row.name, [...list, stored])
        return stored
      }),
    row: (name, version) => Effect.sync(() => rows.get(name)?.find((r) => r.version === version)),
    rows: (name) => Effect.sync(() => (name === undefined ? [...rows.values()].flat() : [...(rows.get(name) ?? [])])),
    transition: (name, version, from, to, at, by) =>
      Effect.sync(() => {
        const list = rows.get(name)
        const i = list?.findIndex((r) => r.version === version) ?? -1
        if (list === undefined || i < 0 || !from.includes(list[i]!.state)) return undefined
        const updated: Row = { ...list[i]!, state: to, updatedAt: at, updatedBy: by }
        list[i] = updated
        return updated
      }),
    remove: (name) => Effect.sync(() => void rows.delete(name))
  }
}

const migrations = Migrator.fromRecord({
  "1_create_workflow_versions": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const time = sql.onDialectOrElse({ pg: () => sql.literal("DOUBLE PRECISION"), orElse: () => sql.literal("REAL") })
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_workflow_versions (
      name TEXT NOT NULL,
      version INTEGER NOT NULL,
      label TEXT NOT NULL,
      hash TEXT NOT NULL,
      format TEXT NOT NULL,
      source TEXT NOT NULL,
      state TEXT NOT NULL,
      registered_at ${time} NOT NULL,
      registered_by TEXT NOT NULL,
      updated_at ${time} NOT NULL,
      updated_by TEXT NOT NULL,
      PRIMARY KEY (name, version)
    )`
  })
})

interface SqlRow {
  readonly name: string
  readonly version: number
  readonly label: string
  readonly hash: string
  readonly format: string
  readonly source: string
  readonly state: string
  readonly registered_at: number
  readonly registered_by: string
  readonly updated_at: number
  readonly updated_by: string
}

const fromSql = (r: SqlRow): Row => ({
  name: r.name,
  version: Number(r.version),
  label: r.label,
  hash: r.hash,
  format: r.format,
  source: r.source,
  state: r.state as Lifecycle.State,
  registeredAt: Number(r.registered_at),
  registeredBy: r.registered_by,
  updatedAt: Number(r.updated_at),
  updatedBy: r.updated_by
})

/**
 * Versions in `llmo_workflow_versions` of the `SqlClient` in context (SQLite or Postgres; created on first use, with
 * its own migrations table `llmo_governance_migrations`). Definitions of the unversioned registry
 * (`llmo_workflows`), if any, are imported once as deployed version 1.
 *
 * @example
 * ```ts
 * const storage = yield* WorkflowVersions.storageSql
 * ```
 */
export const storageSql: Effect.Effect<Storage, WorkflowRegistry.RegistryError, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const failed = (operation: string) => (e: { readonly message: string }) => new WorkflowRegistry.RegistryError({ operation, message: e.message })
  yield* Migrator.make({})({ loader: migrations, table: "llmo_governance_migrations" }).pipe(Effect.mapError(failed("migrate")))
  const insert: Storage["insert"] = (row) =>
    sql.withTransaction(Effect.gen(function*() {
      const [newest] = yield* sql<{ v: number | null }>`SELECT MAX(version) AS v FROM llmo_workflow_versions WHERE name = ${row.name}`
      const version = Number(newest?.v ?? 0) + 1
      yield* sql`INSERT INTO llmo_workflow_versions (name, version, label, hash, format, source, state, registered_at, registered_by, updated_at, updated_by)
        VALUES (${row.name}, ${version}, ${row.label}, ${row.hash}, ${row.format}, ${row.source}, ${row.state}, ${row.registeredAt}, ${row.registeredBy}, ${row.updatedAt}, ${row.updatedBy})`
      return { ...row, version }
    })).pipe(
      // Two processes numbering the same version: the primary key refuses one, which numbers again.
      Effect.retry({ times: 3 }),
      Effect.mapError(failed("insert"))
    )
  const storage: Storage = {
    insert,
    row: (name, version) =>
      sql<SqlRow>`SELECT * FROM llmo_workflow_versions WHERE name = ${name} AND version = ${version}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : fromSql(rows[0]))),
        Effect.mapError(failed("row"))
      ),
    rows: (name) =>
      (name === undefined
        ? sql<SqlRow>`SELECT * FROM llmo_workflow_versions ORDER BY name, version`
        : sql<SqlRow>`SELECT * FROM llmo_workflow_versions WHERE name = ${name} ORDER BY version`).pipe(
          Effect.map((rows) => rows.map(fromSql)),
          Effect.mapError(failed("rows"))
        ),
    transition: (name, version, from, to, at, by) =>
      sql<SqlRow>`UPDATE llmo_workflow_versions SET state = ${to}, updated_at = ${at}, updated_by = ${by}
        WHERE name = ${name} AND version = ${version} AND ${sql.in("state", from)} RETURNING *`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : fromSql(rows[0]))),
        Effect.mapError(failed("transition"))
      ),
    remove: (name) => sql`DELETE FROM llmo_workflow_versions WHERE name = ${name}`.pipe(Effect.asVoid, Effect.mapError(failed("remove")))
  }
  // The unversioned registry's definitions, once: each becomes deployed version 1.
  const legacy = yield* Effect.option(WorkflowRegistry.storageSql)
  if (legacy._tag === "Some") {
    const known = new Set((yield* storage.rows()).map((r) => r.name))
    for (const old of yield* Effect.orElseSucceed(legacy.value.all(), () => [])) {
      if (known.has(old.name)) continue
      yield* insert({
        name: old.name, label: "v1", hash: hashOf(old.source), format: old.format, source: old.source, state: "deployed",
        registeredAt: old.at, registeredBy: old.by, updatedAt: old.at, updatedBy: old.by
      })
      yield* legacy.value.remove(old.name)
    }
  }
  return storage
})

/**
 * The SHA-256 of a definition's text (hex).
 *
 * @example
 * ```ts
 * WorkflowVersions.hashOf("name: x\n").length // 64
 * ```
 */
export const hashOf = (source: string): string => createHash("sha256").update(source).digest("hex")

/**
 * Who acts: `key:<id>` / `jwt:<sub>` and the role.
 *
 * @example
 * ```ts
 * const who: WorkflowVersions.Caller = { id: "jwt:alice", role: "admin" }
 * ```
 */
export interface Caller {
  readonly id: string
  readonly role: Role
  readonly actor?: Actor | undefined
  readonly requestId?: string | undefined
}

/**
 * What the versioned registry adds to a `WorkflowRegistry`.
 *
 * @example
 * ```ts
 * const all = yield* versions.versions("rag")
 * ```
 */
export interface WorkflowVersionsShape extends WorkflowRegistry.WorkflowRegistryShape {
  /** Every version of `name`, oldest first (with its state). */
  readonly versions: (name: string) => Effect.Effect<ReadonlyArray<WorkflowRegistry.Entry>, ApiError.NotFound | WorkflowRegistry.RegistryError>
  readonly getVersion: (name: string, version: number) => Effect.Effect<WorkflowRegistry.Entry, ApiError.NotFound | WorkflowRegistry.RegistryError>
  /** Applies a transition of the lifecycle; refused as `Forbidden` or `Conflict` with the reason. */
  readonly transition: (
    name: string,
    version: number,
    transition: Lifecycle.Transition,
    caller: Caller
  ) => Effect.Effect<WorkflowRegistry.Entry, ApiError.NotFound | ApiError.Forbidden | ApiError.Conflict | WorkflowRegistry.RegistryError>
  /** The version a run of `run.workflow` pinned (`run.version`), whatever its state now: for resuming it. */
  readonly forRun: (run: { readonly workflow: string; readonly version: string | undefined }) => Effect.Effect<WorkflowRegistry.Entry, ApiError.NotFound | WorkflowRegistry.RegistryError>
  readonly approval: Lifecycle.Approval
}

/**
 * The service.
 *
 * @example
 * ```ts
 * const versions = yield* WorkflowVersions.WorkflowVersions
 * ```
 */
export class WorkflowVersions extends Context.Service<WorkflowVersions, WorkflowVersionsShape>()("llm-orchestrator/server/WorkflowVersions") {}

/**
 * Options: the storage, validation (as `WorkflowRegistry`), the approval settings, and the audit log transitions are
 * appended to.
 *
 * @example
 * ```ts
 * WorkflowVersions.make({ storage, approval: { required: true, distinctApprover: true }, audit })
 * ```
 */
export interface Options extends Omit<WorkflowRegistry.Options, "storage"> {
  readonly storage: Storage
  readonly approval?: Partial<Lifecycle.Approval> | undefined
  readonly audit?: AuditLogShape | undefined
  readonly onProblem?: ((message: string) => void) | undefined
}

/** A copy of `graph` with `version` (the graph's prototype kept: workflows are class instances). */
const withVersion = (graph: Graph, version: string): Graph => Object.assign(Object.create(Object.getPrototypeOf(graph)) as Graph, graph, { version })

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const labelOf = (row: Row) => (row.label === "" ? `v${row.version}` : row.label)

const system: Actor = { kind: "system", id: "registry", name: "registry" }

/**
 * Builds the versioned registry.
 *
 * @example
 * ```ts
 * const versions = yield* WorkflowVersions.make({ storage: WorkflowVersions.storageMemory() })
 * ```
 */
export const make = (options: Options): Effect.Effect<WorkflowVersionsShape, WorkflowRegistry.RegistryError> =>
  Effect.gen(function*() {
    const approval: Lifecycle.Approval = { ...Lifecycle.defaultApproval, ...options.approval }
    const storage = options.storage
    // Validation and building are the unversioned registry's (one in memory, used as a compiler only).
    const compiler = yield* WorkflowRegistry.make({ analyze: options.analyze, actions: options.actions, storage: WorkflowRegistry.storageMemory() })
    const code = new Map<string, WorkflowRegistry.Entry>()
    // Built versions, by name and number: the same object each time (services and checks are cached per entry).
    const built = new Map<string, Mutable<WorkflowRegistry.Entry>>()
    const invalid = new Set<string>()
    const deploys = yield* Semaphore.make(1)

    const notFound = (message: string) => new ApiError.NotFound({ code: "workflow_not_found", message })

    const entryOf = (row: Row): Effect.Effect<WorkflowRegistry.Entry | undefined> =>
      Effect.gen(function*() {
        const key = `${row.name}\u0000${row.version}`
        const cached = built.get(key)
        if (cached !== undefined) {
          cached.state = row.state
          return cached
        }
        if (invalid.has(key)) return undefined
        const result = yield* Effect.result(compiler.register({ source: row.source, format: row.format === "json" ? "json" : "yaml", by: row.registeredBy }))
        if (result._tag === "Failure") {
          invalid.add(key)
          options.onProblem?.(`version ${row.version} of workflow '${row.name}' no longer validates and is not served: ${result.failure.message}`)
          return undefined
        }
        const entry: Mutable<WorkflowRegistry.Entry> = {
          ...result.success,
          graph: withVersion(result.success.graph, String(row.version)),
          registeredAt: row.registeredAt,
          registeredBy: row.registeredBy,
          version: row.version,
          label: labelOf(row),
          hash: row.hash,
          state: row.state
        }
        built.set(key, entry)
        return entry
      })

    const rowsOf = (name: string) => storage.rows(name)

    /** The entry `get(name)` means: the deployed version, else the newest that validates. */
    const current = (name: string) =>
      Effect.gen(function*() {
        const rows = yield* rowsOf(name)
        const deployed = rows.filter((r) => r.state === "deployed")
        for (const row of [...deployed.reverse(), ...[...rows].reverse()]) {
          const entry = yield* entryOf(row)
          if (entry !== undefined) return entry
        }
        return undefined
      })

    const names = () =>
      Effect.map(storage.rows(), (rows) => [...new Set([...rows.map((r) => r.name), ...code.keys()])].sort())

    const get: WorkflowRegistry.WorkflowRegistryShape["get"] = (name) =>
      Effect.gen(function*() {
        const own = code.get(name)
        if (own !== undefined) return own
        const entry = yield* Effect.orDie(current(name))
        if (entry !== undefined) return entry
        const known = yield* Effect.orDie(names())
        return yield* notFound(`No workflow '${name}'${known.length > 0 ? ` (registered: ${known.join(", ")})` : ""}`)
      })

    const getVersion: WorkflowVersionsShape["getVersion"] = (name, version) =>
      Effect.gen(function*() {
        const row = yield* storage.row(name, version)
        if (row === undefined) {
          const rows = yield* rowsOf(name)
          return yield* notFound(rows.length === 0 && !code.has(name)
            ? `No workflow '${name}'`
            : `Workflow '${name}' has no version ${version}${rows.length > 0 ? ` (versions: ${rows.map((r) => r.version).join(", ")})` : ""}`)
        }
        const entry = yield* entryOf(row)
        if (entry === undefined) return yield* notFound(`Version ${version} of workflow '${name}' no longer validates (see the server log)`)
        return entry
      })

    const audit = (caller: Caller | undefined, action: string, name: string, version: number, detail: string) =>
      options.audit === undefined ? Effect.void : options.audit.append({
        actor: caller?.actor ?? (caller === undefined ? system : { kind: caller.id.startsWith("jwt:") ? "jwt" : "key", id: caller.id.slice(caller.id.indexOf(":") + 1), name: caller.id, role: caller.role }),
        action,
        target: `workflow:${name}@${version}`,
        requestId: caller?.requestId ?? "internal",
        outcome: "ok",
        status: 200,
        detail
      }).pipe(Effect.catchCause((cause) => Effect.logError("audit log append failed", cause)))

    /** The compare-and-set of one transition, audited. */
    const move = (row: Row, to: Lifecycle.State, from: ReadonlyArray<Lifecycle.State>, caller: Caller | undefined, action: string, why?: string) =>
      Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        const updated = yield* storage.transition(row.name, row.version, from, to, at, caller?.id ?? "system")
        if (updated === undefined) return undefined
        yield* audit(caller, action, row.name, row.version, `${row.state} -> ${to}${why === undefined ? "" : `; ${why}`}`)
        yield* entryOf(updated)
        return updated
      })

    /** Deploys `row` and deprecates the version deployed before (one deploy at a time in this process). */
    const deploy = (row: Row, caller: Caller | undefined, why?: string) =>
      deploys.withPermits(1)(Effect.gen(function*() {
        const updated = yield* move(row, "deployed", ["approved"], caller, "workflow.deploy", why)
        if (updated === undefined) return undefined
        for (const other of yield* rowsOf(row.name)) {
          if (other.version !== row.version && other.state === "deployed") {
            yield* move(other, "deprecated", ["deployed"], caller, "workflow.deprecate", `replaced by version ${row.version}`)
          }
        }
        return updated
      }))

    const register: WorkflowRegistry.WorkflowRegistryShape["register"] = ({ source, format, by }) =>
      Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        const entry = yield* compiler.register({ source, format, by })
        if (code.has(entry.name)) {
          return yield* new ApiError.Conflict({ code: "idempotency_conflict", message: `Workflow '${entry.name}' is defined in code by this server; choose another name` })
        }
        const hash = hashOf(source)
        const existing = (yield* rowsOf(entry.name)).find((r) => r.hash === hash)
        // The same text again is the same version (registering is idempotent).
        if (existing !== undefined) return yield* Effect.orDie(getVersion(entry.name, existing.version))
        const row = yield* storage.insert({
          name: entry.name,
          label: entry.graph.version ?? "",
          hash,
          format: entry.format,
          source,
          state: approval.required ? "draft" : "approved",
          registeredAt: at,
          registeredBy: by,
          updatedAt: at,
          updatedBy: by
        })
        yield* audit(undefined, "workflow.register", row.name, row.version, `registered by ${by}; ${labelOf(row)}; sha256 ${hash.slice(0, 12)}; ${row.state}`)
        if (!approval.required) {
          yield* deploy(row, undefined, "approval not required")
        }
        return yield* Effect.orDie(getVersion(row.name, row.version))
      })

    const versions: WorkflowVersionsShape["versions"] = (name) =>
      Effect.gen(function*() {
        const own = code.get(name)
        if (own !== undefined) return [own]
        const rows = yield* rowsOf(name)
        if (rows.length === 0) return yield* notFound(`No workflow '${name}'`)
        const out: Array<WorkflowRegistry.Entry> = []
        for (const row of rows) {
          const entry = yield* entryOf(row)
          if (entry !== undefined) out.push(entry)
        }
        return out
      })

    const transition: WorkflowVersionsShape["transition"] = (name, version, t, caller) =>
      Effect.gen(function*() {
        if (code.has(name)) {
          return yield* new ApiError.Conflict({ code: "invalid_transition", message: `Workflow '${name}' is defined in code by this server; its lifecycle is the code's` })
        }
        const row = yield* storage.row(name, version)
        if (row === undefined) return yield* getVersion(name, version)
        const refused = Lifecycle.refusal(t, { state: row.state, author: row.registeredBy, actor: caller, workflow: name, version, approval })
        if (refused !== undefined) {
          return yield* (refused._tag === "forbidden"
            ? new ApiError.Forbidden({ code: refused.code === "self_approval" ? "self_approval" : "forbidden", message: refused.message, workflow: name })
            : new ApiError.Conflict({ code: "invalid_transition", message: refused.message }))
        }
        const rule = Lifecycle.rules[t]
        const updated = t === "deploy"
          ? yield* deploy(row, caller)
          : yield* move(row, rule.to, rule.from, caller, `workflow.${t}`)
        if (updated === undefined) {
          // Another request moved it first (compare-and-set lost).
          const now = yield* storage.row(name, version)
          return yield* new ApiError.Conflict({ code: "invalid_transition", message: `Cannot ${t} version ${version} of '${name}': it became ${now?.state.replace("_", " ") ?? "deleted"} meanwhile` })
        }
        return yield* getVersion(name, version)
      })

    const shape: WorkflowVersionsShape = {
      approval,
      // The storage is read on every request: what another server stored is seen at once.
      sync: Effect.void,
      register,
      registerGraph: (graph, registerOptions) =>
        Effect.map(compiler.registerGraph(graph, registerOptions), (entry) => {
          const own = { ...entry, state: "deployed" as const }
          code.set(graph.name, own)
          return own
        }),
      list: () =>
        Effect.gen(function*() {
          const out: Array<WorkflowRegistry.Entry> = []
          for (const name of yield* Effect.orDie(names())) {
            const entry = code.get(name) ?? (yield* Effect.orDie(current(name)))
            if (entry !== undefined) out.push(entry)
          }
          return out
        }),
      get,
      remove: (name) =>
        Effect.gen(function*() {
          if (code.has(name)) {
            return yield* new ApiError.Conflict({ code: "idempotency_conflict", message: `Workflow '${name}' is defined in code by this server and cannot be deleted through the API` })
          }
          yield* get(name)
          yield* storage.remove(name)
          for (const key of [...built.keys()]) if (key.startsWith(`${name}\u0000`)) built.delete(key)
        }),
      forStart: (name, { version, role }) =>
        Effect.gen(function*() {
          const own = code.get(name)
          if (own !== undefined && version === undefined) return own
          const entry = version === undefined ? yield* get(name) : yield* Effect.catchTag(getVersion(name, version), "RegistryError", (e) => Effect.die(e))
          const refused = Lifecycle.startRefusal(entry.state ?? "deployed", role, name, entry.version ?? 0)
          if (refused === undefined) return entry
          return yield* (refused.code === "not_deployed"
            ? new ApiError.Forbidden({ code: refused.code, message: refused.message, workflow: name })
            : new ApiError.Conflict({ code: refused.code, message: refused.message }))
        }),
      versions,
      getVersion,
      transition,
      forRun: (run) => {
        const n = run.version === undefined ? NaN : Number(run.version)
        return Number.isInteger(n) && n > 0 && !code.has(run.workflow) ? getVersion(run.workflow, n) : get(run.workflow)
      }
    }
    return shape
  })

/**
 * The registry as both services (`WorkflowRegistry` for the `/workflows` endpoints, `WorkflowVersions` for versions
 * and the lifecycle).
 *
 * @example
 * ```ts
 * WorkflowVersions.layer({ storage: WorkflowVersions.storageMemory() })
 * ```
 */
export const layer = (options: Options): Layer.Layer<WorkflowVersions | WorkflowRegistry.WorkflowRegistry, WorkflowRegistry.RegistryError> =>
  Layer.effectContext(Effect.map(make(options), (shape) => Context.make(WorkflowVersions, shape).pipe(Context.add(WorkflowRegistry.WorkflowRegistry, shape))))

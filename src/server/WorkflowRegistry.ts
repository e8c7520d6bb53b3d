/**
 * The workflows a server can run, by name: YAML or JSON definitions registered through the API (validated with
 * file:line:col problems, kept in the store so they survive a restart), and TypeScript workflows registered in code
 * by the process that serves them (with the services their steps need).
 *
 * This service is the seam for a versioned registry: what the endpoints need is `register`, `list`, `get` and
 * `remove`; a registry with versions and an approval lifecycle can implement the same shape (and decide which version
 * `get` returns) without touching the endpoints.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkflowRegistry } from "llm-orchestrator/server"
 * const program = Effect.gen(function*() {
 *   const registry = yield* WorkflowRegistry.WorkflowRegistry
 *   yield* registry.registerGraph(ragWorkflow, { context: yield* Effect.context<never>() })
 *   const yaml = yield* registry.register({ source: readFileSync("review.yaml", "utf8"), by: "cli" })
 * })
 * ```
 */
import { Clock, Context, Duration, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { type Analysis, type AnalyzeOptions, analyzeSource } from "../../codegen/analyze.ts"
import { formatDiagnostic } from "../../codegen/Diagnostic.ts"
import { toMermaid as yamlMermaid } from "../../codegen/graph.ts"
import { toMermaid as graphMermaid } from "../../dsl/mermaid.ts"
import type { Graph } from "../../dsl/Node.ts"
import type { Role } from "../auth/Role.ts"
import { migrate } from "../auth/Tables.ts"
import { prepare } from "../pipeline/Pipeline.ts"
import type { ActionHandler, Requirements } from "../yaml/interpret.ts"
import * as ApiError from "./ApiError.ts"
import type { State } from "./Lifecycle.ts"
import type * as Model from "./Model.ts"

/**
 * A registered workflow.
 *
 * @example
 * ```ts
 * const entry = yield* registry.get("rag")
 * entry.graph.nodes.length
 * ```
 */
export interface Entry {
  readonly name: string
  readonly format: Model.WorkflowFormat
  readonly description: string | undefined
  /** The YAML/JSON text (absent for TypeScript workflows). */
  readonly source: string | undefined
  readonly graph: Graph
  /** What the steps of a YAML/JSON workflow need (providers, stores), resolved when a run starts. */
  readonly requirements: Requirements | undefined
  /** The services a TypeScript workflow was registered with. */
  readonly context: Context.Context<never> | undefined
  readonly inputs: ReadonlyArray<string>
  readonly mermaid: string
  readonly registeredAt: number
  readonly registeredBy: string
  /** The version number (versioned registries; absent for TypeScript workflows, which are versioned by their code). */
  readonly version?: number | undefined
  /** The version's label: the definition's own `version:` field, else `v<number>`. */
  readonly label?: string | undefined
  /** SHA-256 of the definition's text. */
  readonly hash?: string | undefined
  /** Where the version is in its lifecycle (see `Lifecycle`). */
  readonly state?: State | undefined
}

/**
 * The registry could not read or write its storage.
 *
 * @example
 * ```ts
 * Effect.catchTag("RegistryError", (e) => Console.error(e.message))
 * ```
 */
export class RegistryError extends Schema.TaggedError<RegistryError>()("RegistryError", {
  operation: Schema.String,
  message: Schema.String
}) {}

/**
 * What the registry does.
 *
 * @example
 * ```ts
 * const all = yield* registry.list()
 * ```
 */
export interface WorkflowRegistryShape {
  /** Validates and registers a YAML/JSON definition (replacing one of the same name); fails with every problem at once. */
  readonly register: (definition: {
    readonly source: string
    readonly format?: "yaml" | "json" | undefined
    readonly by: string
  }) => Effect.Effect<Entry, ApiError.BadRequest | ApiError.Conflict | RegistryError>
  /** Registers a TypeScript workflow with the services its steps run with. */
  readonly registerGraph: (graph: Graph, options?: { readonly context?: Context.Context<never> | undefined; readonly by?: string | undefined }) => Effect.Effect<Entry>
  readonly list: () => Effect.Effect<ReadonlyArray<Entry>>
  readonly get: (name: string) => Effect.Effect<Entry, ApiError.NotFound>
  /** Re-reads what other processes stored now (rather than within the sync interval). */
  readonly sync: Effect.Effect<void>
  /**
   * The entry a run of `name` starts on for a caller with `role`: a versioned registry answers the deployed version
   * (or `version`) and refuses a version the caller may not start. Absent: `get`.
   */
  readonly forStart?: (
    name: string,
    options: { readonly version?: number | undefined; readonly role: Role }
  ) => Effect.Effect<Entry, ApiError.NotFound | ApiError.Forbidden | ApiError.Conflict>
  /** Removes a YAML/JSON workflow (TypeScript workflows belong to the code: `Conflict`). Runs already started keep going. */
  readonly remove: (name: string) => Effect.Effect<void, ApiError.NotFound | ApiError.Conflict | RegistryError>
}

/**
 * The service.
 *
 * @example
 * ```ts
 * const registry = yield* WorkflowRegistry.WorkflowRegistry
 * ```
 */
export class WorkflowRegistry extends Context.Service<WorkflowRegistry, WorkflowRegistryShape>()("llm-orchestrator/server/WorkflowRegistry") {}

/**
 * Where registered definitions are kept.
 *
 * @example
 * ```ts
 * const storage: WorkflowRegistry.Storage = WorkflowRegistry.storageMemory()
 * ```
 */
export interface Storage {
  readonly save: (row: { readonly name: string; readonly format: string; readonly source: string; readonly at: number; readonly by: string }) => Effect.Effect<void, RegistryError>
  readonly remove: (name: string) => Effect.Effect<void, RegistryError>
  readonly all: () => Effect.Effect<ReadonlyArray<{ readonly name: string; readonly format: string; readonly source: string; readonly at: number; readonly by: string }>, RegistryError>
}

/**
 * Definitions kept in memory only.
 *
 * @example
 * ```ts
 * WorkflowRegistry.make({ storage: WorkflowRegistry.storageMemory() })
 * ```
 */
export const storageMemory = (): Storage => {
  const rows = new Map<string, { name: string; format: string; source: string; at: number; by: string }>()
  return {
    save: (row) => Effect.sync(() => void rows.set(row.name, { ...row })),
    remove: (name) => Effect.sync(() => void rows.delete(name)),
    all: () => Effect.sync(() => [...rows.values()])
  }
}

/**
 * Definitions kept in `llmo_workflows` of the `SqlClient` in context.
 *
 * @example
 * ```ts
 * const storage = yield* WorkflowRegistry.storageSql
 * ```
 */
export const storageSql: Effect.Effect<Storage, RegistryError, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const failed = (operation: string) => (e: { readonly message: string }) => new RegistryError({ operation, message: e.message })
  yield* Effect.mapError(migrate, failed("migrate"))
  return {
    save: (row) =>
      sql.withTransaction(Effect.gen(function*() {
        yield* sql`DELETE FROM llmo_workflows WHERE name = ${row.name}`
        yield* sql`INSERT INTO llmo_workflows (name, format, source, registered_at, registered_by) VALUES (${row.name}, ${row.format}, ${row.source}, ${row.at}, ${row.by})`
      })).pipe(Effect.mapError(failed("save"))),
    remove: (name) => sql`DELETE FROM llmo_workflows WHERE name = ${name}`.pipe(Effect.asVoid, Effect.mapError(failed("remove"))),
    all: () =>
      sql<{ name: string; format: string; source: string; registered_at: number; registered_by: string }>`SELECT * FROM llmo_workflows ORDER BY name`.pipe(
        Effect.map((rows) => rows.map((r) => ({ name: r.name, format: r.format, source: r.source, at: Number(r.registered_at), by: r.registered_by }))),
        Effect.mapError(failed("all"))
      )
  }
})

/**
 * Options of the registry.
 *
 * @example
 * ```ts
 * WorkflowRegistry.make({ storage, analyze: { providers: { llm: ["openai", "local"], embeddings: [] } }, actions })
 * ```
 */
export interface Options {
  readonly storage: Storage
  /** How definitions are validated (the provider names the configuration makes valid). */
  readonly analyze?: AnalyzeOptions | undefined
  /** Custom actions YAML `action` steps may name. */
  readonly actions?: Readonly<Record<string, ActionHandler>> | undefined
  /**
   * How stale this process's view of definitions another process stored may get (default 1 s): `list` and `get`
   * re-read the storage when older; a name this process does not know is looked up at once.
   */
  readonly syncInterval?: Duration.Input | undefined
}

const looksLikeJson = (source: string) => /^\s*[{[]/.test(source)

/** The problems of an analysis as API problems (line, column, message). */
const problemsOf = (analysis: Analysis): ReadonlyArray<ApiError.DefinitionProblem> =>
  analysis.diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => ({ line: d.line, column: d.column, message: d.message, text: formatDiagnostic(d) }))

const invalid = (message: string, problems: ReadonlyArray<ApiError.DefinitionProblem>) =>
  new ApiError.BadRequest({ code: "invalid_definition", message, problems })

/**
 * Builds the registry; definitions already in `storage` are loaded (one that no longer validates is skipped and
 * reported through `onProblem`).
 *
 * @example
 * ```ts
 * const registry = yield* WorkflowRegistry.make({ storage: WorkflowRegistry.storageMemory() })
 * ```
 */
export const make = (options: Options & { readonly onProblem?: ((message: string) => void) | undefined }): Effect.Effect<WorkflowRegistryShape, RegistryError> =>
  Effect.gen(function*() {
    const entries = new Map<string, Entry>()

    const build = (source: string, format: "yaml" | "json" | undefined, by: string, at: number): Effect.Effect<Entry, ApiError.BadRequest> =>
      Effect.gen(function*() {
        const kind = format ?? (looksLikeJson(source) ? "json" : "yaml")
        if (kind === "json") {
          // YAML reads JSON too, but a JSON body that does not parse as JSON deserves JSON's own message.
          try {
            JSON.parse(source)
          } catch (e) {
            // JSON.parse names no position on Node 24; YAML (a superset of JSON) finds where the text breaks.
            const located = analyzeSource("workflow.json", source, options.analyze).diagnostics.find((d) => d.severity === "error")
            const m = /position (\d+)/.exec(String((e as Error).message))
            const before = m === null ? undefined : source.slice(0, Number(m[1])).split("\n")
            const line = before !== undefined ? before.length : located?.line ?? 1
            const column = before !== undefined ? (before[before.length - 1]?.length ?? 0) + 1 : located?.column ?? 1
            const message = `invalid JSON: ${(e as Error).message.replace(/\s+/g, " ")}`
            return yield* invalid(message, [{ line, column, message, text: `workflow.json:${line}:${column}: ${message}` }])
          }
        }
        const file = `workflow.${kind}`
        const analysis = analyzeSource(file, source, options.analyze)
        const problems = problemsOf(analysis)
        if (problems.length > 0) return yield* invalid(`The workflow definition has ${problems.length} problem${problems.length > 1 ? "s" : ""}: ${problems[0]!.text}`, problems)
        const name = analysis.workflow?.name
        if (name === undefined) return yield* invalid("The workflow definition has no name", [{ line: 1, column: 1, message: "missing required field \"name\"", text: `${file}:1:1: missing required field "name"` }])
        const interpreted = yield* Effect.mapError(prepare(analysis, { actions: options.actions }), (e) =>
          invalid(e.problems.join("; "), e.problems.map((p) => ({ line: 1, column: 1, message: p, text: p }))))
        return {
          name,
          format: kind,
          description: analysis.workflow?.description,
          source,
          graph: interpreted.workflow as unknown as Graph,
          requirements: interpreted.requirements,
          context: undefined,
          inputs: [...analysis.inputs.keys()],
          mermaid: yamlMermaid(analysis),
          registeredAt: at,
          registeredBy: by
        } satisfies Entry
      })

    // Several servers on one store (replicas behind a load balancer) register through each other: what another one
    // stored is loaded on a miss at once, and changes and removals at most `syncInterval` later.
    const syncMillis = Duration.toMillis(Duration.fromInputUnsafe(options.syncInterval ?? "1 second"))
    const reported = new Set<string>()
    let syncedAt = Number.NEGATIVE_INFINITY
    const sync = (rows: ReadonlyArray<{ readonly name: string; readonly format: string; readonly source: string; readonly at: number; readonly by: string }>, readAt: number) =>
      Effect.gen(function*() {
        const stored = new Set<string>()
        for (const row of rows) {
          stored.add(row.name)
          const have = entries.get(row.name)
          // Newer here (registered while the rows were read) or the same: keep it.
          if (have !== undefined && (have.format === "typescript" || have.registeredAt > row.at || (have.registeredAt === row.at && have.source === row.source))) continue
          const built = yield* Effect.result(build(row.source, row.format === "json" ? "json" : "yaml", row.by, row.at))
          if (built._tag === "Success") entries.set(built.success.name, built.success)
          else if (!reported.has(`${row.name}\u0000${row.at}`)) {
            reported.add(`${row.name}\u0000${row.at}`)
            options.onProblem?.(`registered workflow '${row.name}' no longer validates and is not served: ${built.failure.message}`)
          }
        }
        for (const [name, entry] of entries) if (entry.format !== "typescript" && !stored.has(name) && entry.registeredAt < readAt) entries.delete(name)
        syncedAt = readAt
      })
    yield* sync(yield* options.storage.all(), yield* Clock.currentTimeMillis)
    // A store that does not answer keeps what this process knows; the next request tries again.
    const refresh = (force: boolean) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (!force && now - syncedAt < syncMillis) return
        const rows = yield* Effect.result(options.storage.all())
        if (rows._tag === "Success") yield* sync(rows.success, now)
      })

    const lookup = (name: string) =>
      Effect.suspend(() => {
        const entry = entries.get(name)
        return entry === undefined
          ? Effect.fail(new ApiError.NotFound({ code: "workflow_not_found", message: `No workflow '${name}'${entries.size > 0 ? ` (registered: ${[...entries.keys()].sort().join(", ")})` : ""}` }))
          : Effect.succeed(entry)
      })
    const get: WorkflowRegistryShape["get"] = (name) =>
      Effect.flatMap(refresh(!entries.has(name)), () => lookup(name))

    return {
      register: ({ source, format, by }) =>
        Effect.gen(function*() {
          const at = yield* Clock.currentTimeMillis
          const entry = yield* build(source, format, by, at)
          if (entries.get(entry.name)?.format === "typescript") {
            return yield* new ApiError.Conflict({ code: "idempotency_conflict", message: `Workflow '${entry.name}' is defined in code by this server; choose another name` })
          }
          // Stored before it is served: a definition the store did not take is not registered.
          yield* options.storage.save({ name: entry.name, format: entry.format, source, at, by })
          entries.set(entry.name, entry)
          return entry
        }),
      registerGraph: (graph, registerOptions) =>
        Effect.gen(function*() {
          const entry: Entry = {
            name: graph.name,
            format: "typescript",
            description: graph.description,
            source: undefined,
            graph,
            requirements: undefined,
            context: registerOptions?.context ?? (yield* Effect.context<never>()),
            inputs: inputNames(graph),
            mermaid: graphMermaid(graph),
            registeredAt: yield* Clock.currentTimeMillis,
            registeredBy: registerOptions?.by ?? "code"
          }
          entries.set(graph.name, entry)
          return entry
        }),
      sync: refresh(true),
      list: () => Effect.map(refresh(false), () => [...entries.values()].sort((a, b) => a.name.localeCompare(b.name))),
      get,
      remove: (name) =>
        Effect.gen(function*() {
          const entry = yield* get(name)
          if (entry.format === "typescript") {
            return yield* new ApiError.Conflict({ code: "idempotency_conflict", message: `Workflow '${name}' is defined in code by this server and cannot be deleted through the API` })
          }
          yield* options.storage.remove(name)
          entries.delete(name)
        })
    }
  })

/** The top-level field names of a workflow's input Schema. */
const inputNames = (graph: Graph): ReadonlyArray<string> => {
  const fields = (graph.input as unknown as { fields?: Record<string, unknown> }).fields
  return fields === undefined ? [] : Object.keys(fields)
}

/**
 * The JSON Schema of a workflow's input (draft 2020-12), for `GET /workflows/{name}`.
 *
 * @example
 * ```ts
 * WorkflowRegistry.inputJsonSchema(entry.graph)
 * ```
 */
export const inputJsonSchema = (graph: Graph): unknown => {
  try {
    const doc = Schema.toJsonSchemaDocument(graph.input as Schema.Top)
    return Object.keys(doc.definitions).length === 0 ? doc.schema : { ...doc.schema, $defs: doc.definitions }
  } catch {
    return {}
  }
}

/**
 * A registry as a layer.
 *
 * @example
 * ```ts
 * WorkflowRegistry.layer({ storage: WorkflowRegistry.storageMemory() })
 * ```
 */
export const layer = (options: Options): Layer.Layer<WorkflowRegistry, RegistryError> => Layer.effect(WorkflowRegistry, make(options))

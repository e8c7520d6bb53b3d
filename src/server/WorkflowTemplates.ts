/**
 * Workflow templates: a YAML/JSON workflow text with declared parameters, `${{ params.NAME }}` where a value goes,
 * registered once and instantiated into new workflows. An instance is registered like any other workflow (validated
 * with line:col problems, versioned, under the approval lifecycle); the implicit parameter `name` is the new
 * workflow's name.
 *
 * Values are checked against their declared type before they are put in the text, and a string value may not hold a
 * line break or `{{`, so a parameter can never add steps or expressions to the workflow it fills in.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkflowTemplates } from "llm-orchestrator/server"
 * const program = Effect.gen(function*() {
 *   const templates = yield* WorkflowTemplates.WorkflowTemplates
 *   yield* templates.register({ name: "summarize", parameters: { model: { type: "string", default: "gpt-4o-mini" } }, source, by: "key:0123456789ab" })
 *   const entry = yield* templates.instantiate("summarize", { name: "summarize-news", parameters: { model: "gpt-4o" }, by: "key:0123456789ab" })
 * })
 * ```
 */
import { Clock, Context, Effect, Layer, Schema } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import * as ApiError from "./ApiError.ts"
import { type Entry, RegistryError, WorkflowRegistry, type WorkflowRegistryShape } from "./WorkflowRegistry.ts"

/**
 * One declared parameter.
 *
 * @example
 * ```ts
 * const p: WorkflowTemplates.Parameter = { type: "number", default: 0.2, description: "sampling temperature" }
 * ```
 */
export const Parameter = Schema.Struct({
  type: Schema.Literals(["string", "number", "boolean"]),
  default: Schema.optionalKey(Schema.Union([Schema.String, Schema.Number, Schema.Boolean])),
  description: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "TemplateParameter" })
/** The type of {@link Parameter}. */
export type Parameter = typeof Parameter.Type

/**
 * A registered template.
 *
 * @example
 * ```ts
 * const t: WorkflowTemplates.Template = yield* templates.get("summarize")
 * ```
 */
export const Template = Schema.Struct({
  name: Schema.String,
  description: Schema.optionalKey(Schema.String),
  parameters: Schema.Record(Schema.String, Parameter),
  source: Schema.String,
  registeredAt: Schema.Number,
  registeredBy: Schema.String
}).annotate({ identifier: "Template" })
/** The type of {@link Template}. */
export type Template = typeof Template.Type

/**
 * Where templates are kept.
 *
 * @example
 * ```ts
 * WorkflowTemplates.make({ storage: WorkflowTemplates.storageMemory(), registry })
 * ```
 */
export interface Storage {
  readonly save: (template: Template) => Effect.Effect<void, RegistryError>
  readonly get: (name: string) => Effect.Effect<Template | undefined, RegistryError>
  readonly all: () => Effect.Effect<ReadonlyArray<Template>, RegistryError>
}

/**
 * Templates in memory.
 *
 * @example
 * ```ts
 * const storage = WorkflowTemplates.storageMemory()
 * ```
 */
export const storageMemory = (): Storage => {
  const rows = new Map<string, Template>()
  return {
    save: (t) => Effect.sync(() => void rows.set(t.name, t)),
    get: (name) => Effect.sync(() => rows.get(name)),
    all: () => Effect.sync(() => [...rows.values()].sort((a, b) => a.name.localeCompare(b.name)))
  }
}

const migrations = Migrator.fromRecord({
  "1_create_workflow_templates": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_workflow_templates (name TEXT PRIMARY KEY, body TEXT NOT NULL)`
  })
})

/**
 * Templates in `llmo_workflow_templates` of the `SqlClient` in context.
 *
 * @example
 * ```ts
 * const storage = yield* WorkflowTemplates.storageSql
 * ```
 */
export const storageSql: Effect.Effect<Storage, RegistryError, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const failed = (operation: string) => (e: { readonly message: string }) => new RegistryError({ operation, message: e.message })
  yield* Migrator.make({})({ loader: migrations, table: "llmo_template_migrations" }).pipe(Effect.mapError(failed("migrate")))
  const decode = Schema.decodeUnknownSync(Schema.fromJsonString(Template))
  return {
    save: (t) =>
      sql.withTransaction(Effect.gen(function*() {
        yield* sql`DELETE FROM llmo_workflow_templates WHERE name = ${t.name}`
        yield* sql`INSERT INTO llmo_workflow_templates (name, body) VALUES (${t.name}, ${JSON.stringify(t)})`
      })).pipe(Effect.mapError(failed("save"))),
    get: (name) =>
      sql<{ body: string }>`SELECT body FROM llmo_workflow_templates WHERE name = ${name}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : decode(rows[0].body))),
        Effect.mapError(failed("get"))
      ),
    all: () =>
      sql<{ body: string }>`SELECT body FROM llmo_workflow_templates ORDER BY name`.pipe(
        Effect.map((rows) => rows.map((r) => decode(r.body))),
        Effect.mapError(failed("all"))
      )
  }
})

/**
 * What the service does.
 *
 * @example
 * ```ts
 * const all = yield* templates.list()
 * ```
 */
export interface WorkflowTemplatesShape {
  /** Checks that every `${{ params.X }}` is declared (or is `name`), and keeps the template (replacing one of the same name). */
  readonly register: (template: {
    readonly name: string
    readonly description?: string | undefined
    readonly parameters: Readonly<Record<string, Parameter>>
    readonly source: string
    readonly by: string
  }) => Effect.Effect<Template, ApiError.BadRequest | RegistryError>
  readonly list: () => Effect.Effect<ReadonlyArray<Template>, RegistryError>
  readonly get: (name: string) => Effect.Effect<Template, ApiError.NotFound | RegistryError>
  /** Fills the template in and registers the result as workflow `name` (a new version of it if it exists). */
  readonly instantiate: (
    template: string,
    request: { readonly name: string; readonly parameters: Readonly<Record<string, unknown>>; readonly by: string }
  ) => Effect.Effect<Entry, ApiError.NotFound | ApiError.BadRequest | ApiError.Conflict | RegistryError>
}

/**
 * The service.
 *
 * @example
 * ```ts
 * const templates = yield* WorkflowTemplates.WorkflowTemplates
 * ```
 */
export class WorkflowTemplates extends Context.Service<WorkflowTemplates, WorkflowTemplatesShape>()("llm-orchestrator/server/WorkflowTemplates") {}

const placeholder = /\$\{\{\s*params\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}/g

const bad = (message: string, errors: ReadonlyArray<{ readonly path: string; readonly message: string }>) =>
  new ApiError.BadRequest({ code: "invalid_request", message, errors })

/** Line and column of offset `at` in `text` (1-based). */
const where = (text: string, at: number) => {
  const before = text.slice(0, at).split("\n")
  return { line: before.length, column: before[before.length - 1]!.length + 1 }
}

/**
 * The service over `storage`, registering instances in `registry`.
 *
 * @example
 * ```ts
 * const templates = WorkflowTemplates.make({ storage: WorkflowTemplates.storageMemory(), registry })
 * ```
 */
export const make = (options: { readonly storage: Storage; readonly registry: WorkflowRegistryShape }): WorkflowTemplatesShape => {
  const { registry, storage } = options
  const get: WorkflowTemplatesShape["get"] = (name) =>
    Effect.flatMap(storage.get(name), (t) => (t === undefined ? Effect.fail(new ApiError.NotFound({ code: "workflow_not_found", message: `No template '${name}'` })) : Effect.succeed(t)))
  return {
    register: (template) =>
      Effect.gen(function*() {
        const undeclared: Array<{ path: string; message: string }> = []
        for (const m of template.source.matchAll(placeholder)) {
          const param = m[1]!
          if (param !== "name" && template.parameters[param] === undefined) {
            const at = where(template.source, m.index)
            undeclared.push({ path: `source:${at.line}:${at.column}`, message: `parameter '${param}' is not declared (declared: ${Object.keys(template.parameters).join(", ") || "none"})` })
          }
        }
        if (undeclared.length > 0) return yield* bad(`The template uses ${undeclared.length} undeclared parameter${undeclared.length > 1 ? "s" : ""}: ${undeclared.map((u) => `${u.path}: ${u.message}`).join("; ")}`, undeclared)
        if (!/\$\{\{\s*params\.name\s*\}\}/.test(template.source)) {
          return yield* bad("The template must name its workflows with ${{ params.name }} (e.g. `name: ${{ params.name }}`)", [{ path: "source", message: "no ${{ params.name }}" }])
        }
        for (const [param, p] of Object.entries(template.parameters)) {
          if (p.default !== undefined && typeof p.default !== p.type) {
            return yield* bad(`parameters.${param}.default: expected a ${p.type}, got ${JSON.stringify(p.default)}`, [{ path: `parameters.${param}.default`, message: `expected a ${p.type}` }])
          }
        }
        const stored: Template = {
          name: template.name,
          ...(template.description !== undefined ? { description: template.description } : {}),
          parameters: { ...template.parameters },
          source: template.source,
          registeredAt: yield* Clock.currentTimeMillis,
          registeredBy: template.by
        }
        yield* storage.save(stored)
        return stored
      }),
    list: () => storage.all(),
    get,
    instantiate: (name, request) =>
      Effect.gen(function*() {
        const template = yield* get(name)
        const errors: Array<{ path: string; message: string }> = []
        const values: Record<string, string | number | boolean> = {}
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(request.name)) errors.push({ path: "name", message: "a workflow name: letters, digits, '-', '_' and '.'" })
        values["name"] = request.name
        for (const key of Object.keys(request.parameters)) {
          if (template.parameters[key] === undefined) errors.push({ path: `parameters.${key}`, message: `not a parameter of template '${name}' (${Object.keys(template.parameters).join(", ") || "none"})` })
        }
        for (const [param, p] of Object.entries(template.parameters)) {
          const given = request.parameters[param] ?? p.default
          if (given === undefined) errors.push({ path: `parameters.${param}`, message: `missing (a ${p.type}${p.description !== undefined ? `: ${p.description}` : ""})` })
          else if (typeof given !== p.type) errors.push({ path: `parameters.${param}`, message: `expected a ${p.type}, got ${JSON.stringify(given)}` })
          else if (typeof given === "string" && (/[\r\n]/.test(given) || given.includes("{{"))) errors.push({ path: `parameters.${param}`, message: "may not hold a line break or '{{'" })
          else values[param] = given as string | number | boolean
        }
        if (errors.length > 0) return yield* bad(`Cannot instantiate template '${name}': ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, errors)
        const source = template.source.replace(placeholder, (_m, param: string) => String(values[param]))
        const entry = yield* registry.register({ source, by: request.by })
        if (entry.name !== request.name) {
          return yield* bad(`The template's workflow is named '${entry.name}', not '${request.name}': its name field must be \${{ params.name }}`, [{ path: "name", message: "not the workflow's name" }])
        }
        return entry
      })
  }
}

/**
 * Templates as a layer, instances registered in the `WorkflowRegistry` in context.
 *
 * @example
 * ```ts
 * WorkflowTemplates.layer(Effect.sync(WorkflowTemplates.storageMemory))
 * ```
 */
export const layer = <E, R>(storage: Effect.Effect<Storage, E, R>): Layer.Layer<WorkflowTemplates, E, R | WorkflowRegistry> =>
  Layer.effect(WorkflowTemplates, Effect.gen(function*() {
    return make({ storage: yield* storage, registry: yield* WorkflowRegistry })
  }))

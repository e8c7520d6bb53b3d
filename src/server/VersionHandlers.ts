/**
 * The handlers of `/workflows/{name}/versions`: list and read versions, and the lifecycle transitions (submit,
 * approve, reject, deploy, deprecate) on the versioned registry. The caller's workflow allow list applies; the
 * lifecycle's own rules (state, a distinct approver) are the registry's, so the REST API and code obey one table.
 *
 * @example
 * ```ts
 * Layer.mergeAll(Handlers.layer(options), VersionHandlers.layer)
 * ```
 */
import { Effect, Layer } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { allows, CurrentPrincipal, type Principal } from "../auth/Principal.ts"
import { Api } from "./Api.ts"
import * as ApiError from "./ApiError.ts"
import type { Transition } from "./Lifecycle.ts"
import type * as Model from "./Model.ts"
import { AuditNote } from "./Security.ts"
import { type Entry, inputJsonSchema } from "./WorkflowRegistry.ts"
import { WorkflowTemplates } from "./WorkflowTemplates.ts"
import { WorkflowVersions } from "./WorkflowVersions.ts"

/**
 * A registry entry as the API lists it (with its version, label, hash and state when it has them).
 *
 * @example
 * ```ts
 * VersionHandlers.summaryOf(entry).state // "deployed"
 * ```
 */
export const summaryOf = (entry: Entry): Model.WorkflowSummary => ({
  name: entry.name,
  ...(entry.description !== undefined ? { description: entry.description } : {}),
  format: entry.format,
  inputs: entry.inputs,
  steps: entry.graph.nodes.map((n) => n.id).filter((id) => id !== "_outputs"),
  registeredAt: entry.registeredAt,
  registeredBy: entry.registeredBy,
  ...(entry.version !== undefined ? { version: entry.version } : {}),
  ...(entry.label !== undefined ? { label: entry.label } : {}),
  ...(entry.hash !== undefined ? { hash: entry.hash } : {}),
  ...(entry.state !== undefined ? { state: entry.state } : {})
})

/**
 * A registry entry with its graph, input schema and source.
 *
 * @example
 * ```ts
 * VersionHandlers.detailOf(entry).mermaid
 * ```
 */
export const detailOf = (entry: Entry): Model.WorkflowDetail => ({
  ...summaryOf(entry),
  mermaid: entry.mermaid,
  inputSchema: inputJsonSchema(entry.graph),
  ...(entry.source !== undefined ? { source: entry.source } : {})
})

const principalName = (who: Principal) => `${who.kind}:${who.id}`

const checkWorkflow = (workflow: string) =>
  Effect.flatMap(CurrentPrincipal, (who) =>
    allows(who, workflow)
      ? Effect.void
      : Effect.fail(new ApiError.Forbidden({
        code: "workflow_not_allowed",
        message: `This ${who.kind === "key" ? "key" : "token"} may not act on workflow '${workflow}' (allowed: ${who.workflows === "*" ? "all" : who.workflows.join(", ") || "none"})`,
        workflow
      })))

const unavailable = (e: { readonly message: string }) => new ApiError.Unavailable({ code: "store_unavailable", message: `Workflow registry: ${e.message}` })

const versionsGroup = HttpApiBuilder.group(Api, "versions", Effect.fn(function*(handlers) {
  const versions = yield* WorkflowVersions
  const move = (t: Transition) => ({ params }: { readonly params: { readonly name: string; readonly version: number } }) =>
    Effect.gen(function*() {
      yield* checkWorkflow(params.name)
      const who = yield* CurrentPrincipal
      const note = yield* AuditNote
      note.target = `workflow:${params.name}@${params.version}`
      const before = yield* versions.getVersion(params.name, params.version).pipe(Effect.catchTag("RegistryError", (e) => Effect.fail(unavailable(e))))
      const state = before.state
      const entry = yield* versions.transition(params.name, params.version, t, { id: principalName(who), role: who.role }).pipe(
        Effect.catchTag("RegistryError", (e) => Effect.fail(unavailable(e)))
      )
      note.detail = `${state} -> ${entry.state}`
      return summaryOf(entry)
    })
  return handlers.handleAll({
    list: ({ params }) =>
      Effect.gen(function*() {
        yield* checkWorkflow(params.name)
        const all = yield* versions.versions(params.name).pipe(Effect.catchTag("RegistryError", (e) => Effect.fail(unavailable(e))))
        return { versions: all.map(summaryOf) }
      }),
    get: ({ params }) =>
      Effect.gen(function*() {
        yield* checkWorkflow(params.name)
        return detailOf(yield* versions.getVersion(params.name, params.version).pipe(Effect.catchTag("RegistryError", (e) => Effect.fail(unavailable(e)))))
      }),
    submit: move("submit"),
    approve: move("approve"),
    reject: move("reject"),
    deploy: move("deploy"),
    deprecate: move("deprecate")
  })
}))

const templatesGroup = HttpApiBuilder.group(Api, "templates", Effect.fn(function*(handlers) {
  const templates = yield* WorkflowTemplates
  const failure = <A, E>(effect: Effect.Effect<A, E>) =>
    Effect.catchIf(effect, (e): e is E & { readonly _tag: "RegistryError"; readonly message: string } => (e as { _tag?: string })._tag === "RegistryError", (e) => Effect.fail(unavailable(e)))
  return handlers.handleAll({
    list: () => Effect.map(failure(templates.list()), (all) => ({ templates: [...all] })),
    register: ({ payload }) =>
      Effect.gen(function*() {
        const who = yield* CurrentPrincipal
        const note = yield* AuditNote
        note.target = `template:${payload.name}`
        return yield* failure(templates.register({ name: payload.name, description: payload.description, parameters: payload.parameters ?? {}, source: payload.source, by: principalName(who) }))
      }),
    get: ({ params }) => failure(templates.get(params.name)),
    instantiate: ({ params, payload }) =>
      Effect.gen(function*() {
        yield* checkWorkflow(payload.name)
        const who = yield* CurrentPrincipal
        const note = yield* AuditNote
        const entry = yield* failure(templates.instantiate(params.name, { name: payload.name, parameters: payload.parameters ?? {}, by: principalName(who) }))
        note.target = `workflow:${entry.name}@${entry.version ?? "code"}`
        note.detail = `from template ${params.name}`
        return detailOf(entry)
      })
  })
}))

/**
 * The handlers of the versions and templates groups (on `WorkflowVersions` and `WorkflowTemplates`).
 *
 * @example
 * ```ts
 * HttpApiBuilder.layer(Api).pipe(Layer.provide(VersionHandlers.layer))
 * ```
 */
export const layer = Layer.merge(versionsGroup, templatesGroup)

/**
 * The services the steps of each registered workflow run with: a TypeScript workflow brings its own (registered in
 * code); a YAML or JSON workflow gets its providers and stores resolved from the configuration and environment
 * (secret references read through `Secrets`), once per registration, for the life of the server. A provider without
 * its key is a 422 `services_missing` naming the steps that need it.
 *
 * @example
 * ```ts
 * const services = yield* WorkflowServices.WorkflowServices
 * const context = yield* services.contextOf(entry)
 * ```
 */
import { Context, Effect, Layer, Scope } from "effect"
import { describeMissing } from "../pipeline/PipelineError.ts"
import * as Services from "../pipeline/Services.ts"
import * as ApiError from "./ApiError.ts"
import type { Entry } from "./WorkflowRegistry.ts"

/**
 * What the service does.
 *
 * @example
 * ```ts
 * yield* services.contextOf(entry)
 * ```
 */
export interface WorkflowServicesShape {
  readonly contextOf: (entry: Entry) => Effect.Effect<Context.Context<never>, ApiError.Unprocessable>
}

/**
 * The service.
 *
 * @example
 * ```ts
 * WorkflowServices.layer({ env: process.env })
 * ```
 */
export class WorkflowServices extends Context.Service<WorkflowServices, WorkflowServicesShape>()("llm-orchestrator/server/WorkflowServices") {}

/**
 * The service on these settings (providers, stores, environment, policy).
 *
 * @example
 * ```ts
 * WorkflowServices.layer({ env: { OPENAI_API_KEY: "..." } })
 * ```
 */
export const layer = (options: Services.ServicesOptions): Layer.Layer<WorkflowServices> =>
  Layer.effect(WorkflowServices, Effect.gen(function*() {
    const scope = yield* Scope.Scope
    const built = new WeakMap<Entry, Context.Context<never>>()
    const contextOf = (entry: Entry) =>
      Effect.gen(function*() {
        if (entry.context !== undefined) return entry.context
        const cached = built.get(entry)
        if (cached !== undefined) return cached
        const resolved = yield* Services.resolve(entry.requirements!, options).pipe(
          Effect.provideService(Scope.Scope, scope),
          Effect.mapError((e) =>
            e._tag === "ServicesMissing"
              ? new ApiError.Unprocessable({
                code: "services_missing",
                message: e.missing.map(describeMissing).join("; ").replace(/ or mock (it|them) \(--mock\)/g, ""),
                problems: e.missing.map(describeMissing)
              })
              : new ApiError.Unprocessable({ code: "services_missing", message: `provider "${e.provider}" setting ${e.setting}: ${e.message}` })
          )
        )
        const context = yield* Layer.buildWithScope(resolved.layer, scope).pipe(
          Effect.mapError((e) =>
            new ApiError.Unprocessable({ code: "services_missing", message: `Services of workflow '${entry.name}' could not be built: ${String((e as { message?: unknown })?.message ?? e)}` })
          )
        )
        built.set(entry, context as Context.Context<never>)
        return context as Context.Context<never>
      })
    return { contextOf }
  }))

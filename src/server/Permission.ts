/**
 * The permission each endpoint of the API requires, declared on the endpoint itself (an HttpApi annotation), so the
 * check cannot drift from the route: the authentication middleware reads it from the endpoint it wraps, and an
 * endpoint without one is refused to everybody (fail closed). `public` endpoints need no credentials.
 *
 * @example
 * ```ts
 * import { HttpApiEndpoint } from "effect/http-api"
 * import { Permission } from "llm-orchestrator/server"
 * const list = HttpApiEndpoint.get("list", "/runs").annotate(Permission.Required, "runs:read")
 * Permission.of(list) // "runs:read"
 * ```
 */
import { Context, Option } from "effect"
import type { HttpApiEndpoint } from "effect/http-api"
import type { Permission as P } from "../auth/Role.ts"

/**
 * What an endpoint requires: a permission, or `public`.
 *
 * @example
 * ```ts
 * const r: Permission.Requirement = "public"
 * ```
 */
export type Requirement = P | "public"

/**
 * The annotation.
 *
 * @example
 * ```ts
 * endpoint.annotate(Permission.Required, "workflows:write")
 * ```
 */
export class Required extends Context.Service<Required, Requirement>()("llm-orchestrator/server/Permission") {}

/**
 * The requirement of `endpoint`, or undefined when it declares none (a bug the generated test catches; the
 * middleware refuses such an endpoint).
 *
 * @example
 * ```ts
 * Permission.of(endpoint) ?? "undeclared"
 * ```
 */
export const of = (endpoint: HttpApiEndpoint.Top): Requirement | undefined =>
  Option.getOrUndefined(Context.getOption(endpoint.annotations, Required))

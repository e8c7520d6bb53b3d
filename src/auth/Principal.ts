/**
 * Who is calling: an API key or a JWT subject, with its role and the workflows it may act on. The server's
 * authentication middleware provides the caller as {@link CurrentPrincipal} to every handler.
 *
 * @example
 * ```ts
 * import { Principal } from "llm-orchestrator/auth"
 * const p: Principal.Principal = { kind: "key", id: "k1", name: "ci", role: "runner", workflows: ["nightly"] }
 * Principal.allows(p, "nightly") // true
 * Principal.allows(p, "other") // false
 * ```
 */
import { Context } from "effect"
import type { Role } from "./Role.ts"

/**
 * An authenticated caller. `workflows` is `"*"` (every workflow) or the names it may act on; the identity never holds
 * the credential itself.
 *
 * @example
 * ```ts
 * const admin: Principal.Principal = { kind: "jwt", id: "alice@example.com", name: "alice@example.com", role: "admin", workflows: "*" }
 * ```
 */
export interface Principal {
  readonly kind: "key" | "jwt"
  /** The key id, or the token's `sub`. */
  readonly id: string
  /** The key's name, or the token's subject. */
  readonly name: string
  readonly role: Role
  readonly workflows: "*" | ReadonlyArray<string>
}

/**
 * The caller of the current request.
 *
 * @example
 * ```ts
 * const who = yield* Principal.CurrentPrincipal
 * ```
 */
export class CurrentPrincipal extends Context.Service<CurrentPrincipal, Principal>()("llm-orchestrator/auth/CurrentPrincipal") {}

/**
 * True when `principal` may act on workflow `name`.
 *
 * @example
 * ```ts
 * Principal.allows({ kind: "key", id: "k", name: "k", role: "viewer", workflows: "*" }, "rag") // true
 * ```
 */
export const allows = (principal: Principal, name: string): boolean =>
  principal.workflows === "*" || principal.workflows.includes(name)

/**
 * How a principal is written in audit entries and logs: `key:k1 (ci)`, `jwt:alice`.
 *
 * @example
 * ```ts
 * Principal.show({ kind: "key", id: "k1", name: "ci", role: "runner", workflows: "*" }) // "key:k1 (ci)"
 * ```
 */
export const show = (principal: Principal): string =>
  principal.name === principal.id ? `${principal.kind}:${principal.id}` : `${principal.kind}:${principal.id} (${principal.name})`

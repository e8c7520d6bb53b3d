/**
 * Roles and permissions of the REST API. A permission names one kind of action; a role is a set of permissions:
 *
 * | role | permissions |
 * |---|---|
 * | `viewer` | `workflows:read`, `runs:read`, `ops:read` |
 * | `runner` | viewer's, plus `runs:write` (start, cancel, signal, resume runs) |
 * | `admin`  | runner's, plus `workflows:write` (register, delete, submit, deploy, deprecate), `workflows:approve` (approve, reject), `runs:admin` (prune), `keys:admin`, `audit:read` |
 *
 * Every endpoint of the API declares the one permission it needs (`Permission` annotation in `src/server`); a
 * workflow allow list on a key or token narrows what the permissions apply to.
 *
 * @example
 * ```ts
 * import { Role } from "llm-orchestrator/auth"
 * Role.can("runner", "runs:write") // true
 * Role.can("viewer", "runs:write") // false
 * ```
 */
import { Schema } from "effect"

/**
 * The roles, weakest first.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Role.Role)("runner")
 * ```
 */
export const Role = Schema.Literals(["viewer", "runner", "admin"])
/**
 * A role.
 *
 * @example
 * ```ts
 * const role: Role.Role = "viewer"
 * ```
 */
export type Role = typeof Role.Type

/**
 * Every permission an endpoint can require.
 *
 * @example
 * ```ts
 * const p: Role.Permission = "runs:write"
 * ```
 */
export const Permission = Schema.Literals([
  "workflows:read",
  "workflows:write",
  "workflows:approve",
  "runs:read",
  "runs:write",
  "runs:admin",
  "keys:admin",
  "audit:read",
  "ops:read"
])
/**
 * A permission.
 *
 * @example
 * ```ts
 * const p: Role.Permission = "audit:read"
 * ```
 */
export type Permission = typeof Permission.Type

/**
 * The permissions of each role.
 *
 * @example
 * ```ts
 * Role.permissions.viewer.has("runs:read") // true
 * ```
 */
export const permissions: Readonly<Record<Role, ReadonlySet<Permission>>> = (() => {
  const viewer: ReadonlyArray<Permission> = ["workflows:read", "runs:read", "ops:read"]
  const runner: ReadonlyArray<Permission> = [...viewer, "runs:write"]
  return {
    viewer: new Set(viewer),
    runner: new Set(runner),
    admin: new Set(Permission.literals)
  }
})()

/**
 * True when `role` has `permission`.
 *
 * @example
 * ```ts
 * Role.can("admin", "keys:admin") // true
 * ```
 */
export const can = (role: Role, permission: Permission): boolean => permissions[role].has(permission)

/**
 * The weakest role that has `permission` (for messages: "needs role runner").
 *
 * @example
 * ```ts
 * Role.weakestWith("runs:write") // "runner"
 * ```
 */
export const weakestWith = (permission: Permission): Role => Role.literals.find((r) => can(r, permission)) ?? "admin"

/**
 * True when `value` is a role name.
 *
 * @example
 * ```ts
 * Role.isRole("owner") // false
 * ```
 */
export const isRole = (value: unknown): value is Role => typeof value === "string" && (Role.literals as ReadonlyArray<string>).includes(value)

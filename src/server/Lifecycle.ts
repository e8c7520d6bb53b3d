/**
 * The lifecycle of a workflow version, as a table of rules the registry and the REST API both apply:
 *
 * | transition | from | to | permission | who |
 * |---|---|---|---|---|
 * | `submit` | draft | pending_approval | `workflows:write` | any admin |
 * | `approve` | pending_approval | approved | `workflows:approve` | an admin other than the author (configurable) |
 * | `reject` | pending_approval | draft | `workflows:approve` | any admin |
 * | `deploy` | approved | deployed | `workflows:write` | any admin; the version deployed before becomes deprecated |
 * | `deprecate` | draft, pending_approval, approved, deployed | deprecated | `workflows:write` | any admin |
 *
 * Only a deployed version is started by `runner` callers; an admin may also start a draft, pending or approved
 * version by number (to try it before approving it); nobody starts a deprecated one, whose runs already going or
 * suspended still finish on it.
 *
 * @example
 * ```ts
 * import { Lifecycle } from "llm-orchestrator/server"
 * Lifecycle.rules.approve.from // ["pending_approval"]
 * Lifecycle.refusal("approve", { state: "draft", author: "key:a", actor: { id: "key:b", role: "admin" }, workflow: "w", version: 1 })?.code
 * // "invalid_transition"
 * ```
 */
import { Schema } from "effect"
import * as Role from "../auth/Role.ts"

/**
 * The states of a version.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Lifecycle.State)("deployed")
 * ```
 */
export const State = Schema.Literals(["draft", "pending_approval", "approved", "deployed", "deprecated"])
/** The type of {@link State}. */
export type State = typeof State.Type

/**
 * The transitions.
 *
 * @example
 * ```ts
 * const t: Lifecycle.Transition = "deploy"
 * ```
 */
export const Transition = Schema.Literals(["submit", "approve", "reject", "deploy", "deprecate"])
/** The type of {@link Transition}. */
export type Transition = typeof Transition.Type

/**
 * One rule of the table.
 *
 * @example
 * ```ts
 * const r: Lifecycle.Rule = Lifecycle.rules.deploy
 * ```
 */
export interface Rule {
  readonly from: ReadonlyArray<State>
  readonly to: State
  readonly permission: Role.Permission
  /** The author of the version may not do it (unless approval settings allow self-approval). */
  readonly notByAuthor: boolean
}

/**
 * The table.
 *
 * @example
 * ```ts
 * Lifecycle.rules.submit.to // "pending_approval"
 * ```
 */
export const rules: Readonly<Record<Transition, Rule>> = {
  submit: { from: ["draft"], to: "pending_approval", permission: "workflows:write", notByAuthor: false },
  approve: { from: ["pending_approval"], to: "approved", permission: "workflows:approve", notByAuthor: true },
  reject: { from: ["pending_approval"], to: "draft", permission: "workflows:approve", notByAuthor: false },
  deploy: { from: ["approved"], to: "deployed", permission: "workflows:write", notByAuthor: false },
  deprecate: { from: ["draft", "pending_approval", "approved", "deployed"], to: "deprecated", permission: "workflows:write", notByAuthor: false }
}

/**
 * How registration and approval work on a server.
 *
 * @example
 * ```ts
 * const strict: Lifecycle.Approval = { required: true, distinctApprover: true }
 * ```
 */
export interface Approval {
  /**
   * `true`: a new version starts as a draft and must be submitted, approved and deployed. `false` (default): a new
   * version is deployed when it is registered (the transitions are still recorded and audited).
   */
  readonly required: boolean
  /** `true` (default): the approver must be another caller than the author (`key:<id>` / `jwt:<sub>`). */
  readonly distinctApprover: boolean
}

/**
 * The default: versions deploy on registration; approval, when asked for, needs another admin.
 *
 * @example
 * ```ts
 * Lifecycle.defaultApproval.required // false
 * ```
 */
export const defaultApproval: Approval = { required: false, distinctApprover: true }

/**
 * Why a transition is refused: `forbidden` (the caller may not) or `conflict` (the version is not in a state the
 * transition starts from).
 *
 * @example
 * ```ts
 * if (refused?._tag === "conflict") console.log(refused.message)
 * ```
 */
export interface Refusal {
  readonly _tag: "forbidden" | "conflict"
  readonly code: "forbidden" | "self_approval" | "invalid_transition"
  readonly message: string
}

const show = (state: State) => state.replace("_", " ")

/**
 * Why `actor` may not apply `transition` to a version in `state` authored by `author`; undefined when it may.
 *
 * @example
 * ```ts
 * Lifecycle.refusal("deploy", { state: "approved", author: "key:a", actor: { id: "key:a", role: "admin" }, workflow: "w", version: 2 }) // undefined
 * ```
 */
export const refusal = (
  transition: Transition,
  input: {
    readonly state: State
    readonly author: string
    readonly actor: { readonly id: string; readonly role: Role.Role }
    readonly workflow: string
    readonly version: number
    readonly approval?: Approval | undefined
  }
): Refusal | undefined => {
  const rule = rules[transition]
  const approval = input.approval ?? defaultApproval
  const subject = `version ${input.version} of '${input.workflow}'`
  if (!Role.can(input.actor.role, rule.permission)) {
    return { _tag: "forbidden", code: "forbidden", message: `${transition} needs ${rule.permission} (role ${Role.weakestWith(rule.permission)}); the caller has role ${input.actor.role}` }
  }
  if (!rule.from.includes(input.state)) {
    return { _tag: "conflict", code: "invalid_transition", message: `Cannot ${transition} ${subject}: it is ${show(input.state)}; ${transition} applies to ${rule.from.map(show).join(" or ")} versions` }
  }
  if (rule.notByAuthor && approval.distinctApprover && input.actor.id === input.author) {
    return { _tag: "forbidden", code: "self_approval", message: `Cannot approve ${subject}: ${input.author} registered it, and approval needs another admin` }
  }
  return undefined
}

/**
 * Why a caller with `role` may not start a run on a version in `state`; undefined when it may.
 *
 * @example
 * ```ts
 * Lifecycle.startRefusal("approved", "runner", "w", 3)?.code // "not_deployed"
 * ```
 */
export const startRefusal = (
  state: State,
  role: Role.Role,
  workflow: string,
  version: number
): { readonly _tag: "forbidden" | "conflict"; readonly code: "not_deployed" | "deprecated"; readonly message: string } | undefined => {
  if (state === "deployed") return undefined
  if (state === "deprecated") {
    return { _tag: "conflict", code: "deprecated", message: `Version ${version} of '${workflow}' is deprecated: it starts no new runs (its runs already going finish on it)` }
  }
  if (role === "admin") return undefined
  return { _tag: "forbidden", code: "not_deployed", message: `Version ${version} of '${workflow}' is ${show(state)}; only a deployed version can be started by a ${role} (an admin may try other versions)` }
}

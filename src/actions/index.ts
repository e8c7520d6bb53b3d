/**
 * Actions for workflows: define your own with typed parameters, or use the built-ins (http, webhook, file_read,
 * file_write).
 *
 * @example
 * ```ts
 * import { Action, Builtin } from "llm-orchestrator/actions"
 * const actions = { ...Builtin.builtins({ filesDir: "./data" }), publish: Action.make({ params, run }) }
 * ```
 */
export * as Action from "./Action.ts"
export * as Builtin from "./Builtin.ts"

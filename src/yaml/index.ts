/**
 * YAML workflows at run time: the helpers generated code imports, and the interpreter that runs a YAML file directly.
 *
 * @example
 * ```ts
 * import * as Y from "llm-orchestrator/yaml"
 * Y.str(["a"]) // '["a"]'
 * ```
 */
export * from "./runtime.ts"
export { interpret } from "./interpret.ts"
export type { ActionHandler, Interpreted, InterpretOptions, Requirements } from "./interpret.ts"

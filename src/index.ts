/**
 * llm-orchestrator: typed LLM workflows on Effect.
 *
 * @example
 * ```ts
 * import { Workflow } from "llm-orchestrator"
 * ```
 */
export * as Workflow from "./Workflow.ts"
export * as Fallback from "../dsl/Fallback.ts"
export { LastGoodOutputs, type LastGoodOutputsShape } from "./engine/fallback.ts"
export * from "../dsl/errors.ts"
export type { Entry, Outputs } from "../dsl/types.ts"
export type * from "../dsl/Node.ts"
export * from "./engine/errors.ts"
export type * from "./engine/events.ts"
export type * from "./engine/RunResult.ts"
export * from "./llm/LlmError.ts"
export * from "./llm/index.ts"
export * from "./vector/index.ts"

/**
 * llm-orchestrator: typed LLM workflows on Effect.
 *
 * One module convention for every entry point, as in Effect's own: a module of functions over one concept is a
 * namespace (`export * as Workflow`, `Llm`, `Embeddings`, `VectorStore`, `MockLlm`, ...), so `Llm.generate` is
 * `generate` of `Llm.ts`; its types are also exported by name. Classes and errors (services, tagged errors) and
 * the provider identities (`LlmProvider`, a type and its `key` of the same name) are exported by name.
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

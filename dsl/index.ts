/**
 * The typed workflow DSL. Depends only on `effect`; the engine that runs workflows lives in `llm-orchestrator`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Workflow } from "llm-orchestrator/dsl"
 * const wf = Workflow.make("hello", { input: Schema.Struct({ name: Schema.String }) })
 *   .step("greet", (ctx) => Effect.succeed(`hello ${ctx.input.name}`))
 * ```
 */
export * as Fallback from "./Fallback.ts"
export * as Workflow from "./api.ts"
export * from "./errors.ts"
export type { Entry, Outputs } from "./types.ts"
export type * from "./Node.ts"

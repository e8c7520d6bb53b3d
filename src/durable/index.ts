/**
 * Durable runs: every step checkpointed in a store (memory, an embedded SQLite file, Postgres), resume after a crash,
 * waits for people, cancel from any process, retention, re-runs from a step, and version checks, on effect/workflow.
 *
 * @example
 * ```ts
 * import { Durable, DurableRuns } from "llm-orchestrator/durable"
 * const outputs = yield* Durable.run(rag, { query: "hi" }).pipe(Effect.provide(DurableRuns.layer({ store: "sqlite:runs.db" })))
 * ```
 */
export * as Durable from "./Durable.ts"
export * as DurableErrors from "./errors.ts"
export * as DurableRuns from "./DurableRuns.ts"
export * as GraphShape from "./GraphShape.ts"
export * as Store from "./Store.ts"
export { NotPersistable } from "./codec.ts"
export { idempotencyKey, StepContext, type StepInfo } from "./StepContext.ts"

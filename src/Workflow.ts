/**
 * `Workflow`: build typed workflows (from the DSL) and run them (with the engine).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Workflow } from "llm-orchestrator"
 * const wf = Workflow.make("hello", { input: Schema.Struct({ name: Schema.String }) })
 *   .step("greet", (ctx) => Effect.succeed(`hello ${ctx.input.name}`))
 * const outputs = await Effect.runPromise(Workflow.run(wf, { name: "Ada" })) // { greet: "hello Ada" }
 * ```
 */
export * from "../dsl/api.ts"
export {
  decodeInput,
  events,
  execute,
  executeWith,
  type ExecuteOptions,
  type MissingProviders,
  run,
  type RunError,
  runWith,
  type ServiceName
} from "./engine/run.ts"
export { test, type TestMocks, type TestOptions, type TestResult } from "./testing/WorkflowTest.ts"

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
import { Effect } from "effect"
import type * as WorkflowTest from "./testing/WorkflowTest.ts"

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
export type { TestMocks, TestOptions, TestResult } from "./testing/WorkflowTest.ts"

/**
 * Tests a workflow: runs it with the given mocks (their type is computed from the workflow, so a missing mock is the
 * compile error `Property 'primary' is missing in type ...` on the mocks), on the test clock (advanced automatically
 * unless `clock: "manual"`), and returns its result with typed step records and the `MockRecorder`. The testing
 * module (mocks, effect/ai, effect/testing) loads when a test first calls it, not with the package entry.
 *
 * @example
 * ```ts
 * const { outputs, steps, recorder } = yield* Workflow.test(triage, { issue: "crash" }, {
 *   llm: { cheap: { responses: "bug" }, primary: { responses: "Sorry!", failures: { step: "reply", firstN: 1 } } }
 * })
 * ```
 */
export const test: typeof WorkflowTest.test = (workflow, input, mocks, options) =>
  Effect.flatMap(Effect.promise(() => import("./testing/WorkflowTest.ts")), (m) => m.test(workflow, input, mocks, options))

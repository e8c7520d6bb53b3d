/**
 * Errors raised by the DSL itself (definition problems found at run time) and by its step options.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workflow } from "llm-orchestrator/dsl"
 * // A record-form workflow whose needs form a cycle fails to build with WorkflowDefinitionError:
 * // "Cycle: a -> b -> a"
 * ```
 */
import { Schema } from "effect"

/** The workflow's shape is wrong (unknown need, duplicate id, cycle...). `path` names the offending node or cycle. */
export class WorkflowDefinitionError extends Schema.TaggedError<WorkflowDefinitionError>()("WorkflowDefinitionError", {
  workflow: Schema.String,
  stepId: Schema.optionalKey(Schema.String),
  message: Schema.String
}) {}

/** One attempt of a step ran past its `timeout`. */
export class StepTimeout extends Schema.TaggedError<StepTimeout>()("StepTimeout", {
  stepId: Schema.String,
  timeoutMillis: Schema.Number,
  message: Schema.String
}) {}

/** A loop declared with `onMaxIterations: "fail"` reached `maxIterations` without its `until` holding. */
export class LoopMaxIterations extends Schema.TaggedError<LoopMaxIterations>()("LoopMaxIterations", {
  stepId: Schema.String,
  maxIterations: Schema.Number,
  lastState: Schema.Unknown,
  message: Schema.String
}) {}

/** A step's output did not satisfy its declared output Schema. */
export class StepOutputError extends Schema.TaggedError<StepOutputError>()("StepOutputError", {
  stepId: Schema.String,
  message: Schema.String
}) {}

/** A branch's `on` returned a value that names no case (only possible from untyped code, e.g. YAML at run time). */
export class UnknownBranchCase extends Schema.TaggedError<UnknownBranchCase>()("UnknownBranchCase", {
  stepId: Schema.String,
  value: Schema.String,
  cases: Schema.Array(Schema.String),
  message: Schema.String
}) {}

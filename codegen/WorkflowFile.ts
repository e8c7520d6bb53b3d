/**
 * The YAML workflow format, as Effect Schema. The parser decodes every file with it (errors: "all") and the published
 * JSON Schema (`codegen/schema/workflow.schema.json`) is generated from it, so editors and the validator agree.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WorkflowFile } from "llm-orchestrator/codegen"
 * Schema.decodeUnknownSync(WorkflowFile)({ name: "demo", steps: [{ id: "a", type: "llm", provider: "openai", model: "gpt-4", prompt: "hi", output: "a" }] })
 * ```
 */
import { Schema } from "effect"

/** Step types the format knows. */
export const stepTypes = ["llm", "embed", "vector_search", "parallel", "transform", "branch", "action", "map", "loop", "workflow"] as const
export type StepType = (typeof stepTypes)[number]

/** Names usable in the type language. */
export const typeNames = ["string", "number", "integer", "boolean", "array", "object", "unknown"] as const

const Identifier = Schema.String.check(
  Schema.isPattern(/^[A-Za-z_][A-Za-z0-9_]*$/u, { message: "must be an identifier (letters, digits, _; not starting with a digit)" })
)

/** "500 millis", "30 seconds", "2 minutes", "500ms", "30s", "2m", "1h". */
export const Duration = Schema.String.check(
  Schema.isPattern(/^\s*\d+(\.\d+)?\s*(ms|millis|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\s*$/u, {
    message: "must be a duration like \"500 millis\", \"30 seconds\" or \"2m\""
  })
).annotate({ description: "A duration: \"500 millis\", \"30 seconds\", \"2m\"" })

const Scalar = Schema.Union([Schema.String, Schema.Number, Schema.Boolean])

/** The small type language: a type name, or an object with type/items/properties/required/enum. */
export interface TypeSpecObject {
  readonly type?: (typeof typeNames)[number]
  readonly description?: string
  readonly items?: TypeSpec
  readonly properties?: { readonly [key: string]: TypeSpec }
  readonly required?: ReadonlyArray<string>
  readonly enum?: ReadonlyArray<string | number | boolean>
  readonly default?: unknown
}
export type TypeSpec = (typeof typeNames)[number] | TypeSpecObject

const TypeName = Schema.Literals(typeNames)
export const TypeSpec: Schema.Codec<TypeSpec> = Schema.Union([
  TypeName,
  Schema.Struct({
    type: Schema.optionalKey(TypeName),
    description: Schema.optionalKey(Schema.String),
    items: Schema.optionalKey(Schema.suspend((): Schema.Codec<TypeSpec> => TypeSpec)),
    properties: Schema.optionalKey(Schema.Record(Schema.String, Schema.suspend((): Schema.Codec<TypeSpec> => TypeSpec))),
    required: Schema.optionalKey(Schema.Array(Schema.String)),
    enum: Schema.optionalKey(Schema.Array(Scalar).check(Schema.isMinLength(1))),
    default: Schema.optionalKey(Schema.Unknown)
  })
]).annotate({ identifier: "TypeSpec", description: "A type: \"string\", \"number\", ... or { type, items, properties, required, enum }" })

/** Retry policy: a number of retries, or the full form. */
export const Retry = Schema.Union([
  Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100 })),
  Schema.Struct({
    times: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100 })),
    backoff: Schema.optionalKey(Schema.Literals(["fixed", "exponential"])),
    delay: Schema.optionalKey(Duration)
  })
]).annotate({ description: "Retries after the first attempt: a count, or { times, backoff, delay }" })

export const Cache = Schema.Union([Schema.Boolean, Schema.Struct({ ttl: Duration })]).annotate({
  description: "Cache the step's result by its resolved parameters: true, or { ttl }"
})

export const Fallback = Schema.Struct({ provider: Schema.String, model: Schema.optionalKey(Schema.String) })

/** Fields every step accepts. */
const common = {
  id: Identifier.annotate({ description: "Unique step id" }),
  description: Schema.optionalKey(Schema.String),
  output: Schema.optionalKey(Identifier.annotate({ description: "Name the step's result is referenced by: {{ name }}" })),
  depends_on: Schema.optionalKey(Schema.Array(Schema.String)),
  retry: Schema.optionalKey(Retry),
  timeout: Schema.optionalKey(Duration),
  cache: Schema.optionalKey(Cache)
}

export const LlmStep = Schema.Struct({
  ...common,
  type: Schema.Literal("llm"),
  provider: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  system: Schema.optionalKey(Schema.String),
  prompt: Schema.String,
  temperature: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 2 }))),
  max_tokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
  output_schema: Schema.optionalKey(TypeSpec),
  fallback: Schema.optionalKey(Schema.Array(Fallback))
}).annotate({ identifier: "LlmStep", description: "Call a language model" })

export const EmbedStep = Schema.Struct({
  ...common,
  type: Schema.Literal("embed"),
  provider: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  input: Schema.String
}).annotate({ identifier: "EmbedStep", description: "Embed a text into a vector" })

export const VectorSearchStep = Schema.Struct({
  ...common,
  type: Schema.Literal("vector_search"),
  database: Schema.String.annotate({ description: "Name of a vector store the user supplies" }),
  index: Schema.String,
  query: Schema.String,
  top_k: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 })))
}).annotate({ identifier: "VectorSearchStep", description: "Search a vector store" })

export const transformFunctions = ["concat", "merge", "template", "json_parse", "length", "first", "identity"] as const
export const TransformStep = Schema.Struct({
  ...common,
  type: Schema.Literal("transform"),
  function: Schema.String,
  inputs: Schema.optionalKey(Schema.Array(Schema.String)),
  input: Schema.optionalKey(Schema.String),
  template: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "TransformStep", description: "A pure transformation: concat, merge, template, json_parse, length, first, identity" })

export const ActionStep = Schema.StructWithRest(
  Schema.Struct({
    ...common,
    type: Schema.Literal("action"),
    action: Identifier.annotate({ description: "Name of a custom action the user supplies" }),
    output_schema: Schema.optionalKey(TypeSpec)
  }),
  [Schema.Record(Schema.String, Schema.Unknown)]
).annotate({ identifier: "ActionStep", description: "Call a user-supplied action; extra keys are its parameters (templates allowed)" })

/** Steps a step list may hold. Recursive through parallel, branch, map, loop. */
export type Step =
  | typeof LlmStep.Type
  | typeof EmbedStep.Type
  | typeof VectorSearchStep.Type
  | typeof TransformStep.Type
  | typeof ActionStep.Type
  | ParallelStep
  | BranchStep
  | MapStep
  | LoopStep
  | WorkflowStep

type Common = {
  readonly id: string
  readonly description?: string
  readonly output?: string
  readonly depends_on?: ReadonlyArray<string>
  readonly retry?: typeof Retry.Type
  readonly timeout?: string
  readonly cache?: typeof Cache.Type
}
export interface ParallelStep extends Common {
  readonly type: "parallel"
  readonly tasks: ReadonlyArray<Step>
}
export interface BranchStep extends Common {
  readonly type: "branch"
  readonly condition: string
  readonly branches: { readonly [k: string]: ReadonlyArray<Step> }
  readonly default?: ReadonlyArray<Step>
}
export interface MapStep extends Common {
  readonly type: "map"
  readonly over: string
  readonly as?: string
  readonly concurrency?: number
  readonly steps: ReadonlyArray<Step>
  readonly result?: string
}
export interface LoopStep extends Common {
  readonly type: "loop"
  readonly steps: ReadonlyArray<Step>
  readonly until: string
  readonly initial?: string
  readonly max_iterations?: number
  readonly on_max_iterations?: "fail" | "return"
  readonly result?: string
}
export interface WorkflowStep extends Common {
  readonly type: "workflow"
  readonly file: string
  readonly input?: { readonly [k: string]: string }
}

const StepList = Schema.Array(Schema.suspend((): Schema.Codec<Step> => Step))

export const ParallelStep: Schema.Codec<ParallelStep> = Schema.Struct({
  ...common,
  type: Schema.Literal("parallel"),
  tasks: StepList
}).annotate({ identifier: "ParallelStep", description: "Run the tasks concurrently; their outputs are visible after it" })

export const BranchStep: Schema.Codec<BranchStep> = Schema.Struct({
  ...common,
  type: Schema.Literal("branch"),
  condition: Schema.String,
  branches: Schema.Record(Schema.String, StepList),
  default: Schema.optionalKey(StepList)
}).annotate({ identifier: "BranchStep", description: "Run the steps of the case the condition selects" })

export const MapStep: Schema.Codec<MapStep> = Schema.Struct({
  ...common,
  type: Schema.Literal("map"),
  over: Schema.String.annotate({ description: "A list: {{ name }}" }),
  as: Schema.optionalKey(Identifier),
  concurrency: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
  steps: StepList,
  result: Schema.optionalKey(Identifier)
}).annotate({ identifier: "MapStep", description: "Run the body once per item ({{ item }}, {{ index }}); result: a list" })

export const LoopStep: Schema.Codec<LoopStep> = Schema.Struct({
  ...common,
  type: Schema.Literal("loop"),
  steps: StepList,
  until: Schema.String.annotate({ description: "A condition over body outputs: \"{{ review.score }} >= 8\"" }),
  initial: Schema.optionalKey(Schema.String.annotate({ description: "Value of {{ previous }} in the first iteration" })),
  max_iterations: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
  on_max_iterations: Schema.optionalKey(Schema.Literals(["fail", "return"])),
  result: Schema.optionalKey(Identifier)
}).annotate({ identifier: "LoopStep", description: "Repeat the body until the condition holds ({{ previous }}, {{ iteration }})" })

export const WorkflowStep: Schema.Codec<WorkflowStep> = Schema.Struct({
  ...common,
  type: Schema.Literal("workflow"),
  file: Schema.String.annotate({ description: "Path of another workflow file, relative to this one" }),
  input: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
}).annotate({ identifier: "WorkflowStep", description: "Run another YAML workflow as one step" })

/** One step, selected by its `type`. */
export const Step: Schema.Codec<Step> = Schema.Union([
  LlmStep,
  EmbedStep,
  VectorSearchStep,
  TransformStep,
  ActionStep,
  ParallelStep,
  BranchStep,
  MapStep,
  LoopStep,
  WorkflowStep
]).annotate({ identifier: "Step" })

export const Defaults = Schema.Struct({
  provider: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  embedding_provider: Schema.optionalKey(Schema.String),
  embedding_model: Schema.optionalKey(Schema.String),
  retry: Schema.optionalKey(Retry),
  timeout: Schema.optionalKey(Duration),
  cache: Schema.optionalKey(Cache),
  concurrency: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 })))
}).annotate({ identifier: "Defaults", description: "Values every step inherits unless it sets its own" })

/** A whole workflow file. */
export const WorkflowFile = Schema.Struct({
  $schema: Schema.optionalKey(Schema.String),
  name: Schema.String.check(Schema.isMinLength(1)),
  version: Schema.optionalKey(Schema.Union([Schema.String, Schema.Number])),
  description: Schema.optionalKey(Schema.String),
  inputs: Schema.optionalKey(Schema.Record(Schema.String, TypeSpec)),
  outputs: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  defaults: Schema.optionalKey(Defaults),
  steps: Schema.Array(Step).check(Schema.isMinLength(1))
}).annotate({ identifier: "WorkflowFile", title: "llm-orchestrator workflow", description: "A YAML LLM workflow" })
export type WorkflowFile = typeof WorkflowFile.Type

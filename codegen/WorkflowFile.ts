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

/**
 * Step types the format knows.
 *
 * @example
 * ```ts
 * stepTypes.includes("vector_search") // true
 * ```
 */
export const stepTypes = ["llm", "embed", "vector_search", "chunk", "ingest", "rerank", "context", "parallel", "transform", "branch", "action", "map", "loop", "workflow", "wait", "approval"] as const
/**
 * The `type` of a step: one of {@link stepTypes}.
 *
 * @example
 * ```ts
 * const t: StepType = "llm"
 * ```
 */
export type StepType = (typeof stepTypes)[number]

/**
 * Names usable in the type language.
 *
 * @example
 * ```ts
 * typeNames.includes("integer") // true
 * ```
 */
export const typeNames = ["string", "number", "integer", "boolean", "array", "object", "unknown"] as const

const Identifier = Schema.String.check(
  Schema.isPattern(/^[A-Za-z_][A-Za-z0-9_]*$/u, { message: "must be an identifier (letters, digits, _; not starting with a digit)" })
)

/**
 * "500 millis", "30 seconds", "2 minutes", "500ms", "30s", "2m", "1h".
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Duration)("30 seconds") // "30 seconds"
 * Schema.decodeUnknownSync(Duration)("soon") // throws: must be a duration like "500 millis", ...
 * ```
 */
export const Duration = Schema.String.check(
  Schema.isPattern(/^\s*\d+(\.\d+)?\s*(ms|millis|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\s*$/u, {
    message: "must be a duration like \"500 millis\", \"30 seconds\" or \"2m\""
  })
).annotate({ description: "A duration: \"500 millis\", \"30 seconds\", \"2m\"" })

const Scalar = Schema.Union([Schema.String, Schema.Number, Schema.Boolean])

/**
 * The small type language: a type name, or an object with type/items/properties/required/enum.
 *
 * @example
 * ```ts
 * const spec: TypeSpecObject = { type: "object", properties: { score: "number", label: { enum: ["ok", "bad"] } } }
 * ```
 */
export interface TypeSpecObject {
  readonly type?: (typeof typeNames)[number]
  readonly description?: string
  readonly items?: TypeSpec
  readonly properties?: { readonly [key: string]: TypeSpec }
  readonly required?: ReadonlyArray<string>
  readonly enum?: ReadonlyArray<string | number | boolean>
  readonly default?: unknown
}
/**
 * A type in the workflow type language: a type name or a {@link TypeSpecObject}.
 *
 * @example
 * ```ts
 * const spec: TypeSpec = { type: "array", items: "string" }
 * ```
 */
export type TypeSpec = (typeof typeNames)[number] | TypeSpecObject

const TypeName = Schema.Literals(typeNames)
/**
 * Schema of {@link TypeSpec} (recursive through `items` and `properties`).
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(TypeSpec)({ enum: ["safe", "block"] })
 * ```
 */
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

/**
 * Retry policy: a number of retries, or the full form.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Retry)(3)
 * Schema.decodeUnknownSync(Retry)({ times: 3, backoff: "exponential", delay: "500 millis" })
 * ```
 */
export const Retry = Schema.Union([
  Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100 })),
  Schema.Struct({
    times: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100 })),
    backoff: Schema.optionalKey(Schema.Literals(["fixed", "exponential"])),
    delay: Schema.optionalKey(Duration)
  })
]).annotate({ description: "Retries after the first attempt: a count, or { times, backoff, delay }" })

/**
 * A step's `cache`: `true`, or `{ ttl }` to expire entries.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Cache)({ ttl: "10 minutes" })
 * ```
 */
export const Cache = Schema.Union([Schema.Boolean, Schema.Struct({ ttl: Duration })]).annotate({
  description: "Cache the step's result by its resolved parameters: true, or { ttl }"
})

/**
 * One entry of a step's `fallback` list, tried in order; each entry is one of:
 * - `{ provider, model? }` (llm steps): another provider (and model) when the step's own provider fails;
 * - `{ value }`: a static default, which must have the step's output type, once the step's retries failed;
 * - `{ cached: true }` or `{ cached: { max_age } }`: the step's last good output for the same inputs;
 * - `{ workflow: { file, input?, output? } }`: a degraded sub-workflow (another YAML file, its inputs templates like a
 *   `workflow` step's), whose output named `output` (or its only output) becomes the step's output.
 * Provider entries come first: they are tried inside each attempt, the others after the last attempt.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Fallback)({ provider: "anthropic", model: "claude-3-haiku" })
 * Schema.decodeUnknownSync(Fallback)({ cached: { max_age: "1h" } })
 * Schema.decodeUnknownSync(Fallback)({ value: "No answer available." })
 * Schema.decodeUnknownSync(Fallback)({ workflow: { file: "./cheap-answer.yaml", input: { q: "{{ q }}" }, output: "answer" } })
 * ```
 */
export const Fallback = Schema.Struct({
  provider: Schema.optionalKey(Schema.String.annotate({ description: "Another provider to try (llm steps)" })),
  model: Schema.optionalKey(Schema.String.annotate({ description: "The model on that provider (default: the step's)" })),
  value: Schema.optionalKey(Schema.Unknown.annotate({ description: "A static default with the step's output type" })),
  cached: Schema.optionalKey(
    Schema.Union([Schema.Boolean, Schema.Struct({ max_age: Duration })]).annotate({
      description: "The step's last good output for the same inputs: true, or { max_age }"
    })
  ),
  workflow: Schema.optionalKey(
    Schema.Struct({
      file: Schema.String.annotate({ description: "Path of another workflow file, relative to this one" }),
      input: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
      output: Schema.optionalKey(Schema.String.annotate({ description: "Which of its outputs is the step's output (default: its only one)" }))
    }).annotate({ description: "A degraded sub-workflow whose output serves as the step's" })
  )
}).annotate({ description: "One fallback: { provider, model? }, { value }, { cached } or { workflow }" })

/** A step's `fallback`: entries tried in order once the step fails. */
const fallbackField = Schema.optionalKey(Schema.Array(Fallback))

/**
 * A `priority` (of the workflow's runs, or of one step's calls): a number (higher first) or `high` (1), `normal`
 * (0), `low` (-1). It orders the calls waiting for a saturated rate limit (with aging: nothing starves).
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Priority)("high")
 * ```
 */
export const Priority = Schema.Union([
  Schema.Finite,
  Schema.Literals(["high", "normal", "low"])
]).annotate({ description: "Priority of the calls waiting for a rate limit: a number (higher first) or high, normal, low" })

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

/** The `priority` key of the steps that call a provider themselves (an action step's extra keys are its parameters). */
const priorityField = { priority: Schema.optionalKey(Priority) }

/**
 * An `llm` step: prompt (and system) templates, provider/model, sampling settings, optional `output_schema` and fallbacks.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(LlmStep)({ id: "answer", type: "llm", prompt: "Answer {{ input.question }}", output: "answer" })
 * ```
 */
export const LlmStep = Schema.Struct({
  ...common,
  ...priorityField,
  type: Schema.Literal("llm"),
  provider: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  system: Schema.optionalKey(Schema.String),
  prompt: Schema.String,
  temperature: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 2 }))),
  max_tokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
  output_schema: Schema.optionalKey(TypeSpec),
  /** Stream the answer: its text arrives as deltas (`step.delta` events on the server's SSE, `run --stream`). */
  stream: Schema.optionalKey(Schema.Boolean.annotate({ description: "Stream the answer as it is written (text answers only, not with output_schema)" })),
  fallback: fallbackField
}).annotate({ identifier: "LlmStep", description: "Call a language model" })

/**
 * An `embed` step: the text template to embed and the embedding provider/model.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(EmbedStep)({ id: "vec", type: "embed", input: "{{ input.query }}", output: "vec" })
 * ```
 */
export const EmbedStep = Schema.Struct({
  ...common,
  ...priorityField,
  type: Schema.Literal("embed"),
  provider: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  input: Schema.String,
  fallback: fallbackField
}).annotate({ identifier: "EmbedStep", description: "Embed a text into a vector" })

/**
 * A `vector_search` step: the store (`database`), collection (`index`), query vector template and `top_k`.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(VectorSearchStep)({ id: "docs", type: "vector_search", database: "qdrant", index: "docs", query: "{{ vec }}", top_k: 5 })
 * ```
 */
export const VectorSearchStep = Schema.Struct({
  ...common,
  ...priorityField,
  type: Schema.Literal("vector_search"),
  database: Schema.String.annotate({ description: "Name of a vector store the user supplies" }),
  index: Schema.String,
  query: Schema.optionalKey(Schema.String.annotate({ description: "The query vector (an embed step's result); not needed with mode: keyword" })),
  top_k: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
  mode: Schema.optionalKey(Schema.Literals(["vector", "hybrid", "keyword"]).annotate({
    description: "vector (default), hybrid (vector and keyword results fused by reciprocal rank) or keyword"
  })),
  text: Schema.optionalKey(Schema.String.annotate({ description: "The query text the keyword side ranks by (hybrid and keyword modes)" })),
  weights: Schema.optionalKey(Schema.Struct({
    vector: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))),
    keyword: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)))
  }).annotate({ description: "Weights of the two rankings in the fusion (default 1 and 1)" })),
  fallback: fallbackField
}).annotate({ identifier: "VectorSearchStep", description: "Search a vector store (by vector, keywords, or both fused)" })

/** Chunking settings shared by `chunk` and `ingest` steps. */
const chunking = {
  strategy: Schema.optionalKey(Schema.Literals(["fixed", "recursive", "sentence", "markdown"]).annotate({
    description: "How text is split: fixed token windows, recursive on separators (default), sentences, or Markdown sections"
  })),
  max_tokens: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 8, maximum: 32768 })).annotate({ description: "Largest chunk, in tokens (default 512)" })),
  overlap: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 16384 })).annotate({ description: "Tokens repeated from the previous chunk (default 64)" }))
}

/**
 * A `chunk` step: splits a text into token-sized chunks with their character offsets.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(ChunkStep)({ id: "parts", type: "chunk", input: "{{ input.text }}", max_tokens: 200 })
 * ```
 */
export const ChunkStep = Schema.Struct({
  ...common,
  type: Schema.Literal("chunk"),
  input: Schema.String,
  source: Schema.optionalKey(Schema.String.annotate({ description: "Where the text comes from (kept on each chunk; default \"input\")" })),
  model: Schema.optionalKey(Schema.String.annotate({ description: "Model whose tokenizer measures the chunks (default: an approximation)" })),
  ...chunking
}).annotate({ identifier: "ChunkStep", description: "Split a text into chunks of at most max_tokens tokens" })

/**
 * An `ingest` step: loads files and folders, chunks, embeds and upserts them into a store, idempotently.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(IngestStep)({ id: "load", type: "ingest", database: "docs", index: "kb", paths: ["./docs"] })
 * ```
 */
export const IngestStep = Schema.Struct({
  ...common,
  ...priorityField,
  type: Schema.Literal("ingest"),
  database: Schema.String.annotate({ description: "Name of a vector store" }),
  index: Schema.String.annotate({ description: "Collection the chunks go to" }),
  paths: Schema.Array(Schema.String).annotate({ description: "Files and folders to load (relative to the working directory); templates allowed" }),
  include: Schema.optionalKey(Schema.Array(Schema.String).annotate({ description: "Globs of files to read in folders (default: text, Markdown, HTML, JSON)" })),
  exclude: Schema.optionalKey(Schema.Array(Schema.String).annotate({ description: "Globs of paths to skip" })),
  provider: Schema.optionalKey(Schema.String.annotate({ description: "Embedding provider (default: defaults.embedding_provider)" })),
  model: Schema.optionalKey(Schema.String.annotate({ description: "Embedding model (default: defaults.embedding_model)" })),
  ...chunking
}).annotate({ identifier: "IngestStep", description: "Load, chunk, embed and store documents (re-ingesting unchanged ones writes nothing)" })

/**
 * A `rerank` step: re-orders search hits by a re-ranker (`mmr` offline over embeddings, or a named one such as
 * `cohere`) and keeps the best `top_n`.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(RerankStep)({ id: "best", type: "rerank", reranker: "mmr", query: "{{ input.q }}", documents: "{{ hits }}", top_n: 5 })
 * ```
 */
export const RerankStep = Schema.Struct({
  ...common,
  ...priorityField,
  type: Schema.Literal("rerank"),
  reranker: Schema.String.annotate({ description: "mmr (offline, diversity over embeddings) or a re-ranker provider such as cohere" }),
  query: Schema.String,
  documents: Schema.String.annotate({ description: "The hits to re-rank (a vector_search step's result)" }),
  top_n: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
  provider: Schema.optionalKey(Schema.String.annotate({ description: "mmr: the embedding provider (default: defaults.embedding_provider)" })),
  model: Schema.optionalKey(Schema.String.annotate({ description: "mmr: the embedding model; other re-rankers: the re-rank model" })),
  lambda: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 })).annotate({ description: "mmr: relevance against diversity (default 0.7)" }))
}).annotate({ identifier: "RerankStep", description: "Re-rank search hits and keep the best top_n" })

/**
 * A `context` step: packs the best passages into a token budget and numbers them for citation.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(ContextStep)({ id: "ctx", type: "context", passages: "{{ best }}", max_tokens: 2000 })
 * ```
 */
export const ContextStep = Schema.Struct({
  ...common,
  type: Schema.Literal("context"),
  passages: Schema.String.annotate({ description: "The hits to pack (a vector_search or rerank step's result)" }),
  max_tokens: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 16, maximum: 2000000 })).annotate({
    description: "The budget in tokens (default: half the model's context window, else 4000)"
  })),
  model: Schema.optionalKey(Schema.String.annotate({ description: "The reading model: its tokenizer counts, its window sets the default budget" })),
  order: Schema.optionalKey(Schema.Literals(["relevance", "source"]).annotate({ description: "Order of packed passages (default relevance)" }))
}).annotate({ identifier: "ContextStep", description: "Pack passages into a token budget, with numbered citations" })

/**
 * Functions a `transform` step may name.
 *
 * @example
 * ```ts
 * transformFunctions.includes("json_parse") // true
 * ```
 */
export const transformFunctions = ["concat", "merge", "template", "json_parse", "length", "first", "identity"] as const
/**
 * A `transform` step: one of {@link transformFunctions} over `inputs`/`input`, or a `template`.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(TransformStep)({ id: "all", type: "transform", function: "concat", inputs: ["{{ docs }}", "{{ code }}"] })
 * ```
 */
export const TransformStep = Schema.Struct({
  ...common,
  type: Schema.Literal("transform"),
  function: Schema.String,
  inputs: Schema.optionalKey(Schema.Array(Schema.String)),
  input: Schema.optionalKey(Schema.String),
  template: Schema.optionalKey(Schema.String),
  fallback: fallbackField
}).annotate({ identifier: "TransformStep", description: "A pure transformation: concat, merge, template, json_parse, length, first, identity" })

/**
 * The keys of an `action` step that are not parameters of the action (every step's fields, `type`, `action`,
 * `output_schema`, `fallback`); every other key is passed to the action.
 *
 * @example
 * ```ts
 * actionReservedKeys.includes("retry")   // true
 * actionReservedKeys.includes("message") // false: a parameter
 * ```
 */
export const actionReservedKeys: ReadonlyArray<string> = [...Object.keys(common), "type", "action", "output_schema", "fallback"]

/**
 * An `action` step: calls a user-supplied action by name; every other key is a parameter.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(ActionStep)({ id: "notify", type: "action", action: "log", message: "{{ summary }}" })
 * ```
 */
export const ActionStep = Schema.StructWithRest(
  Schema.Struct({
    ...common,
    type: Schema.Literal("action"),
    action: Identifier.annotate({ description: "Name of a custom action the user supplies" }),
    output_schema: Schema.optionalKey(TypeSpec),
    fallback: fallbackField
  }),
  [Schema.Record(Schema.String, Schema.Unknown)]
).annotate({ identifier: "ActionStep", description: "Call a user-supplied action; extra keys are its parameters (templates allowed)" })

/**
 * A `wait` step (durable runs): the run suspends until someone sends the step its value (`signal <run-id> <step-id>
 * --value ...`, or the REST API), checked against `value`; `timeout` fails the step past it. An `approval` step is a
 * wait whose value defaults to `{ approved: boolean, comment?: string }`. `request` is what the run shows while it
 * waits (a template: the draft to approve).
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(WaitStep)({ id: "edit", type: "wait", value: { type: "object", properties: { text: "string" } }, timeout: "24h" })
 * ```
 */
const waitFields = {
  ...common,
  value: Schema.optionalKey(TypeSpec.annotate({ description: "The type of the value the step waits for (approval: { approved: boolean, comment?: string })" })),
  request: Schema.optionalKey(Schema.String.annotate({ description: "What the run shows while it waits (template)" }))
}
export const WaitStep = Schema.Struct({ ...waitFields, type: Schema.Literal("wait") })
  .annotate({ identifier: "WaitStep", description: "Wait durably for a typed value from outside (a person's edit, a decision)" })

/**
 * An `approval` step: a {@link WaitStep} whose value defaults to `{ approved: boolean, comment?: string }`.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(ApprovalStep)({ id: "approve", type: "approval", request: "Publish {{ draft }}?" })
 * ```
 */
export const ApprovalStep = Schema.Struct({ ...waitFields, type: Schema.Literal("approval") })
  .annotate({ identifier: "ApprovalStep", description: "Wait durably for a person's approval ({ approved, comment? } unless `value` says otherwise)" })

/**
 * The value type of an `approval` step that declares none.
 *
 * @example
 * ```ts
 * approvalValue.properties.approved // "boolean"
 * ```
 */
export const approvalValue = {
  type: "object",
  properties: { approved: "boolean", comment: "string" },
  required: ["approved"]
} as const satisfies TypeSpecObject

/**
 * Steps a step list may hold. Recursive through parallel, branch, map, loop.
 *
 * @example
 * ```ts
 * const s: Step = { id: "a", type: "llm", prompt: "hi" }
 * ```
 */
export type Step =
  | typeof LlmStep.Type
  | typeof EmbedStep.Type
  | typeof VectorSearchStep.Type
  | typeof ChunkStep.Type
  | typeof IngestStep.Type
  | typeof RerankStep.Type
  | typeof ContextStep.Type
  | typeof TransformStep.Type
  | typeof ActionStep.Type
  | typeof WaitStep.Type
  | typeof ApprovalStep.Type
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
  readonly priority?: typeof Priority.Type
}
/**
 * A `parallel` step: its tasks run concurrently.
 *
 * @example
 * ```ts
 * const s: ParallelStep = { id: "both", type: "parallel", tasks: [docsStep, codeStep] }
 * ```
 */
export interface ParallelStep extends Common {
  readonly type: "parallel"
  readonly tasks: ReadonlyArray<Step>
}
/**
 * A `branch` step: the condition's value selects the case whose steps run (`default` otherwise).
 *
 * @example
 * ```ts
 * const s: BranchStep = { id: "route", type: "branch", condition: "{{ check.label }}", branches: { safe: [publish] }, default: [review] }
 * ```
 */
export interface BranchStep extends Common {
  readonly type: "branch"
  readonly condition: string
  readonly branches: { readonly [k: string]: ReadonlyArray<Step> }
  readonly default?: ReadonlyArray<Step>
}
/**
 * A `map` step: runs its steps once per item of `over`, up to `concurrency` at a time.
 *
 * @example
 * ```ts
 * const s: MapStep = { id: "each", type: "map", over: "{{ input.docs }}", as: "doc", concurrency: 4, steps: [summarize] }
 * ```
 */
export interface MapStep extends Common {
  readonly type: "map"
  readonly over: string
  readonly as?: string
  readonly concurrency?: number
  readonly steps: ReadonlyArray<Step>
  readonly result?: string
}
/**
 * A `loop` step: repeats its steps until the condition holds or `max_iterations` is reached.
 *
 * @example
 * ```ts
 * const s: LoopStep = { id: "refine", type: "loop", steps: [draft, review], until: "{{ review.score }} >= 8", max_iterations: 3 }
 * ```
 */
export interface LoopStep extends Common {
  readonly type: "loop"
  readonly steps: ReadonlyArray<Step>
  readonly until: string
  readonly initial?: string
  readonly max_iterations?: number
  readonly on_max_iterations?: "fail" | "return"
  readonly result?: string
}
/**
 * A `workflow` step: runs another YAML file with the given inputs.
 *
 * @example
 * ```ts
 * const s: WorkflowStep = { id: "sum", type: "workflow", file: "./summarize.yaml", input: { text: "{{ input.text }}" } }
 * ```
 */
export interface WorkflowStep extends Common {
  readonly type: "workflow"
  readonly file: string
  readonly input?: { readonly [k: string]: string }
}

const StepList = Schema.Array(Schema.suspend((): Schema.Codec<Step> => Step))

/**
 * Schema of {@link ParallelStep}.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(ParallelStep)({ id: "both", type: "parallel", tasks: [] })
 * ```
 */
export const ParallelStep: Schema.Codec<ParallelStep> = Schema.Struct({
  ...common,
  type: Schema.Literal("parallel"),
  tasks: StepList
}).annotate({ identifier: "ParallelStep", description: "Run the tasks concurrently; their outputs are visible after it" })

/**
 * Schema of {@link BranchStep}.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(BranchStep)({ id: "route", type: "branch", condition: "{{ check.label }}", branches: { safe: [] } })
 * ```
 */
export const BranchStep: Schema.Codec<BranchStep> = Schema.Struct({
  ...common,
  type: Schema.Literal("branch"),
  condition: Schema.String,
  branches: Schema.Record(Schema.String, StepList),
  default: Schema.optionalKey(StepList)
}).annotate({ identifier: "BranchStep", description: "Run the steps of the case the condition selects" })

/**
 * Schema of {@link MapStep}.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(MapStep)({ id: "each", type: "map", over: "{{ input.docs }}", steps: [] })
 * ```
 */
export const MapStep: Schema.Codec<MapStep> = Schema.Struct({
  ...common,
  type: Schema.Literal("map"),
  over: Schema.String.annotate({ description: "A list: {{ name }}" }),
  as: Schema.optionalKey(Identifier),
  concurrency: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
  steps: StepList,
  result: Schema.optionalKey(Identifier)
}).annotate({ identifier: "MapStep", description: "Run the body once per item ({{ item }}, {{ index }}); result: a list" })

/**
 * Schema of {@link LoopStep}.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(LoopStep)({ id: "refine", type: "loop", steps: [], until: "{{ review.score }} >= 8" })
 * ```
 */
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

/**
 * Schema of {@link WorkflowStep}.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(WorkflowStep)({ id: "sum", type: "workflow", file: "./summarize.yaml" })
 * ```
 */
export const WorkflowStep: Schema.Codec<WorkflowStep> = Schema.Struct({
  ...common,
  type: Schema.Literal("workflow"),
  file: Schema.String.annotate({ description: "Path of another workflow file, relative to this one" }),
  input: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
}).annotate({ identifier: "WorkflowStep", description: "Run another YAML workflow as one step" })

/**
 * One step, selected by its `type`.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Step)({ id: "vec", type: "embed", input: "{{ input.query }}" })
 * ```
 */
export const Step: Schema.Codec<Step> = Schema.Union([
  LlmStep,
  EmbedStep,
  VectorSearchStep,
  ChunkStep,
  IngestStep,
  RerankStep,
  ContextStep,
  TransformStep,
  ActionStep,
  WaitStep,
  ApprovalStep,
  ParallelStep,
  BranchStep,
  MapStep,
  LoopStep,
  WorkflowStep
]).annotate({ identifier: "Step" })

/**
 * The file's `defaults`: provider, model, retry, timeout, cache and concurrency every step inherits.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Defaults)({ provider: "openai", model: "gpt-4o-mini", retry: 2, timeout: "30s" })
 * ```
 */
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

/**
 * The file's `budget`: what one run may spend on LLM and embedding calls, in US dollars and/or tokens (input and
 * output together), over all its steps; `max_output_tokens` bounds calls that set no `max_tokens` (default 4096).
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Budget)({ usd: 0.5, tokens: 200000 })
 * ```
 */
export const Budget = Schema.Struct({
  usd: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0)).annotate({ description: "At most this many US dollars per run" })),
  tokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0)).annotate({ description: "At most this many tokens per run" })),
  max_output_tokens: Schema.optionalKey(
    Schema.Int.check(Schema.isGreaterThan(0)).annotate({ description: "Output limit of calls that set no max_tokens (default 4096)" })
  )
}).check(Schema.makeFilter((b) => b.usd !== undefined || b.tokens !== undefined || "a budget needs usd or tokens"))
  .annotate({ identifier: "Budget", description: "Spending limits of one run; a call that would pass them fails before it is sent" })

/**
 * A whole workflow file.
 *
 * @example
 * ```ts
 * const wf = Schema.decodeUnknownSync(WorkflowFile)(YAML.parse(text))
 * wf.steps.map((s) => s.id)
 * ```
 */
export const WorkflowFile = Schema.Struct({
  $schema: Schema.optionalKey(Schema.String),
  name: Schema.String.check(Schema.isMinLength(1)),
  version: Schema.optionalKey(Schema.Union([Schema.String, Schema.Number])),
  description: Schema.optionalKey(Schema.String),
  inputs: Schema.optionalKey(Schema.Record(Schema.String, TypeSpec)),
  outputs: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  defaults: Schema.optionalKey(Defaults),
  budget: Schema.optionalKey(Budget),
  priority: Schema.optionalKey(Priority.annotate({ description: "Priority of the calls of every step that sets none (see a step's priority)" })),
  steps: Schema.Array(Step).check(Schema.isMinLength(1))
}).annotate({ identifier: "WorkflowFile", title: "llm-orchestrator workflow", description: "A YAML LLM workflow" })
/**
 * The decoded type of a workflow file.
 *
 * @example
 * ```ts
 * const wf: WorkflowFile = { name: "demo", steps: [{ id: "a", type: "llm", prompt: "hi" }] }
 * ```
 */
export type WorkflowFile = typeof WorkflowFile.Type

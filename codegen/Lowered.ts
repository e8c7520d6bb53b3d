/**
 * The lowered workflow: what every YAML step means, decided once after analysis, for both back ends. The code
 * generator (`generate.ts`) prints it as TypeScript; the interpreter (`src/yaml/interpret.ts`) builds Effects from it.
 * Neither looks at the YAML step again: value paths are resolved (loop `.value`, sub-workflow `._outputs`, branch case
 * outputs by step id), defaults applied (provider, model, retry, timeout, cache, concurrency), filters and transforms
 * point at their one definition, and each scope's steps come in the order both back ends declare them.
 *
 * Adding a step type: see `lower.ts` (the header lists every place).
 *
 * @example
 * ```ts
 * const wf: LoweredWorkflow = lower(analyzeFile("examples/map-reduce.yaml"))
 * wf.root.steps.map((s) => s.kind) // ["map", "llm"]
 * ```
 */
import type { Analysis, Node } from "./analyze.ts"
import type { FilterDef } from "./filters.ts"
import type { ComparisonOp, Literal } from "./Template.ts"
import type { TransformDef } from "./transforms.ts"
import type { Type } from "./Type.ts"

/**
 * A duration as the engine takes it ("500 millis", "30 seconds").
 *
 * @example
 * ```ts
 * const d: DurationText = "30 seconds"
 * ```
 */
export type DurationText = `${number} ${"millis" | "seconds" | "minutes" | "hours"}`

/**
 * Where a reference's value starts: a workflow input, a map/loop local, or a step's result (read from the step
 * context, or from the body's local when the producer is a step of the same map/loop body).
 *
 * @example
 * ```ts
 * const b: Base = { kind: "step", id: "refine", local: false, unwrap: "value" } // a loop's value, not its state
 * ```
 */
export type Base =
  | { readonly kind: "input"; readonly name: string }
  | { readonly kind: "local"; readonly name: "item" | "index" | "iteration" | "previous" }
  | {
    readonly kind: "step"
    readonly id: string
    /** A step of the same map/loop body (a local of the body), not a value of the step context. */
    readonly local: boolean
    /** The field the step's raw value holds the result in: a loop's `value`, a sub-workflow's `_outputs`. */
    readonly unwrap: "value" | "_outputs" | undefined
  }

/**
 * A resolved `{{ ref }}`: its base, the path into it (rewritten to step ids where YAML names outputs), its filters.
 *
 * @example
 * ```ts
 * const a: Access = lowered.root.steps[1].prompt.parts[1].access
 * a.path // ["score"]
 * ```
 */
export interface Access {
  /** The source text, e.g. `{{ review.score }}`. */
  readonly text: string
  readonly base: Base
  /** The static type of the base (after `unwrap`); `unknown` where the path was rewritten. */
  readonly baseType: Type
  readonly path: ReadonlyArray<string | number>
  readonly filters: ReadonlyArray<{ readonly def: FilterDef; readonly args: ReadonlyArray<Literal> }>
}

/**
 * A value a step computes from its context.
 *
 * - `text`: the template rendered as text (references become text: strings as they are, other values as JSON);
 * - `ref`: a template that is exactly one reference, as the value itself (a list stays a list);
 * - `literal`: a constant (non-string action parameters, an absent value).
 *
 * @example
 * ```ts
 * const e: Expr = { kind: "text", parts: [{ kind: "text", text: "Hi " }, { kind: "ref", access }] }
 * ```
 */
export type Expr =
  | { readonly kind: "text"; readonly parts: ReadonlyArray<TextPart> }
  | { readonly kind: "ref"; readonly access: Access }
  | { readonly kind: "literal"; readonly value: unknown }

/**
 * One piece of a text: literal text or a reference.
 *
 * @example
 * ```ts
 * const p: TextPart = { kind: "text", text: "Question: " }
 * ```
 */
export type TextPart = { readonly kind: "text"; readonly text: string } | { readonly kind: "ref"; readonly access: Access }

/**
 * An action's parameters: values, lists and records of them, constants.
 *
 * @example
 * ```ts
 * const p: Param = { kind: "record", entries: [["message", { kind: "text", parts }]] }
 * ```
 */
export type Param =
  | Expr
  | { readonly kind: "list"; readonly items: ReadonlyArray<Param> }
  | { readonly kind: "record"; readonly entries: ReadonlyArray<readonly [string, Param]> }

/**
 * `{{ a }}` (truthiness) or `{{ a }} op b`.
 *
 * @example
 * ```ts
 * const c: LoweredCondition = { left: access, op: ">=", right: { kind: "literal", value: 8 } }
 * ```
 */
export interface LoweredCondition {
  readonly left: Access
  readonly op: ComparisonOp | undefined
  readonly right: { readonly kind: "ref"; readonly access: Access } | { readonly kind: "literal"; readonly value: Literal } | undefined
}

/**
 * A step's policies with the file's defaults applied.
 *
 * @example
 * ```ts
 * const p: Policies = { retry: { times: 2, schedule: { kind: "exponential", delay: "200 millis" } }, timeout: "30 seconds", placement: "engine" }
 * ```
 */
export interface Policies {
  /** Retries after the first attempt (errors that say they are not retryable are not retried). */
  readonly retry: { readonly times: number; readonly schedule: { readonly kind: "spaced" | "exponential"; readonly delay: DurationText } | undefined } | undefined
  /** The deadline of each attempt. */
  readonly timeout: DurationText | undefined
  /**
   * Where retry and timeout apply: the engine's step options (a top-level or case step: retries are events), or
   * wrapped around the step's effect (a map/loop body step, which is not an engine node).
   */
  readonly placement: "engine" | "inline"
  /** The priority of the step's calls (its own `priority`, else the workflow's; calling steps only). */
  readonly priority?: number | undefined
  /** Cache the result by the step's resolved parameters (cacheable steps only). */
  readonly cache: { readonly key: string; readonly ttlMillis: number | undefined } | undefined
  /** What serves an engine step once its last attempt failed, in order (the step's `fallback` value/cached entries). */
  readonly fallbacks: ReadonlyArray<LoweredFallback>
  readonly description: string | undefined
}

/**
 * A step fallback served by the engine (dsl `Fallback.value` / `Fallback.cached` / `Fallback.workflow`).
 *
 * @example
 * ```ts
 * const f: LoweredFallback = { kind: "cached", maxAge: "1 hours" }
 * ```
 */
export type LoweredFallback =
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "cached"; readonly maxAge: DurationText | undefined }
  | {
    readonly kind: "workflow"
    /** The degraded sub-workflow, run with `input` (built from the step's context). */
    readonly sub: LoweredWorkflow
    readonly input: ReadonlyArray<readonly [string, Expr]>
    /** Where the step's output is in the sub-workflow's outputs record. */
    readonly output: ReadonlyArray<string | number>
  }

interface StepBase {
  readonly id: string
  /** The analysed step (its YAML, place and type), for what only a back end needs (names, mocks, messages). */
  readonly node: Node
  /** Steps of the same scope (and, for case steps, outside it) that this one waits for, sorted. */
  readonly needs: ReadonlyArray<string>
  readonly policies: Policies
  /** The type of the step's result. */
  readonly output: Type
}

/**
 * `llm`: the first attempt, then each fallback on a provider failure (a retryable error).
 *
 * @example
 * ```ts
 * step.attempts // [{ provider: "openai", model: "gpt-4o" }, { provider: "anthropic", model: "claude-3-5-sonnet" }]
 * ```
 */
export interface LlmStep extends StepBase {
  readonly kind: "llm"
  readonly attempts: ReadonlyArray<{ readonly provider: string; readonly model: string }>
  readonly prompt: Expr
  readonly system: Expr | undefined
  readonly temperature: number | undefined
  readonly maxTokens: number | undefined
  /** Structured output: the type the answer must have (`output_schema`). */
  readonly schema: Type | undefined
  /** `stream: true`: the answer is streamed, its deltas reported as it is written. */
  readonly stream: boolean
}

/**
 * `embed`.
 *
 * @example
 * ```ts
 * step.provider // "openai"
 * ```
 */
export interface EmbedStep extends StepBase {
  readonly kind: "embed"
  readonly provider: string
  readonly model: string
  readonly input: Expr
}

/**
 * `vector_search`.
 *
 * @example
 * ```ts
 * step.topK // 5 (the default)
 * ```
 */
export interface VectorSearchStep extends StepBase {
  readonly kind: "vector_search"
  readonly store: string
  readonly collection: string
  /** The query vector; undefined in keyword mode. */
  readonly query: Expr | undefined
  readonly topK: number
  readonly mode: "vector" | "hybrid" | "keyword"
  /** The query text (hybrid and keyword modes). */
  readonly text: Expr | undefined
  readonly weights: { readonly vector: number; readonly keyword: number }
}

/**
 * Chunking settings of `chunk` and `ingest` (undefined: the chunker's default).
 *
 * @example
 * ```ts
 * const c: Chunking = { strategy: "markdown", maxTokens: 300, overlap: undefined }
 * ```
 */
export interface Chunking {
  readonly strategy: "fixed" | "recursive" | "sentence" | "markdown" | undefined
  readonly maxTokens: number | undefined
  readonly overlap: number | undefined
}

/**
 * `chunk`.
 *
 * @example
 * ```ts
 * step.chunking.maxTokens // 200
 * ```
 */
export interface ChunkStep extends StepBase {
  readonly kind: "chunk"
  readonly input: Expr
  readonly source: Expr | undefined
  readonly model: string | undefined
  readonly chunking: Chunking
}

/**
 * `ingest`.
 *
 * @example
 * ```ts
 * step.store // "docs"
 * ```
 */
export interface IngestStep extends StepBase {
  readonly kind: "ingest"
  readonly store: string
  readonly collection: string
  readonly paths: ReadonlyArray<Expr>
  readonly include: ReadonlyArray<string> | undefined
  readonly exclude: ReadonlyArray<string> | undefined
  readonly provider: string
  readonly model: string
  readonly chunking: Chunking
}

/**
 * `rerank`: with `mmr`, `provider`/`model` are the embedding model; otherwise `model` is the re-rank model.
 *
 * @example
 * ```ts
 * step.reranker // "mmr"
 * ```
 */
export interface RerankStep extends StepBase {
  readonly kind: "rerank"
  readonly reranker: string
  readonly query: Expr
  readonly documents: Expr
  readonly topN: number | undefined
  readonly provider: string | undefined
  readonly model: string | undefined
  readonly lambda: number | undefined
}

/**
 * `context`.
 *
 * @example
 * ```ts
 * step.maxTokens // 2000
 * ```
 */
export interface ContextStep extends StepBase {
  readonly kind: "context"
  readonly passages: Expr
  readonly maxTokens: number | undefined
  readonly model: string | undefined
  readonly order: "relevance" | "source"
}

/**
 * `transform`: its function applied to `arg` (a list for concat/merge, the template's text, or one value).
 *
 * @example
 * ```ts
 * step.fn.name // "concat"
 * ```
 */
export interface TransformStep extends StepBase {
  readonly kind: "transform"
  readonly fn: TransformDef
  readonly arg: Expr | { readonly kind: "list"; readonly items: ReadonlyArray<Expr> }
}

/**
 * `action`: a user-supplied action called with its parameters (sorted by name).
 *
 * @example
 * ```ts
 * step.action // "send_notification"
 * ```
 */
export interface ActionStep extends StepBase {
  readonly kind: "action"
  readonly action: string
  readonly params: ReadonlyArray<readonly [string, Param]>
  /** The type the action's result must have (`output_schema`). */
  readonly schema: Type | undefined
}

/**
 * `wait` / `approval`: the run suspends until the step is sent a value of its output type (durable runs).
 *
 * @example
 * ```ts
 * step.request // the template shown while it waits, or undefined
 * ```
 */
export interface WaitStep extends StepBase {
  readonly kind: "wait"
  readonly request: Expr | undefined
}

/**
 * `parallel`: its tasks are steps of the same scope; its own result gathers their outputs by name.
 *
 * @example
 * ```ts
 * step.members // [{ name: "doc_results", id: "search_docs", local: false }]
 * ```
 */
export interface ParallelStep extends StepBase {
  readonly kind: "parallel"
  readonly members: ReadonlyArray<{ readonly name: string; readonly id: string; readonly local: boolean }>
}

/**
 * A scope's steps, in declaration order for the back ends (each after its needs).
 *
 * @example
 * ```ts
 * block.steps.map((s) => s.id)
 * ```
 */
export interface Block {
  readonly steps: ReadonlyArray<LoweredStep>
}

/**
 * `branch`: how the case is chosen, and each case's steps (a nested workflow that sees the branch's needs).
 *
 * - `enum`: the value is an enum whose values are exactly the cases (no default): it is the case itself;
 * - `value`: the value's text names the case (else `default`);
 * - `condition`: a comparison; its cases are "true"/"false".
 *
 * @example
 * ```ts
 * step.cases.map((c) => c.name) // ["safe", "review", "block"]
 * ```
 */
export interface BranchStep extends StepBase {
  readonly kind: "branch"
  readonly on:
    | { readonly kind: "enum"; readonly access: Access }
    | { readonly kind: "value"; readonly access: Access }
    | { readonly kind: "condition"; readonly condition: LoweredCondition }
  readonly cases: ReadonlyArray<{ readonly name: string; readonly workflowName: string; readonly block: Block }>
}

/**
 * A map or loop body: its steps run in order inside one Effect (they are not engine nodes).
 *
 * @example
 * ```ts
 * body.result // "revise": the step whose value is the body's result
 * ```
 */
export interface Body {
  readonly steps: ReadonlyArray<LoweredStep>
  readonly result: string | undefined
}

/**
 * `map`.
 *
 * @example
 * ```ts
 * step.concurrency // 4, or undefined: the engine's default (one at a time)
 * ```
 */
export interface MapStep extends StepBase {
  readonly kind: "map"
  readonly over: Expr
  /** Name of the list in the error when it is not one ("<id>.over"). */
  readonly overLabel: string
  readonly concurrency: number | undefined
  readonly body: Body
}

/**
 * `loop`: its state is `{ done, value }`; `until` is checked after each body run.
 *
 * @example
 * ```ts
 * step.maxIterations // 4
 * ```
 */
export interface LoopStep extends StepBase {
  readonly kind: "loop"
  readonly initial: Expr
  readonly until: LoweredCondition
  readonly maxIterations: number
  readonly onMaxIterations: "fail" | "return" | undefined
  readonly body: Body
}

/**
 * `workflow`: another file, run with its inputs (text where the callee takes a string, else the value).
 *
 * @example
 * ```ts
 * step.input // [["text", { kind: "text", parts }]]
 * ```
 */
export interface CallStep extends StepBase {
  readonly kind: "call"
  readonly sub: LoweredWorkflow
  readonly input: ReadonlyArray<readonly [string, Expr]>
}

/**
 * One lowered step.
 *
 * @example
 * ```ts
 * const s: LoweredStep = lowered.root.steps[0]
 * if (s.kind === "llm") s.attempts[0].provider
 * ```
 */
export type LoweredStep =
  | WaitStep
  | LlmStep
  | EmbedStep
  | VectorSearchStep
  | ChunkStep
  | IngestStep
  | RerankStep
  | ContextStep
  | TransformStep
  | ActionStep
  | ParallelStep
  | BranchStep
  | MapStep
  | LoopStep
  | CallStep

/**
 * A whole lowered file.
 *
 * @example
 * ```ts
 * const wf = lower(analysis)
 * wf.inputs.map((i) => i.name)
 * ```
 */
export interface LoweredWorkflow {
  readonly analysis: Analysis
  /** The absolute path of the YAML file. */
  readonly file: string
  readonly name: string
  readonly description: string | undefined
  readonly version: string | undefined
  readonly inputs: ReadonlyArray<{ readonly name: string; readonly type: Type; readonly default: { readonly value: unknown } | undefined }>
  readonly root: Block
  /**
   * The run's outputs by name, computed by a last `_outputs` step. `declared`: the file has an `outputs:` block
   * (generated modules add the step only then; without it their callers read the steps themselves).
   */
  readonly outputs: {
    readonly declared: boolean
    readonly needs: ReadonlyArray<string>
    readonly fields: ReadonlyArray<{ readonly name: string; readonly value: Expr; readonly type: Type }>
  }
}

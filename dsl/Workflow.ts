/**
 * The workflow builder: a typed DAG of steps whose outputs flow into the steps that declare them as needs.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Workflow } from "llm-orchestrator/dsl"
 *
 * const rag = Workflow.make("rag", { input: Schema.Struct({ query: Schema.String }) })
 *   .step("embed", (ctx) => Effect.succeed([ctx.input.query.length]))
 *   .step("docs", { needs: ["embed"] }, (ctx) => Effect.succeed(`docs near ${ctx.embed}`))
 *   .step("code", { needs: ["embed"] }, (ctx) => Effect.succeed(`code near ${ctx.embed}`))
 *   .step("answer", { needs: ["docs", "code"] }, (ctx) => Effect.succeed(`${ctx.docs} + ${ctx.code}`))
 * ```
 */
import type { Effect, Schedule, Schema } from "effect"
import { Duration } from "effect"
import { type LoopMaxIterations, type WaitTimedOut, WorkflowDefinitionError } from "./errors.ts"
import type * as Fallback from "./Fallback.ts"
import type { CommonOptions, Graph, ItemPolicy, Node, RetryOptions } from "./Node.ts"
import type { CheckBranch, CheckId, CheckLoop, CheckNeeds, Entry, IdsOf, Lookup, NeedsHint, NotInferredYet, Outputs, Widen } from "./types.ts"

/**
 * The key of a workflow value's phantom type slot (declared only: values are recognised with {@link isWorkflow}).
 *
 * @example
 * ```ts
 * TypeId === Symbol.for("llm-orchestrator/Workflow") // true
 * ```
 */
export const TypeId: unique symbol = Symbol.for("llm-orchestrator/Workflow")

/**
 * The type of {@link TypeId}, the key under which a workflow value carries its phantom types.
 *
 * @example
 * ```ts
 * type Phantom = Any[TypeId] // { _I, _IE, _Out, ... }: type-level only, never set at run time
 * ```
 */
export type TypeId = typeof TypeId

/**
 * A workflow value: its graph (inspectable at run time) and, in its type, the input, the outputs (as entries),
 * the union of step errors `E` and of required services `R`.
 *
 * Type parameters: `I` decoded input, `IE` encoded input, `Out` output entries, `E` errors, `R` requirements,
 * `Vis` entries visible but produced outside (a branch case sees its branch's needs), `Ids` the ids of `Out` and `Vis`
 * (kept as a plain union: the needs checks use it, and messages print it as the list of known ids; a workflow type
 * written with six arguments has `Ids = string`).
 *
 * @example
 * ```ts
 * const wf: Workflow<{ readonly q: string }, { readonly q: string }, Entry<"a", number>, never, never> =
 *   Workflow.make("demo", { input: Schema.Struct({ q: Schema.String }) }).step("a", (ctx) => Effect.succeed(ctx.input.q.length))
 * ```
 */
export interface Workflow<in out I, in out IE, out Out, out E, out R, out Vis = never, out Ids extends string = string> extends Graph {
  readonly [TypeId]: {
    readonly _I: (_: I) => I
    readonly _IE: (_: IE) => IE
    readonly _Out: () => Out
    readonly _E: () => E
    readonly _R: () => R
    readonly _Vis: () => Vis
    readonly _Ids: () => Ids
  }

  /**
   * Adds a step with no needs: `ctx` holds only `input`.
   *
   * @example
   * ```ts
   * wf.step("greet", (ctx) => Effect.succeed(`hello ${ctx.input.name}`))
   * ```
   */
  step<const Id extends string, A, E2 = never, R2 = never>(
    id: CheckId<Id, Ids>,
    // Inside a branch case, `Vis` holds the branch's needs: a case step sees them without repeating them.
    run: (ctx: { readonly [K in "input" | IdsOf<Vis>]: K extends "input" ? I : Lookup<Vis, K> }) => Effect.Effect<A, E2, R2>
  ): Workflow<I, IE, Out | JsonEntry<Id, A>, E | E2, R | R2, Vis, Ids | Id>

  /**
   * Adds a step: `ctx` holds `input` and exactly the declared needs, each typed with that step's output.
   *
   * @example
   * ```ts
   * wf.step("answer", { needs: ["docs"], retry: Schedule.recurs(2), timeout: "30 seconds" },
   *   (ctx) => generate(ctx.docs))
   * ```
   */
  step<
    const Id extends string,
    const Needs extends ReadonlyArray<string> = [],
    A = NotInferredYet,
    E2 = never,
    R2 = never,
    F extends Fallback.Option<unknown, unknown> = never,
    EW = unknown,
    // The output Schema when one is given (else `undefined`): without one, a durable run stores the value as JSON.
    S = undefined
  >(
    id: Fallback.CheckFallback<Id, CheckRetryWhile<Id, CheckId<Id, Ids>, E2, EW>, A, F>,
    options: StepOptions<Needs, Ids, A, F, EW> & { readonly output?: S },
    run: (
      ctx:
        & { readonly [K in "input" | Needs[number] | ([Needs] extends [readonly []] ? IdsOf<Vis> : never)]: K extends "input" ? I : Lookup<Out | Vis, K> }
        & { readonly [_ in NeedsHint]?: never }
    ) => Effect.Effect<A, E2, R2>
  ): Workflow<
    I,
    IE,
    // A step with fallbacks may run a fallback workflow, whose steps are recorded under `id/fallback/...`.
    Out | ([F] extends [never] ? ([S] extends [undefined] ? JsonEntry<Id, Settled<A>> : Entry<Id, Settled<A>>) : NestedEntry<Id, Settled<A>, `fallback/${string}`>),
    E | E2,
    R | R2 | Fallback.RequirementsOf<NoInfer<F>>,
    Vis,
    Ids | Id
  >

  /**
   * Routes on a literal: `on` returns one of a union of strings and exactly one case runs. The cases object must cover
   * the union (a missing or unknown case is a compile error on the branch id). The output is `{ case, value }`, where
   * `value` holds the outputs of the case's steps. Inside a case only the branch's needs (plus input) are visible.
   *
   * @example
   * ```ts
   * wf.branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
   *   safe: (b) => b.step("publish", { needs: ["label"] }, (ctx) => publish(ctx.input.text)),
   *   block: (b) => b.step("explain", (ctx) => explain(ctx.input.text))
   * })
   * ```
   */
  branch<
    const Id extends string,
    const Needs extends ReadonlyArray<string>,
    const L extends string,
    // Any case name gets a typed builder (a case that `on` never returns is reported once, on the branch id).
    const Cases extends {
      readonly [name: string]: (
        builder: Workflow<I, IE, never, never, never, Extract<Out | Vis, { readonly id: Needs[number] }>, Needs[number]>
      ) => Workflow<I, IE, any, any, any, any, any>
    }
  >(
    id: CheckBranch<Id, Ids, L, Cases>,
    options: BranchOptions<Needs, Ids, I, Out | Vis, L>,
    cases: Cases
  ): Workflow<
    I,
    IE,
    Out | NestedEntry<Id, BranchOutput<Cases>, CasePaths<Cases>, CaseEntries<Cases>>,
    E | { [K in keyof Cases]: Cases[K] extends (b: any) => infer W ? ErrorOf<W> : never }[keyof Cases],
    R | { [K in keyof Cases]: Cases[K] extends (b: any) => infer W ? RequirementsOf<W> : never }[keyof Cases],
    Vis,
    Ids | Id
  >

  /**
   * Runs `body` for each item of `over`, at most `concurrency` at a time; the output keeps the input order.
   *
   * @example
   * ```ts
   * wf.map("summaries", { needs: ["chunks"], over: (ctx) => ctx.chunks, concurrency: 4 },
   *   (chunk, ctx, index) => summarize(chunk))
   * ```
   */
  map<const Id extends string, const Needs extends ReadonlyArray<string>, T, A, E2 = never, R2 = never>(
    id: CheckId<Id, Ids>,
    options: MapOptions<Needs, Ids, I, Out | Vis, T>,
    body: (
      item: T,
      ctx: { readonly [K in "input" | Needs[number]]: K extends "input" ? I : Lookup<Out | Vis, K> } & { readonly [_ in NeedsHint]?: never },
      index: number
    ) => Effect.Effect<A, E2, R2>
  ): Workflow<I, IE, Out | JsonEntry<Id, ReadonlyArray<A>>, E | E2, R | R2, Vis, Ids | Id>

  /**
   * Repeats `body` on a state until `until` holds or `maxIterations` bodies have run. The state type cannot change.
   * At `maxIterations` the loop fails with `LoopMaxIterations` (default) or returns the last state
   * (`onMaxIterations: "return"`).
   *
   * @example
   * ```ts
   * wf.loop("refine", { needs: ["draft"], initial: (ctx) => ({ text: ctx.draft, score: 0 }),
   *   until: (s) => s.score >= 8, maxIterations: 5 }, (state) => revise(state))
   * ```
   */
  loop<
    const Id extends string,
    const Needs extends ReadonlyArray<string>,
    S,
    A2 = NotInferredYet,
    E2 = never,
    R2 = never,
    const M extends "fail" | "return" = "fail"
  >(
    id: CheckLoop<Id, Ids, A2, Widen<S>>,
    options: LoopOptions<Needs, Ids, I, Out | Vis, S, M>,
    body: (
      state: Widen<NoInfer<S>>,
      ctx: { readonly [K in "input" | Needs[number]]: K extends "input" ? I : Lookup<Out | Vis, K> } & { readonly [_ in NeedsHint]?: never },
      iteration: number
    ) => Effect.Effect<A2, E2, R2>
  ): Workflow<I, IE, Out | JsonEntry<Id, Widen<S>>, E | E2 | ("fail" extends M ? LoopMaxIterations : never), R | R2, Vis, Ids | Id>

  /**
   * Runs another workflow as one step; its outputs record is this step's output. Composition keeps type-check time
   * linear: keep each builder to about 100 steps and compose larger workflows from sub-workflows.
   *
   * @example
   * ```ts
   * wf.call("research", { needs: ["topic"], input: (ctx) => ({ query: ctx.topic }) }, ragWorkflow)
   * ```
   */
  call<const Id extends string, const Needs extends ReadonlyArray<string>, SI, SOut, SE, SR>(
    id: CheckId<Id, Ids>,
    options: CallOptions<Needs, Ids, I, Out | Vis, SI>,
    workflow: Workflow<SI, any, SOut, SE, SR, never, any>
  ): Workflow<I, IE, Out | NestedEntry<Id, Outputs<SOut>, PathsOf<SOut>, Scoped<"", SOut>>, E | SE, R | SR, Vis, Ids | Id>

  /**
   * Waits for a value from outside the run (a person approving a draft, an edited text), decoded with `signal`; the
   * value is this step's output. In a durable run (`Durable.start`) the run is `suspended` here, survives restarts at
   * no cost, and goes on when `Durable.signal` (typed by `signal`) or the CLI's `signal` command delivers the value.
   * With `timeout`, the step fails with `WaitTimedOut` when no value arrived in time. `request` is what the run shows
   * while it waits (`status` prints it).
   *
   * @example
   * ```ts
   * wf.wait("approve", { needs: ["draft"], signal: Schema.Struct({ approved: Schema.Boolean, note: Schema.String }),
   *   timeout: "2 days", request: (ctx) => ({ draft: ctx.draft }) })
   * ```
   */
  wait<const Id extends string, const Needs extends ReadonlyArray<string> = [], S extends Schema.Codec<any, any, never, never> = never, T extends Duration.Input | undefined = undefined>(
    id: CheckId<Id, Ids>,
    options: WaitOptions<Needs, Ids, I, Out | Vis, S, T>
  ): Workflow<I, IE, Out | WaitEntry<Id, S["Type"]>, E | (undefined extends T ? never : WaitTimedOut), R, Vis, Ids | Id>
}

/**
 * A step's retry `while` predicate, when its parameter is annotated, must accept every error the step's run can fail
 * with: a narrower annotation would see errors it does not expect. Reported on the step id.
 *
 * @example
 * ```ts
 * type Bad = CheckRetryWhile<"draft", "draft", RateLimited | InvalidRequest, RateLimited>
 * // "Step 'draft': its retry 'while' takes a narrower error type than the step fails with (...)"
 * ```
 */
export type CheckRetryWhile<Id extends string, Checked, E, EW> = Checked extends Id
  ? [E] extends [EW] ? Checked
  : `Step '${Id}': its retry 'while' takes a narrower error type than the step fails with (annotate it with the step's error type, or use isRetryable)`
  : Checked

/**
 * A step's output type as the steps after it see it. When the step's own options are wrong the compiler gives up
 * before it infers the output (it stays {@link NotInferredYet}): it is then `any`, so the one mistake is reported once,
 * on that step, and not again on every step that reads it.
 *
 * @example
 * ```ts
 * type A = Settled<string> // string
 * ```
 */
export type Settled<A> = [A] extends [NotInferredYet] ? any : A

/**
 * The output entry of a `wait` step: its value is the signal, and the marker lets a signal's type be checked against
 * the step (see `WaitIdsOf` / `SignalOf`).
 *
 * @example
 * ```ts
 * type E = WaitEntry<"approve", { approved: boolean }>
 * ```
 */
export interface WaitEntry<Id extends string, A> extends Entry<Id, A> {
  readonly wait: true
}

/**
 * The output entry of a step with no output Schema (a `step` without `output`, a `map`, a `loop`): a durable run
 * stores its value as JSON, so `Durable.start` checks at compile time that the value's type is JSON
 * (see `Durable.Persistable`).
 *
 * @example
 * ```ts
 * type E = JsonEntry<"count", number>
 * ```
 */
export interface JsonEntry<Id extends string, A> extends Entry<Id, A> {
  readonly json: true
}

/**
 * The output entry of a step that runs nested steps (a branch, a call): `paths` are the nested steps' paths below it
 * (`"bug/draft"` for a branch case `bug` with step `draft`), so {@link StepPathsOf} can list every step record's key.
 *
 * @example
 * ```ts
 * type E = NestedEntry<"route", { case: "bug"; value: { draft: string } }, "bug/draft">
 * ```
 */
export interface NestedEntry<Id extends string, A, P extends string, Inner = never> extends Entry<Id, A> {
  readonly paths: P
  /**
   * The output entries of the nested steps, each under the part of its path below this step (`"bug/"` for a branch
   * case `bug`, `""` for a call): what `Durable.Persistable` checks inside branches and sub-workflows.
   */
  readonly inner?: Inner
}

/**
 * The output entries `Out` of nested steps whose paths start with `Prefix` below their container (see
 * {@link NestedEntry}).
 *
 * @example
 * ```ts
 * type S = Scoped<"bug/", JsonEntry<"draft", string>> // the step `route/bug/draft` of branch `route`
 * ```
 */
export interface Scoped<Prefix extends string, Out> {
  readonly prefix: Prefix
  readonly out: Out
}

type OutEntriesOf<W> = W extends Workflow<any, any, infer Out, any, any, any, any> ? Out : never

type CaseEntries<Cases> = {
  [K in keyof Cases & string]: Cases[K] extends (b: any) => infer W ? Scoped<`${K}/`, OutEntriesOf<W>> : never
}[keyof Cases & string]

type PathsOf<Out> = Out extends { readonly id: infer K extends string }
  ? K | (Out extends { readonly paths: infer P extends string } ? `${K}/${P}` : never)
  : never

type CasePaths<Cases> = {
  [K in keyof Cases & string]: Cases[K] extends (b: any) => infer W ? `${K}/${StepPathsOf<W>}` : never
}[keyof Cases & string]

/**
 * The paths of every step of a workflow, as the keys of `RunResult.steps`: a top-level step is its id; a step inside a
 * branch case is `branch/case/id`; a step of a called sub-workflow is `call/id`; a step of a step's fallback workflow is
 * `id/fallback/...`. (A branch or call retried after a failure records its nested steps under `branch~2/...`,
 * `branch~3/...` for the later attempts.)
 *
 * @example
 * ```ts
 * type P = Workflow.StepPathsOf<typeof triage> // "classify" | "route" | "route/bug/draft" | "route/billing/refund" | ...
 * ```
 */
export type StepPathsOf<W> = W extends Workflow<any, any, infer Out, any, any, any, any> ? PathsOf<Out> : never

/**
 * The ids of the top-level `wait` steps of a workflow.
 *
 * @example
 * ```ts
 * type W = Workflow.WaitIdsOf<typeof review> // "approve"
 * ```
 */
export type WaitIdsOf<W> = W extends Workflow<any, any, infer Out, any, any, any, any>
  ? Out extends { readonly id: infer K extends string; readonly wait: true } ? K : never
  : never

/**
 * The value a signal for wait step `Id` of workflow `W` carries (the type of the step's signal Schema).
 *
 * @example
 * ```ts
 * const value: Workflow.SignalOf<typeof review, "approve"> = { approved: true, note: "ship it" }
 * ```
 */
export type SignalOf<W, Id extends string> = W extends Workflow<any, any, infer Out, any, any, any, any>
  ? Out extends { readonly id: Id; readonly wait: true; readonly value: infer A } ? A : never
  : never

/**
 * Options of a wait step.
 *
 * @example
 * ```ts
 * wf.wait("approve", { needs: ["draft"], signal: Schema.Struct({ approved: Schema.Boolean }), timeout: "1 day" })
 * ```
 */
export interface WaitOptions<Needs extends ReadonlyArray<string>, Known extends string, I, V, S, T> {
  readonly needs?: CheckNeeds<Needs, Known>
  /** The Schema the signal is decoded with; its type is the step's output. */
  readonly signal: S
  /** How long to wait; past it the step fails with `WaitTimedOut`. No limit when absent. */
  readonly timeout?: T
  /** What the run shows while it waits (the draft to approve, a question): kept with the run and printed by `status`. */
  readonly request?: ((ctx: { readonly [K in "input" | Needs[number]]: K extends "input" ? I : Lookup<V, K> } & { readonly [_ in NeedsHint]?: never }) => unknown) | undefined
  /** Human-readable description, shown by `toMermaid` and the CLI. */
  readonly description?: string | undefined
}

/**
 * Options of a plain step.
 *
 * @example
 * ```ts
 * wf.step("answer", { needs: ["docs"], output: Schema.String, timeout: "20 seconds" }, (ctx) => Effect.succeed(`${ctx.docs}`))
 * ```
 */
export interface StepOptions<Needs extends ReadonlyArray<string>, Known extends string, A, F = never, EW = unknown>
  extends Omit<CommonOptions, "retry">
{
  /**
   * Retry policy: a Schedule, or `{ schedule, times, while }`. An annotated `while` parameter must cover the errors
   * the step's run can fail with (`(e: RateLimited | Timeout) => ...`), or the step id reports it.
   */
  readonly retry?: Schedule.Schedule<unknown, unknown> | RetryOptions<EW> | undefined
  /** Ids of earlier steps whose outputs this step reads. */
  readonly needs?: CheckNeeds<Needs, Known>
  /** Schema of the output, validated when the step succeeds (needed for persistence and YAML). */
  readonly output?: Schema.Codec<A, unknown, never, never> | undefined
  /**
   * What serves the step when it fails for good (after its retries), tried in order: `Fallback.value(v)` (typed like
   * the output), `Fallback.cached()` (its last good output for the same inputs), `Fallback.workflow(wf, ...)`.
   */
  readonly fallback?: F | undefined
}

/**
 * Options of a branch.
 *
 * @example
 * ```ts
 * wf.branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
 *   safe: (b) => b.step("publish", () => Effect.succeed("published")),
 *   unsafe: (b) => b.step("hold", () => Effect.succeed("held"))
 * })
 * ```
 */
export interface BranchOptions<Needs extends ReadonlyArray<string>, Known extends string, I, V, L extends string>
  extends CommonOptions
{
  readonly needs: CheckNeeds<Needs, Known>
  /** Picks the case to run. */
  readonly on: (ctx: { readonly [K in "input" | Needs[number]]: K extends "input" ? I : Lookup<V, K> } & { readonly [_ in NeedsHint]?: never }) => L
}

/**
 * Options of a map step.
 *
 * @example
 * ```ts
 * wf.map("summaries", { needs: [], over: (ctx) => ctx.input.docs, concurrency: 4 }, (doc) => Effect.succeed(doc.slice(0, 80)))
 * ```
 */
export interface MapOptions<Needs extends ReadonlyArray<string>, Known extends string, I, V, T> extends CommonOptions {
  readonly needs: CheckNeeds<Needs, Known>
  /** The items to map over. */
  readonly over: (ctx: { readonly [K in "input" | Needs[number]]: K extends "input" ? I : Lookup<V, K> } & { readonly [_ in NeedsHint]?: never }) => ReadonlyArray<T>
  /** How many items run at once (default 1; `"unbounded"` for all). */
  readonly concurrency?: number | "unbounded" | undefined
  /** Timeout and retry of each item (the map's own `timeout`/`retry` cover all items together). */
  readonly item?: ItemPolicy | undefined
}

/**
 * Options of a loop step.
 *
 * @example
 * ```ts
 * wf.loop("count", { needs: [], initial: () => 0, until: (n) => n >= 3, maxIterations: 10 }, (n) => Effect.succeed(n + 1))
 * ```
 */
export interface LoopOptions<Needs extends ReadonlyArray<string>, Known extends string, I, V, S, M extends "fail" | "return">
  extends CommonOptions
{
  readonly needs: CheckNeeds<Needs, Known>
  /** The state before the first iteration. */
  readonly initial: (ctx: { readonly [K in "input" | Needs[number]]: K extends "input" ? I : Lookup<V, K> } & { readonly [_ in NeedsHint]?: never }) => S
  /** Stops the loop when it holds; checked before each iteration (so an initial state that satisfies it runs no body). */
  readonly until: (state: Widen<NoInfer<S>>, iteration: number) => boolean
  /** Upper bound on the number of body runs. */
  readonly maxIterations: number
  /** What reaching `maxIterations` means: fail with `LoopMaxIterations` (default) or return the last state. */
  readonly onMaxIterations?: M | undefined
  /** Timeout and retry of each iteration's body (the loop's own `timeout`/`retry` cover the whole loop). */
  readonly iteration?: ItemPolicy | undefined
}

/**
 * Options of a call step.
 *
 * @example
 * ```ts
 * wf.call("summary", { needs: ["docs"], input: (ctx) => ({ text: ctx.docs }) }, summarizeWorkflow)
 * ```
 */
export interface CallOptions<Needs extends ReadonlyArray<string>, Known extends string, I, V, SI> extends CommonOptions {
  readonly needs: CheckNeeds<Needs, Known>
  /** Builds the sub-workflow's (decoded) input. */
  readonly input: (ctx: { readonly [K in "input" | Needs[number]]: K extends "input" ? I : Lookup<V, K> } & { readonly [_ in NeedsHint]?: never }) => NoInfer<SI>
}

/**
 * Any workflow, whatever its types.
 *
 * @example
 * ```ts
 * const all: ReadonlyArray<Workflow.Any> = [rag, sentiment]
 * ```
 */
export type Any = Workflow<any, any, any, any, any, any, any>

/**
 * The decoded input type of a workflow.
 *
 * @example
 * ```ts
 * type In = Workflow.InputOf<typeof rag> // { readonly query: string }
 * ```
 */
export type InputOf<W> = W extends Workflow<infer I, any, any, any, any, any, any> ? I : never
/**
 * The encoded input type of a workflow (what `run` accepts).
 *
 * @example
 * ```ts
 * const input: Workflow.EncodedInputOf<typeof rag> = { query: "what is Effect?" }
 * ```
 */
export type EncodedInputOf<W> = W extends Workflow<any, infer IE, any, any, any, any, any> ? IE : never
/**
 * The record of outputs of a workflow.
 *
 * @example
 * ```ts
 * type Out = Workflow.OutputsOf<typeof rag> // { readonly embed: ...; readonly answer: string }
 * ```
 */
export type OutputsOf<W> = W extends Workflow<any, any, infer Out, any, any, any, any>
  // Spelled out (not `Outputs<Out>`) so that messages print `{ readonly answer: string }`, not `Outputs<Entry<...>>`.
  ? { readonly [P in Out & Entry<string, unknown> as P["id"]]: P["value"] }
  : never
/**
 * The union of step errors of a workflow.
 *
 * @example
 * ```ts
 * type E = Workflow.ErrorOf<typeof rag> // e.g. LlmError | VectorStoreError
 * ```
 */
export type ErrorOf<W> = W extends Workflow<any, any, any, infer E, any, any, any> ? E : never
/**
 * The union of services a workflow requires.
 *
 * @example
 * ```ts
 * type R = Workflow.RequirementsOf<typeof rag> // e.g. Llm | Embeddings
 * ```
 */
export type RequirementsOf<W> = W extends Workflow<any, any, any, any, infer R, any, any> ? R : never

/**
 * The output of a branch: one `{ case, value }` per case, `value` being the outputs of that case's steps.
 *
 * @example
 * ```ts
 * // wf.branch("route", ...) with cases safe/unsafe gives ctx.route: { case: "safe", value: {...} } | { case: "unsafe", value: {...} }
 * wf.step("report", { needs: ["route"] }, (ctx) => Effect.succeed(ctx.route.case))
 * ```
 */
export type BranchOutput<Cases> = {
  [K in keyof Cases]: { readonly case: K; readonly value: OutputsOf<Cases[K] extends (b: any) => infer W ? W : never> }
}[keyof Cases]

// ---------------------------------------------------------------------------------------------------------------------
// Implementation: an immutable value; each builder call returns a new workflow with one more node.

interface Definition {
  readonly name: string
  readonly input: Schema.Top
  readonly description?: string | undefined
  readonly version?: string | undefined
  readonly external: ReadonlyArray<string>
}

class WorkflowImpl implements Graph {
  declare readonly [TypeId]: Any[TypeId]
  readonly name: string
  readonly input: Schema.Top
  readonly description: string | undefined
  readonly version: string | undefined
  readonly external: ReadonlyArray<string>
  constructor(definition: Definition, readonly nodes: ReadonlyArray<Node>) {
    this.name = definition.name
    this.input = definition.input
    this.description = definition.description
    this.version = definition.version
    this.external = definition.external
  }

  private add(node: Node): WorkflowImpl {
    // The types rule these out for typed callers; untyped callers (YAML, JS) get a clear error at build time.
    const known = new Set([...this.external, ...this.nodes.map((n) => n.id)])
    const fail = (message: string) => new WorkflowDefinitionError({ workflow: this.name, stepId: node.id, message: `${this.name}: ${message}` })
    if (node.id === "input") throw fail(`step id 'input' is reserved for the workflow input`)
    if (known.has(node.id)) throw fail(`duplicate step id '${node.id}'`)
    for (const need of node.needs) {
      if (!known.has(need)) throw fail(`step '${node.id}' needs unknown step '${need}'`)
    }
    return new WorkflowImpl(this, [...this.nodes, node])
  }

  step(id: string, a: any, b?: any): WorkflowImpl {
    const options = b === undefined ? {} : a
    const run = b === undefined ? a : b
    // A step of a branch case that names no needs sees the branch's needs (`external`), as its type says.
    const needs: ReadonlyArray<string> = options.needs === undefined || options.needs.length === 0 ? this.external : options.needs
    return this.add({ kind: "step", id, needs, options, output: options.output, run })
  }

  branch(id: string, options: any, cases: Record<string, (b: Any) => Any>): WorkflowImpl {
    const needs: ReadonlyArray<string> = options.needs ?? []
    const graphs: Record<string, Graph> = {}
    for (const [name, build] of Object.entries(cases)) {
      const sub = new WorkflowImpl(
        { name: `${this.name}/${id}/${name}`, input: this.input, external: needs },
        []
      )
      graphs[name] = build(sub as unknown as Any)
    }
    return this.add({ kind: "branch", id, needs, options, output: undefined, on: options.on, cases: graphs })
  }

  map(id: string, options: any, body: any): WorkflowImpl {
    return this.add({
      kind: "map",
      id,
      needs: options.needs ?? [],
      options,
      output: undefined,
      over: options.over,
      concurrency: options.concurrency ?? 1,
      ...(options.item === undefined ? {} : { item: options.item }),
      body
    })
  }

  loop(id: string, options: any, body: any): WorkflowImpl {
    if (!(Number.isInteger(options.maxIterations) && options.maxIterations >= 1)) {
      throw new WorkflowDefinitionError({
        workflow: this.name,
        stepId: id,
        message: `${this.name}: loop '${id}' needs maxIterations >= 1 (got ${options.maxIterations})`
      })
    }
    return this.add({
      kind: "loop",
      id,
      needs: options.needs ?? [],
      options,
      output: undefined,
      initial: options.initial,
      until: options.until,
      maxIterations: options.maxIterations,
      onMaxIterations: options.onMaxIterations ?? "fail",
      ...(options.iteration === undefined ? {} : { iteration: options.iteration }),
      body
    })
  }

  wait(id: string, options: any): WorkflowImpl {
    const timeoutMillis = options.timeout === undefined ? undefined : Duration.toMillis(Duration.fromInputUnsafe(options.timeout))
    return this.add({
      kind: "wait",
      id,
      needs: options.needs ?? [],
      options: { description: options.description },
      output: options.signal,
      signal: options.signal,
      timeoutMillis,
      request: options.request
    })
  }

  call(id: string, options: any, workflow: Graph): WorkflowImpl {
    return this.add({ kind: "call", id, needs: options.needs ?? [], options, output: undefined, input: options.input, workflow })
  }
}

/**
 * Starts a workflow. `input` is the Schema the run input is decoded with.
 *
 * @example
 * ```ts
 * const wf = Workflow.make("sentiment", { input: Schema.Struct({ text: Schema.String }), version: "1.0" })
 * ```
 */
export const make = <S extends Schema.Codec<any, any, never, never>>(
  name: string,
  options: { readonly input: S; readonly description?: string | undefined; readonly version?: string | undefined }
): Workflow<S["Type"], S["Encoded"], never, never, never, never, never> =>
  new WorkflowImpl(
    { name, input: options.input, description: options.description, version: options.version, external: [] },
    []
  ) as unknown as Workflow<S["Type"], S["Encoded"], never, never, never, never, never>

/**
 * The options several steps can share: `timeout`, `retry`, `description` (what {@link options} checks).
 *
 * @example
 * ```ts
 * const policy = { timeout: "30 seconds", retry: { times: 2 } } satisfies Workflow.Policy
 * ```
 */
export type Policy = CommonOptions

/**
 * Options shared by several steps, checked once here and kept literal (no `as const`): spread them into each step's
 * options. A mistake (`timeout: "30 secs"`) is reported on this object, not on every step that uses it.
 *
 * @example
 * ```ts
 * const llmCall = Workflow.options({ timeout: "30 seconds", retry: { schedule: Schedule.exponential("1 second"), times: 3, while: isRetryable } })
 * wf.step("draft", { needs: ["label"], ...llmCall }, (ctx) => Llm.generate({ ...main, prompt: ctx.label }))
 * ```
 */
export const options = <const O extends Policy>(options: O): O => options

/**
 * True for workflow values.
 *
 * @example
 * ```ts
 * Workflow.isWorkflow(Workflow.make("demo", { input: Schema.String })) // true
 * Workflow.isWorkflow({ nodes: [] }) // false
 * ```
 */
export const isWorkflow = (u: unknown): u is Any => u instanceof WorkflowImpl

/**
 * @internal rebuilds a workflow from a graph (used by the record form).
 *
 * @example
 * ```ts
 * const copy = fromGraph({ ...wf, nodes: wf.nodes })
 * ```
 */
export const fromGraph = (graph: Graph): Any =>
  new WorkflowImpl(graph, graph.nodes) as unknown as Any

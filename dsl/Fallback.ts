/**
 * What serves a step when it fails for good (after its retries): a static value typed like the step's output, the
 * last good output of the same step for the same inputs, or a degraded sub-workflow. A step takes one fallback or a
 * list tried in order; the run result and the events say which one served (`RunResult.steps[id].fallback`,
 * `StepFallback`). Interruptions and defects never fall back. When every fallback fails, the step fails with its own
 * error.
 *
 * @example
 * ```ts
 * import { Fallback } from "llm-orchestrator/dsl"
 * wf.step("summary", { needs: ["docs"], fallback: [Fallback.cached(), Fallback.value("No summary available.")] },
 *   (ctx) => Llm.generate({ provider: "main", model: "gpt-4o", prompt: ctx.docs }))
 * ```
 */
import type { Duration } from "effect"
import type { AnyCtx, Graph } from "./Node.ts"
import type { NotInferredYet } from "./types.ts"
import type { InputOf, OutputsOf, RequirementsOf as WorkflowRequirements, Workflow } from "./Workflow.ts"

/**
 * A static output.
 *
 * @example
 * ```ts
 * const f: Fallback.ValueFallback<string> = Fallback.value("n/a")
 * ```
 */
export interface ValueFallback<A> {
  readonly _tag: "Value"
  readonly value: A
}

/**
 * The last good output of the same step (same workflow, same step path) for the same inputs (the workflow input and
 * the outputs of the step's needs), kept in memory by the engine, optionally no older than `maxAge`.
 *
 * @example
 * ```ts
 * const f: Fallback.CachedFallback = Fallback.cached({ maxAge: "1 hour" })
 * ```
 */
export interface CachedFallback {
  readonly _tag: "Cached"
  readonly maxAge: Duration.Input | undefined
}

/**
 * A degraded sub-workflow: its input built from the step's context, its outputs turned into the step's output.
 *
 * @example
 * ```ts
 * const f: Fallback.WorkflowFallback<string, LlmProvider<"cheap">> = Fallback.workflow(cheapSummary, { input, output })
 * ```
 */
export interface WorkflowFallback<A, R> {
  readonly _tag: "Workflow"
  readonly workflow: Graph
  readonly input: (ctx: AnyCtx) => unknown
  readonly output: (outputs: any) => A
  /** Phantom: what the sub-workflow needs, added to the workflow's requirements. */
  readonly _R?: (() => R) | undefined
}

/**
 * One fallback of a step producing `A` (needing `R`).
 *
 * @example
 * ```ts
 * const fallbacks: ReadonlyArray<Fallback.Fallback<string>> = [Fallback.cached(), Fallback.value("n/a")]
 * ```
 */
export type Fallback<A = unknown, R = never> = ValueFallback<A> | CachedFallback | WorkflowFallback<A, R>

/**
 * The `fallback` option of a step: one fallback or several, tried in order.
 *
 * @example
 * ```ts
 * const option: Fallback.Option<string> = [Fallback.cached(), Fallback.value("n/a")]
 * ```
 */
export type Option<A = unknown, R = never> = Fallback<A, R> | ReadonlyArray<Fallback<A, R>>

/**
 * The outputs the fallbacks of an option may produce.
 *
 * @example
 * ```ts
 * type O = Fallback.OutputOf<[Fallback.CachedFallback, Fallback.ValueFallback<"n/a">]> // "n/a"
 * ```
 */
export type OutputOf<F> = F extends ReadonlyArray<infer X> ? OutputOfOne<X> : OutputOfOne<F>
type OutputOfOne<X> = X extends ValueFallback<infer V> ? V : X extends WorkflowFallback<infer V, any> ? V : never

/**
 * What the fallbacks of an option need (the requirements of their sub-workflows).
 *
 * @example
 * ```ts
 * type R = Fallback.RequirementsOf<Fallback.WorkflowFallback<string, LlmProvider<"cheap">>> // LlmProvider<"cheap">
 * ```
 */
export type RequirementsOf<F> = F extends ReadonlyArray<infer X> ? RequirementsOfOne<X> : RequirementsOfOne<F>
type RequirementsOfOne<X> = X extends WorkflowFallback<any, infer R> ? R : never

/**
 * The check of a step's fallbacks, on the step's id (so the message is one sentence): what they produce must be the
 * step's output type. `Checked` is the id's other checks.
 *
 * @example
 * ```ts
 * type Bad = Fallback.CheckFallback<"label", "label", "yes" | "no", Fallback.ValueFallback<"maybe">>
 * // "Step 'label': its fallback must produce the step's output type"
 * ```
 */
export type CheckFallback<Id extends string, Checked, A, F> = [F] extends [never] ? Checked
  // the step's result is inferred after this first check of the id: let it pass until then
  : [A] extends [NotInferredYet] ? Checked
  : [OutputOf<F>] extends [A] ? Checked
  : `Step '${Id}': its fallback must produce the step's output type`

/**
 * A static output, typed like the step's.
 *
 * @example
 * ```ts
 * wf.step("label", { fallback: Fallback.value("neutral" as const) }, (ctx) => classify(ctx.input.text))
 * ```
 */
export const value = <const A>(value: A): ValueFallback<A> => ({ _tag: "Value", value })

/**
 * The last good output of this step for the same inputs.
 *
 * @example
 * ```ts
 * wf.step("quote", { fallback: Fallback.cached({ maxAge: "10 minutes" }) }, (ctx) => fetchQuote(ctx.input.symbol))
 * ```
 */
export const cached = (options: { readonly maxAge?: Duration.Input | undefined } = {}): CachedFallback => ({
  _tag: "Cached",
  maxAge: options.maxAge
})

/**
 * A degraded sub-workflow; `input` gets the step's context (`input` plus the outputs of its needs).
 *
 * @example
 * ```ts
 * wf.step("summary", {
 *   needs: ["docs"],
 *   fallback: Fallback.workflow(cheapSummary, { input: (ctx) => ({ text: String(ctx.docs) }), output: (o) => o.summary })
 * }, (ctx) => Llm.generate({ provider: "premium", model: "gpt-4o", prompt: ctx.docs }))
 * ```
 */
export const workflow = <W extends Workflow<any, any, any, any, any, any, any>, A>(
  workflow: W,
  options: { readonly input: (ctx: AnyCtx) => InputOf<W>; readonly output: (outputs: OutputsOf<W>) => A }
): WorkflowFallback<A, WorkflowRequirements<W>> => ({
  _tag: "Workflow",
  workflow: workflow as unknown as Graph,
  input: options.input,
  output: options.output as (outputs: any) => A
})

/**
 * The fallbacks of an option, as a list.
 *
 * @example
 * ```ts
 * Fallback.toList(Fallback.value(1)) // [{ _tag: "Value", value: 1 }]
 * ```
 */
export const toList = (option: Option<unknown, unknown> | undefined): ReadonlyArray<Fallback<unknown, unknown>> =>
  option === undefined ? [] : Array.isArray(option) ? option : [option as Fallback<unknown, unknown>]

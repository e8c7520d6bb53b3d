/**
 * The record form: a workflow written as an object of step specs, in any order, with each step's output declared by
 * a Schema and the run functions passed separately. Meant for generated code (YAML codegen) and large workflows:
 * type-checking stays linear because no step's type depends on the order of the others.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Workflow } from "llm-orchestrator/dsl"
 *
 * const wf = Workflow.fromRecord("sentiment", {
 *   input: Schema.Struct({ text: Schema.String }),
 *   steps: {
 *     reply: { needs: ["label"], output: Schema.String },
 *     label: { output: Schema.Literals(["positive", "negative"]) }
 *   }
 * }, {
 *   label: (ctx) => Effect.succeed(ctx.input.text.includes("love") ? "positive" as const : "negative" as const),
 *   reply: (ctx) => Effect.succeed(`You sound ${ctx.label}`)
 * })
 * ```
 */
import { Duration, type Effect, type Schema } from "effect"
import { WorkflowDefinitionError } from "./errors.ts"
import type * as Fallback from "./Fallback.ts"
import type { CommonOptions, Graph, Node } from "./Node.ts"
import type { GraphProblem } from "./acyclic.ts"
import type { DeadCases, Entry, JoinCapped, NeedsHint, Outputs } from "./types.ts"
import { type Any, fromGraph, type OutputsOf, type Workflow } from "./Workflow.ts"

/**
 * A plain step: declared output Schema, run function in the implementation record.
 *
 * @example
 * ```ts
 * const steps = { label: { output: Schema.Literals(["positive", "negative"]), retry: Schedule.recurs(2) } }
 * ```
 */
export interface StepSpec extends CommonOptions {
  readonly kind?: "step" | undefined
  readonly needs?: ReadonlyArray<string> | undefined
  readonly output: Schema.Top
  /**
   * What serves the step once its attempts failed (see `Fallback`): static values, cached outputs and degraded
   * sub-workflows (whose requirements become the workflow's). Their type is not checked against `output` here
   * (generated code checks it before); use the builder's `fallback` for that.
   */
  readonly fallback?: StepFallbacks | undefined
}

/**
 * The fallbacks a record-form step takes: `Fallback.value`, `Fallback.cached` and `Fallback.workflow`, one or a list.
 *
 * @example
 * ```ts
 * const steps = { label: { output: Schema.String, fallback: [Fallback.cached(), Fallback.value("neutral")] } }
 * ```
 */
export type StepFallbacks = Fallback.Option<unknown, any>
/**
 * A map step: `output` is the Schema of the whole array; the implementation gives `over` and `body`.
 *
 * @example
 * ```ts
 * const steps = { summaries: { kind: "map", output: Schema.Array(Schema.String), concurrency: 4 } } as const
 * // implementation: { summaries: { over: (ctx) => ctx.input.docs, body: (doc) => Effect.succeed(String(doc)) } }
 * ```
 */
export interface MapSpec extends CommonOptions {
  readonly kind: "map"
  readonly needs?: ReadonlyArray<string> | undefined
  readonly output: Schema.Top
  readonly concurrency?: number | "unbounded" | undefined
}
/**
 * A loop step: `output` is the Schema of the state; the implementation gives `initial`, `until` and `body`.
 *
 * @example
 * ```ts
 * const steps = { refine: { kind: "loop", output: Schema.Number, maxIterations: 5 } } as const
 * // implementation: { refine: { initial: () => 0, until: (n) => n >= 3, body: (n) => Effect.succeed(n + 1) } }
 * ```
 */
export interface LoopSpec extends CommonOptions {
  readonly kind: "loop"
  readonly needs?: ReadonlyArray<string> | undefined
  readonly output: Schema.Top
  readonly maxIterations: number
  readonly onMaxIterations?: "fail" | "return" | undefined
}
/**
 * A branch: one workflow per case (built with `external` set to the branch's needs); the implementation gives `on`.
 *
 * @example
 * ```ts
 * const steps = { route: { kind: "branch", needs: ["label"], cases: { safe: safeWf, unsafe: unsafeWf } } } as const
 * // implementation: { route: { on: (ctx) => ctx.label } }
 * ```
 */
export interface BranchSpec extends CommonOptions {
  readonly kind: "branch"
  readonly needs?: ReadonlyArray<string> | undefined
  readonly cases: Readonly<Record<string, Any>>
}
/**
 * A sub-workflow call; the implementation gives `input`.
 *
 * @example
 * ```ts
 * const steps = { summary: { kind: "call", workflow: summarizeWf } } as const
 * // implementation: { summary: { input: (ctx) => ({ text: ctx.input.text }) } }
 * ```
 */
export interface CallSpec extends CommonOptions {
  readonly kind: "call"
  readonly needs?: ReadonlyArray<string> | undefined
  readonly workflow: Any
}
/**
 * Any step spec of the record form.
 *
 * @example
 * ```ts
 * const spec: Spec = { needs: ["label"], output: Schema.String }
 * ```
 */
export type Spec = StepSpec | MapSpec | LoopSpec | BranchSpec | CallSpec | WaitSpec

/**
 * A wait step (durable runs): its value is the signal sent to the run, decoded with `signal`; the implementation may
 * give `request`, what the run shows while it waits.
 *
 * @example
 * ```ts
 * const steps = { approve: { kind: "wait", needs: ["draft"], signal: Schema.Struct({ approved: Schema.Boolean }), timeout: "1 day" } } as const
 * ```
 */
export interface WaitSpec {
  readonly kind: "wait"
  readonly needs?: ReadonlyArray<string> | undefined
  readonly signal: Schema.Top
  /** How long to wait; past it the step fails with `WaitTimedOut`. */
  readonly timeout?: Duration.Input | undefined
  readonly description?: string | undefined
}

/**
 * The output type a spec declares.
 *
 * @example
 * ```ts
 * type A = SpecOutput<{ readonly output: typeof Schema.String }> // string
 * ```
 */
export type SpecOutput<S> = S extends { readonly kind: "call"; readonly workflow: infer W } ? OutputsOf<W>
  : S extends { readonly kind: "branch"; readonly cases: infer C } ? { [K in keyof C]: { readonly case: K; readonly value: OutputsOf<C[K]> } }[keyof C]
  : S extends { readonly kind: "wait"; readonly signal: infer O extends Schema.Top } ? O["Type"]
  : S extends { readonly output: infer O extends Schema.Top } ? O["Type"]
  : never

type NeedsOf<S> = S extends { readonly needs: ReadonlyArray<infer N extends string> } ? N : never

/**
 * The context of step `K`: `input` plus exactly its needs, typed from their declared outputs. Written out where it is
 * used (not as an alias) so that compiler messages print the object, not the alias.
 */
type CtxValue<I, Steps, Ext, N> = N extends "input" ? I
  : N extends keyof Steps ? SpecOutput<Steps[N]>
  : N extends keyof Ext ? Ext[N] extends Schema.Top ? Ext[N]["Type"] : never
  : never

type ItemOf<A> = A extends ReadonlyArray<infer T> ? T : never

/**
 * The implementation record: one entry per step, its shape following the step's kind.
 *
 * @example
 * ```ts
 * const impl = { label: (ctx) => Effect.succeed("positive" as const) } satisfies Implementation<{ text: string }, typeof steps, {}>
 * ```
 */
export type Implementation<I, Steps, Ext> = {
  readonly [K in keyof Steps]: Steps[K] extends { readonly kind: "map" } ? {
      readonly over: (ctx: { readonly [N in "input" | NeedsOf<Steps[K]>]: CtxValue<I, Steps, Ext, N> } & { readonly [_ in NeedsHint]?: never }) => ReadonlyArray<unknown>
      readonly body: (item: any, ctx: { readonly [N in "input" | NeedsOf<Steps[K]>]: CtxValue<I, Steps, Ext, N> } & { readonly [_ in NeedsHint]?: never }, index: number) => Effect.Effect<ItemOf<SpecOutput<Steps[K]>>, any, any>
    }
    : Steps[K] extends { readonly kind: "loop" } ? {
        readonly initial: (ctx: { readonly [N in "input" | NeedsOf<Steps[K]>]: CtxValue<I, Steps, Ext, N> } & { readonly [_ in NeedsHint]?: never }) => SpecOutput<Steps[K]>
        readonly until: (state: SpecOutput<Steps[K]>, iteration: number) => boolean
        readonly body: (state: SpecOutput<Steps[K]>, ctx: { readonly [N in "input" | NeedsOf<Steps[K]>]: CtxValue<I, Steps, Ext, N> } & { readonly [_ in NeedsHint]?: never }, iteration: number) => Effect.Effect<SpecOutput<Steps[K]>, any, any>
      }
    : Steps[K] extends { readonly kind: "branch"; readonly cases: infer C } ? { readonly on: (ctx: { readonly [N in "input" | NeedsOf<Steps[K]>]: CtxValue<I, Steps, Ext, N> } & { readonly [_ in NeedsHint]?: never }) => keyof C & string }
    : Steps[K] extends { readonly kind: "call"; readonly workflow: Workflow<infer SI, any, any, any, any, any, any> } ? { readonly input: (ctx: { readonly [N in "input" | NeedsOf<Steps[K]>]: CtxValue<I, Steps, Ext, N> } & { readonly [_ in NeedsHint]?: never }) => SI }
    : Steps[K] extends { readonly kind: "wait" } ? { readonly request?: ((ctx: { readonly [N in "input" | NeedsOf<Steps[K]>]: CtxValue<I, Steps, Ext, N> } & { readonly [_ in NeedsHint]?: never }) => unknown) | undefined }
    : (ctx: { readonly [N in "input" | NeedsOf<Steps[K]>]: CtxValue<I, Steps, Ext, N> } & { readonly [_ in NeedsHint]?: never }) => Effect.Effect<SpecOutput<Steps[K]>, any, any>
}

type EffectsOf<X> = X extends (...args: any) => infer T ? T : X extends object ? { [K in keyof X]: X[K] extends (...args: any) => infer T ? T : never }[keyof X] : never
type ErrorOfImpl<Impl> = { [K in keyof Impl]: EffectsOf<Impl[K]> extends infer T ? T extends Effect.Effect<any, infer E, any> ? E : never : never }[keyof Impl]
type ReqOfImpl<Impl> = { [K in keyof Impl]: EffectsOf<Impl[K]> extends infer T ? T extends Effect.Effect<any, any, infer R> ? R : never : never }[keyof Impl]
type SubErrors<Steps> = { [K in keyof Steps]: Steps[K] extends { readonly kind: "call"; readonly workflow: Workflow<any, any, any, infer E, any, any, any> } ? E
  : Steps[K] extends { readonly kind: "branch"; readonly cases: infer C } ? { [P in keyof C]: C[P] extends Workflow<any, any, any, infer E, any, any, any> ? E : never }[keyof C]
  : never }[keyof Steps]
type SubReqs<Steps> = { [K in keyof Steps]: (Steps[K] extends { readonly kind: "call"; readonly workflow: Workflow<any, any, any, any, infer R, any, any> } ? R
  : Steps[K] extends { readonly kind: "branch"; readonly cases: infer C } ? { [P in keyof C]: C[P] extends Workflow<any, any, any, any, infer R, any, any> ? R : never }[keyof C]
  : never)
  // a degraded sub-workflow fallback needs what its workflow needs
  | (Steps[K] extends { readonly fallback: infer F } ? Fallback.RequirementsOf<F> : never) }[keyof Steps]

type UnknownNeeds<Steps, Known extends PropertyKey> = {
  readonly [K in keyof Steps]: Steps[K] extends { readonly needs: ReadonlyArray<infer N> } ? Exclude<N, Known> : never
}

type OnCases<F> = F extends { readonly on: (...args: ReadonlyArray<any>) => infer L } ? L : never
type DeadCasesOf<Steps, Impl> = {
  readonly [K in keyof Steps]: Steps[K] extends { readonly kind: "branch"; readonly cases: infer C }
    ? K extends keyof Impl ? Exclude<keyof C, OnCases<Impl[K]>> : never
    : never
}

/**
 * The mistakes of a record, one message per offending step (`never` when there is none): a need naming no step, the
 * reserved id `input`, a branch case its `on` never returns, a cycle (one step of it is flagged), and, with `levels`,
 * a step not numbered above its needs.
 *
 * @example
 * ```ts
 * type P = RecordProblems<{ a: { needs: ["b"] }; b: { needs: ["a"] } }, {}, {}, undefined>
 * // { readonly a: { readonly needs: "Cycle in needs: a -> b -> a (remove one of these needs)" } }
 * ```
 */
export type RecordProblems<Steps, Ext, Impl, Levels> = UnknownNeeds<Steps, keyof Steps | keyof Ext> extends infer U
  ? [U[keyof U]] extends [never]
    ? DeadCasesOf<Steps, Impl> extends infer D ? [D[keyof D]] extends [never]
        ? "input" extends keyof Steps ? { readonly steps: { readonly input: "Step id 'input' is reserved for the workflow input" } }
        : GraphProblem<Steps, Levels> extends infer G ? [G] extends [never] ? never
          : G extends { readonly step: infer S extends PropertyKey; readonly message: infer M }
            ? { readonly steps: { readonly [K in S]: { readonly needs: M } } }
          : G
        : never
      : {
        readonly steps: {
          readonly [K in keyof D as [D[K]] extends [never] ? never : K]: { readonly kind: DeadCases<K & string, D[K] & string> }
        }
      }
      : never
    : {
      readonly steps: {
        readonly [K in keyof U as [U[K]] extends [never] ? never : K]: {
          readonly needs: `Unknown step '${U[K] & string}' in the needs of '${K & string}' (steps: ${JoinCapped<keyof Steps & string>})`
        }
      }
    }
  : never

/**
 * The steps as the compiler checks them: the record itself when it is valid; otherwise the offending steps with their
 * message in place of the wrong property, so the error is a one-line "Type X is not assignable to '<message>'" on
 * that step.
 *
 * @example
 * ```ts
 * // steps: { a: { needs: ["a"], output: Schema.Number } }
 * // -> Type 'readonly ["a"]' is not assignable to type '"Cycle in needs: a -> a (remove one of these needs)"'
 * ```
 */
export type CheckedSteps<Steps, Problems> = [Problems] extends [{ readonly steps: infer P }] ? {
    readonly [K in keyof Steps]: K extends keyof P ? P[K] extends string ? P[K] : Omit<Steps[K], keyof P[K]> & P[K]
      : Steps[K]
  }
  : Steps

/**
 * What `levels` must also satisfy: the message when the record is too deep for the check without `levels`.
 *
 * @example
 * ```ts
 * // a 300-deep chain of needs without levels:
 * // Type 'undefined' is not assignable to type '"Needs nested deeper than 200 steps: pass 'levels' (...)"'
 * ```
 */
export type CheckedLevels<Problems> = [Problems] extends [{ readonly levels: infer M }] ? M : unknown

/**
 * Builds a workflow from a record of step specs (any order) and a record of implementations. For typed callers, an
 * unknown need, a cycle, the reserved id `input` and a branch case its `on` never returns are compile errors on the
 * offending step; at run time (untyped callers, generated code) unknown needs, the reserved id and cycles throw a
 * `WorkflowDefinitionError` whose message names the step or prints the cycle (`a -> b -> a`).
 *
 * `external` declares ids visible to the steps but produced outside (a branch case's view of its branch's needs).
 * `levels` (optional) numbers each step above its needs, which makes the compile-time cycle check linear: pass it for
 * records of hundreds of steps (the YAML codegen does).
 *
 * @example
 * ```ts
 * const wf = Workflow.fromRecord("echo", {
 *   input: Schema.Struct({ text: Schema.String }),
 *   steps: { echo: { output: Schema.String }, shout: { needs: ["echo"], output: Schema.String } },
 *   levels: { echo: 0, shout: 1 }
 * }, { echo: (ctx) => Effect.succeed(ctx.input.text), shout: (ctx) => Effect.succeed(ctx.echo.toUpperCase()) })
 * ```
 */
export const fromRecord = <
  S extends Schema.Codec<any, any, never, never>,
  const Steps extends Readonly<Record<string, Spec>>,
  const Impl extends Implementation<S["Type"], Steps, Ext>,
  const Ext extends Readonly<Record<string, Schema.Top>> = {},
  const Levels extends { readonly [K in keyof Steps]: number } | undefined = undefined
>(
  name: string,
  definition: {
    readonly input: S
    readonly steps: CheckedSteps<Steps, RecordProblems<Steps, Ext, NoInfer<Impl>, NoInfer<Levels>>>
    /**
     * A number per step, greater than the numbers of its needs (its depth, say; the YAML codegen emits it). Optional:
     * without it the compiler searches for cycles itself, one pass per level of needs (fine for the records people
     * write; up to 200 levels); with it the check is one comparison per need, whatever the size.
     */
    readonly levels?: Levels & CheckedLevels<RecordProblems<Steps, Ext, NoInfer<Impl>, NoInfer<Levels>>>
    readonly external?: Ext | undefined
    readonly description?: string | undefined
    readonly version?: string | undefined
  },
  implementation: Impl
): Workflow<
  S["Type"],
  S["Encoded"],
  { [K in keyof Steps]: Entry<K & string, SpecOutput<Steps[K]>> }[keyof Steps],
  ErrorOfImpl<Impl> | SubErrors<Steps>,
  ReqOfImpl<Impl> | SubReqs<Steps>,
  { [K in keyof Ext]: Entry<K & string, Ext[K]["Type"]> }[keyof Ext],
  (keyof Steps | keyof Ext) & string
> => {
  const external = Object.keys(definition.external ?? {})
  const specs = definition.steps as Readonly<Record<string, Spec>>
  const impls = implementation as Record<string, any>
  const nodes = sortNodes(name, specs, external).map((id): Node => toNode(name, id, specs[id]!, impls[id]))
  const graph: Graph = {
    name,
    input: definition.input,
    nodes,
    external,
    description: definition.description,
    version: definition.version
  }
  return fromGraph(graph) as any
}

const toNode = (workflow: string, id: string, spec: Spec, impl: any): Node => {
  const needs = spec.needs ?? []
  if (impl === undefined) {
    throw new WorkflowDefinitionError({ workflow, stepId: id, message: `${workflow}: step '${id}' has no implementation` })
  }
  switch (spec.kind) {
    case undefined:
    case "step":
      return { kind: "step", id, needs, options: spec, output: spec.output, run: impl }
    case "map":
      return { kind: "map", id, needs, options: spec, output: spec.output, over: impl.over, body: impl.body, concurrency: spec.concurrency ?? 1 }
    case "loop":
      return {
        kind: "loop",
        id,
        needs,
        options: spec,
        output: spec.output,
        initial: impl.initial,
        until: impl.until,
        body: impl.body,
        maxIterations: spec.maxIterations,
        onMaxIterations: spec.onMaxIterations ?? "fail"
      }
    case "branch":
      return { kind: "branch", id, needs, options: spec, output: undefined, on: impl.on, cases: spec.cases }
    case "call":
      return { kind: "call", id, needs, options: spec, output: undefined, input: impl.input, workflow: spec.workflow }
    case "wait":
      return {
        kind: "wait",
        id,
        needs,
        options: { description: spec.description },
        output: spec.signal,
        signal: spec.signal,
        timeoutMillis: spec.timeout === undefined ? undefined : Duration.toMillis(Duration.fromInputUnsafe(spec.timeout)),
        request: impl.request
      }
  }
}

/**
 * Orders the steps so every step comes after its needs (Kahn's algorithm, stable on declaration order), rejecting
 * unknown needs and reporting a cycle with its path.
 *
 * @example
 * ```ts
 * sortNodes("wf", { b: { needs: ["a"] }, a: {} }, []) // ["a", "b"]
 * sortNodes("wf", { a: { needs: ["b"] }, b: { needs: ["a"] } }, []) // throws WorkflowDefinitionError "wf: cycle: a -> b -> a"
 * ```
 */
export const sortNodes = (
  workflow: string,
  specs: Readonly<Record<string, { readonly needs?: ReadonlyArray<string> | undefined }>>,
  external: ReadonlyArray<string>
): ReadonlyArray<string> => {
  const ids = Object.keys(specs)
  const externalSet = new Set(external)
  for (const id of ids) {
    if (id === "input") throw new WorkflowDefinitionError({ workflow, stepId: id, message: `${workflow}: step id 'input' is reserved for the workflow input` })
    for (const need of specs[id]!.needs ?? []) {
      if (!(need in specs) && !externalSet.has(need)) {
        throw new WorkflowDefinitionError({ workflow, stepId: id, message: `${workflow}: step '${id}' needs unknown step '${need}'` })
      }
    }
  }
  const indegree = new Map<string, number>()
  const dependents = new Map<string, Array<string>>()
  for (const id of ids) {
    const internal = (specs[id]!.needs ?? []).filter((n) => !externalSet.has(n) || n in specs)
    indegree.set(id, internal.length)
    for (const need of internal) {
      const list = dependents.get(need)
      if (list === undefined) dependents.set(need, [id])
      else list.push(id)
    }
  }
  const order: Array<string> = []
  const queue = ids.filter((id) => indegree.get(id) === 0)
  while (queue.length > 0) {
    const id = queue.shift()!
    order.push(id)
    for (const next of dependents.get(id) ?? []) {
      const d = indegree.get(next)! - 1
      indegree.set(next, d)
      if (d === 0) queue.push(next)
    }
  }
  if (order.length < ids.length) {
    const cycle = findCycle(specs, ids.filter((id) => indegree.get(id)! > 0))
    throw new WorkflowDefinitionError({ workflow, stepId: cycle[0]!, message: `${workflow}: cycle: ${cycle.join(" -> ")}` })
  }
  return order
}

const findCycle = (
  specs: Readonly<Record<string, { readonly needs?: ReadonlyArray<string> | undefined }>>,
  candidates: ReadonlyArray<string>
): Array<string> => {
  const inCycleSet = new Set(candidates)
  // Walk needs from a stuck node until a node repeats: every stuck node has a stuck need, so this terminates on a cycle.
  const start = candidates[0]!
  const seen = new Map<string, number>()
  const path: Array<string> = []
  let current = start
  while (!seen.has(current)) {
    seen.set(current, path.length)
    path.push(current)
    current = (specs[current]!.needs ?? []).find((n) => inCycleSet.has(n))!
  }
  const cycle = path.slice(seen.get(current)!)
  // Print in dependency direction: a -> b means "a needs b"; close the loop.
  return [...cycle, current]
}

/**
 * @internal
 *
 * @example
 * ```ts
 * type O = _Outputs<Entry<"a", number>> // { readonly a: number }
 * ```
 */
export type _Outputs<O> = Outputs<O>

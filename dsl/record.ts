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
import type { Effect, Schema } from "effect"
import { WorkflowDefinitionError } from "./errors.ts"
import type { CommonOptions, Graph, Node } from "./Node.ts"
import type { Entry, Outputs } from "./types.ts"
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
}
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
export type Spec = StepSpec | MapSpec | LoopSpec | BranchSpec | CallSpec

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
  : S extends { readonly output: infer O extends Schema.Top } ? O["Type"]
  : never

type NeedsOf<S> = S extends { readonly needs: ReadonlyArray<infer N extends string> } ? N : never

type CtxOf<I, Steps, Ext, K extends keyof Steps> = {
  readonly [N in "input" | NeedsOf<Steps[K]>]: N extends "input" ? I
    : N extends keyof Steps ? SpecOutput<Steps[N]>
    : N extends keyof Ext ? Ext[N] extends Schema.Top ? Ext[N]["Type"] : never
    : never
}

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
      readonly over: (ctx: CtxOf<I, Steps, Ext, K>) => ReadonlyArray<unknown>
      readonly body: (item: any, ctx: CtxOf<I, Steps, Ext, K>, index: number) => Effect.Effect<ItemOf<SpecOutput<Steps[K]>>, any, any>
    }
    : Steps[K] extends { readonly kind: "loop" } ? {
        readonly initial: (ctx: CtxOf<I, Steps, Ext, K>) => SpecOutput<Steps[K]>
        readonly until: (state: SpecOutput<Steps[K]>, iteration: number) => boolean
        readonly body: (state: SpecOutput<Steps[K]>, ctx: CtxOf<I, Steps, Ext, K>, iteration: number) => Effect.Effect<SpecOutput<Steps[K]>, any, any>
      }
    : Steps[K] extends { readonly kind: "branch"; readonly cases: infer C } ? { readonly on: (ctx: CtxOf<I, Steps, Ext, K>) => keyof C & string }
    : Steps[K] extends { readonly kind: "call"; readonly workflow: Workflow<infer SI, any, any, any, any, any> } ? { readonly input: (ctx: CtxOf<I, Steps, Ext, K>) => SI }
    : (ctx: CtxOf<I, Steps, Ext, K>) => Effect.Effect<SpecOutput<Steps[K]>, any, any>
}

type EffectsOf<X> = X extends (...args: any) => infer T ? T : X extends object ? { [K in keyof X]: X[K] extends (...args: any) => infer T ? T : never }[keyof X] : never
type ErrorOfImpl<Impl> = { [K in keyof Impl]: EffectsOf<Impl[K]> extends infer T ? T extends Effect.Effect<any, infer E, any> ? E : never : never }[keyof Impl]
type ReqOfImpl<Impl> = { [K in keyof Impl]: EffectsOf<Impl[K]> extends infer T ? T extends Effect.Effect<any, any, infer R> ? R : never : never }[keyof Impl]
type SubErrors<Steps> = { [K in keyof Steps]: Steps[K] extends { readonly kind: "call"; readonly workflow: Workflow<any, any, any, infer E, any, any> } ? E
  : Steps[K] extends { readonly kind: "branch"; readonly cases: infer C } ? { [P in keyof C]: C[P] extends Workflow<any, any, any, infer E, any, any> ? E : never }[keyof C]
  : never }[keyof Steps]
type SubReqs<Steps> = { [K in keyof Steps]: Steps[K] extends { readonly kind: "call"; readonly workflow: Workflow<any, any, any, any, infer R, any> } ? R
  : Steps[K] extends { readonly kind: "branch"; readonly cases: infer C } ? { [P in keyof C]: C[P] extends Workflow<any, any, any, any, infer R, any> ? R : never }[keyof C]
  : never }[keyof Steps]

/**
 * Each need must name a step of the record or an external id.
 *
 * @example
 * ```ts
 * // A need that names no step fails to compile with the message as the expected type:
 * // Workflow.fromRecord("x", { input, steps: { a: { needs: ["nope"], output: Schema.String } } }, impl)
 * // -> "Unknown step 'nope' in the needs of 'a'"
 * ```
 */
export type CheckSteps<Steps, Known extends PropertyKey> = {
  readonly [K in keyof Steps]: Steps[K] extends { readonly needs: ReadonlyArray<infer N> }
    ? [Exclude<N, Known>] extends [never] ? Steps[K] : { readonly needs: `Unknown step '${Exclude<N, Known> & string}' in the needs of '${K & string}'` }
    : Steps[K]
}

/**
 * Builds a workflow from a record of step specs (any order) and a record of implementations. Unknown needs are compile
 * errors for typed callers; at run time (untyped callers, generated code) unknown needs, duplicate ids and cycles throw
 * a `WorkflowDefinitionError` whose message names the step or prints the cycle (`a -> b -> a`).
 *
 * `external` declares ids visible to the steps but produced outside (a branch case's view of its branch's needs).
 *
 * @example
 * ```ts
 * const wf = Workflow.fromRecord("echo", {
 *   input: Schema.Struct({ text: Schema.String }),
 *   steps: { echo: { output: Schema.String } }
 * }, { echo: (ctx) => Effect.succeed(ctx.input.text) })
 * ```
 */
export const fromRecord = <
  S extends Schema.Codec<any, any, never, never>,
  const Steps extends Readonly<Record<string, Spec>>,
  const Impl extends Implementation<S["Type"], Steps, Ext>,
  const Ext extends Readonly<Record<string, Schema.Top>> = {}
>(
  name: string,
  definition: {
    readonly input: S
    readonly steps: Steps & CheckSteps<Steps, keyof Steps | keyof Ext>
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
  { [K in keyof Ext]: Entry<K & string, Ext[K]["Type"]> }[keyof Ext]
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

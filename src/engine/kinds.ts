/**
 * The kinds of node, in one table: for each kind, what one attempt does and the traits the engine needs (does it take
 * a concurrency permit, does it collect the usage of the calls it makes). Adding a kind to `NodeKind` is a compile
 * error here until it has an entry; a node of a kind the table does not know (untyped code) is refused when its graph
 * is planned, never run as if it were a plain step.
 *
 * Branch and call nodes run nested graphs through `state.runGraph`, so this module imports the runner's types only.
 * With a journal (durable runs), each unit of work goes through it: see `StepJournal.ts` and the `journal` trait.
 */
import { Effect, Schema } from "effect"
import { LoopMaxIterations, NoSignal, SignalInvalid, UnknownBranchCase, WorkflowDefinitionError } from "../../dsl/errors.ts"
import type { AnyCtx, BranchNode, CallNode, LoopNode, MapNode, Node, NodeKind, StepNode, WaitNode } from "../../dsl/Node.ts"
import { issuesOf } from "./errors.ts"
import type { RunState } from "./RunState.ts"
import { attemptPath, type StepJournal } from "./StepJournal.ts"
import type { StepSpans } from "./StepSpans.ts"
import { itemWrapperOf } from "./wrap.ts"

/** What the engine needs to know about a kind of node. */
export interface KindTraits<N extends Node = Node> {
  /**
   * One attempt of the node. For a step it calls the step's function at once (its result is the attempt); the other
   * kinds return a lazy effect.
   */
  readonly attempt: (state: RunState, node: N, path: string, input: unknown, ctx: AnyCtx, attempt: number) => Effect.Effect<unknown, unknown, unknown>
  /**
   * The run-wide concurrency limit counts units of work: a step or a loop takes a permit; a map's items take one each
   * (so the map must not, or `concurrency: 1` would deadlock); branch and call nodes leave it to their children.
   */
  readonly permit: boolean
  /**
   * The node collects the token usage and reliability events of the calls it makes (and forwards both to the sinks
   * around the run); branch and call nodes leave that to the steps of their nested graphs.
   */
  readonly collects: boolean
  /**
   * How a durable run journals the node: `unit` (the whole node, retries included, is one unit of work), `inside`
   * (the node journals its own units: map items, loop iterations, the wait), `none` (only the nodes of its nested
   * graphs are journaled: branch, call).
   */
  readonly journal: "unit" | "inside" | "none"
}

const runStep = (_state: RunState, node: StepNode, _path: string, _input: unknown, ctx: AnyCtx) => {
  // A step function that throws is a defect of this step (as inside an `Effect.suspend`).
  try {
    return node.run(ctx)
  } catch (defect) {
    return Effect.die(defect)
  }
}

const runBranch = (state: RunState, node: BranchNode, path: string, input: unknown, ctx: AnyCtx, attempt: number) =>
  Effect.suspend(() => {
    const chosen = node.on(ctx)
    const graph = Object.hasOwn(node.cases, chosen) ? node.cases[chosen] : undefined
    if (graph === undefined) {
      const cases = Object.keys(node.cases)
      return Effect.fail(
        new UnknownBranchCase({ stepId: path, value: String(chosen), cases, message: `Branch '${path}' got '${String(chosen)}', which is none of its cases (${cases.join(", ")})` })
      )
    }
    if (state.emit !== undefined) {
      const at = state.clock.currentTimeMillisUnsafe()
      for (const [name, other] of Object.entries(node.cases)) {
        if (name === chosen) continue
        for (const skipped of other.nodes) {
          const stepId = `${path}/${name}/${skipped.id}`
          if (state.records !== undefined) {
            state.records[stepId] = { stepId, kind: skipped.kind, status: "skipped", attempts: 0, startedAt: at, durationMillis: 0 }
          }
          state.emit({ _tag: "StepSkipped", runId: state.runId, workflow: state.workflow, at, stepId, reason: `branch '${path}' took case '${chosen}'` })
        }
      }
    }
    const visible: Record<string, unknown> = {}
    for (const need of node.needs) visible[need] = ctx[need]
    const run = Effect.map(state.runGraph(state, graph, `${attemptPath(path, attempt)}/${chosen}`, input, visible), (value) => ({ case: chosen, value }))
    return state.spans !== undefined ? Effect.andThen(Effect.annotateCurrentSpan("workflow.branch.case", chosen), run) : run
  })

// The item / iteration policy of a node, built once per node.
const itemPolicies = new WeakMap<MapNode | LoopNode, ReturnType<typeof itemWrapperOf>>()
const itemPolicyOf = (node: MapNode | LoopNode) => {
  const own = node.kind === "map" ? node.item : node.iteration
  if (own === undefined) return undefined
  if (!itemPolicies.has(node)) itemPolicies.set(node, itemWrapperOf(own, node.kind === "map" ? "item" : "iteration"))
  return itemPolicies.get(node)
}

const runMap = (state: RunState, node: MapNode, path: string, _input: unknown, ctx: AnyCtx, attempt: number) =>
  Effect.suspend(() => {
    const items = node.over(ctx)
    const { journal, semaphore } = state
    const policy = itemPolicyOf(node)
    const one = policy === undefined
      ? (item: unknown, index: number) => node.body(item, ctx, index)
      : (item: unknown, index: number) => policy(node.body(item, ctx, index), path, index)
    let body = journal === undefined
      ? one
      : (item: unknown, index: number) =>
        journal.unit({ name: `${attemptPath(path, attempt)}#${index}`, stepId: path, kind: "map", output: undefined }, one(item, index), undefined)
    const spans = state.spans
    if (spans !== undefined) {
      const inner = body
      // one span per item, below the map's step span
      body = (item, index) => spans.wrap(inner(item, index), `workflow.map.item ${path}[${index}]`, { "workflow.step": path, "workflow.map.index": index })
    }
    if (semaphore !== undefined) {
      const inner = body
      body = (item, index) => semaphore.withPermits(1)(inner(item, index))
    }
    return Effect.forEach(items, body, { concurrency: node.concurrency })
  })

// A module-level generator: a generator closure built per execution costs V8 about 1.7 µs.
const loopBody: (
  node: LoopNode,
  path: string,
  ctx: AnyCtx,
  spans: StepSpans | undefined,
  journal: StepJournal | undefined,
  attempt: number
) => Effect.Effect<unknown, unknown, unknown> = Effect.fnUntraced(
  function*(node: LoopNode, path: string, ctx: AnyCtx, spans: StepSpans | undefined, journal: StepJournal | undefined, attempt: number) {
    let state = node.initial(ctx)
    const policy = itemPolicyOf(node)
    for (let iteration = 0; iteration < node.maxIterations; iteration++) {
      if (node.until(state, iteration)) return state
      let body = node.body(state, ctx, iteration)
      if (policy !== undefined) body = policy(body, path, iteration)
      if (journal !== undefined) {
        body = journal.unit({ name: `${attemptPath(path, attempt)}@${iteration}`, stepId: path, kind: "loop", output: undefined }, body, undefined)
      }
      // one span per iteration, below the loop's step span
      state = yield* (spans === undefined
        ? body
        : spans.wrap(body, `workflow.loop.iteration ${path}#${iteration}`, { "workflow.step": path, "workflow.loop.iteration": iteration }))
    }
    // `until` is also checked after the last body: a loop that converges on its last allowed iteration returns.
    if (node.until(state, node.maxIterations) || node.onMaxIterations === "return") return state
    return yield* new LoopMaxIterations({
      stepId: path,
      maxIterations: node.maxIterations,
      lastState: state,
      message: `Loop '${path}' reached maxIterations (${node.maxIterations}) before its 'until' condition held`
    })
  }
)
const runLoop = (state: RunState, node: LoopNode, path: string, _input: unknown, ctx: AnyCtx, attempt: number) =>
  loopBody(node, path, ctx, state.spans, state.journal, attempt)

const runCall = (state: RunState, node: CallNode, path: string, _input: unknown, ctx: AnyCtx, attempt: number) =>
  Effect.suspend(() => {
    const run = state.runGraph(state, node.workflow, attemptPath(path, attempt), node.input(ctx), {})
    return state.spans !== undefined ? Effect.andThen(Effect.annotateCurrentSpan("workflow.call.workflow", node.workflow.name), run) : run
  })

/**
 * Decodes a signal (its encoded form, as JSON gives it) with the wait step's Schema; a bad value fails with
 * `SignalInvalid` naming each field.
 *
 * @example
 * ```ts
 * decodeSignal(node, "approve", { approved: "yes" }) // fails: approved: Expected boolean, got "yes"
 * ```
 */
export const decodeSignal = (node: WaitNode, stepId: string, value: unknown): Effect.Effect<unknown, SignalInvalid> =>
  Effect.mapError(
    Schema.decodeUnknownEffect(node.signal as Schema.Codec<unknown, unknown>)(value, { errors: "all" }),
    (error) => {
      const issues = issuesOf(error)
      return new SignalInvalid({
        stepId,
        issues,
        message: `Signal for '${stepId}' is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`
      })
    }
  )

/** A wait: the journal suspends the run until the signal arrives; in memory, the value comes from the `signals` option. */
const runWait = (state: RunState, node: WaitNode, path: string, _input: unknown, ctx: AnyCtx, attempt: number) =>
  Effect.suspend(() => {
    if (state.journal !== undefined) {
      return state.journal.wait({ name: attemptPath(path, attempt), stepId: path, kind: "wait", output: node.signal }, node, ctx)
    }
    const signals = state.signals
    if (signals === undefined || !Object.hasOwn(signals, path)) {
      return Effect.fail(new NoSignal({ stepId: path, message: `Step '${path}' waits for a signal: give it in the 'signals' option, or run durably (Durable.start)` }))
    }
    return decodeSignal(node, path, signals[path])
  })

/**
 * The table of kinds.
 *
 * @example
 * ```ts
 * kinds[node.kind].permit // does this node take a permit of `concurrency`?
 * ```
 */
export const kinds: { readonly [K in NodeKind]: KindTraits<Extract<Node, { readonly kind: K }>> } = {
  step: { attempt: runStep, permit: true, collects: true, journal: "unit" },
  branch: { attempt: runBranch, permit: false, collects: false, journal: "none" },
  map: { attempt: runMap, permit: false, collects: true, journal: "inside" },
  loop: { attempt: runLoop, permit: true, collects: true, journal: "inside" },
  call: { attempt: runCall, permit: false, collects: false, journal: "none" },
  // A wait takes no permit: it does no work, and holding one while a person decides could stall the run.
  wait: { attempt: runWait, permit: false, collects: false, journal: "inside" }
}

/**
 * The traits of a node's kind; a kind the table does not know is a definition error naming the step.
 *
 * @example
 * ```ts
 * traitsOf({ kind: "step", ... }).collects // true
 * ```
 */
export const traitsOf = (graph: { readonly name: string }, node: Node): KindTraits => {
  const kind: unknown = node.kind
  if (typeof kind === "string" && Object.hasOwn(kinds, kind)) return kinds[kind as NodeKind] as KindTraits
  throw new WorkflowDefinitionError({
    workflow: graph.name,
    stepId: node.id,
    message: `${graph.name}: step '${node.id}' has unknown kind '${String(kind)}' (known: ${Object.keys(kinds).join(", ")})`
  })
}

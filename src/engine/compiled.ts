/**
 * The compiled path: a series-parallel graph (see `decompose.ts`) run as a fixed program, chains in sequence and
 * independent parts in forked fibers, with the same start time for every node and the same failures as the driver.
 *
 * It is taken when no observer other than events and records, or spans, is set (`RunState.mode === "compiled"`).
 * Without them a node here is its attempt and nothing else, in its span when the run makes spans. With events or
 * records (`Workflow.execute`, `onEvent`), a node of one attempt also reads the clock at each end, emits
 * `StepStarted` and its end event, writes its `StepRecord` and runs with its own usage and event sinks, all from the
 * continuation that stores its output: the same events and records as the driver's `runNode`, without its separate
 * error-mapping and exit frames.
 */
import { Cause, Effect, Exit, Fiber } from "effect"
import type { Context } from "effect"
import type { AnyCtx, Graph } from "../../dsl/Node.ts"
import type { Program } from "./decompose.ts"
import { driveGraph } from "./driver.ts"
import { NodeRun, runNode, stepContext, stepFailed, stepSpan } from "./NodeRun.ts"
import type { Plan } from "./plan.ts"
import type { RunState } from "./RunState.ts"

/** The graph of the nodes of a `Rest` part (run by the driver inside a compiled program), built once. */
const restGraphs = new WeakMap<Program, Graph>()
const restGraphOf = (graph: Graph, rest: Extract<Program, { _tag: "Rest" }>): Graph => {
  let sub = restGraphs.get(rest)
  if (sub === undefined) {
    sub = { name: graph.name, input: graph.input, nodes: rest.indices.map((i) => graph.nodes[i]!), external: graph.external }
    restGraphs.set(rest, sub)
  }
  return sub
}

/**
 * One run of a compiled graph: where its nodes read their needs and write their outputs. Outputs go to `slots`, by node
 * index (an array read by index is much cheaper than a record read by step id); needs produced outside the graph are
 * read from `external`.
 */
export class Env {
  readonly slots: Array<unknown>
  /** Someone reads events or records: each node of one attempt is observed here (see `observe`). */
  readonly observed: boolean
  constructor(
    readonly state: RunState,
    readonly graph: Graph,
    readonly plan: Plan,
    readonly prefix: string,
    readonly input: unknown,
    readonly external: Record<string, unknown>
  ) {
    this.slots = new Array(plan.nodes.length)
    this.observed = state.timed
  }

  /** The context of node `i`: the run input plus exactly its needs. */
  ctxOf(i: number): AnyCtx {
    const needs = this.plan.nodes[i]!.needs
    const slots = this.plan.needSlots[i]!
    const ctx: Record<string, unknown> = { input: this.input }
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k]!
      const need = needs[k]!
      ctx[need] = slot === -1 ? this.external[need] : this.slots[slot]
    }
    return ctx as AnyCtx
  }

  /** The record of the graph's own outputs, in declaration order (a copy of the plan's template keeps it fast). */
  outputs(): Record<string, unknown> {
    const outputs = { ...this.plan.template }
    const { nodes } = this.plan
    for (let i = 0; i < nodes.length; i++) outputs[nodes[i]!.id] = this.slots[i]
    return outputs
  }

  /** Every value known so far, by id (what a `Rest` part, run by the driver, reads). */
  known(): Record<string, unknown> {
    const known: Record<string, unknown> = { ...this.plan.template, ...this.external }
    const { nodes } = this.plan
    for (let i = 0; i < nodes.length; i++) known[nodes[i]!.id] = this.slots[i]
    return known
  }

  pathOf(i: number): string {
    const id = this.plan.nodes[i]!.id
    return this.prefix === "" ? id : `${this.prefix}/${id}`
  }
}

/** Runs a compiled program over `graph` and returns the record of the graph's own outputs. */
export const runCompiled = (
  state: RunState,
  graph: Graph,
  plan: Plan,
  program: Program,
  prefix: string,
  input: unknown,
  external: Record<string, unknown>
): Effect.Effect<Record<string, unknown>, unknown, unknown> =>
  Effect.suspend(() => {
    const env = new Env(state, graph, plan, prefix, input, external)
    return Effect.map(exec(env, program), () => env.outputs())
  })

/** The effect of a part of a compiled program; it writes the outputs of the part's nodes into `env.slots`. */
const exec = (env: Env, program: Program): Effect.Effect<void, unknown, unknown> => {
  switch (program._tag) {
    case "Node":
      return new Series(env, [program]).start()
    case "Series":
      return new Series(env, program.parts).start()
    case "Parallel":
      return execParallel(env, program.parts)
    case "Rest":
      return Effect.map(driveGraph(env.state, restGraphOf(env.graph, program), env.prefix, env.input, env.known()), (outputs) => {
        for (const i of program.indices) env.slots[i] = outputs[env.plan.nodes[i]!.id]
      })
  }
}

/**
 * The effect of node `i`, whose success is the node's output and whose failure is the node's own (not yet
 * `StepFailed`, see `settle`). A node with one attempt (no retry, no timeout) is its attempt, called right here with one
 * context object; other nodes go through `runNode`, which counts attempts.
 */
const attemptOf = (env: Env, i: number): Effect.Effect<unknown, unknown, unknown> => {
  const { state, plan, prefix, input } = env
  if (!plan.once[i]) return runNode(state, plan, i, prefix, input, env.ctxOf(i))
  const node = plan.nodes[i]!
  const path = prefix === "" ? node.id : `${prefix}/${node.id}`
  const attempt = plan.wrap[i]!(plan.traits[i]!.attempt(state, node, path, input, env.ctxOf(i), 1), path, undefined)
  // the span ends with the failure the run reports (`failureOf`), as the driver's does
  return state.spans === undefined ? attempt : stepSpan(attempt, state, plan, i, prefix, path, (error) => stepFailed(state, path, 1, error))
}

/**
 * An observed node of one attempt starts: its `NodeRun` (attempt 1, started now) and its `StepStarted` event. The node
 * ends through `NodeRun.end`, called where its output is stored or its failure wrapped. (A node with retries, a
 * timeout or fallbacks goes through `runNode`, which observes it itself.)
 */
const observe = (env: Env, i: number, now: number): NodeRun => {
  const { state, plan } = env
  const node = plan.nodes[i]!
  const path = env.pathOf(i)
  const r = new NodeRun(state, node, path, env.ctxOf(i), now >= 0 ? now : state.clock.currentTimeMillisUnsafe())
  r.attempt = 1
  state.emit?.({ _tag: "StepStarted", runId: state.runId, workflow: state.workflow, at: r.startedAt, stepId: path, kind: node.kind })
  return r
}

/**
 * The attempt of an observed node (see `observe`), validated as `runNode` validates it. Its caller gives it the step's
 * own sinks when it collects: a chain by a context change around it, a parallel group with its fiber's context.
 */
const observedAttempt = (env: Env, i: number, r: NodeRun): Effect.Effect<unknown, unknown, unknown> => {
  const { state, plan } = env
  return plan.wrap[i]!(plan.traits[i]!.attempt(state, r.node, r.path, env.input, r.ctx, 1), r.path, state.emit === undefined ? undefined : r)
}

/** A node's failure as the run reports it: `StepFailed` on attempt 1 (a `runNode` failure already is one). */
const failureOf = (env: Env, i: number, cause: Cause.Cause<unknown>): Cause.Cause<unknown> => {
  const path = env.pathOf(i)
  return Cause.map(cause, (error) => stepFailed(env.state, path, 1, error))
}

/**
 * Runs the parts one after another: one object per series run, whose two callbacks store a node's output (or wrap its
 * failure) and go on with the next part. The callbacks are assigned in the constructor: under tsx (esbuild
 * `keepNames`), a named closure (a variable or an object-literal property) pays an `Object.defineProperty` each time
 * it is created.
 */
class Series {
  k = 0
  /** The observed node running now (see `observe`), ended by the callbacks. */
  r: NodeRun | undefined = undefined
  /**
   * While an observed node runs in its own sinks: the series' fiber and its context around the node, put back by the
   * callbacks (one context change per node, without the exit frame `Effect.updateContext` pushes to undo it).
   */
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  outside: Context.Context<never> | undefined = undefined
  /** When the last observed node ended: the next one starts then (one clock read between two nodes, not two). */
  now = -1
  readonly onSuccess: (value: unknown) => Effect.Effect<void, unknown, unknown>
  readonly onFailure: (cause: Cause.Cause<unknown>) => Effect.Effect<never, unknown>
  readonly next: () => Effect.Effect<void, unknown, unknown>
  /**
   * Ends the observed node that was running when the series was interrupted: an interrupted fiber skips the failure
   * callback, and one exit frame per series costs less than one per node.
   */
  readonly interrupted: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>
  constructor(readonly env: Env, readonly parts: ReadonlyArray<Program>) {
    this.onSuccess = (value) => {
      const part = this.parts[this.k] as Extract<Program, { _tag: "Node" }>
      this.env.slots[part.index] = value
      const r = this.r
      if (r !== undefined) {
        this.leave()
        this.r = undefined
        r.end(undefined, this.now = r.state.clock.currentTimeMillisUnsafe())
      }
      return ++this.k < this.parts.length ? this.run() : Effect.void
    }
    this.onFailure = (cause) => {
      const part = this.parts[this.k] as Extract<Program, { _tag: "Node" }>
      const failure = failureOf(this.env, part.index, cause)
      const r = this.r
      if (r !== undefined) {
        this.leave()
        this.r = undefined
        r.end(failure, r.state.clock.currentTimeMillisUnsafe())
      }
      return Effect.failCause(failure)
    }
    this.next = () => (++this.k < this.parts.length ? this.run() : Effect.void)
    this.interrupted = (exit) => {
      const r = this.r
      if (r !== undefined && Exit.isFailure(exit)) {
        this.leave()
        this.r = undefined
        const part = this.parts[this.k] as Extract<Program, { _tag: "Node" }>
        r.end(failureOf(this.env, part.index, exit.cause), r.state.clock.currentTimeMillisUnsafe())
      }
      return Effect.void
    }
  }

  start(): Effect.Effect<void, unknown, unknown> {
    return this.env.observed ? Effect.onExit(this.run(), this.interrupted) : this.run()
  }

  /** Puts back the context around the node that just ended, if it ran in its own sinks. */
  leave(): void {
    const outside = this.outside
    if (outside !== undefined) {
      this.outside = undefined
      this.fiber!.setContext(outside)
    }
  }

  /** An observed node (see `observe`) of the series: in its own sinks when it collects what its calls report. */
  observed(i: number): Effect.Effect<unknown, unknown, unknown> {
    const { env } = this
    const r = this.r = observe(env, i, this.now)
    this.now = -1
    const attempt = observedAttempt(env, i, r)
    if (!env.plan.traits[i]!.collects) return Effect.matchCauseEffect(attempt, this)
    return Effect.withFiber((fiber) => {
      this.fiber = fiber
      this.outside = fiber.context
      fiber.setContext(stepContext(r, fiber.context))
      return Effect.matchCauseEffect(attempt, this)
    })
  }

  run(): Effect.Effect<void, unknown, unknown> {
    const part = this.parts[this.k]!
    if (part._tag === "Node") {
      const { env } = this
      if (env.observed && env.plan.once[part.index]) return this.observed(part.index)
      this.now = -1
      return Effect.matchCauseEffect(attemptOf(env, part.index), this)
    }
    // a part of its own in between: the next node reads the clock again
    this.now = -1
    const last = this.k + 1 === this.parts.length
    return last ? exec(this.env, part) : Effect.flatMap(exec(this.env, part), this.next)
  }
}

/**
 * Runs the parts at once, as the driver runs ready nodes: each in a fiber started immediately (one that finishes
 * without waiting is settled on the spot, in this loop). A node part's fiber runs the node's attempt alone; its output
 * is stored (or its failure wrapped) when the fiber is settled, so a node costs its context and its fiber. The first
 * failure interrupts the parts still running, waits for their finalizers, and fails with that failure's cause alone.
 *
 * The fibers are started with the parent's context (`Effect.runForkWith`), like `Effect.forEach` does, and are
 * supervised here: interrupting the parent interrupts them and waits for them.
 */
type Fork = (effect: Effect.Effect<unknown, unknown, unknown>) => Fiber.Fiber<unknown, unknown>

const execParallel = (env: Env, parts: ReadonlyArray<Program>): Effect.Effect<void, unknown, unknown> =>
  Effect.withFiber((parent) => new Par(env, parts, parent.context).start())

class Par {
  running: Set<Fiber.Fiber<unknown, unknown>> | undefined = undefined
  /** The observed node parts (see `observe`), by part index, ended when their fiber is settled. */
  runs: Array<NodeRun | undefined> | undefined = undefined
  failure: Cause.Cause<unknown> | undefined = undefined
  resume: ((effect: Effect.Effect<void, unknown, unknown>) => void) | undefined = undefined
  constructor(readonly env: Env, readonly parts: ReadonlyArray<Program>, readonly context: Context.Context<never>) {}

  start(): Effect.Effect<void, unknown, unknown> {
    const fork = Effect.runForkWith(this.context) as Fork
    const { env, parts } = this
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k]!
      let fiber: Fiber.Fiber<unknown, unknown>
      if (part._tag === "Node" && env.observed && env.plan.once[part.index]) {
        // the node's fiber starts in the step's own sinks: no context change inside it
        const r = observe(env, part.index, -1)
        ;(this.runs ??= new Array(parts.length))[k] = r
        const attempt = observedAttempt(env, part.index, r)
        fiber = env.plan.traits[part.index]!.collects ? (Effect.runForkWith(stepContext(r, this.context)) as Fork)(attempt) : fork(attempt)
      } else {
        fiber = fork(part._tag === "Node" ? attemptOf(env, part.index) : exec(env, part))
      }
      const exit = fiber.pollUnsafe()
      if (exit !== undefined) {
        if (!this.settle(k, exit)) break
        continue
      }
      ;(this.running ??= new Set()).add(fiber)
      fiber.addObserver((exit) => this.onExit(fiber, k, exit))
    }
    const running = this.running
    if (running === undefined || running.size === 0) return this.failure === undefined ? Effect.void : Effect.failCause(this.failure)
    if (this.failure !== undefined) return this.stop(running)
    return Effect.callback<void, unknown, unknown>((resume) => {
      this.resume = resume
      // Interrupted from outside: stop the parts still running and wait for their finalizers.
      return Effect.suspend(() => (this.running!.size === 0 ? Effect.void : Fiber.interruptAll([...this.running!])))
    })
  }

  /**
   * Stores the outcome of part `k` and ends it when it is observed; false when it failed (the first failure is kept;
   * a later one, an interrupted sibling's, only ends its node).
   */
  settle(k: number, exit: Exit.Exit<unknown, unknown>): boolean {
    const part = this.parts[k]!
    const r = this.runs?.[k]
    if (Exit.isSuccess(exit)) {
      if (part._tag === "Node") this.env.slots[part.index] = exit.value
      r?.end(undefined, r.state.clock.currentTimeMillisUnsafe())
      return true
    }
    const failure = part._tag === "Node" ? failureOf(this.env, part.index, exit.cause) : exit.cause
    r?.end(failure, r.state.clock.currentTimeMillisUnsafe())
    if (this.failure === undefined) this.failure = failure
    return false
  }

  onExit(fiber: Fiber.Fiber<unknown, unknown>, k: number, exit: Exit.Exit<unknown, unknown>): void {
    const running = this.running!
    running.delete(fiber)
    const first = this.failure === undefined
    const ok = this.settle(k, exit) || !first
    if (!ok && running.size > 0) {
      // Interrupt the others; the last of them to end resumes the group.
      for (const other of running) other.interruptUnsafe()
      return
    }
    if (running.size > 0 || this.resume === undefined) return
    const resume = this.resume
    this.resume = undefined
    resume(this.failure === undefined ? Effect.void : Effect.failCause(this.failure))
  }

  /** Failed while starting the parts: stop the ones running, then fail with the first failure alone. */
  stop(running: Set<Fiber.Fiber<unknown, unknown>>): Effect.Effect<never, unknown, unknown> {
    const failure = this.failure!
    return Effect.andThen(Fiber.interruptAll([...running]), Effect.failCause(failure))
  }
}

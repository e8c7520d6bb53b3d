/**
 * The engine: runs a workflow graph with maximum parallelism. Each node starts as soon as its needs are done; a
 * driver fiber per graph starts ready nodes (forking one fiber each, or running the only ready node inline when nothing
 * else is in flight, which keeps sequential chains cheap) and reacts to their completions. A failure interrupts the
 * nodes still running, waits for their finalizers, and fails the run with `StepFailed`.
 *
 * `Workflow.run` without options runs a series-parallel graph as a compiled program instead (chains in sequence,
 * independent parts in forked fibers), with the same start time for every node and the same failures; see `runGraph`.
 */
import { Cause, Context, Duration, Effect, Exit, Fiber, Schema } from "effect"
import type { Clock, Schedule, Semaphore } from "effect"
import {
  LoopMaxIterations,
  StepOutputError,
  StepTimeout,
  UnknownBranchCase
} from "../../dsl/errors.ts"
import type { AnyCtx, BranchNode, CallNode, Graph, LoopNode, MapNode, Node, RetryOptions } from "../../dsl/Node.ts"
import { decompose, type Program } from "./decompose.ts"
import { StepFailed } from "./errors.ts"
import type { WorkflowEvent } from "./events.ts"
import { StepUsage, sumUsage, type Usage, type UsageEntry, type UsageSink } from "../llm/Usage.ts"
import { type ReliabilityEvent, ReliabilityEvents, type Sink as ReliabilitySink } from "../reliability/ReliabilityEvent.ts"
import type { Failover, StepRecord } from "./RunResult.ts"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** Options of one run. */
export interface ExecuteOptions {
  /** Maximum number of steps (and map items, loop bodies) running at once across the whole run. */
  readonly concurrency?: number | undefined
  /** Called synchronously with every event of the run, in order. */
  readonly onEvent?: ((event: WorkflowEvent) => void) | undefined
  /** Id of the run (a random one when absent). */
  readonly runId?: string | undefined
  /** Create a span for the run and one per step; by default only when a tracer other than Effect's native one is installed. */
  readonly spans?: boolean | undefined
}

/** Mutable state shared by every graph of one run (the top-level one and nested branch/call graphs). */
export interface RunState {
  readonly runId: string
  readonly workflow: string
  readonly clock: Clock.Clock
  readonly emit: ((event: WorkflowEvent) => void) | undefined
  readonly semaphore: Semaphore.Semaphore | undefined
  readonly spans: boolean
  /** Per-step records; undefined when nobody can read them (`Workflow.run` returns the outputs only). */
  readonly records: Record<string, StepRecord> | undefined
  /** The usage sink around the run. */
  readonly usageSink: UsageSink
  /** The reliability-event sink around the run. */
  readonly reliabilitySink: ReliabilitySink
}

/** What the engine precomputes once per node and caches with the graph. */
interface Plan {
  readonly nodes: ReadonlyArray<Node>
  readonly index: ReadonlyMap<string, number>
  /** For each node, the indices of the nodes that need it (inside this graph). */
  readonly dependents: ReadonlyArray<ReadonlyArray<number>>
  /** For each node, how many of its needs are produced inside this graph. */
  readonly internalNeeds: ReadonlyArray<number>
  /** The nodes with no needs inside this graph, in declaration order. */
  readonly roots: ReadonlyArray<number>
  readonly wrap: ReadonlyArray<
    (run: Effect.Effect<unknown, unknown, unknown>, path: string, onError: { lastError: unknown } | undefined) => Effect.Effect<unknown, unknown, unknown>
  >
  /** For each node: no retry and no timeout, so it makes exactly one attempt that starts when the node starts. */
  readonly once: ReadonlyArray<boolean>
  /**
   * The graph as a series-parallel program, for the compiled path: null when nothing of it decomposes, undefined
   * until a run without options first needs it (runs with events or records never do).
   */
  program: Program | null | undefined
}

const plans = new WeakMap<Graph, Plan>()

const planOf = (graph: Graph): Plan => {
  const cached = plans.get(graph)
  if (cached !== undefined) return cached
  const nodes = graph.nodes
  const index = new Map<string, number>()
  nodes.forEach((node, i) => index.set(node.id, i))
  const dependents: Array<Array<number>> = nodes.map(() => [])
  const internalNeeds = nodes.map((node, i) => {
    let count = 0
    for (const need of node.needs) {
      const j = index.get(need)
      if (j !== undefined) {
        dependents[j]!.push(i)
        count++
      }
    }
    return count
  })
  const roots: Array<number> = []
  internalNeeds.forEach((count, i) => {
    if (count === 0) roots.push(i)
  })
  const plan: Plan = {
    nodes,
    index,
    dependents,
    internalNeeds,
    roots,
    wrap: nodes.map(wrapperOf),
    once: nodes.map((node) => node.options.retry === undefined && node.options.timeout === undefined),
    program: undefined
  }
  plans.set(graph, plan)
  return plan
}

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

const isSchedule = (u: unknown): u is Schedule.Schedule<unknown, unknown> =>
  typeof u === "object" && u !== null && !("while" in u) && !("times" in u) && !("schedule" in u)

const identity = (run: Effect.Effect<unknown, unknown, unknown>) => run

/** Builds, once per node, the function that adds timeout, output validation and retries around one attempt. */
const wrapperOf = (node: Node) => {
  const { retry, timeout } = node.options
  const timeoutMillis = timeout === undefined ? undefined : durationMillis(timeout)
  const validate = node.output === undefined ? undefined : Schema.decodeUnknownExit(Schema.toType(node.output as Schema.Codec<unknown>))
  const retryOptions = retry === undefined
    ? undefined
    : isSchedule(retry)
    ? { schedule: retry }
    : toRetryOptions(retry as RetryOptions)
  if (validate === undefined && timeoutMillis === undefined && retryOptions === undefined) return identity
  return (run: Effect.Effect<unknown, unknown, unknown>, path: string, onError: { lastError: unknown } | undefined) => {
    let once = run
    if (validate !== undefined) {
      once = Effect.flatMap(once, (value) => {
        const exit = validate(value)
        return Exit.isSuccess(exit)
          ? Effect.succeed(exit.value)
          : Effect.fail(
            new StepOutputError({ stepId: path, message: `Step '${path}' returned an output that does not match its Schema: ${Cause.pretty(exit.cause)}` })
          )
      })
    }
    if (timeoutMillis !== undefined) {
      once = Effect.timeoutOrElse(once, {
        duration: timeoutMillis,
        orElse: () =>
          Effect.fail(new StepTimeout({ stepId: path, timeoutMillis, message: `Step '${path}' timed out after ${timeoutMillis} ms` }))
      })
    }
    if (retryOptions === undefined) return once
    if (onError !== undefined) {
      once = Effect.tapError(once, (error) =>
        Effect.sync(() => {
          onError.lastError = error
        }))
    }
    return Effect.retry(once, retryOptions as any)
  }
}

const toRetryOptions = (retry: RetryOptions) => {
  const options: { schedule?: Schedule.Schedule<unknown, unknown>; times?: number; while?: (e: unknown) => boolean } = {}
  if (retry.schedule !== undefined) options.schedule = retry.schedule
  if (retry.times !== undefined) options.times = retry.times
  if (retry.while !== undefined) options.while = (e) => retry.while!(e)
  if (options.schedule === undefined && options.times === undefined) options.times = 1
  return options
}

const durationMillis = (input: Duration.Input): number => Duration.toMillis(Duration.fromInputUnsafe(input))

const messageOf = (error: unknown): string => {
  if (typeof error === "object" && error !== null) {
    const tag = "_tag" in error ? String((error as { _tag: unknown })._tag) : undefined
    const message = "message" in error ? String((error as { message: unknown }).message) : undefined
    if (tag !== undefined && message !== undefined && message !== "") return `${tag}: ${message}`
    if (tag !== undefined) return tag
    if (message !== undefined) return message
  }
  return String(error)
}

const ctxOf = (node: Node, input: unknown, values: Record<string, unknown>): AnyCtx => {
  const ctx: Record<string, unknown> = { input }
  for (const need of node.needs) ctx[need] = values[need]
  return ctx as AnyCtx
}

/**
 * One execution of a node: its attempt count, usage and timing. The methods live on the prototype, so a node costs
 * this object and two small callbacks instead of a set of closures; it is also the node's `StepUsage` sink and its
 * reliability-event sink (retries, failovers, cache hits of the provider calls it makes).
 */
class NodeRun implements UsageSink, ReliabilitySink {
  attempt = 0
  usage: Array<UsageEntry> | undefined = undefined
  failovers: Array<Failover> | undefined = undefined
  lastError: unknown = undefined
  constructor(
    readonly state: RunState,
    readonly node: Node,
    readonly path: string,
    readonly ctx: AnyCtx,
    readonly startedAt: number
  ) {}

  record(provider: string, model: string, usage: Usage): Effect.Effect<void> {
    ;(this.usage ??= []).push({ provider, model, usage })
    // Forward to the sink around the run, so `trackUsage(Workflow.run(...))` sees the calls too.
    return this.state.usageSink.record(provider, model, usage)
  }

  publish(event: ReliabilityEvent): Effect.Effect<void> {
    const { state } = this
    if (event._tag === "Failover") {
      ;(this.failovers ??= []).push({ from: event.from, to: event.to, error: event.error === undefined ? undefined : messageOf(event.error) })
    }
    state.emit?.({ _tag: "ProviderEvent", runId: state.runId, workflow: state.workflow, at: state.clock.currentTimeMillisUnsafe(), stepId: this.path, event })
    return state.reliabilitySink.publish(event)
  }

  /** Counts an attempt and reports a retry. */
  begin(): void {
    const attempt = ++this.attempt
    const { emit, clock } = this.state
    if (attempt > 1 && emit !== undefined) {
      emit({ _tag: "StepRetrying", runId: this.state.runId, workflow: this.state.workflow, at: clock.currentTimeMillisUnsafe(), stepId: this.path, attempt, error: messageOf(this.lastError) })
    }
  }

  toStepFailed(error: unknown): unknown {
    return stepFailed(this.state, this.path, this.attempt, error)
  }

  /** Writes the record and reports the end (run by `onExit`, so also on interruption). */
  finish(exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> {
    const { state, node, path, startedAt, attempt, usage, failovers } = this
    const { emit, records } = state
    if (records === undefined && emit === undefined) return Effect.void
    const now = state.clock.currentTimeMillisUnsafe()
    const interrupted = Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
    const status = Exit.isSuccess(exit) ? "succeeded" : interrupted ? "interrupted" : "failed"
    if (records !== undefined) {
      const record: Mutable<StepRecord> = { stepId: path, kind: node.kind, status, attempts: attempt, startedAt, durationMillis: now - startedAt }
      if (usage !== undefined) record.usage = sumUsage(usage)
      if (failovers !== undefined) record.failovers = failovers
      records[path] = record
    }
    if (emit === undefined) return Effect.void
    if (Exit.isSuccess(exit)) {
      emit({ _tag: "StepSucceeded", runId: state.runId, workflow: state.workflow, at: now, stepId: path, attempts: attempt, durationMillis: now - startedAt })
    } else {
      const error = Cause.findErrorOption(exit.cause)
      emit({
        _tag: "StepFailed",
        runId: state.runId,
        workflow: state.workflow,
        at: now,
        stepId: path,
        attempts: attempt,
        durationMillis: now - startedAt,
        error: error._tag === "Some" ? messageOf(error.value) : interrupted ? "interrupted" : Cause.pretty(exit.cause),
        interrupted
      })
    }
    return Effect.void
  }
}

/** Runs one node: events, attempts, timing, record, and the wrapping of its failure into `StepFailed`. */
const runNode = (
  state: RunState,
  plan: Plan,
  i: number,
  prefix: string,
  input: unknown,
  values: Record<string, unknown>
): Effect.Effect<unknown, unknown, unknown> => {
  const node = plan.nodes[i]!
  const path = prefix === "" ? node.id : `${prefix}/${node.id}`
  const timed = state.records !== undefined || state.emit !== undefined
  const r = new NodeRun(state, node, path, ctxOf(node, input, values), timed ? state.clock.currentTimeMillisUnsafe() : 0)
  let once: Effect.Effect<unknown, unknown, unknown>
  if (node.kind === "step") {
    // One suspend per attempt: count it, then call the step's function.
    once = Effect.suspend(() => {
      r.begin()
      return node.run(r.ctx)
    })
  } else {
    const body = kindEffect(state, node, path, input, r.ctx)
    once = Effect.suspend(() => {
      r.begin()
      return body
    })
  }
  const leaf = node.kind !== "branch" && node.kind !== "call"
  // The run-wide limit counts units of work: plain steps and loops take a permit; a map's items take one each (so the
  // map itself must not, or `concurrency: 1` would deadlock); branch and call nodes leave it to their children.
  if (leaf && node.kind !== "map" && state.semaphore !== undefined) once = state.semaphore.withPermits(1)(once)
  // Leaf nodes collect the token usage and reliability events of the calls they make (forwarding both to the sinks
  // around the run); branch and call nodes leave that to their children. Only when someone can see them (records,
  // events): otherwise the node's sinks would only forward, and calls may as well report to the run's sinks directly
  // (a context change per step costs ~0.35 µs and ~0.5 KB while in flight). Both sinks in one context change.
  if (leaf && (state.records !== undefined || state.emit !== undefined)) {
    once = Effect.updateContext(once, (context: Context.Context<never>) =>
      Context.add(Context.add(context, StepUsage, r), ReliabilityEvents, r) as Context.Context<unknown>)
  }
  const wrapped = plan.wrap[i]!(once, path, state.emit === undefined ? undefined : r)
  if (state.emit !== undefined) {
    state.emit({ _tag: "StepStarted", runId: state.runId, workflow: state.workflow, at: r.startedAt, stepId: path, kind: node.kind })
  }
  let effect = Effect.mapError(wrapped, (error) => r.toStepFailed(error))
  // The record and the end event; nothing to write when nobody can see them (`Workflow.run` without `onEvent`).
  if (state.records !== undefined || state.emit !== undefined) effect = Effect.onExit(effect, (exit) => r.finish(exit))
  if (state.spans) {
    // No stack trace: it would point into the engine, not at the user's step, and it doubles the cost of a span.
    effect = Effect.withSpan(effect, `workflow.step ${path}`, {
      attributes: { "workflow.name": state.workflow, "workflow.step": path, "workflow.kind": node.kind },
      captureStackTrace: false
    })
  }
  return effect
}

/** The effect of one attempt of a node, by kind. */
const kindEffect = (
  state: RunState,
  node: Node,
  path: string,
  input: unknown,
  ctx: AnyCtx
): Effect.Effect<unknown, unknown, unknown> => {
  switch (node.kind) {
    case "step":
      return Effect.suspend(() => node.run(ctx))
    case "branch":
      return runBranch(state, node, path, input, ctx)
    case "map":
      return runMap(state, node, ctx)
    case "loop":
      return runLoop(node, path, ctx)
    case "call":
      return runCall(state, node, path, ctx)
  }
}

const runBranch = (state: RunState, node: BranchNode, path: string, input: unknown, ctx: AnyCtx) =>
  Effect.suspend(() => {
    const chosen = node.on(ctx)
    const graph = node.cases[chosen]
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
    return Effect.map(runGraph(state, graph, `${path}/${chosen}`, input, visible), (value) => ({ case: chosen, value }))
  })

const runMap = (state: RunState, node: MapNode, ctx: AnyCtx) =>
  Effect.suspend(() => {
    const items = node.over(ctx)
    const body = state.semaphore === undefined
      ? (item: unknown, index: number) => node.body(item, ctx, index)
      : (item: unknown, index: number) => state.semaphore!.withPermits(1)(node.body(item, ctx, index))
    return Effect.forEach(items, body, { concurrency: node.concurrency })
  })

// A module-level generator: a generator closure built per execution costs V8 about 1.7 µs.
const runLoop: (node: LoopNode, path: string, ctx: AnyCtx) => Effect.Effect<unknown, unknown, unknown> = Effect.fnUntraced(
  function*(node: LoopNode, path: string, ctx: AnyCtx) {
    let state = node.initial(ctx)
    for (let iteration = 0; iteration < node.maxIterations; iteration++) {
      if (node.until(state, iteration)) return state
      state = yield* node.body(state, ctx, iteration)
    }
    if (node.until(state, node.maxIterations) || node.onMaxIterations === "return") return state
    return yield* new LoopMaxIterations({
      stepId: path,
      maxIterations: node.maxIterations,
      lastState: state,
      message: `Loop '${path}' reached maxIterations (${node.maxIterations}) before its 'until' condition held`
    })
  }
)

const runCall = (state: RunState, node: CallNode, path: string, ctx: AnyCtx) =>
  Effect.suspend(() => runGraph(state, node.workflow, path, node.input(ctx), {}))

const forkNow = { startImmediately: true } as const

/**
 * Runs every node of `graph` (whose external needs are in `external`) and returns the record of its own outputs.
 * Failures are `StepFailed`; interruption of the calling fiber interrupts every running node.
 *
 * When nobody can observe per-step details (no records, events, spans or concurrency limit: `Workflow.run` without
 * options) and the graph is series-parallel, it runs as a compiled program (see `decompose.ts`); otherwise through
 * the driver, which starts each node when its needs are done. Both start every node at the same moment.
 */
export const runGraph = (
  state: RunState,
  graph: Graph,
  prefix: string,
  input: unknown,
  external: Record<string, unknown>
): Effect.Effect<Record<string, unknown>, unknown, unknown> => {
  if (state.records !== undefined || state.emit !== undefined || state.spans || state.semaphore !== undefined) {
    return driveGraph(state, graph, prefix, input, external)
  }
  const plan = planOf(graph)
  let program = plan.program
  if (program === undefined) {
    const decomposed = decompose(plan.nodes)
    program = plan.program = decomposed._tag === "Rest" ? null : decomposed
  }
  if (program === null) return driveGraph(state, graph, prefix, input, external)
  return Effect.suspend(() => {
    const env = new Env(state, graph, plan, prefix, input, { ...external })
    return Effect.map(exec(env, program), () => env.outputs())
  })
}

/** One run of a compiled graph: where its nodes read their needs and write their outputs. */
class Env {
  constructor(
    readonly state: RunState,
    readonly graph: Graph,
    readonly plan: Plan,
    readonly prefix: string,
    readonly input: unknown,
    readonly values: Record<string, unknown>
  ) {}

  outputs(): Record<string, unknown> {
    const outputs: Record<string, unknown> = {}
    for (const node of this.plan.nodes) outputs[node.id] = this.values[node.id]
    return outputs
  }
}

/** The effect of a part of a compiled program; it writes the outputs of the part's nodes into `env.values`. */
const exec = (env: Env, program: Program): Effect.Effect<void, unknown, unknown> => {
  switch (program._tag) {
    case "Node":
      return nodeThen(env, program.index, undefined, 0)
    case "Series":
      return execSeries(env, program.parts, 0)
    case "Parallel":
      return execParallel(env, program.parts)
    case "Rest":
      return Effect.map(driveGraph(env.state, restGraphOf(env.graph, program), env.prefix, env.input, env.values), (outputs) => {
        Object.assign(env.values, outputs)
      })
  }
}

/** Runs `parts[from]`, then the parts after it, one after another. */
const execSeries = (env: Env, parts: ReadonlyArray<Program>, from: number): Effect.Effect<void, unknown, unknown> => {
  const part = parts[from]!
  if (from + 1 === parts.length) return exec(env, part)
  if (part._tag === "Node") return nodeThen(env, part.index, parts, from + 1)
  return Effect.flatMap(exec(env, part), () => execSeries(env, parts, from + 1))
}

/**
 * Runs node `i` and, when it succeeds, stores its output and goes on with `parts[next]` (if any). A node with one
 * attempt (no retry, no timeout) is called right here, with one context object and no attempt counting; its failure
 * becomes `StepFailed` on attempt 1, as `runNode` would report it.
 */
const nodeThen = (env: Env, i: number, parts: ReadonlyArray<Program> | undefined, next: number): Effect.Effect<void, unknown, unknown> => {
  const { state, plan, prefix, input, values } = env
  const node = plan.nodes[i]!
  const then = new Then(env, node.id, parts, next)
  if (!plan.once[i]) return Effect.flatMap(runNode(state, plan, i, prefix, input, values), then.onSuccess)
  const path = prefix === "" ? node.id : `${prefix}/${node.id}`
  const ctx = ctxOf(node, input, values)
  let effect: Effect.Effect<unknown, unknown, unknown>
  if (node.kind === "step") {
    // As inside the driver's `suspend`: a step function that throws is a defect of this step.
    try {
      effect = node.run(ctx)
    } catch (defect) {
      effect = Effect.die(defect)
    }
  } else {
    effect = kindEffect(state, node, path, input, ctx)
  }
  then.path = path
  return Effect.matchCauseEffect(plan.wrap[i]!(effect, path, undefined), then)
}

/**
 * What follows a node of a compiled program: store its output and go on, or wrap its failure into `StepFailed`.
 * The callbacks are assigned in the constructor: under tsx (esbuild `keepNames`), a named closure (a variable or an
 * object-literal property) pays an `Object.defineProperty` each time it is created.
 */
class Then {
  path = ""
  readonly onSuccess: (value: unknown) => Effect.Effect<void, unknown, unknown>
  readonly onFailure: (cause: Cause.Cause<unknown>) => Effect.Effect<never, unknown>
  constructor(env: Env, id: string, parts: ReadonlyArray<Program> | undefined, next: number) {
    this.onSuccess = (value) => {
      env.values[id] = value
      return parts === undefined ? Effect.void : execSeries(env, parts, next)
    }
    this.onFailure = (cause) => Effect.failCause(Cause.map(cause, (error) => stepFailed(env.state, this.path, 1, error)))
  }
}

/**
 * Runs the parts at once, as the driver runs ready nodes: each in a child fiber started immediately (one that
 * finishes without waiting is settled on the spot), and the last one inline when all the others have already finished.
 * The first failure interrupts the parts still running, waits for their finalizers, and fails with that failure's
 * cause alone. No generator: one small object per group, which forks the next part when the previous one is settled.
 */
const execParallel = (env: Env, parts: ReadonlyArray<Program>): Effect.Effect<void, unknown, unknown> => new Par(env, parts).next()

class Par {
  running: Array<Fiber.Fiber<void, unknown>> | undefined = undefined
  k = 0
  readonly forked: (fiber: Fiber.Fiber<void, unknown>) => Effect.Effect<void, unknown, unknown>
  constructor(readonly env: Env, readonly parts: ReadonlyArray<Program>) {
    this.forked = (fiber) => this.settle(fiber)
  }

  next(): Effect.Effect<void, unknown, unknown> {
    const part = this.parts[this.k]!
    // Nothing else runs meanwhile: no fiber needed (a failure propagates as is).
    if (this.running === undefined && this.k === this.parts.length - 1) return exec(this.env, part)
    return Effect.flatMap(Effect.forkChild(exec(this.env, part), forkNow), this.forked)
  }

  settle(fiber: Fiber.Fiber<void, unknown>): Effect.Effect<void, unknown, unknown> {
    const polled = fiber.pollUnsafe()
    if (polled === undefined) (this.running ??= []).push(fiber)
    else if (Exit.isFailure(polled)) return failAfter(this.running, polled)
    if (++this.k < this.parts.length) return this.next()
    const fibers = this.running
    if (fibers === undefined) return Effect.void
    return Effect.flatMap(
      Effect.callback<Exit.Failure<void, unknown> | undefined>((resume) => {
        let left = fibers.length
        let settled = false
        for (const fiber of fibers) {
          fiber.addObserver((exit) => {
            if (settled) return
            if (Exit.isFailure(exit)) {
              settled = true
              resume(Effect.succeed(exit))
            } else if (--left === 0) {
              settled = true
              resume(Effect.succeed(undefined))
            }
          })
        }
      }),
      (failure) => (failure === undefined ? Effect.void : failAfter(fibers, failure))
    )
  }
}

/** Stops the fibers still running and lets their finalizers run, then fails with `failure`'s cause alone. */
const failAfter = (running: Array<Fiber.Fiber<void, unknown>> | undefined, failure: Exit.Failure<void, unknown>) =>
  running === undefined ? Effect.failCause(failure.cause) : Effect.andThen(Fiber.interruptAll(running), Effect.failCause(failure.cause))

const stepFailed = (state: RunState, path: string, attempt: number, error: unknown): unknown =>
  error instanceof StepFailed
    ? error
    : new StepFailed({
      workflow: state.workflow,
      stepId: path,
      attempt,
      message: `Step '${path}' failed on attempt ${attempt}: ${messageOf(error)}`,
      error
    })

/** The graph driver: starts each node as soon as its needs are done, forking when others can run meanwhile. */
const driveGraph = Effect.fnUntraced(function*(
  state: RunState,
  graph: Graph,
  prefix: string,
  input: unknown,
  external: Record<string, unknown>
) {
  const plan = planOf(graph)
  const n = plan.nodes.length
  const values: Record<string, unknown> = { ...external }
  const remaining = plan.internalNeeds.slice()
  const ready: Array<number> = plan.roots.slice()
  let running: Map<number, Fiber.Fiber<Exit.Exit<unknown, unknown>, never>> | undefined
  // Exits of forked nodes that finished after their fork, and how to wake this fiber while it waits for one.
  const completions: Array<readonly [number, Exit.Exit<unknown, unknown>]> = []
  let wake: (() => void) | undefined
  let done = 0

  const complete = (i: number, value: unknown) => {
    values[plan.nodes[i]!.id] = value
    done++
    for (const j of plan.dependents[i]!) {
      if (--remaining[j]! === 0) ready.push(j)
    }
  }

  while (done < n) {
    while (ready.length > 0) {
      const i = ready.shift()!
      const effect = runNode(state, plan, i, prefix, input, values)
      if ((running === undefined || running.size === 0) && ready.length === 0) {
        // Nothing else can make progress meanwhile: run inline, no fiber needed (a failure propagates as is).
        complete(i, yield* effect)
        continue
      }
      // Started at once: a node that completes without waiting is settled here, with no wake-up round trip.
      const fiber = yield* Effect.forkChild(Effect.exit(effect), forkNow)
      const polled = fiber.pollUnsafe()
      if (polled !== undefined) {
        const exit = Exit.isSuccess(polled) ? polled.value : polled
        if (Exit.isFailure(exit)) {
          if (running !== undefined && running.size > 0) yield* Fiber.interruptAll(running.values())
          return yield* Effect.failCause(exit.cause)
        }
        complete(i, exit.value)
        continue
      }
      ;(running ??= new Map()).set(i, fiber)
      fiber.addObserver((exit) => {
        completions.push([i, Exit.isSuccess(exit) ? exit.value : exit])
        if (wake !== undefined) {
          const resume = wake
          wake = undefined
          resume()
        }
      })
    }
    if (done >= n) break
    if (running === undefined || running.size === 0) {
      return yield* Effect.die(new Error(`Workflow '${graph.name}' cannot progress: some needs are never produced`))
    }
    if (completions.length === 0) {
      yield* Effect.callback<void>((resume) => {
        wake = () => resume(Effect.void)
      })
    }
    const [i, exit] = completions.shift()!
    running.delete(i)
    if (Exit.isFailure(exit)) {
      // Stop the others and let their finalizers run before failing.
      yield* Fiber.interruptAll(running.values())
      return yield* Effect.failCause(exit.cause)
    }
    complete(i, exit.value)
  }

  const outputs: Record<string, unknown> = {}
  for (const node of plan.nodes) outputs[node.id] = values[node.id]
  return outputs
}) as (
  state: RunState,
  graph: Graph,
  prefix: string,
  input: unknown,
  external: Record<string, unknown>
) => Effect.Effect<Record<string, unknown>, unknown, unknown>

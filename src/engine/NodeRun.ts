/**
 * Running one node on the general path: its `NodeRun` (attempts, usage, reliability events, record, events) and
 * `runNode`, which builds the node's effect and wraps its failure into `StepFailed`.
 */
import { Cause, Context, Effect, Exit } from "effect"
import type { AnyCtx, Node } from "../../dsl/Node.ts"
import { StepFailed } from "./errors.ts"
import type { Plan } from "./plan.ts"
import type { RunState } from "./RunState.ts"
import { type Admission, type Call, CallGate, type Gate } from "../llm/CallGate.ts"
import type { LlmError } from "../llm/LlmError.ts"
import { StepUsage, sumUsage, type Usage, type UsageEntry, type UsageSink } from "../llm/Usage.ts"
import { costOf, estimate } from "../providers/Pricing.ts"
import { type ReliabilityEvent, ReliabilityEvents, type Sink as ReliabilitySink } from "../reliability/ReliabilityEvent.ts"
import { CurrentStep, type StepCorrelation } from "../telemetry/Correlation.ts"
import { fallbacksOf, withFallbacks } from "./fallback.ts"
import type { Failover, FallbackRecord, StepRecord } from "./RunResult.ts"
import { type Sink as DeltaSink, TextDeltas } from "../llm/TextDeltas.ts"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

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

/** The context of a node: the run input plus the values of exactly its needs. */
export const ctxOf = (node: Node, input: unknown, values: Record<string, unknown>): AnyCtx => {
  const ctx: Record<string, unknown> = { input }
  for (const need of node.needs) ctx[need] = values[need]
  return ctx as AnyCtx
}

/**
 * One execution of a node: its attempt count, usage and timing. The methods live on the prototype, so a node costs
 * this object and two small callbacks instead of a set of closures; it is also the node's `StepUsage` sink, its
 * reliability-event sink (retries, failovers, cache hits of the provider calls it makes), its budget gate (calls are
 * charged to the run's budget under the step's path) and its log correlation.
 */
export class NodeRun implements UsageSink, ReliabilitySink, Gate, StepCorrelation, DeltaSink {
  attempt = 0
  usage: Array<UsageEntry> | undefined = undefined
  failovers: Array<Failover> | undefined = undefined
  fallback: FallbackRecord | undefined = undefined
  lastError: unknown = undefined
  /**
   * The usage and delta sinks around the step (a durable run's journal puts its own around each unit, outside the
   * step's): where this step's sinks forward to, so that what the unit records survives the step's own sinks.
   */
  outerUsage: UsageSink | undefined = undefined
  outerDeltas: DeltaSink | undefined = undefined
  constructor(
    readonly state: RunState,
    readonly node: Node,
    readonly path: string,
    readonly ctx: AnyCtx,
    readonly startedAt: number
  ) {}

  get runId(): string {
    return this.state.runId
  }
  get workflow(): string {
    return this.state.workflow
  }
  get stepId(): string {
    return this.path
  }

  record(provider: string, model: string, usage: Usage): Effect.Effect<void> {
    const { state } = this
    ;(this.usage ??= []).push({ provider, model, usage })
    const metrics = state.metrics
    if (metrics !== undefined) {
      // the workflow's tokens and cost, as the calls report them
      return Effect.withFiber((fiber) => {
        const context = fiber.context
        metrics.inputTokens.updateUnsafe(usage.inputTokens, context)
        metrics.outputTokens.updateUnsafe(usage.outputTokens, context)
        const { usd } = estimate(state.prices, model, usage)
        if (usd > 0) metrics.costUsd.updateUnsafe(usd, context)
        return (this.outerUsage ?? state.usageSink).record(provider, model, usage)
      })
    }
    // Forward to the sink around the step (the run's, or a durable unit's), so `trackUsage(Workflow.run(...))` and
    // the journal see the calls too.
    return (this.outerUsage ?? state.usageSink).record(provider, model, usage)
  }

  publish(event: ReliabilityEvent): Effect.Effect<void> {
    const { state } = this
    if (event._tag === "Failover") {
      ;(this.failovers ??= []).push({ from: event.from, to: event.to, error: event.error === undefined ? undefined : messageOf(event.error) })
    }
    state.emit?.({ _tag: "ProviderEvent", runId: state.runId, workflow: state.workflow, at: state.clock.currentTimeMillisUnsafe(), stepId: this.path, event })
    if (event._tag === "BudgetExceeded" && state.metrics !== undefined) {
      const tagged = state.metrics.budget(event.error.limit)
      return Effect.withFiber((fiber) => {
        tagged.updateUnsafe(1, fiber.context)
        return state.reliabilitySink.publish(event)
      })
    }
    if (state.spans !== undefined) {
      // on the innermost span: the call's, or the step's
      return Effect.withFiber((fiber) => {
        const span = fiber.cache.span
        if (span !== undefined && span._tag === "Span") span.event(event._tag, state.clock.currentTimeNanosUnsafe(), eventAttributes(event))
        return state.reliabilitySink.publish(event)
      })
    }
    return state.reliabilitySink.publish(event)
  }

  /** A delta of a streamed answer of this step, reported as a `StepDelta` event. */
  delta(text: string): Effect.Effect<void> {
    const { state } = this
    state.emit?.({ _tag: "StepDelta", runId: state.runId, workflow: state.workflow, at: state.clock.currentTimeMillisUnsafe(), stepId: this.path, text })
    return this.outerDeltas === undefined ? Effect.void : this.outerDeltas.delta(text)
  }

  admit(call: Call): Effect.Effect<Admission, LlmError> {
    return this.state.budget!.admit(call, this.path)
  }

  /** Counts an attempt and reports a retry. */
  begin(): void {
    const attempt = ++this.attempt
    const { emit, clock, metrics } = this.state
    if (attempt > 1 && emit !== undefined) {
      emit({ _tag: "StepRetrying", runId: this.state.runId, workflow: this.state.workflow, at: clock.currentTimeMillisUnsafe(), stepId: this.path, attempt, error: messageOf(this.lastError) })
    }
    if (attempt > 1 && metrics !== undefined) this.retried++
  }
  /** Attempts after the first, for the retries metric (counted at the end, where the fiber is at hand). */
  retried = 0

  toStepFailed(error: unknown): unknown {
    return stepFailed(this.state, this.path, this.attempt, error)
  }

  /** Writes the record and reports the end (run by `onExit`, so also on interruption). */
  finish(exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> {
    const { state, node, path, startedAt } = this
    const { metrics } = state
    if (!state.timed) return Effect.void
    const now = state.clock.currentTimeMillisUnsafe()
    const status = this.end(Exit.isSuccess(exit) ? undefined : exit.cause, now)
    if (metrics === undefined) return Effect.void
    const duration = metrics.step(path, node.kind, status)
    const retries = this.retried > 0 ? metrics.retry(path) : undefined
    return Effect.withFiber((fiber) => {
      duration.updateUnsafe((now - startedAt) / 1000, fiber.context)
      retries?.updateUnsafe(this.retried, fiber.context)
      return Effect.void
    })
  }

  /**
   * Writes the record and emits the end event of the step, which succeeded (`cause` undefined) or failed with `cause`
   * (already `StepFailed`), at `now`; returns its status. Plain code, no Effect: the compiled path calls it from the
   * continuation of the step's own effect, the driver from `finish`.
   */
  end(cause: Cause.Cause<unknown> | undefined, now: number): "succeeded" | "failed" | "interrupted" {
    const { state, node, path, startedAt, attempt, usage, failovers, fallback } = this
    const { emit, records } = state
    const interrupted = cause !== undefined && Cause.hasInterruptsOnly(cause)
    const status = cause === undefined ? "succeeded" : interrupted ? "interrupted" : "failed"
    if (records !== undefined) {
      const record: Mutable<StepRecord> = { stepId: path, kind: node.kind, status, attempts: attempt, startedAt, durationMillis: now - startedAt }
      if (usage !== undefined) {
        record.usage = sumUsage(usage)
        record.costUsd = costOf(state.prices, usage).usd
      }
      if (failovers !== undefined) record.failovers = failovers
      if (fallback !== undefined) record.fallback = fallback
      records[path] = record
    }
    if (emit !== undefined) this.report(cause, now, interrupted)
    return status
  }

  /** The end event. */
  private report(cause: Cause.Cause<unknown> | undefined, now: number, interrupted: boolean): void {
    const { state, path, startedAt, attempt } = this
    const emit = state.emit!
    if (cause === undefined) {
      emit({ _tag: "StepSucceeded", runId: state.runId, workflow: state.workflow, at: now, stepId: path, attempts: attempt, durationMillis: now - startedAt })
    } else {
      const error = Cause.findErrorOption(cause)
      emit({
        _tag: "StepFailed",
        runId: state.runId,
        workflow: state.workflow,
        at: now,
        stepId: path,
        attempts: attempt,
        durationMillis: now - startedAt,
        error: error._tag === "Some" ? messageOf(error.value) : interrupted ? "interrupted" : Cause.pretty(cause),
        interrupted
      })
    }
  }
}

/**
 * Runs one node: events, attempts, timing, record, and the wrapping of its failure into `StepFailed`. Each observer of
 * the run (`RunState`'s `Observers`) adds its layer here, and only when present.
 */
export const runNode = (
  state: RunState,
  plan: Plan,
  i: number,
  prefix: string,
  input: unknown,
  ctx: AnyCtx
): Effect.Effect<unknown, unknown, unknown> => {
  const node = plan.nodes[i]!
  const traits = plan.traits[i]!
  const path = prefix === "" ? node.id : `${prefix}/${node.id}`
  const { timed } = state
  const r = new NodeRun(state, node, path, ctx, timed ? state.clock.currentTimeMillisUnsafe() : 0)
  // One suspend per attempt: count it, then run the attempt.
  let once: Effect.Effect<unknown, unknown, unknown> = Effect.suspend(() => {
    r.begin()
    return traits.attempt(state, node, path, input, r.ctx, r.attempt)
  })
  if (traits.permit && state.semaphore !== undefined) once = state.semaphore.withPermits(1)(once)
  // The node's own sinks only when someone can see what they collect (records, events): otherwise they would only
  // forward, and calls may as well report to the run's sinks directly (a context change per step costs ~0.35 µs and
  // ~0.5 KB while in flight). Both sinks in one context change.
  if (traits.collects && state.collecting) {
    once = Effect.updateContext(once, (context: Context.Context<never>) => stepContext(r, context) as Context.Context<unknown>)
  }
  let wrapped = plan.wrap[i]!(once, path, state.emit === undefined ? undefined : r)
  // fallbacks inside the durable unit: a replay gives back what served the step
  const fallbacks = fallbacksOf(node)
  if (fallbacks.length > 0) wrapped = withFallbacks(state, node, path, r.ctx, fallbacks, (served) => void (r.fallback = served))(wrapped)
  // A durable run persists the node's whole execution (retries included) as one unit, or replays it.
  if (state.journal !== undefined && traits.journal === "unit") {
    wrapped = state.journal.unit({ name: path, stepId: path, kind: node.kind, output: node.output }, wrapped, r)
  }
  if (state.emit !== undefined) {
    state.emit({ _tag: "StepStarted", runId: state.runId, workflow: state.workflow, at: r.startedAt, stepId: path, kind: node.kind })
  }
  let effect = Effect.mapError(wrapped, (error) => r.toStepFailed(error))
  // The record and the end event; nothing to write when nobody can see them (`Workflow.run` without `onEvent`).
  if (timed) effect = Effect.onExit(effect, (exit) => r.finish(exit))
  if (state.spans !== undefined) effect = stepSpan(effect, state, plan, i, prefix, path)
  return effect
}

/**
 * `context` with the step's own sinks (usage, reliability events, text deltas when someone reads events, the budget
 * gate, log correlation): what a collecting step runs in. A step's sinks forward to what is around the step, unless
 * that is its parent step (a call or branch node), which would count the usage twice: then to the run's.
 */
export const stepContext = (r: NodeRun, context: Context.Context<never>): Context.Context<never> => {
  const { state } = r
  const outer = Context.get(context, StepUsage)
  r.outerUsage = outer instanceof NodeRun ? undefined : outer
  let c = Context.add(Context.add(context, StepUsage, r), ReliabilityEvents, r)
  if (state.emit !== undefined) {
    const deltas = Context.get(context, TextDeltas)
    r.outerDeltas = deltas instanceof NodeRun ? undefined : deltas
    c = Context.add(c, TextDeltas, r)
  }
  if (state.budget !== undefined) c = Context.add(c, CallGate, r)
  if (state.correlate) c = Context.add(c, CurrentStep, r)
  return c
}

/** The span name and attributes of each top-level node of a plan, built once (a step's name and attributes never change). */
const spanOptions = new WeakMap<Plan, Array<{ readonly name: string; readonly attributes: Readonly<Record<string, unknown>> } | undefined>>()

/**
 * `self` in the step's span (see `StepSpans`): the parent of what the step does, its name and attributes built once
 * per top-level node. `failure` maps the error the span ends with (the compiled path wraps a node's failure in
 * `StepFailed` after the span, so that the span still ends with it).
 */
export const stepSpan = (
  self: Effect.Effect<unknown, unknown, unknown>,
  state: RunState,
  plan: Plan,
  i: number,
  prefix: string,
  path: string,
  failure?: (error: unknown) => unknown
): Effect.Effect<unknown, unknown, unknown> => {
  let cached = prefix === "" ? spanOptions.get(plan)?.[i] : undefined
  if (cached === undefined) {
    cached = {
      name: `workflow.step ${path}`,
      attributes: { "workflow.name": state.workflow, "workflow.step": path, "workflow.kind": plan.nodes[i]!.kind }
    }
    if (prefix === "") {
      let all = spanOptions.get(plan)
      if (all === undefined) spanOptions.set(plan, all = new Array(plan.nodes.length))
      all[i] = cached
    }
  }
  return state.spans!.wrap(self, cached.name, cached.attributes, failure)
}

/**
 * The run's body with the reliability events of its calls put on the innermost span (the call's, or the step's), when
 * the run makes spans and its steps have no sinks of their own (which would do it, see `NodeRun.publish`): one
 * run-wide sink instead of a context change per step.
 */
export const withSpanEvents = <A, E, R>(state: RunState, body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  if (state.spans === undefined || state.collecting) return body
  const { clock, reliabilitySink } = state
  return Effect.provideService(body, ReliabilityEvents, {
    publish: (event) =>
      Effect.withFiber((fiber) => {
        const span = fiber.cache.span
        if (span !== undefined && span._tag === "Span") span.event(event._tag, clock.currentTimeNanosUnsafe(), eventAttributes(event))
        return reliabilitySink.publish(event)
      })
  })
}

/** The attributes of a reliability event on a span: its plain fields, errors by tag and message. */
const eventAttributes = (event: ReliabilityEvent): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(event)) {
    if (key === "_tag" || value === undefined) continue
    if (typeof value === "object" && value !== null) {
      const tag = (value as { _tag?: unknown })._tag
      out[`${key}.type`] = tag === undefined ? "unknown" : String(tag)
      out[`${key}.message`] = messageOf(value)
    } else out[key] = value
  }
  return out
}

/** Wraps a step's final error in `StepFailed` (with the step path and last attempt), unless it already is one. */
export const stepFailed = (state: RunState, path: string, attempt: number, error: unknown): unknown =>
  error instanceof StepFailed
    ? error
    : new StepFailed({
      workflow: state.workflow,
      stepId: path,
      attempt,
      message: `Step '${path}' failed on attempt ${attempt}: ${messageOf(error)}`,
      error
    })

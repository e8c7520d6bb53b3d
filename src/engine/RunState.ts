/**
 * The options of one run and the state shared by every graph it runs (the top-level one and nested branch/call
 * graphs).
 *
 * The state is split in two on purpose. `RunBase` holds run-wide values that never need to see a single step.
 * `Observers` holds everything that must see each step (events, records, spans, concurrency permits, and whatever
 * comes next: a journal, telemetry, budgets). The engine's fast path (the compiled program, see `runGraph.ts`) handles
 * the cheap observers itself: events and records (a clock read, a record and a callback per step), or spans (see
 * {@link inlineObservers}); any other observer present forces the graph driver. `makeRunState` decides that once,
 * over all the fields of `Observers`, so an observer added there can never be skipped by the fast path.
 */
import type { Clock, Effect, Semaphore } from "effect"
import type { Graph } from "../../dsl/Node.ts"
import type { Budget } from "../budget/Budget.ts"
import type { Ledger } from "../budget/BudgetLedger.ts"
import type { WorkflowEvent } from "./events.ts"
import type { UsageSink } from "../llm/Usage.ts"
import type { PriceTable } from "../providers/Pricing.ts"
import type { Sink as ReliabilitySink } from "../reliability/ReliabilityEvent.ts"
import type { Names } from "../telemetry/Semconv.ts"
import type { Recorder as MetricsRecorder } from "../telemetry/WorkflowMetrics.ts"
import type { StepRecord } from "./RunResult.ts"
import type { StepJournal } from "./StepJournal.ts"
import type { StepSpans } from "./StepSpans.ts"

/**
 * Options of one run.
 *
 * @example
 * ```ts
 * Workflow.execute(wf, input, { concurrency: 4, runId: "run-1", onEvent: (e) => console.log(e._tag) })
 * ```
 */
export interface ExecuteOptions {
  /** Maximum number of steps (and map items, loop bodies) running at once across the whole run. */
  readonly concurrency?: number | undefined
  /** Called synchronously with every event of the run, in order. */
  readonly onEvent?: ((event: WorkflowEvent) => void) | undefined
  /** Id of the run (a random one when absent). */
  readonly runId?: string | undefined
  /** Create a span for the run and one per step; by default only when a tracer other than Effect's native one is installed. */
  readonly spans?: boolean | undefined
  /**
   * Spending limits of the run, over all its steps, map items and sub-workflows: a call that does not fit fails with
   * `BudgetExceeded` before it is sent (see `Budget`).
   */
  readonly budget?: Budget | undefined
  /**
   * The values of `wait` steps for a run in memory, by step path (`approve`, `route/safe/approve`), in their encoded
   * form (as JSON gives them). A durable run gets its signals from `Durable.signal` instead.
   */
  readonly signals?: Readonly<Record<string, unknown>> | undefined
}

/**
 * Runs the nodes of a graph and returns the record of its own outputs (`runGraph.ts`). Kinds that run nested graphs
 * (branch, call) get it from the state, so `kinds.ts` needs no import of the runner.
 */
export type GraphRunner = (
  state: RunState,
  graph: Graph,
  prefix: string,
  input: unknown,
  external: Record<string, unknown>
) => Effect.Effect<Record<string, unknown>, unknown, unknown>

/** Run-wide values that need to see no step (the fast path keeps them all). */
export interface RunBase {
  readonly runId: string
  readonly workflow: string
  readonly clock: Clock.Clock
  /** The usage sink around the run (calls report to it directly when no step records usage). */
  readonly usageSink: UsageSink
  /** The reliability-event sink around the run. */
  readonly reliabilitySink: ReliabilitySink
  /** The graph runner, for nested graphs. */
  readonly runGraph: GraphRunner
  /** The price table for the cost of steps and runs. */
  readonly prices: PriceTable
  /** The GenAI convention names spans are named by. */
  readonly semconv: Names
  /** In-memory values of wait steps, by path (the `signals` option). */
  readonly signals: Readonly<Record<string, unknown>> | undefined
}

/**
 * Everything that must see each step. Every field forces the graph driver when present (not `undefined`, not
 * `false`); add a new per-step observer here, never to {@link RunBase}.
 */
export interface Observers {
  /** Events, in order (`onEvent`, `Workflow.events`). */
  readonly emit: ((event: WorkflowEvent) => void) | undefined
  /** Per-step records (`Workflow.execute`); undefined when nobody can read them. */
  readonly records: Record<string, StepRecord> | undefined
  /** One span per step (and map item, loop iteration), made with the run's span settings. */
  readonly spans: StepSpans | undefined
  /** The run-wide concurrency limit: a permit per unit of work. */
  readonly semaphore: Semaphore.Semaphore | undefined
  /** The run's budget: every call a step makes is charged to it, with the step's path. */
  readonly budget: Ledger | undefined
  /** Run and step metrics (`WorkflowMetrics`). */
  readonly metrics: MetricsRecorder | undefined
  /** Each step's fiber knows its run and step (`Correlation.CurrentStep`, for log lines). */
  readonly correlate: boolean
  /** Persists each unit of work before its dependants start, and replays it (durable runs, `StepJournal.ts`). */
  readonly journal: StepJournal | undefined
}

/**
 * Mutable state shared by every graph of one run (the top-level one and nested branch/call graphs).
 *
 * @example
 * ```ts
 * // built once per run by the engine (not public); nested graphs share it:
 * state.mode // "compiled" when no observer other than events and records is set
 * ```
 */
export interface RunState extends RunBase, Observers {
  /**
   * How graphs of this run are run: `"compiled"` (series-parallel graphs as a fixed program, which also keeps events
   * and records, or makes spans: {@link inlineObservers}) when no other observer is set, `"driven"` (the graph
   * driver) otherwise.
   */
  readonly mode: "compiled" | "driven"
  /** Someone reads per-step timing and outcomes (records, events, metrics): clock reads and the per-step end handler. */
  readonly timed: boolean
  /**
   * Steps get their own services (usage and event sinks, budget gate, correlation) because someone reads what they
   * collect or needs to know the step: records, events, a budget, metrics or log correlation. Spans alone do not: the
   * retry and failover events that go on them are put there by one run-wide sink (`withSpanEvents`).
   */
  readonly collecting: boolean
}

/**
 * The observers the compiled path handles itself (`compiled.ts`): per step a clock read at each end, the `StepStarted`
 * and end events, the `StepRecord`, and the step's own usage and event sinks, with the same contents and order as the
 * driver; or the step's span. Only the fields listed here may be present on the compiled path (and spans not together
 * with events or records); any other one forces the driver.
 */
export const inlineObservers: { readonly [K in keyof Observers]?: true } = { emit: true, records: true, spans: true }

/**
 * True when an observer the compiled path does not handle itself is present (permits, a budget, metrics, log
 * correlation, a journal, spans with events or records, and any observer added later): decided over every field of
 * `Observers`, whatever they are.
 */
export const needsDriver = (observers: Observers): boolean => {
  for (const key in observers) {
    if (inlineObservers[key as keyof Observers] === true) continue
    const value = observers[key as keyof Observers]
    if (value !== undefined && value !== false) return true
  }
  // the compiled path makes spans, or keeps events and records, not both in one run
  return observers.spans !== undefined && (observers.emit !== undefined || observers.records !== undefined)
}

/**
 * Builds the state of one run. Every observer must be passed (`undefined` when absent), so the compiler makes each
 * caller decide about a new one, and the mode is derived from all of them.
 *
 * @example
 * ```ts
 * const state = makeRunState(base, { emit: undefined, records: undefined, spans: undefined, semaphore: undefined, budget: undefined, metrics: undefined, correlate: false, journal: undefined })
 * state.mode // "compiled"
 * ```
 */
export const makeRunState = (base: RunBase, observers: { readonly [K in keyof Observers]-?: Observers[K] }): RunState => ({
  // Every field written out, in one order: the state is read on every step, and an object built by spreading two
  // others gets a shape of its own per caller (and the reads on it go slow); a field added to either interface is a
  // compile error here until it is listed.
  runId: base.runId,
  workflow: base.workflow,
  clock: base.clock,
  usageSink: base.usageSink,
  reliabilitySink: base.reliabilitySink,
  runGraph: base.runGraph,
  prices: base.prices,
  semconv: base.semconv,
  signals: base.signals,
  emit: observers.emit,
  records: observers.records,
  spans: observers.spans,
  semaphore: observers.semaphore,
  budget: observers.budget,
  metrics: observers.metrics,
  correlate: observers.correlate,
  journal: observers.journal,
  mode: needsDriver(observers) ? "driven" : "compiled",
  timed: observers.records !== undefined || observers.emit !== undefined || observers.metrics !== undefined,
  collecting: observers.records !== undefined || observers.emit !== undefined ||
    observers.budget !== undefined || observers.metrics !== undefined || observers.correlate
})

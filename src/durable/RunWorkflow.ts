/**
 * The one effect/workflow definition every durable run is an execution of. Its payload is the run id (the execution
 * id is derived from it, so starting the same run twice joins it); its body reads the run from the run index, finds
 * the definition, and runs the graph through the in-memory engine with a journal (`Journal.ts`), so both engines have
 * the same graph semantics. The body is replayed after every restart and wake-up: every decision in it depends only on
 * the run's stored input and on journaled values.
 *
 * The body keeps the run index in step: `running` when it starts, `suspended` when it suspends on a wait, the outputs
 * or the error at the end, `cancelled` when a cancel interrupted it. A run that cannot go on here (its workflow is not
 * registered in this process, or its definition changed) is suspended with the reason in `blocked`, and resumed when
 * the definition is registered (or with `resume --force`).
 */
import { Cause, Clock, Context, Effect, Exit, Metric, Schema, Semaphore, Tracer } from "effect"
import { Workflow, WorkflowEngine } from "effect/workflow"
import * as BudgetLedger from "../budget/BudgetLedger.ts"
import * as DailyBudget from "../budget/DailyBudget.ts"
import { Priority } from "../reliability/Priority.ts"
import type { Budget } from "../budget/Budget.ts"
import type { WorkflowEvent } from "../engine/events.ts"
import { decodeInput } from "../engine/run.ts"
import { withSpanEvents } from "../engine/NodeRun.ts"
import { runGraph } from "../engine/runGraph.ts"
import { makeRunState } from "../engine/RunState.ts"
import { StepSpans } from "../engine/StepSpans.ts"
import { ReliabilityEvents } from "../reliability/ReliabilityEvent.ts"
import { StepUsage } from "../llm/Usage.ts"
import { Prices } from "../providers/Pricing.ts"
import { CurrentVersion, names } from "../telemetry/Semconv.ts"
import * as TraceContext from "../telemetry/TraceContext.ts"
import * as WorkflowMetrics from "../telemetry/WorkflowMetrics.ts"
import type { Json, RunRecord, RunStoreShape } from "../store/RunStoreShape.ts"
import { encodeError, encodeOutputs } from "./codec.ts"
import { RunCancelled } from "./errors.ts"
import * as GraphShape from "./GraphShape.ts"
import { type Cancellations, makeJournal } from "./Journal.ts"
import type { PayloadCodec } from "./PayloadCodec.ts"
import type { Registered, Registry } from "./Registry.ts"

/**
 * The workflow of durable runs (one per store; its executions are the runs).
 *
 * @example
 * ```ts
 * const executionId = yield* RunWorkflow.executionId({ runId: "run-1" })
 * ```
 */
export const RunWorkflow = Workflow.make("llm-orchestrator/run", {
  payload: { runId: Schema.String },
  success: Schema.Json,
  error: Schema.Json,
  idempotencyKey: (payload) => payload.runId
})

/** What the body needs from the process it runs in. */
export interface BodyEnv {
  readonly store: RunStoreShape
  readonly registry: Registry
  readonly cancellations: Cancellations
  /** Loads the definition of a run whose workflow is not registered (the CLI loads its YAML file from `source`). */
  readonly load: (run: RunRecord) => Effect.Effect<Registered | undefined>
  /**
   * The record of a run this process has just created and handed to the engine, taken once by its first execution
   * here (which then does not read it back from the store); undefined when there is none.
   */
  readonly takeFresh?: ((runId: string) => RunRecord | undefined) | undefined
  /** Told whenever a run's status changed here, with its record when known (wakes the callers awaiting it here). */
  readonly changed: (runId: string, run?: RunRecord) => void
  readonly onStoreError: (error: unknown) => void
  /** The engine's events of the runs executing in this process (the CLI's progress view); replayed units report too. */
  readonly onEvent?: ((runId: string, event: WorkflowEvent) => void) | undefined
  /** Seals what the engine journals (see `PayloadCodec`). */
  readonly codec?: PayloadCodec | undefined
  /** Each unit reads the run's cancel request from the store (a cluster: the cancel may be seen by another worker). */
  readonly cancelInStore?: boolean | undefined
}

const cancelledJson = (runId: string): Json => encodeError(new RunCancelled({ runId, message: `Run '${runId}' was cancelled` }))

/** True for a failure that is a cancellation (the run's own, or a unit's journaled `RunCancelled`). */
export const isCancellation = (error: unknown): boolean => {
  if (error === null || typeof error !== "object") return false
  const e = error as { _tag?: unknown; error?: unknown }
  if (e._tag === "RunCancelled") return true
  return e._tag === "StepFailed" && isCancellation(e.error)
}

/**
 * The body of run `runId`.
 *
 * @example
 * ```ts
 * RunWorkflow.toLayer((payload) => runBody(env, payload.runId))
 * ```
 */
export const runBody = (env: BodyEnv, runId: string): Effect.Effect<Json, Json, WorkflowEngine.WorkflowInstance | WorkflowEngine.WorkflowEngine> => {
  const { store } = env
  let blocked = false
  // Workflow metrics (when on in this process): the run's execution here, its end when this body ends it.
  let metrics: WorkflowMetrics.Recorder | undefined
  let startedAt: number | undefined
  const now = Clock.currentTimeMillis
  const recordEnd = (to: RunRecord["status"], at: number) =>
    metrics === undefined || (to !== "succeeded" && to !== "failed" && to !== "cancelled")
      ? Effect.void
      : Effect.andThen(
        Metric.update(metrics.finished(to), 1),
        startedAt === undefined ? Effect.void : Metric.update(metrics.duration(to), (at - startedAt) / 1000)
      )
  const setStatus = (to: RunRecord["status"], fields?: { readonly output?: Json; readonly error?: Json }) =>
    Effect.flatMap(now, (at) =>
      store.setStatus(runId, to, at, fields).pipe(
        Effect.tap((run) => Effect.sync(() => env.changed(runId, run))),
        Effect.tap(() => recordEnd(to, at)),
        // A run another process already finished (a cancel with no runner alive) stays as it is.
        Effect.catchTag("InvalidTransition", () => Effect.void),
        Effect.orDie
      ))

  const block = (reason: string) =>
    Effect.gen(function*() {
      blocked = true
      // Blocked runs are the engine's (a registration resumes them there).
      yield* Effect.orDie(store.updateRun(runId, { blocked: reason, submitted: true }))
      env.changed(runId)
      const instance = yield* WorkflowEngine.WorkflowInstance
      return yield* Workflow.suspend(instance)
    })

  const body = Effect.gen(function*() {
    // A run started in this process a moment ago: its record as created (nothing but this body moves a pending run on
    // here, and a cancel fires `cancellations`, which the units check). Any later execution reads the store.
    const run = env.takeFresh?.(runId) ?? (yield* Effect.orDie(store.getRun(runId)))
    if (run === undefined) return yield* Effect.die(new Error(`Durable run '${runId}' is not in the run store`))
    metrics = yield* Effect.withFiber((fiber) =>
      Effect.succeed(fiber.getRef(WorkflowMetrics.Enabled) ? WorkflowMetrics.forWorkflow(run.workflow) : undefined))
    startedAt = run.startedAt
    // Finished elsewhere (or before a crash between the index and the engine): report what the index says.
    if (run.status === "succeeded") return run.output ?? null
    if (run.status === "failed") return yield* Effect.fail(run.error ?? null)
    if (run.status === "cancelled") return yield* Effect.fail(cancelledJson(runId))
    if (run.cancelRequestedAt !== undefined || env.cancellations.isFired(runId)) {
      yield* setStatus("cancelled", { error: cancelledJson(runId) })
      return yield* Effect.fail(cancelledJson(runId))
    }
    // The version the run pinned, else the loader's (a versioned registry loads it), else the latest definition.
    const entry = env.registry.exact(run.workflow, run.version) ?? (yield* env.load(run)) ?? env.registry.get(run.workflow)
    if (entry === undefined) return yield* block(`workflow '${run.workflow}' is not registered in this process`)
    if (entry.hash !== run.graphHash && !run.forced) {
      const breaking = GraphShape.changes(run.shape as unknown as GraphShape.Shape, entry.shape).filter((c) => c.breaking)
      if (breaking.length > 0) {
        return yield* block(`definition of '${run.workflow}' changed since the run started: ${GraphShape.describe(breaking)}; resume with --force to run it anyway`)
      }
    }
    if (run.blocked !== undefined) yield* Effect.orDie(store.updateRun(runId, { blocked: null }))
    yield* setStatus("running")
    if (metrics !== undefined && run.startedAt === undefined) {
      // the first execution of the run (a resume after a restart or a wake-up is the same run)
      startedAt = yield* now
      yield* Metric.update(metrics.started, 1)
    }
    const graph = entry.graph
    const input = yield* decodeInput(graph, run.input)
    const runOptions = run.options as { concurrency?: number; budget?: Budget; daily?: DailyBudget.Daily; traceparent?: string } | null
    const concurrency = runOptions?.concurrency
    const priority = (run.options as { priority?: unknown } | null)?.priority
    const onEvent = env.onEvent
    const outputs = yield* Effect.withFiber((fiber) => {
      // A budget counts what this execution spends (after a restart, units replayed from the journal cost nothing).
      // A workflow's daily budget (the server's) is a ledger in the store every process shares; the run's own budget,
      // if any, sits inside it, and a call must fit both.
      const daily = runOptions?.daily
      const defaultMaxTokens = runOptions?.budget?.maxOutputTokens ?? daily?.maxOutputTokens
      const dailyGate = daily === undefined ? undefined : DailyBudget.gate(store, daily, {
        prices: fiber.getRef(Prices),
        clock: fiber.getRef(Clock.Clock),
        defaultMaxTokens
      })
      const budget = runOptions?.budget === undefined && dailyGate === undefined ? undefined : BudgetLedger.make(runOptions?.budget ?? {}, {
        prices: fiber.getRef(Prices),
        defaultMaxTokens,
        parent: dailyGate
      })
      const clock = fiber.getRef(Clock.Clock)
      const state = makeRunState({
        runId,
        workflow: graph.name,
        clock,
        usageSink: fiber.getRef(StepUsage),
        reliabilitySink: fiber.getRef(ReliabilityEvents),
        runGraph,
        prices: fiber.getRef(Prices),
        semconv: names(fiber.getRef(CurrentVersion)),
        signals: undefined
      }, {
        emit: onEvent === undefined ? undefined : (event) => onEvent(runId, event),
        records: undefined,
        spans: fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer ? StepSpans.of(fiber, clock) : undefined,
        semaphore: concurrency === undefined ? undefined : Semaphore.makeUnsafe(concurrency),
        budget,
        metrics,
        correlate: false,
        journal: makeJournal({
          runId,
          store,
          cancellations: env.cancellations,
          seeds: run.seeds as Readonly<Record<string, Json>> | undefined,
          onStoreError: env.onStoreError,
          codec: env.codec,
          cancelInStore: env.cancelInStore
        })
      })
      const graphRun = withSpanEvents(state, runGraph(state, graph, "", input, {}))
      const counted = metrics === undefined ? graphRun : Effect.ensuring(
        Effect.andThen(Metric.modify(metrics.inFlight, 1), graphRun),
        Metric.modify(metrics.inFlight, -1)
      )
      if (state.spans === undefined) return counted
      // One span per execution of the run (a resumed run's executions share its trace), below the caller's span.
      const a = state.semconv.attributes
      const parent = TraceContext.extract(runOptions?.traceparent)
      return Effect.withSpan(counted, `${state.semconv.operations.invokeWorkflow} ${graph.name}`, {
        attributes: {
          [a.operationName]: state.semconv.operations.invokeWorkflow,
          [a.workflowName]: graph.name,
          "workflow.name": graph.name,
          "workflow.run_id": runId,
          "workflow.durable": true
        },
        ...(parent._tag === "Some" ? { parent: parent.value } : {}),
        captureStackTrace: false
      })
    }).pipe(
      // The steps run with the services their workflow was registered with; the engine's own services win.
      Effect.updateContext((context: Context.Context<never>) => Context.merge(entry.context, context) as Context.Context<unknown>),
      // The run's priority orders its LLM calls behind a saturated rate limit.
      (body) => typeof priority === "number" ? Effect.provideService(body, Priority, priority) : body
    ) as Effect.Effect<Record<string, unknown>, unknown>
    const encoded = yield* encodeOutputs(graph, outputs)
    // The engine keeps the run's result too: sealed like the rows (before the status says it finished).
    const sealed = env.codec === undefined ? encoded : yield* env.codec.seal({ runId }, encoded)
    yield* setStatus("succeeded", { output: encoded })
    return sealed
  })

  return body.pipe(
    Effect.catchCause((cause) =>
      Effect.gen(function*() {
        if (Cause.hasInterruptsOnly(cause)) return yield* Effect.failCause(cause)
        const failure = Cause.findErrorOption(cause)
        if (failure._tag === "None") {
          // A defect (a step that threw, a bug): the run failed; the engine keeps the defect as the execution's end.
          yield* setStatus("failed", { error: { _tag: "Defect", message: Cause.pretty(cause) } })
          return yield* Effect.failCause(cause as Cause.Cause<never>)
        }
        const error = failure.value
        if (isCancellation(error)) {
          yield* setStatus("cancelled", { error: cancelledJson(runId) })
          return yield* Effect.fail(cancelledJson(runId))
        }
        const json = encodeError(error)
        const sealed = env.codec === undefined ? json : yield* env.codec.seal({ runId }, json)
        yield* setStatus("failed", { error: json })
        return yield* Effect.fail(sealed)
      })
    ),
    Effect.onExit((exit) =>
      Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
        ? Effect.flatMap(WorkflowEngine.WorkflowInstance, (instance) => {
          if (instance.interrupted) return setStatus("cancelled", { error: cancelledJson(runId) })
          if (instance.suspended && !blocked) return setStatus("suspended")
          // Abandoned (the runner shuts down): the run stays running and resumes on the next start.
          return Effect.void
        })
        : Effect.void
    )
  ) as Effect.Effect<Json, Json, WorkflowEngine.WorkflowInstance | WorkflowEngine.WorkflowEngine>
}

/**
 * Running workflows: decode the input, run the graph, report events, collect per-step records.
 */
import { type Cause, Clock, type Context, Effect, type Exit, Queue, Schema, Semaphore, Stream, Tracer } from "effect"
import type { Layer } from "effect"
import * as BudgetLedger from "../budget/BudgetLedger.ts"
import { CallGate, none as noGate } from "../llm/CallGate.ts"
import { costOf, Prices } from "../providers/Pricing.ts"
import * as Correlation from "../telemetry/Correlation.ts"
import { CurrentVersion, names } from "../telemetry/Semconv.ts"
import * as WorkflowMetrics from "../telemetry/WorkflowMetrics.ts"
import type { Any, EncodedInputOf, ErrorOf, OutputsOf, RequirementsOf, StepPathsOf } from "../../dsl/Workflow.ts"
import type { Join } from "../../dsl/types.ts"
import { issuesOf, type StepFailedWith, WorkflowInputError } from "./errors.ts"
import type { WorkflowEvent } from "./events.ts"
import { withSpanEvents } from "./NodeRun.ts"
import { runGraph } from "./runGraph.ts"
import { StepSpans } from "./StepSpans.ts"
import { type ExecuteOptions, makeRunState, type RunState } from "./RunState.ts"
import { StepUsage, sumUsage, type UsageEntry } from "../llm/Usage.ts"
import { ReliabilityEvents } from "../reliability/ReliabilityEvent.ts"
import type { RunResult } from "./RunResult.ts"

export type { ExecuteOptions } from "./RunState.ts"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * The error of running workflow `W`: bad input, or a step that failed (carrying the step's typed error).
 *
 * @example
 * ```ts
 * const program: Effect.Effect<unknown, Workflow.RunError<typeof wf>> = Workflow.run(wf, input)
 * ```
 */
export type RunError<W> = WorkflowInputError | StepFailedWith<ErrorOf<W>>
// The signatures below spell the union out instead of `RunError<W>`: compiler messages then print
// `WorkflowInputError | StepFailedWith<LlmError>` rather than the whole workflow type inside `RunError<...>`.

const toInputError = (wf: { readonly name: string }, error: Schema.SchemaError) => {
  const issues = issuesOf(error)
  const detail = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")
  return new WorkflowInputError({ workflow: wf.name, message: `Invalid input for workflow '${wf.name}': ${detail}`, issues })
}

/**
 * Decodes a run input with the workflow's input Schema, reporting every bad field.
 *
 * @example
 * ```ts
 * const input = yield* Workflow.decodeInput(wf, { query: "hi" }) // fails with WorkflowInputError naming each bad field
 * ```
 */
export const decodeInput = (wf: { readonly name: string; readonly input: Schema.Top }, input: unknown) =>
  Schema.decodeUnknownEffect(wf.input as Schema.Codec<unknown, unknown>)(input, { errors: "all" }).pipe(
    Effect.mapError((error) => toInputError(wf, error))
  )

type Decoder = (input: unknown, options: { readonly errors: "all" }) => Effect.Effect<unknown, Schema.SchemaError>
const decoders = new WeakMap<Schema.Top, Decoder>()

/** {@link decodeInput} with the decoder built once per input Schema. */
const decodeCached = (wf: Any, input: unknown) => {
  let decode = decoders.get(wf.input)
  if (decode === undefined) {
    decode = Schema.decodeUnknownEffect(wf.input as Schema.Codec<unknown, unknown>) as Decoder
    decoders.set(wf.input, decode)
  }
  return Effect.mapError(decode(input, allErrors), (error) => toInputError(wf, error))
}
const allErrors = { errors: "all" } as const

let runCounter = 0
const newRunId = () => `run-${Date.now().toString(36)}-${(runCounter++).toString(36)}`

/**
 * Starts a run. With `full`, the run keeps per-step records and returns a {@link RunResult}; without, it returns the
 * outputs only (`Workflow.run`) and skips the records and clock reads nobody could see.
 */
const executeInternal = (
  wf: Any,
  input: unknown,
  options: ExecuteOptions | undefined,
  full: boolean
): Effect.Effect<unknown, unknown, unknown> =>
  Effect.withFiber((fiber) => {
    // Spans cost a little per step: make them only when a real tracer is installed, unless asked explicitly.
    const clock = fiber.getRef(Clock.Clock)
    const spans = (options?.spans ?? fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer) ? StepSpans.of(fiber, clock) : undefined
    const emit = options?.onEvent
    const prices = fiber.getRef(Prices)
    // A budget of this run, charged inside whatever budget is around it.
    const gate = fiber.getRef(CallGate)
    const budget = options?.budget === undefined ? undefined : BudgetLedger.make(options.budget, {
      prices,
      defaultMaxTokens: options.budget.maxOutputTokens,
      parent: gate === noGate ? undefined : gate
    })
    const metrics = fiber.getRef(WorkflowMetrics.Enabled) ? WorkflowMetrics.forWorkflow(wf.name) : undefined
    const correlate = fiber.getRef(Correlation.Enabled)
    // The run id is visible only in the result, events, spans and log lines.
    const runId = options?.runId ?? (full || spans !== undefined || emit !== undefined || correlate ? newRunId() : "")
    const semconv = names(fiber.getRef(CurrentVersion))
    const state: RunState = makeRunState({
      runId,
      workflow: wf.name,
      clock,
      usageSink: fiber.getRef(StepUsage),
      reliabilitySink: fiber.getRef(ReliabilityEvents),
      runGraph,
      prices,
      semconv,
      signals: options?.signals
    }, {
      emit,
      records: full ? {} : undefined,
      spans,
      semaphore: options?.concurrency === undefined ? undefined : Semaphore.makeUnsafe(options.concurrency),
      budget,
      metrics,
      correlate,
      journal: undefined
    })
    // `Workflow.run` without events: no records, no clock reads, no generator; decode, then run the graph.
    let body = full || state.timed
      ? runBody(state, wf, input, full)
      : Effect.flatMap(decodeCached(wf, input), (decoded) => runGraph(state, wf, "", decoded, {}))
    if (correlate) body = Effect.provideService(body, Correlation.CurrentStep, { runId, workflow: wf.name, stepId: undefined })
    if (spans === undefined) return body
    body = withSpanEvents(state, body)
    const a = semconv.attributes
    return Effect.withSpan(body, `${semconv.operations.invokeWorkflow} ${wf.name}`, {
      attributes: {
        [a.operationName]: semconv.operations.invokeWorkflow,
        [a.workflowName]: wf.name,
        "workflow.name": wf.name,
        "workflow.run_id": runId
      },
      captureStackTrace: false
    })
  })

const statusOf = (exit: Exit.Exit<unknown, unknown>) => {
  if (exit._tag === "Success") return { status: "succeeded", failure: undefined } as const
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  return { status: failure === undefined ? "interrupted" : "failed", failure } as const
}

/**
 * The run with events, records or metrics: decode, `RunStarted`, the graph, `RunFinished`, and the `RunResult` with
 * `full`. Combinators rather than a generator: they cost less per run than a generator's start and resumptions.
 */
const runBody = (state: RunState, wf: Any, input: unknown, full: boolean): Effect.Effect<unknown, unknown, unknown> =>
  Effect.flatMap(decodeCached(wf, input), (decoded) => {
    const { clock, emit, runId, metrics } = state
    const startedAt = clock.currentTimeMillisUnsafe()
    emit?.({ _tag: "RunStarted", runId, workflow: wf.name, at: startedAt })
    let body: Effect.Effect<unknown, unknown, unknown> = runGraph(state, wf, "", decoded, {})
    if (emit !== undefined || metrics !== undefined) {
      body = Effect.onExit(body, (exit) => {
        const at = clock.currentTimeMillisUnsafe()
        const { status, failure } = statusOf(exit)
        const error = failure === undefined || failure._tag !== "Fail"
          ? undefined
          : String((failure.error as { message?: unknown }).message ?? failure.error)
        emit?.({ _tag: "RunFinished", runId, workflow: wf.name, at, status, durationMillis: at - startedAt, error })
        if (metrics === undefined) return Effect.void
        return Effect.withFiber((fiber) => {
          runFinished(state, metrics, fiber.context, status, failure, (at - startedAt) / 1000)
          return Effect.void
        })
      })
    }
    if (metrics !== undefined) body = Effect.andThen(runStarted(metrics), body)
    return full ? Effect.map(body, (outputs) => resultOf(state, wf, outputs, startedAt)) : body
  })

const noEntries: ReadonlyArray<UsageEntry> = []
const unpricedNone = { usd: 0, unpriced: [] } as const

/** The `RunResult` of a run that succeeded: its records, and the usage and cost summed over them. */
const resultOf = (state: RunState, wf: Any, outputs: unknown, startedAt: number): RunResult<unknown> => {
  const records = state.records!
  // Most runs make no priced call: no entry array, no cost estimate.
  let entries: Array<UsageEntry> | undefined
  for (const path in records) {
    const usage = records[path]!.usage
    if (usage !== undefined && usage.entries.length > 0) (entries ??= []).push(...usage.entries)
  }
  const usage = sumUsage(entries ?? noEntries)
  const cost = entries === undefined ? unpricedNone : costOf(state.prices, entries)
  const result: Mutable<RunResult<unknown>> = {
    runId: state.runId,
    workflow: wf.name,
    outputs,
    steps: records,
    startedAt,
    durationMillis: state.clock.currentTimeMillisUnsafe() - startedAt,
    usage,
    costUsd: cost.usd
  }
  if (cost.unpriced.length > 0) result.unpricedModels = cost.unpriced
  if (state.budget !== undefined) result.budget = state.budget.spend()
  return result
}

const runStarted = (metrics: WorkflowMetrics.Recorder) =>
  Effect.withFiber((fiber) => {
    metrics.started.updateUnsafe(1, fiber.context)
    metrics.inFlight.modifyUnsafe(1, fiber.context)
    return Effect.void
  })

const runFinished = (
  state: RunState,
  metrics: WorkflowMetrics.Recorder,
  context: Context.Context<never>,
  status: string,
  failure: Cause.Reason<unknown> | undefined,
  seconds: number
) => {
  metrics.inFlight.modifyUnsafe(-1, context)
  metrics.finished(status).updateUnsafe(1, context)
  metrics.duration(status).updateUnsafe(seconds, context)
  // the conventions' own workflow duration, in the versions that have one
  const genAi = state.semconv.metrics.workflowDuration
  if (genAi !== undefined) {
    const error = failure !== undefined && failure._tag === "Fail" ? (failure.error as { _tag?: unknown })._tag : undefined
    metrics.invokeDuration(state.semconv, status === "succeeded" ? undefined : error === undefined ? "_OTHER" : String(error))
      .updateUnsafe(seconds, context)
  }
}

/**
 * Runs a workflow and returns the typed record of all its outputs.
 *
 * @example
 * ```ts
 * const outputs = yield* Workflow.run(rag, { query: "what is effect?" })
 * outputs.answer
 * ```
 */
export const run = <W extends Any>(
  workflow: W,
  input: EncodedInputOf<W>,
  options?: ExecuteOptions
): Effect.Effect<OutputsOf<W>, WorkflowInputError | StepFailedWith<ErrorOf<W>>, RequirementsOf<W>> =>
  executeInternal(workflow, input, options, false) as any

/**
 * Runs a workflow and returns its outputs with a record per step (status, attempts, start, duration).
 *
 * @example
 * ```ts
 * const result = yield* Workflow.execute(rag, { query: "hi" }, { concurrency: 4, onEvent: (e) => console.log(e._tag) })
 * result.steps["answer"]?.durationMillis
 * ```
 */
export const execute = <W extends Any>(
  workflow: W,
  input: EncodedInputOf<W>,
  options?: ExecuteOptions
): Effect.Effect<RunResult<OutputsOf<W>, StepPathsOf<W>>, WorkflowInputError | StepFailedWith<ErrorOf<W>>, RequirementsOf<W>> =>
  executeInternal(workflow, input, options, true) as any

/**
 * The events of a run as a Stream; the stream fails with the run's error after emitting `RunFinished`.
 *
 * @example
 * ```ts
 * const events = yield* Stream.runCollect(Workflow.events(wf, input))
 * ```
 */
export const events = <W extends Any>(
  workflow: W,
  input: EncodedInputOf<W>,
  options?: Omit<ExecuteOptions, "onEvent">
): Stream.Stream<WorkflowEvent, WorkflowInputError | StepFailedWith<ErrorOf<W>>, RequirementsOf<W>> =>
  Stream.callback<WorkflowEvent, RunError<W>, RequirementsOf<W>>((queue) =>
    Effect.forkScoped(
      executeInternal(workflow, input, {
        ...options,
        onEvent: (event) => {
          Queue.offerUnsafe(queue, event)
        }
      }, false).pipe(
        Effect.matchCauseEffect({
          onSuccess: () => Queue.end(queue),
          onFailure: (cause) => Queue.failCause(queue, cause as any)
        })
      ) as Effect.Effect<unknown, never, RequirementsOf<W>>
    )
  )

/**
 * A readable name for a required service: its `key` (class services and our provider keys carry one).
 *
 * @example
 * ```ts
 * type N = Workflow.ServiceName<LlmProviderFor<"anthropic">> // "Llm/anthropic"
 * ```
 */
export type ServiceName<S> = S extends { readonly key: infer K extends string } ? K : "an unnamed service"

/**
 * The message shown when a Layer does not cover a workflow's requirements.
 *
 * @example
 * ```ts
 * // Workflow.runWith(wf, input, OpenAiLive) where wf also calls Llm.generate({ provider: "anthropic", ... })
 * // fails to compile with "Missing provider(s): Llm/anthropic"
 * ```
 */
export type MissingProviders<Missing> = `Missing provider(s): ${Join<ServiceName<Missing>>}`

/**
 * Runs a workflow with a Layer that must supply every service it requires; otherwise the compiler reports
 * `Missing provider(s): Llm/anthropic`.
 *
 * @example
 * ```ts
 * const outputs = yield* Workflow.runWith(rag, { query: "hi" }, Layer.mergeAll(OpenAiLive, AnthropicLive))
 * ```
 */
export const runWith = <W extends Any, ROut, LE, LR>(
  workflow: W,
  input: EncodedInputOf<W>,
  layer: [Exclude<RequirementsOf<W>, ROut>] extends [never] ? Layer.Layer<ROut, LE, LR>
    : MissingProviders<Exclude<RequirementsOf<W>, ROut>>,
  options?: ExecuteOptions
): Effect.Effect<OutputsOf<W>, WorkflowInputError | StepFailedWith<ErrorOf<W>> | LE, LR> =>
  Effect.provide(run(workflow, input, options), layer as Layer.Layer<ROut, LE, LR>) as any

/**
 * Like {@link runWith}, returning the full {@link RunResult}.
 *
 * @example
 * ```ts
 * const result = yield* Workflow.executeWith(rag, { query: "hi" }, MockLlm.layer("openai", { text: "ok" }))
 * ```
 */
export const executeWith = <W extends Any, ROut, LE, LR>(
  workflow: W,
  input: EncodedInputOf<W>,
  layer: [Exclude<RequirementsOf<W>, ROut>] extends [never] ? Layer.Layer<ROut, LE, LR>
    : MissingProviders<Exclude<RequirementsOf<W>, ROut>>,
  options?: ExecuteOptions
): Effect.Effect<RunResult<OutputsOf<W>, StepPathsOf<W>>, WorkflowInputError | StepFailedWith<ErrorOf<W>> | LE, LR> =>
  Effect.provide(execute(workflow, input, options), layer as Layer.Layer<ROut, LE, LR>) as any

/**
 * Running workflows: decode the input, run the graph, report events, collect per-step records.
 */
import { Clock, Effect, Queue, Schema, SchemaIssue, Semaphore, Stream, Tracer } from "effect"
import type { Layer } from "effect"
import type { Any, EncodedInputOf, ErrorOf, OutputsOf, RequirementsOf } from "../../dsl/Workflow.ts"
import type { Join } from "../../dsl/types.ts"
import { type StepFailedWith, WorkflowInputError } from "./errors.ts"
import type { WorkflowEvent } from "./events.ts"
import { type ExecuteOptions, runGraph, type RunState } from "./execute.ts"
import { StepUsage, sumUsage } from "../llm/Usage.ts"
import type { RunResult, StepRecord } from "./RunResult.ts"

export type { ExecuteOptions } from "./execute.ts"

/** The error of running workflow `W`: bad input, or a step that failed (carrying the step's typed error). */
export type RunError<W> = WorkflowInputError | StepFailedWith<ErrorOf<W>>

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const pathOf = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string => {
  if (path === undefined || path.length === 0) return "(root)"
  let out = ""
  for (const segment of path) {
    const key = typeof segment === "object" ? segment.key : segment
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`
  }
  return out
}

/** Decodes a run input with the workflow's input Schema, reporting every bad field. */
export const decodeInput = (wf: { readonly name: string; readonly input: Schema.Top }, input: unknown) =>
  Schema.decodeUnknownEffect(wf.input as Schema.Codec<unknown, unknown>)(input, { errors: "all" }).pipe(
    Effect.mapError((error) => {
      const issues = formatter(error.issue).issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message }))
      const detail = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")
      return new WorkflowInputError({ workflow: wf.name, message: `Invalid input for workflow '${wf.name}': ${detail}`, issues })
    })
  )

let runCounter = 0
const newRunId = () => `run-${Date.now().toString(36)}-${(runCounter++).toString(36)}`

const executeInternal = (wf: Any, input: unknown, options: ExecuteOptions | undefined) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    // Spans cost a little per step: make them only when a real tracer is installed, unless asked explicitly.
    const spans = options?.spans ?? (yield* Tracer.Tracer) !== Tracer.nativeTracer
    const runId = options?.runId ?? newRunId()
    const emit = options?.onEvent
    const records: Record<string, StepRecord> = {}
    const state: RunState = {
      runId,
      workflow: wf.name,
      clock,
      emit,
      semaphore: options?.concurrency === undefined ? undefined : yield* Semaphore.make(options.concurrency),
      spans,
      records,
      usageSink: yield* StepUsage
    }
    const body = Effect.gen(function*() {
      const decoded = yield* decodeInput(wf, input)
      const startedAt = clock.currentTimeMillisUnsafe()
      emit?.({ _tag: "RunStarted", runId, workflow: wf.name, at: startedAt })
      const outputs = yield* runGraph(state, wf, "", decoded, {}).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            if (emit === undefined) return
            const at = clock.currentTimeMillisUnsafe()
            if (exit._tag === "Success") {
              emit({ _tag: "RunFinished", runId, workflow: wf.name, at, status: "succeeded", durationMillis: at - startedAt })
            } else {
              const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
              emit({
                _tag: "RunFinished",
                runId,
                workflow: wf.name,
                at,
                status: failure === undefined ? "interrupted" : "failed",
                durationMillis: at - startedAt,
                error: failure === undefined ? undefined : String((failure.error as { message?: unknown }).message ?? failure.error)
              })
            }
          })
        )
      )
      const result: RunResult<unknown> = {
        runId,
        workflow: wf.name,
        outputs,
        steps: records,
        startedAt,
        durationMillis: clock.currentTimeMillisUnsafe() - startedAt,
        usage: sumUsage(Object.values(records).flatMap((r) => r.usage?.entries ?? []))
      }
      return result
    })
    return yield* (spans
      ? Effect.withSpan(body, `workflow.run ${wf.name}`, { attributes: { "workflow.name": wf.name, "workflow.run_id": runId } })
      : body)
  })

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
): Effect.Effect<OutputsOf<W>, RunError<W>, RequirementsOf<W>> =>
  Effect.map(executeInternal(workflow, input, options), (result) => result.outputs) as any

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
): Effect.Effect<RunResult<OutputsOf<W>>, RunError<W>, RequirementsOf<W>> => executeInternal(workflow, input, options) as any

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
): Stream.Stream<WorkflowEvent, RunError<W>, RequirementsOf<W>> =>
  Stream.callback<WorkflowEvent, RunError<W>, RequirementsOf<W>>((queue) =>
    Effect.forkScoped(
      executeInternal(workflow, input, {
        ...options,
        onEvent: (event) => {
          Queue.offerUnsafe(queue, event)
        }
      }).pipe(
        Effect.matchCauseEffect({
          onSuccess: () => Queue.end(queue),
          onFailure: (cause) => Queue.failCause(queue, cause as any)
        })
      ) as Effect.Effect<unknown, never, RequirementsOf<W>>
    )
  )

/** A readable name for a required service: its `key` (class services and our provider keys carry one). */
export type ServiceName<S> = S extends { readonly key: infer K extends string } ? K : "an unnamed service"

/** The message shown when a Layer does not cover a workflow's requirements. */
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
): Effect.Effect<OutputsOf<W>, RunError<W> | LE, LR> =>
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
): Effect.Effect<RunResult<OutputsOf<W>>, RunError<W> | LE, LR> =>
  Effect.provide(execute(workflow, input, options), layer as Layer.Layer<ROut, LE, LR>) as any

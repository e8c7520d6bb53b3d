/**
 * The run pipeline every front end calls (the CLI, the REST server, workers): load a YAML workflow, validate it, check
 * the input, interpret it (with mocks and custom actions), resolve its providers and stores from the catalogue and
 * configuration, run it through the engine, and report. Each stage fails with a typed error of
 * {@link PipelineError}; a run that ends reports every step's state.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline } from "llm-orchestrator/pipeline"
 * const report = yield* Pipeline.runFile("examples/sentiment-analysis.yaml", {
 *   input: { text: "I love it" },
 *   env: process.env
 * })
 * report.outputs // { sentiment: "positive", response: "..." }
 * ```
 */
import { Cause, Effect, Exit, Layer, type Redacted } from "effect"
import { type Analysis, type AnalyzeOptions, analyzeFile } from "../../codegen/analyze.ts"
import { formatDiagnostic } from "../../codegen/Diagnostic.ts"
import { closest } from "../../codegen/didYouMean.ts"
import type { Budget } from "../budget/Budget.ts"
import type { WorkflowEvent } from "../engine/events.ts"
import type { RunResult } from "../engine/RunResult.ts"
import { execute as executeGraph } from "../engine/run.ts"
import { type ActionHandler, type Interpreted, interpret } from "../yaml/interpret.ts"
import { InputInvalid, type PipelineError, RunFailed, RunInterrupted, WorkflowInvalid } from "./PipelineError.ts"
import { type RunReport, stepTracker } from "./RunReport.ts"
import * as Catalogue from "../providers/catalogue/Catalogue.ts"
import * as Services from "./Services.ts"

/** How a workflow is interpreted: mocked step outputs, custom actions, what unmocked steps do, where `log` writes. */
export interface PrepareOptions {
  readonly mocks?: Readonly<Record<string, unknown>> | undefined
  readonly actions?: Readonly<Record<string, ActionHandler>> | undefined
  /** "fail": unmocked steps fail when they run instead of needing services (test cases). */
  readonly unmocked?: "call" | "fail" | undefined
  /** Actions that run when unmocked even with `unmocked: "fail"` (a test's own custom actions). */
  readonly runUnmocked?: ReadonlyArray<string> | undefined
  readonly onLog?: ((line: string) => void) | undefined
}

/** Everything a run takes besides the file. */
export interface RunOptions extends PrepareOptions, Services.ServicesOptions {
  readonly input: unknown
  readonly onEvent?: ((event: WorkflowEvent) => void) | undefined
  /** Engine-wide limit on steps (and map items, loop bodies) running at once. */
  readonly concurrency?: number | undefined
  /** When this completes (with a reason such as "SIGINT"), the run is interrupted and fails with `RunInterrupted`. */
  readonly interrupt?: Effect.Effect<string> | undefined
  /** Receives the secret values the services were built with, before the run starts (to redact them from logs). */
  readonly onSecrets?: ((secrets: ReadonlyArray<Redacted.Redacted<string>>) => void) | undefined
  readonly analyze?: AnalyzeOptions | undefined
  /** Spending limits of the run; default: the file's `budget`. */
  readonly budget?: Budget | undefined
}

/** The run budget a workflow file declares (`budget: { usd, tokens, max_output_tokens }`). */
export const budgetOf = (analysis: Analysis): Budget | undefined => {
  const b = analysis.workflow?.budget
  if (b === undefined) return undefined
  return {
    ...(b.usd === undefined ? {} : { usd: b.usd }),
    ...(b.tokens === undefined ? {} : { tokens: b.tokens }),
    ...(b.max_output_tokens === undefined ? {} : { maxOutputTokens: b.max_output_tokens })
  }
}

/** Reads and analyses a workflow file; its errors (file:line:col) fail with `WorkflowInvalid`. */
export const load = (file: string, options: AnalyzeOptions = {}): Effect.Effect<Analysis, WorkflowInvalid> =>
  Effect.suspend(() => {
    const analysis = analyzeFile(file, options)
    const errors = analysis.diagnostics.filter((d) => d.severity === "error")
    return errors.length > 0 ? Effect.fail(new WorkflowInvalid({ file, problems: errors.map(formatDiagnostic) })) : Effect.succeed(analysis)
  })

/** Checks that `input` is an object naming only the workflow's inputs (with a did-you-mean for misspelt names). */
export const checkInput = (analysis: Analysis, input: unknown): Effect.Effect<Readonly<Record<string, unknown>>, InputInvalid> => {
  const known = [...analysis.inputs.keys()]
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return Effect.fail(new InputInvalid({ problems: [`input must be a JSON object, e.g. {"${known[0] ?? "text"}": "..."}`] }))
  }
  const unknown = Object.keys(input).filter((k) => !analysis.inputs.has(k))
  if (unknown.length === 0) return Effect.succeed(input as Record<string, unknown>)
  return Effect.fail(
    new InputInvalid({
      problems: unknown.map((k) => {
        const near = closest(k, known)
        return `unknown input "${k}"${near !== undefined ? ` (did you mean "${near}"?)` : ""}; inputs: ${known.join(", ") || "none"}`
      })
    })
  )
}

/** Interprets an analysed workflow into a runnable one; unknown mock ids and unsupplied actions fail with `WorkflowInvalid`. */
export const prepare = (analysis: Analysis, options: PrepareOptions = {}): Effect.Effect<Interpreted, WorkflowInvalid> =>
  Effect.suspend(() => {
    let interpreted: Interpreted
    try {
      interpreted = interpret(analysis, { mocks: options.mocks, actions: options.actions, onLog: options.onLog, unmocked: options.unmocked, runUnmocked: options.runUnmocked })
    } catch (e) {
      return Effect.fail(new WorkflowInvalid({ file: analysis.file, problems: [e instanceof Error ? e.message : String(e)] }))
    }
    return interpreted.problems.length > 0
      ? Effect.fail(new WorkflowInvalid({ file: analysis.file, problems: [...interpreted.problems] }))
      : Effect.succeed(interpreted)
  })

const messageOf = (e: unknown): string => {
  if (e !== null && typeof e === "object") {
    const o = e as { message?: unknown; cause?: unknown }
    const inner = o.cause !== undefined && o.cause !== null && typeof o.cause === "object" ? messageOf(o.cause) : ""
    const own = typeof o.message === "string" ? o.message : String(e)
    return inner !== "" && !own.includes(inner) ? `${own}: ${inner}` : own
  }
  return String(e)
}

/**
 * Runs an interpreted workflow with the services in `layer`: the outputs and step states, or `RunFailed` /
 * `RunInterrupted` (the run fiber is interrupted, its finalizers run, and the steps say what finished).
 */
export const execute = (
  interpreted: Interpreted,
  input: Readonly<Record<string, unknown>>,
  layer: Layer.Layer<any, any, never>,
  options: Pick<RunOptions, "onEvent" | "concurrency" | "interrupt" | "budget"> = {}
): Effect.Effect<RunReport, RunFailed | RunInterrupted> =>
  Effect.gen(function*() {
    const tracker = stepTracker()
    const onEvent = (e: WorkflowEvent) => {
      tracker.onEvent(e)
      options.onEvent?.(e)
    }
    const run = Effect.exit(
      (executeGraph(interpreted.workflow, input as never, {
        onEvent,
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(options.budget !== undefined ? { budget: options.budget } : {})
      }) as Effect.Effect<RunResult<Record<string, unknown>>, unknown, unknown>).pipe(
        Effect.provide(layer as Layer.Layer<unknown>)
      ) as Effect.Effect<RunResult<Record<string, unknown>>, unknown>
    )
    // The race interrupts the run fiber and waits for its finalizers before the outcome is reported.
    const raced = yield* Effect.raceFirst(
      Effect.map(run, (exit) => ({ _tag: "Done", exit }) as const),
      Effect.map(options.interrupt ?? Effect.never, (reason) => ({ _tag: "Interrupted", reason }) as const)
    )
    if (raced._tag === "Interrupted") {
      return yield* new RunInterrupted({ reason: raced.reason, steps: tracker.snapshot(true), durationMillis: tracker.elapsed() })
    }
    const exit = raced.exit
    if (Exit.isSuccess(exit)) {
      const result = exit.value
      const outputs = (result.outputs["_outputs"] ?? {}) as Record<string, unknown>
      const steps = tracker.snapshot()
      // the cost of each step that called a model, from the engine's records
      for (const [id, record] of Object.entries(result.steps)) {
        const step = steps[id]
        if (step !== undefined && record?.costUsd !== undefined) steps[id] = { ...step, costUsd: record.costUsd }
      }
      return {
        outputs,
        steps,
        durationMillis: result.durationMillis,
        usage: { inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens, calls: result.usage.calls },
        costUsd: result.costUsd,
        ...(result.budget === undefined ? {} : { budget: result.budget })
      }
    }
    const failure = Cause.squash(exit.cause)
    const tag = failure !== null && typeof failure === "object" && "_tag" in failure ? String(failure._tag) : "Defect"
    return yield* new RunFailed({
      errorTag: tag,
      message: messageOf(failure),
      inputError: tag === "WorkflowInputError" || tag === "WorkflowDefinitionError",
      steps: tracker.snapshot(),
      durationMillis: tracker.elapsed()
    })
  })

/** Provider names the config and added catalogue entries make valid in workflows (beyond the built-in catalogue). */
export const providerNames = (options: Services.ServicesOptions) => {
  const table = [...Catalogue.entries, ...(options.catalogue ?? [])]
  const named = (kind: "llm" | "embeddings") => [
    ...Catalogue.ids(kind, options.catalogue ?? []),
    ...Object.entries(options.providers ?? {}).filter(([name, c]) => Catalogue.find(kind, c.use ?? name, table) !== undefined).map(([name]) => name)
  ]
  return { llm: named("llm"), embeddings: named("embeddings") }
}

/** The whole pipeline for one YAML file: load, validate, check the input, interpret, resolve services, run, report. */
export const runFile = (file: string, options: RunOptions): Effect.Effect<RunReport, PipelineError> =>
  Effect.gen(function*() {
    const analysis = yield* load(file, { ...options.analyze, providers: providerNames(options) })
    const input = yield* checkInput(analysis, options.input)
    const interpreted = yield* prepare(analysis, options)
    const services = yield* Services.resolve(interpreted.requirements, options)
    options.onSecrets?.(services.secrets)
    const budget = options.budget ?? budgetOf(analysis)
    return yield* execute(interpreted, input, services.layer, budget === undefined ? options : { ...options, budget })
  }).pipe(Effect.scoped)

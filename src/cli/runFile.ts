/**
 * Runs one YAML workflow file through the engine: validate, decode the input, interpret (with mocks), check that every
 * unmocked service can be supplied, execute, and report what happened. Shared by `run` and `test`.
 *
 * @example
 * ```ts
 * const outcome = yield* runFile({ file: "examples/sentiment-analysis.yaml", input: { text: "hi" }, mocks })
 * outcome._tag // "Succeeded" | "Failed" | "Invalid"
 * ```
 */
import { Cause, Effect, Exit, Layer } from "effect"
import { analyzeFile } from "../../codegen/analyze.ts"
import { formatDiagnostic } from "../../codegen/Diagnostic.ts"
import { closest } from "../../codegen/didYouMean.ts"
import { execute } from "../engine/run.ts"
import type { WorkflowEvent } from "../engine/events.ts"
import { type ActionHandler, interpret } from "../yaml/interpret.ts"
import type { Signal } from "./Interrupt.ts"
import { liveLayer } from "./liveLayer.ts"

export interface StepStatus {
  readonly stepId: string
  readonly status: "running" | "succeeded" | "failed" | "skipped" | "interrupted"
  readonly attempts: number
  readonly durationMillis: number
  readonly error?: string
}

export type RunOutcome =
  | { readonly _tag: "Invalid"; readonly messages: ReadonlyArray<string> }
  | {
    readonly _tag: "Failed"
    readonly errorTag: string
    readonly message: string
    /** Bad input is a definition/input problem (exit 2), anything else a workflow failure (exit 1). */
    readonly inputError: boolean
    readonly steps: ReadonlyMap<string, StepStatus>
  }
  | {
    /** A stop signal interrupted the run: its steps' finalizers ran; `steps` says which finished and which were cut. */
    readonly _tag: "Interrupted"
    readonly signal: Signal
    readonly steps: ReadonlyMap<string, StepStatus>
    readonly durationMillis: number
  }
  | {
    readonly _tag: "Succeeded"
    readonly outputs: Readonly<Record<string, unknown>>
    readonly steps: ReadonlyMap<string, StepStatus>
    readonly durationMillis: number
  }

export interface RunRequest {
  readonly file: string
  readonly input: unknown
  readonly mocks?: Readonly<Record<string, unknown>> | undefined
  readonly actions?: Readonly<Record<string, ActionHandler>> | undefined
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  readonly onEvent?: ((event: WorkflowEvent) => void) | undefined
  readonly onLog?: ((line: string) => void) | undefined
  /** Engine-wide limit on steps (and map items, loop bodies) running at once. */
  readonly concurrency?: number | undefined
  /** "fail": unmocked steps fail when they run instead of needing services (test cases). */
  readonly unmocked?: "call" | "fail" | undefined
  /** When this completes, the run is interrupted and the outcome is `Interrupted`. */
  readonly interrupt?: Effect.Effect<Signal> | undefined
}

const messageOf = (e: unknown): string => {
  if (e !== null && typeof e === "object") {
    const o = e as { message?: unknown; cause?: unknown; _tag?: unknown }
    const inner = o.cause !== undefined && o.cause !== null && typeof o.cause === "object" ? messageOf(o.cause) : ""
    const own = typeof o.message === "string" ? o.message : String(e)
    return inner !== "" && !own.includes(inner) ? `${own}: ${inner}` : own
  }
  return String(e)
}

/** Validates, interprets and runs one YAML workflow file; returns the outcome instead of failing. */
export const runFile = (req: RunRequest): Effect.Effect<RunOutcome> =>
  Effect.gen(function*() {
    const analysis = analyzeFile(req.file)
    const errors = analysis.diagnostics.filter((d) => d.severity === "error")
    if (errors.length > 0) return { _tag: "Invalid", messages: errors.map(formatDiagnostic) } as const
    if (req.input === null || typeof req.input !== "object" || Array.isArray(req.input)) {
      return { _tag: "Invalid", messages: [`input must be a JSON object, e.g. {"${[...analysis.inputs.keys()][0] ?? "text"}": "..."}`] } as const
    }
    const known = [...analysis.inputs.keys()]
    const unknownInputs = Object.keys(req.input).filter((k) => !analysis.inputs.has(k))
    if (unknownInputs.length > 0) {
      return {
        _tag: "Invalid",
        messages: unknownInputs.map((k) => {
          const near = closest(k, known)
          return `unknown input "${k}"${near !== undefined ? ` (did you mean "${near}"?)` : ""}; inputs: ${known.join(", ") || "none"}`
        })
      } as const
    }
    let interpreted
    try {
      interpreted = interpret(analysis, { mocks: req.mocks, actions: req.actions, onLog: req.onLog, unmocked: req.unmocked })
    } catch (e) {
      return { _tag: "Invalid", messages: [e instanceof Error ? e.message : String(e)] } as const
    }
    if (interpreted.problems.length > 0) return { _tag: "Invalid", messages: [...interpreted.problems] } as const
    const live = liveLayer(interpreted.requirements, req.env ?? {})
    if (live._tag === "Missing") return { _tag: "Invalid", messages: [...live.problems] } as const

    const steps = new Map<string, StepStatus>()
    const onEvent = (e: WorkflowEvent) => {
      // `_outputs` is the engine's internal step that collects the workflow outputs: not a step of the user's file.
      if ("stepId" in e && e.stepId === "_outputs") return
      switch (e._tag) {
        case "StepStarted":
          steps.set(e.stepId, { stepId: e.stepId, status: "running", attempts: 1, durationMillis: 0 })
          break
        case "StepSucceeded":
          steps.set(e.stepId, { stepId: e.stepId, status: "succeeded", attempts: e.attempts, durationMillis: e.durationMillis })
          break
        case "StepFailed":
          steps.set(
            e.stepId,
            e.interrupted
              ? { stepId: e.stepId, status: "interrupted", attempts: e.attempts, durationMillis: e.durationMillis }
              : { stepId: e.stepId, status: "failed", attempts: e.attempts, durationMillis: e.durationMillis, error: e.error }
          )
          break
        case "StepSkipped":
          steps.set(e.stepId, { stepId: e.stepId, status: "skipped", attempts: 0, durationMillis: 0 })
          break
      }
      req.onEvent?.(e)
    }
    const started = Date.now()
    const run = Effect.exit(
      (execute(interpreted.workflow, req.input as never, { onEvent, ...(req.concurrency !== undefined ? { concurrency: req.concurrency } : {}) }) as Effect.Effect<
        { outputs: Record<string, unknown>; durationMillis: number },
        unknown,
        unknown
      >).pipe(Effect.provide(live.layer as Layer.Layer<unknown>)) as Effect.Effect<
        { outputs: Record<string, unknown>; durationMillis: number },
        unknown
      >
    )
    // The race interrupts the run fiber and waits for its finalizers before the outcome is reported.
    const raced = yield* Effect.raceFirst(
      Effect.map(run, (exit) => ({ _tag: "Done", exit }) as const),
      Effect.map(req.interrupt ?? Effect.never, (signal) => ({ _tag: "Signal", signal }) as const)
    )
    if (raced._tag === "Signal") {
      // Steps still marked running when the run was cut were interrupted (the engine may not report each one).
      for (const [id, st] of steps) if (st.status === "running") steps.set(id, { ...st, status: "interrupted", durationMillis: Date.now() - started })
      return { _tag: "Interrupted", signal: raced.signal, steps, durationMillis: Date.now() - started } as const
    }
    const exit = raced.exit
    if (Exit.isSuccess(exit)) {
      const outputs = (exit.value.outputs["_outputs"] ?? {}) as Record<string, unknown>
      return { _tag: "Succeeded", outputs, steps, durationMillis: exit.value.durationMillis } as const
    }
    const failure = Cause.squash(exit.cause)
    const tag = failure !== null && typeof failure === "object" && "_tag" in failure ? String(failure._tag) : "Defect"
    return {
      _tag: "Failed",
      errorTag: tag,
      message: messageOf(failure),
      inputError: tag === "WorkflowInputError" || tag === "WorkflowDefinitionError",
      steps
    } as const
  })

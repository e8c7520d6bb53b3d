/**
 * Failover: an ordered list of providers/models, each with its own attempts and schedule, run as an effect
 * `ExecutionPlan`. The plan moves to the next step only for provider failures (retryable errors and open circuits);
 * a bad request fails at once. Every move is a `Failover` event and counts in `llm_failovers_total`, and
 * {@link run} returns which step served the call and the failovers on the way, for the run result.
 *
 * @example
 * ```ts
 * import { Context } from "effect"
 * import { LanguageModel } from "effect/ai"
 * import { Failover } from "llm-orchestrator/reliability"
 * const served = yield* Failover.run([
 *   { name: "openai/gpt-4o", provide: Context.make(LanguageModel.LanguageModel, openai), attempts: 2 },
 *   { name: "anthropic/claude-sonnet-4-5", provide: Context.make(LanguageModel.LanguageModel, claude) }
 * ], LanguageModel.generateText({ prompt: "hi" }))
 * served.value.text; served.servedBy; served.failovers   // [{ from: "openai/gpt-4o", to: "anthropic/...", error }]
 * ```
 */
import { Cause, type Context, Effect, ExecutionPlan, type Layer, Metric, type Schedule } from "effect"
import type { LlmError } from "../llm/LlmError.ts"
import { classify } from "../providers/ErrorMapping.ts"
import { isCircuitOpen } from "./CircuitOpen.ts"
import * as ReliabilityEvent from "./ReliabilityEvent.ts"
import * as ReliabilityMetrics from "./ReliabilityMetrics.ts"
import { shouldRetry } from "./Retry.ts"

/**
 * One step of a failover list: a name (for events and results) and what it provides.
 *
 * @example
 * ```ts
 * const primary: Failover.Step<LanguageModel.LanguageModel> = { name: "openai", provide: OpenAi.layer(options), attempts: 2 }
 * ```
 */
export interface Step<S> {
  readonly name: string
  readonly provide: Context.Context<S> | Layer.Layer<S>
  /** Attempts on this step before moving on (default 1; the step's own policy may retry inside each attempt). */
  readonly attempts?: number | undefined
  /** Delay between this step's attempts. */
  readonly schedule?: Schedule.Schedule<any, unknown> | undefined
}

/**
 * One move to the next step.
 *
 * @example
 * ```ts
 * served.failovers.map((f: Failover.FailoverRecord) => `${f.from} -> ${f.to}: ${f.error?._tag}`)
 * ```
 */
export interface FailoverRecord {
  readonly from: string
  readonly to: string
  readonly error: LlmError | undefined
}

/**
 * A result and how it was obtained.
 *
 * @example
 * ```ts
 * const served: Failover.Served<string> = yield* Failover.run(steps, LanguageModel.generateText({ prompt: "hi" }).pipe(Effect.map((r) => r.text)))
 * served.servedBy // name of the step that answered
 * ```
 */
export interface Served<A> {
  readonly value: A
  /** Name of the step that served the call. */
  readonly servedBy: string
  readonly failovers: ReadonlyArray<FailoverRecord>
  /** Attempts over all steps. */
  readonly attempts: number
}

/**
 * True when moving to another provider may help (provider failures, not bad requests).
 *
 * @example
 * ```ts
 * Failover.shouldFailover(new InvalidRequest({ provider: "openai", message: "bad" })) // false
 * ```
 */
export const shouldFailover = (error: unknown): boolean => isCircuitOpen(error) || shouldRetry(error)

/**
 * Runs `self` over `steps` in order; see the module doc.
 *
 * @example
 * ```ts
 * const { value, servedBy, failovers } = yield* Failover.run([primaryStep, backupStep], LanguageModel.generateText({ prompt }))
 * ```
 */
export const run = <S, A, E, R>(
  steps: readonly [Step<S>, ...Array<Step<S>>],
  self: Effect.Effect<A, E, R>
): Effect.Effect<Served<A>, E, Exclude<R, S>> =>
  Effect.suspend(() => {
    const failovers: Array<FailoverRecord> = []
    let current = 0
    let attempts = 0
    let lastError: LlmError | undefined
    const plan = ExecutionPlan.make(
      ...(steps.map((s) => ({
        provide: s.provide,
        attempts: s.attempts ?? 1,
        while: (e: unknown) => shouldFailover(e),
        ...(s.schedule === undefined ? {} : { schedule: s.schedule })
      })) as unknown as [ExecutionPlan.make.Step])
    )
    const onEvent = (event: ExecutionPlan.Event<unknown>) =>
      Effect.gen(function*() {
        if (event._tag === "AttemptStart") {
          attempts++
          if (event.stepIndex !== current) {
            const record = { from: steps[current]!.name, to: steps[event.stepIndex]!.name, error: lastError }
            failovers.push(record)
            current = event.stepIndex
            yield* ReliabilityEvent.emit({ _tag: "Failover", ...record })
            yield* Metric.update(ReliabilityMetrics.failovers.pipe(Metric.withAttributes({ from: record.from, to: record.to })), 1)
          }
        } else if (event._tag === "AttemptFailure") {
          const failure = Cause.findErrorOption(event.cause)
          lastError = failure._tag === "Some" ? classify(failure.value) : undefined
        }
      })
    return Effect.withExecutionPlan(self as Effect.Effect<A, any, any>, plan as any, { onEvent }).pipe(
      Effect.map((value): Served<A> => ({ value, servedBy: steps[current]!.name, failovers, attempts }))
    ) as Effect.Effect<Served<A>, E, Exclude<R, S>>
  })

/**
 * Like {@link run} but returns only the value.
 *
 * @example
 * ```ts
 * LanguageModel.generateText({ prompt }).pipe(Failover.withFailover([primaryStep, backupStep]))
 * ```
 */
export const withFailover = <S>(steps: readonly [Step<S>, ...Array<Step<S>>]) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, S>> =>
  Effect.map(run(steps, self), (s) => s.value)

/**
 * Timeout and retry on one LLM call (`Llm.generate({ ..., timeout, retry })`), for calls made inside a loop
 * iteration or a map item, where a step's own `timeout`/`retry` would cover the whole step. A late call fails with
 * the same `StepTimeout` a step's timeout gives, so one error type covers both.
 *
 * @example
 * ```ts
 * const critique = Llm.generate({ ...main, prompt, timeout: "10 seconds", retry: { times: 2 } })
 * // Effect<string, LlmError | StepTimeout, LlmProvider<"main">>
 * ```
 */
import { Duration, Effect, Schedule, Stream } from "effect"
import { StepTimeout } from "../../dsl/errors.ts"
import type { RetryOptions } from "../../dsl/Node.ts"
import { CurrentStep } from "../telemetry/Correlation.ts"
import { isRetryable } from "./LlmError.ts"

/**
 * The per-call policy fields of the `Llm` helpers.
 *
 * @example
 * ```ts
 * const policy: CallPolicy<"10 seconds"> = { timeout: "10 seconds", retry: { schedule: Schedule.exponential("200 millis"), times: 3 } }
 * ```
 */
export interface CallPolicy<T extends Duration.Input | undefined = undefined> {
  /** Deadline of each attempt of the call; a late attempt fails with `StepTimeout` (which `retry` retries by default). */
  readonly timeout?: T
  /**
   * Retries of the call: a Schedule, or `{ schedule, times, while }`. Without `while`, only retryable failures
   * (`isRetryable`: rate limits, timeouts, unavailable providers) and this call's own timeouts are retried.
   */
  readonly retry?: Schedule.Schedule<unknown, unknown> | RetryOptions | undefined
}

/**
 * The error a call's `timeout` adds: `StepTimeout` when a timeout is given, nothing otherwise.
 *
 * @example
 * ```ts
 * type E = TimeoutErrorOf<"10 seconds"> // StepTimeout
 * type None = TimeoutErrorOf<undefined> // never
 * ```
 */
export type TimeoutErrorOf<T> = undefined extends T ? never : StepTimeout

const isSchedule = (u: unknown): u is Schedule.Schedule<unknown, unknown> =>
  typeof u === "object" && u !== null && !("while" in u) && !("times" in u) && !("schedule" in u)

const retryableByDefault = (e: unknown): boolean => e instanceof StepTimeout || isRetryable(e)

// The StepTimeout of a late call, naming the step it ran in when the run records one.
const timedOut = (label: string, timeoutMillis: number, what: string) =>
  Effect.flatMap(CurrentStep, (step) => {
    const where = step?.stepId === undefined ? "" : ` in step '${step.stepId}'`
    return Effect.fail(new StepTimeout({ stepId: step?.stepId ?? label, timeoutMillis, message: `LLM call ${label}${where} ${what} ${timeoutMillis} ms` }))
  })

/**
 * `effect` under `policy`: each attempt bounded by `timeout`, failed attempts retried by `retry`. `label` names the
 * call in the timeout message (the step path is added when the run records it).
 *
 * @example
 * ```ts
 * withCallPolicy({ timeout: "5 seconds" }, "main/gpt-4o-mini", provider.generateText(request))
 * ```
 */
export const withCallPolicy = <A, E, R>(
  policy: CallPolicy<Duration.Input | undefined>,
  label: string,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | StepTimeout, R> => {
  const { timeout, retry } = policy
  if (timeout === undefined && retry === undefined) return effect
  let once: Effect.Effect<A, E | StepTimeout, R> = effect
  if (timeout !== undefined) {
    const timeoutMillis = Duration.toMillis(Duration.fromInputUnsafe(timeout))
    once = Effect.timeoutOrElse(effect, { duration: timeoutMillis, orElse: () => timedOut(label, timeoutMillis, "timed out after") })
  }
  if (retry === undefined) return once
  const options = isSchedule(retry)
    ? { schedule: retry, while: retryableByDefault }
    : {
      ...(retry.schedule === undefined ? {} : { schedule: retry.schedule }),
      times: retry.times ?? (retry.schedule === undefined ? 1 : undefined),
      while: retry.while === undefined ? retryableByDefault : (e: unknown) => retry.while!(e)
    }
  return Effect.retry(once, options as any) as Effect.Effect<A, E | StepTimeout, R>
}

/**
 * `stream` under `policy`, for `Llm.stream`: `timeout` bounds each wait for the next delta (the first one included),
 * so a stalled stream fails with `StepTimeout` however long the whole answer takes; `retry` starts the stream again
 * only while it has emitted nothing (after the first delta a retry would repeat text the caller has already seen,
 * so a later failure is the caller's).
 *
 * @example
 * ```ts
 * withStreamPolicy({ timeout: "5 seconds", retry: { times: 2 } }, "main/gpt-4o-mini", provider.streamText(request))
 * ```
 */
export const withStreamPolicy = <A, E, R>(
  policy: CallPolicy<Duration.Input | undefined>,
  label: string,
  stream: Stream.Stream<A, E, R>
): Stream.Stream<A, E | StepTimeout, R> => {
  const { timeout, retry } = policy
  if (timeout === undefined && retry === undefined) return stream
  let once: Stream.Stream<A, E | StepTimeout, R> = stream
  if (timeout !== undefined) {
    const timeoutMillis = Duration.toMillis(Duration.fromInputUnsafe(timeout))
    once = Stream.timeoutOrElse(stream, {
      duration: timeoutMillis,
      orElse: () => Stream.fromEffect(timedOut(label, timeoutMillis, "sent nothing for")) as Stream.Stream<never, StepTimeout>
    })
  }
  if (retry === undefined) return once
  const schedule = isSchedule(retry) ? retry : retry.schedule
  const times = isSchedule(retry) ? undefined : retry.times ?? (retry.schedule === undefined ? 1 : undefined)
  const shouldRetry = isSchedule(retry) || retry.while === undefined ? retryableByDefault : (e: unknown) => retry.while!(e)
  return Stream.unwrap(Effect.map(Schedule.toStepWithSleep(schedule ?? Schedule.forever), (step) => {
    let emitted = false
    let retries = 0
    const attempt = (): Stream.Stream<A, E | StepTimeout, R> =>
      once.pipe(
        Stream.tap(() => Effect.sync(() => (emitted = true))),
        Stream.catch((e: E | StepTimeout) => {
          if (emitted || !shouldRetry(e) || (times !== undefined && retries >= times)) return Stream.fail(e)
          retries++
          // the schedule's delay, then a new attempt; an exhausted schedule gives the error back
          return Stream.unwrap(Effect.match(step(e), { onFailure: () => Stream.fail(e), onSuccess: () => attempt() }))
        })
      )
    return attempt()
  }))
}

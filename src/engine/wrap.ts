/**
 * What goes around each attempt of a node: output Schema validation, timeout and retries, built once per node (see
 * `Plan.wrap`).
 */
import { Cause, Duration, Effect, Exit, Schema } from "effect"
import type { Schedule } from "effect"
import { StepOutputError, StepTimeout } from "../../dsl/errors.ts"
import type { ItemPolicy, Node, RetryOptions } from "../../dsl/Node.ts"

const isSchedule = (u: unknown): u is Schedule.Schedule<unknown, unknown> =>
  typeof u === "object" && u !== null && !("while" in u) && !("times" in u) && !("schedule" in u)

const identity = (run: Effect.Effect<unknown, unknown, unknown>) => run

/** Builds, once per node, the function that adds timeout, output validation and retries around one attempt. */
export const wrapperOf = (node: Node) => {
  const { retry, timeout } = node.options
  const timeoutMillis = timeout === undefined ? undefined : durationMillis(timeout)
  const validate = node.output === undefined ? undefined : Schema.decodeUnknownExit(Schema.toType(node.output as Schema.Codec<unknown>))
  const retryOptions = retry === undefined
    ? undefined
    : isSchedule(retry)
    ? { schedule: retry, while: notBudget }
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
  options.while = retry.while === undefined ? notBudget : (e) => notBudget(e) && retry.while!(e)
  if (options.schedule === undefined && options.times === undefined) options.times = 1
  return options
}

// A call the run's budget refused is refused again on every attempt: a step never retries it.
const notBudget = (e: unknown): boolean =>
  !(typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "BudgetExceeded")

const durationMillis = (input: Duration.Input): number => Duration.toMillis(Duration.fromInputUnsafe(input))

/**
 * Builds, once per node, what goes around one map item or loop iteration (`item` / `iteration` options): a timeout
 * failing with `StepTimeout` (naming the item) and retries. Undefined when the node has no such policy.
 */
export const itemWrapperOf = (policy: ItemPolicy | undefined, what: "item" | "iteration") => {
  if (policy === undefined || (policy.timeout === undefined && policy.retry === undefined)) return undefined
  const timeoutMillis = policy.timeout === undefined ? undefined : durationMillis(policy.timeout)
  const retry = policy.retry
  const retryOptions = retry === undefined ? undefined : isSchedule(retry) ? { schedule: retry, while: notBudget } : toRetryOptions(retry)
  return (run: Effect.Effect<unknown, unknown, unknown>, path: string, index: number) => {
    let once = run
    if (timeoutMillis !== undefined) {
      once = Effect.timeoutOrElse(once, {
        duration: timeoutMillis,
        orElse: () =>
          Effect.fail(new StepTimeout({ stepId: path, timeoutMillis, message: `Step '${path}' ${what} ${index} timed out after ${timeoutMillis} ms` }))
      })
    }
    return retryOptions === undefined ? once : Effect.retry(once, retryOptions as any)
  }
}

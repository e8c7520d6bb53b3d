/**
 * The circuit breaker of a guard: one circuit per provider, on `effect/persistence` CircuitBreaker (its in-memory
 * store). This file decides three things the breaker leaves to its caller:
 *
 * - **What it counts.** By default a failure *rate*: the circuit opens when at least `failureRate` of the last `window`
 *   recorded calls failed, once `minimumCalls` are recorded (effect's `CircuitBreaker.rate`, the sliding count window
 *   of resilience4j). Consecutive failures (`consecutiveFailures`) are counted in order of completion, so the
 *   failures of one concurrent wave land together and open a healthy-but-flaky provider; use them only for
 *   sequential callers. Only outages count (`ProviderUnavailable`, `ProviderTimeout`); bad requests and rate limits
 *   are ignored.
 * - **What an open circuit means to a caller.** Inside a failover list with a next entry (or `whenOpen: "fail"`):
 *   fail at once with a circuit-open `ProviderUnavailable`, so the next provider takes over. Otherwise wait: sleep
 *   until the circuit admits its half-open probe, wait for the probe's outcome, and go on when it closes (released
 *   callers spread over 250 ms). A call waits at most `maxWait` in all (default 1 minute); the step's timeout bounds
 *   it too. Openings start short (5 s) and double per failed probe up to `maxOpenFor`, so an opening caused by a burst
 *   (a stall of this process times out every call in flight at once) costs seconds, an outage backs off.
 * - **Streams.** A stream holds its admission for its whole life and its outcome is recorded when it ends, so a
 *   stream can be the half-open probe and close the circuit (effect's breaker runs one effect per call).
 *
 * Half-open admits exactly one probe (effect's breaker); every other caller is rejected or waits while it runs.
 *
 * @example
 * ```ts
 * import { Reliability } from "llm-orchestrator/reliability"
 * Reliability.policy({ circuitBreaker: { failureRate: 0.5, window: 50, minimumCalls: 20, openFor: "10 seconds" } })
 * Reliability.policy({ circuitBreaker: { consecutiveFailures: 5, openFor: "1 minute", whenOpen: "fail" } })
 * ```
 */
import { Cause, Deferred, Duration, Effect, Exit, Fiber, Metric, Random, Schedule, type Scope, Stream } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { classify } from "../providers/ErrorMapping.ts"
import { WhenOpen } from "./CircuitOpen.ts"
import * as ReliabilityEvent from "./ReliabilityEvent.ts"
import * as ReliabilityMetrics from "./ReliabilityMetrics.ts"

/**
 * Circuit breaker settings (every field has a default).
 *
 * @example
 * ```ts
 * const options: Breaker.CircuitBreakerOptions = { failureRate: 0.6, window: 100, openFor: "30 seconds" }
 * ```
 */
export interface CircuitBreakerOptions {
  /** Open when at least this fraction of the last `window` recorded calls failed (default 0.6). */
  readonly failureRate?: number | undefined
  /** How many recorded calls the rate is measured over (default 100). Keep it above twice the calls in flight. */
  readonly window?: number | undefined
  /** Recorded calls needed before the rate can open the circuit (default: `window`). */
  readonly minimumCalls?: number | undefined
  /** Instead of a rate: open after this many failures in a row, in order of completion (sequential callers only). */
  readonly consecutiveFailures?: number | undefined
  /** How long the circuit stays open before one half-open probe (default 5 s). */
  readonly openFor?: Duration.Input | undefined
  /**
   * Each consecutive opening (a failed probe) doubles `openFor` up to this (default 1 minute; set it to `openFor` for
   * a constant opening). The count resets once the circuit stayed closed as long as it was last open.
   */
  readonly maxOpenFor?: Duration.Input | undefined
  /** What a call meets at an open circuit when no failover entry follows: wait for the probe (default) or fail. */
  readonly whenOpen?: "wait" | "fail" | undefined
  /** The longest a call waits at open circuits, over all its retries, before it fails (default 1 minute). */
  readonly maxWait?: Duration.Input | undefined
}

/**
 * Defaults of {@link CircuitBreakerOptions}: a provider failing 30 % of calls at random opens with probability ~1e-9
 * per call; a dead one opens after `window` calls.
 *
 * @example
 * ```ts
 * Breaker.defaults.failureRate // 0.6
 * ```
 */
export const defaults = {
  failureRate: 0.6,
  window: 100,
  openFor: "5 seconds",
  maxOpenFor: "1 minute",
  whenOpen: "wait",
  maxWait: "1 minute"
} as const

/**
 * The effect `openDuration` of `options`: `openFor`, doubling per consecutive opening up to `maxOpenFor`.
 *
 * @example
 * ```ts
 * Breaker.openDuration({ openFor: "5 seconds", maxOpenFor: "5 seconds" }) // a constant 5 s
 * ```
 */
export const openDuration = (options: CircuitBreakerOptions): Duration.Input | Schedule.Schedule<Duration.Duration> => {
  const first = Duration.fromInputUnsafe(options.openFor ?? defaults.openFor)
  const cap = Duration.fromInputUnsafe(options.maxOpenFor ?? (options.openFor === undefined ? defaults.maxOpenFor : first))
  return Duration.isGreaterThan(cap, first) ? Schedule.min([Schedule.exponential(first), Schedule.spaced(cap)]) : first
}

/**
 * The effect trip policy of `options`.
 *
 * @example
 * ```ts
 * Breaker.tripPolicy({ consecutiveFailures: 3 }) // { _tag: "Consecutive", failures: 3 }
 * ```
 */
export const tripPolicy = (options: CircuitBreakerOptions): CircuitBreaker.TripPolicy => {
  if (options.consecutiveFailures !== undefined) return CircuitBreaker.consecutive(options.consecutiveFailures)
  const size = options.window ?? defaults.window
  return CircuitBreaker.rate({
    threshold: options.failureRate ?? defaults.failureRate,
    size,
    minimumCalls: Math.min(size, options.minimumCalls ?? size)
  })
}

/**
 * What a guard does with its breaker.
 *
 * @example
 * ```ts
 * const breaker = yield* Breaker.make({ failureRate: 0.5 }, sink)
 * const guarded = breaker.protect("openai", call, CircuitOpen.make, Breaker.callState())
 * ```
 */
export interface Breaker {
  /** Runs one attempt of a call through the circuit of `provider` (waiting or failing when it is open). */
  readonly protect: <A, E, R, E2>(
    provider: string,
    self: Effect.Effect<A, E, R>,
    circuitError: (provider: string, retryAfterMillis: number) => E2,
    call: CallState
  ) => Effect.Effect<A, E | E2, R>
  /** Admits a stream for the life of the scope; the stream's outcome is recorded when the scope closes. */
  readonly admitStream: <E2>(
    provider: string,
    circuitError: (provider: string, retryAfterMillis: number) => E2
  ) => Effect.Effect<void, E2, Scope.Scope>
  readonly state: (provider: string) => Effect.Effect<ReliabilityEvent.CircuitState>
}

/**
 * Per call (across its retries): how long it has waited at open circuits.
 *
 * @example
 * ```ts
 * const call = Breaker.callState() // { waitedMillis: 0 }
 * ```
 */
export interface CallState {
  /** Milliseconds this call has waited at open circuits so far. */
  waitedMillis: number
}

/**
 * A fresh {@link CallState}.
 *
 * @example
 * ```ts
 * Effect.suspend(() => breaker.protect("openai", call, CircuitOpen.make, Breaker.callState()))
 * ```
 */
export const callState = (): CallState => ({ waitedMillis: 0 })

const gaugeValue = { Closed: 0, HalfOpen: 1, Open: 2 } as const

// callers released by a probe start within this many milliseconds of each other
const releaseSpreadMillis = 250

// which failures count against the provider's health: outages and timeouts, not bad requests or rate limits
const outcome = (exit: Exit.Exit<unknown, unknown>): CircuitBreaker.Outcome => {
  if (Exit.isSuccess(exit)) return CircuitBreaker.success
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (error === undefined || error._tag !== "Fail") return CircuitBreaker.ignored
  const e = classify(error.error)
  return e !== undefined && (e._tag === "ProviderUnavailable" || e._tag === "ProviderTimeout")
    ? CircuitBreaker.failure()
    : CircuitBreaker.ignored
}

type Rejection = CircuitBreaker.CircuitOpen | CircuitBreaker.CircuitHalfOpen

const rejectionOf = (cause: Cause.Cause<unknown>): Rejection | undefined => {
  const error = Cause.findErrorOption(cause)
  if (error._tag === "None" || !(error.value instanceof CircuitBreaker.CircuitBreakerError)) return undefined
  const reason = error.value.reason
  return reason._tag === "CircuitBreakerStoreError" ? undefined : reason
}

/**
 * Builds the breaker for `options`; events go to the calls' sinks and to `sink` (state changes).
 *
 * @example
 * ```ts
 * const breaker = yield* Breaker.make(policy.circuitBreaker, events)
 * ```
 */
export const make = Effect.fnUntraced(function*(options: CircuitBreakerOptions, sink: ReliabilityEvent.Sink) {
  const scope = yield* Effect.scope
  const breaker = yield* CircuitBreaker.make({
    tripPolicy: tripPolicy(options),
    openDuration: openDuration(options)
  }).pipe(Effect.provide(CircuitBreaker.layerStoreMemory()))
  const whenOpen = options.whenOpen ?? defaults.whenOpen
  const maxWaitMillis = Duration.toMillis(Duration.fromInputUnsafe(options.maxWait ?? defaults.maxWait))

  // callers waiting for the outcome of a half-open probe, per provider; woken by the next transition
  const probeWaiters = new Map<string, Deferred.Deferred<void>>()
  yield* Stream.runForEach(breaker.transitions, (t) =>
    Effect.gen(function*() {
      const waiters = probeWaiters.get(t.key)
      if (waiters !== undefined) {
        probeWaiters.delete(t.key)
        yield* Deferred.succeed(waiters, undefined)
      }
      yield* sink.publish({ _tag: "CircuitStateChanged", provider: t.key, from: t.from, to: t.to })
      yield* Metric.update(ReliabilityMetrics.circuitTransitions.pipe(Metric.withAttributes({ provider: t.key, to: t.to })), 1)
      yield* Metric.update(ReliabilityMetrics.circuitState.pipe(Metric.withAttributes({ provider: t.key })), gaugeValue[t.to])
    })).pipe(Effect.forkIn(scope))
  yield* Effect.yieldNow

  const state = (provider: string) =>
    breaker.state(provider).pipe(Effect.orElseSucceed((): CircuitBreaker.State => ({ _tag: "Closed", key: provider })))

  // Waits until the probe running on `provider` ends (or 1 s, then the caller asks again: a lost wake-up costs 1 s).
  const awaitProbe = (provider: string) =>
    Effect.gen(function*() {
      let waiters = probeWaiters.get(provider)
      if (waiters === undefined) {
        waiters = yield* Deferred.make<void>()
        probeWaiters.set(provider, waiters)
      }
      // registered first, then checked: a probe that ended in between is seen here
      const now = yield* state(provider)
      if (now._tag !== "HalfOpen" || !now.probing) return
      yield* Effect.timeoutOption(Deferred.await(waiters), "1 second")
    })

  // The rejection policy: fail (with the caller's error), or wait for the circuit and say so.
  const onRejected = <E2>(
    provider: string,
    rejection: Rejection,
    circuitError: (provider: string, retryAfterMillis: number) => E2,
    call: CallState
  ): Effect.Effect<void, E2> =>
    Effect.gen(function*() {
      const retryAfterMillis = rejection._tag === "CircuitOpen" ? Duration.toMillis(rejection.retryAfter) : 0
      yield* Metric.update(ReliabilityMetrics.circuitRejections.pipe(Metric.withAttributes({ provider })), 1)
      const mode = (yield* WhenOpen) ?? whenOpen
      const budget = maxWaitMillis - call.waitedMillis
      if (mode === "fail" || budget <= 0 || retryAfterMillis > budget) {
        yield* ReliabilityEvent.emit({ _tag: "CircuitRejected", provider, retryAfterMillis })
        return yield* Effect.fail(circuitError(provider, retryAfterMillis))
      }
      const started = yield* Effect.clockWith((c) => c.currentTimeMillis)
      if (rejection._tag === "CircuitOpen") {
        // a little past the opening, so the first waiter to wake takes the probe and the others find it running
        yield* Effect.sleep(Duration.millis(retryAfterMillis + 1))
      } else {
        yield* Effect.timeoutOption(awaitProbe(provider), Duration.millis(budget))
        // spread the callers the probe releases, so they do not all hit the provider in the same instant
        yield* Effect.sleep(Duration.millis(yield* Random.nextIntBetween(0, releaseSpreadMillis)))
      }
      const waitedMillis = (yield* Effect.clockWith((c) => c.currentTimeMillis)) - started
      call.waitedMillis += waitedMillis
      yield* ReliabilityEvent.emit({ _tag: "CircuitWaited", provider, state: rejection._tag === "CircuitOpen" ? "Open" : "HalfOpen", waitedMillis })
    })

  const protect: Breaker["protect"] = (provider, self, circuitError, call) => {
    const once = breaker.execute(self, { key: provider, classify: outcome })
    const loop: Effect.Effect<any, any, any> = Effect.flatMap(Effect.exit(once), (exit) => {
      if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
      const rejection = rejectionOf(exit.cause)
      if (rejection === undefined) return Effect.failCause(exit.cause)
      return Effect.andThen(onRejected(provider, rejection, circuitError, call), loop)
    })
    return loop
  }

  const admitStream: Breaker["admitStream"] = (provider, circuitError) =>
    Effect.gen(function*() {
      const call = callState()
      while (true) {
        const admitted = yield* Deferred.make<void, Rejection>()
        const ended = yield* Deferred.make<void, unknown>()
        // the breaker runs this "call" for as long as the stream lives; its exit is the stream's
        const held = Effect.andThen(Deferred.succeed(admitted, undefined), Deferred.await(ended))
        // fork and register the hand-over at once, so an interrupted admission never leaves the probe slot taken
        yield* Effect.uninterruptible(Effect.gen(function*() {
          const fiber = yield* breaker.execute(held, { key: provider, classify: outcome }).pipe(
            Effect.onExit((exit) => {
              const rejection = Exit.isFailure(exit) ? rejectionOf(exit.cause) : undefined
              return rejection === undefined ? Effect.void : Deferred.fail(admitted, rejection)
            }),
            Effect.forkDetach
          )
          // on scope close: hand the stream's exit to the breaker and let it record the outcome
          yield* Effect.addFinalizer((exit) => Effect.andThen(Deferred.done(ended, Exit.asVoid(exit)), Fiber.await(fiber)))
        }))
        const result = yield* Effect.exit(Deferred.await(admitted))
        if (Exit.isSuccess(result)) return
        const rejection = Cause.findErrorOption(result.cause)
        if (rejection._tag === "None") return yield* Effect.failCause(result.cause as Cause.Cause<never>)
        yield* onRejected(provider, rejection.value, circuitError, call)
      }
    })

  const breakerState: Breaker["state"] = (provider) => Effect.map(state(provider), (s) => s._tag)

  return { protect, admitStream, state: breakerState } satisfies Breaker
})

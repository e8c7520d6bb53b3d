/**
 * What the reliability layer does, as events: retries, circuit-breaker state changes, rejections and waits, rate-limit
 * waits, failovers, cache hits and misses, calls a budget refused. Delivered to the current {@link ReliabilityEvents} sink (a `Context.Reference`,
 * default: drop), so the engine can forward them into its own event stream, tests can collect them, and
 * {@link layerPubSub} fans them out.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ReliabilityEvent } from "llm-orchestrator/reliability"
 * const events: Array<ReliabilityEvent.ReliabilityEvent> = []
 * program.pipe(ReliabilityEvent.withSink((e) => Effect.sync(() => events.push(e))))
 * ```
 */
import { Context, Effect, Layer, PubSub } from "effect"
import type { BudgetExceeded, LlmError } from "../llm/LlmError.ts"

/**
 * Circuit states, as in `effect/persistence` CircuitBreaker.
 *
 * @example
 * ```ts
 * const state: ReliabilityEvent.CircuitState = yield* guard.circuitState("openai") // "Closed"
 * ```
 */
export type CircuitState = "Closed" | "Open" | "HalfOpen"

/**
 * One reliability event.
 *
 * @example
 * ```ts
 * const describe = (e: ReliabilityEvent.ReliabilityEvent) => (e._tag === "Retrying" ? `${e.provider} retry ${e.attempt}` : e._tag)
 * ```
 */
export type ReliabilityEvent =
  | { readonly _tag: "Retrying"; readonly provider: string; readonly attempt: number; readonly delayMillis: number; readonly error: LlmError }
  | { readonly _tag: "CircuitStateChanged"; readonly provider: string; readonly from: CircuitState; readonly to: CircuitState }
  | { readonly _tag: "CircuitRejected"; readonly provider: string; readonly retryAfterMillis: number }
  | { readonly _tag: "CircuitWaited"; readonly provider: string; readonly state: "Open" | "HalfOpen"; readonly waitedMillis: number }
  | { readonly _tag: "RateLimitWaited"; readonly provider: string; readonly limit: "requests" | "tokens"; readonly waitedMillis: number }
  | { readonly _tag: "Failover"; readonly from: string; readonly to: string; readonly error: LlmError | undefined }
  | { readonly _tag: "CacheHit"; readonly cache: string; readonly key: string }
  | { readonly _tag: "CacheMiss"; readonly cache: string; readonly key: string }
  | { readonly _tag: "BudgetExceeded"; readonly error: BudgetExceeded }

/**
 * Where events go. `publish` must not fail.
 *
 * @example
 * ```ts
 * const sink: ReliabilityEvent.Sink = { publish: (e) => Effect.log(e._tag) }
 * ```
 */
export interface Sink {
  readonly publish: (event: ReliabilityEvent) => Effect.Effect<void>
}

/**
 * The current sink (default: drops events).
 *
 * @example
 * ```ts
 * program.pipe(Effect.provideService(ReliabilityEvent.ReliabilityEvents, { publish: (e) => Effect.log(e._tag) }))
 * ```
 */
export const ReliabilityEvents = Context.Reference<Sink>("llm-orchestrator/reliability/ReliabilityEvents", {
  defaultValue: () => ({ publish: () => Effect.void })
})

/**
 * Publishes `event` to the current sink.
 *
 * @example
 * ```ts
 * yield* ReliabilityEvent.emit({ _tag: "CacheHit", cache: "answers", key })
 * ```
 */
export const emit = (event: ReliabilityEvent): Effect.Effect<void> =>
  Effect.flatMap(ReliabilityEvents, (sink) => sink.publish(event))

/**
 * Runs `self` with `onEvent` as the sink (events also reach the enclosing sink).
 *
 * @example
 * ```ts
 * program.pipe(ReliabilityEvent.withSink((e) => Effect.log(e._tag)))
 * ```
 */
export const withSink = (onEvent: (event: ReliabilityEvent) => Effect.Effect<void>) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(ReliabilityEvents, (outer) =>
    Effect.provideService(self, ReliabilityEvents, {
      publish: (e) => Effect.andThen(onEvent(e), outer.publish(e))
    }))

/**
 * A layer sending every event to `onEvent`.
 *
 * @example
 * ```ts
 * Reliability.layer(policy, "openai").pipe(Layer.provide(ReliabilityEvent.layer((e) => Effect.log(e._tag))))
 * ```
 */
export const layer = (onEvent: (event: ReliabilityEvent) => Effect.Effect<void>): Layer.Layer<never> =>
  Layer.succeed(ReliabilityEvents, { publish: onEvent })

/**
 * A layer publishing every event to `pubsub` (subscribe to it to forward events, e.g. into the engine's stream).
 *
 * @example
 * ```ts
 * const pubsub = yield* PubSub.unbounded<ReliabilityEvent.ReliabilityEvent>()
 * const events = ReliabilityEvent.layerPubSub(pubsub)
 * ```
 */
export const layerPubSub = (pubsub: PubSub.PubSub<ReliabilityEvent>): Layer.Layer<never> =>
  layer((e) => Effect.asVoid(PubSub.publish(pubsub, e)))

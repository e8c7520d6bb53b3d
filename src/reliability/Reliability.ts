/**
 * Reliability policies for LLM calls, built from Effect's own modules: retry (`Schedule`), a circuit breaker per
 * provider (`effect/persistence` CircuitBreaker), request/token rate limits per provider (`effect/persistence`
 * RateLimiter, token bucket, waiting by default), a concurrency limit per provider (`Semaphore`) and a per-attempt
 * timeout. A {@link Policy} is a plain value; {@link make} turns it into a {@link Guard} that applies it to any call
 * (per provider, per step or per workflow), wraps an effect/ai `LanguageModel`, or a src/llm provider.
 *
 * Order, outermost first: retry -> circuit breaker -> rate limit -> concurrency -> timeout -> call. So every retry
 * passes the breaker and the limiter again, and a call rejected by an open circuit never waits for a permit.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { OpenAi } from "llm-orchestrator/providers"
 * import { Reliability } from "llm-orchestrator/reliability"
 * const policy = Reliability.policy({
 *   retry: { times: 4, base: "200 millis", maxDelay: "20 seconds" },
 *   circuitBreaker: { failureRate: 0.6, window: 100, openFor: "30 seconds" },
 *   rateLimit: { requestsPerMinute: 500, tokensPerMinute: 200_000 },
 *   concurrency: 8
 * })
 * // as a layer around a LanguageModel:
 * const openai = Reliability.layer(policy, "openai").pipe(Layer.provide(OpenAi.layer({ model: "gpt-4o-mini", apiKey })))
 * // or around any call:
 * const guard = yield* Reliability.make(policy)
 * const answer = yield* guard.apply("openai")(Llm.generate({ provider: "openai", model: "gpt-4o", prompt }))
 * ```
 */
import { Duration, Effect, Exit, Layer, Metric, Option, type Scope, Semaphore, Stream } from "effect"
import type { AiError } from "effect/ai"
import { EmbeddingModel, LanguageModel } from "effect/ai"
import { RateLimiter } from "effect/persistence"
import * as Llm from "../llm/Llm.ts"
import { type LlmError, ProviderTimeout, ProviderUnavailable, RateLimited } from "../llm/LlmError.ts"
import type { LlmProvider, LlmProviderShape } from "../llm/LlmProvider.ts"
import { classify, toAiError } from "../providers/ErrorMapping.ts"
import * as Breaker from "./Breaker.ts"
import * as CircuitOpen from "./CircuitOpen.ts"
import { Priority } from "./Priority.ts"
import * as PriorityLane from "./PriorityLane.ts"
import { PriorityLanes } from "./PriorityLanes.ts"
import * as ReliabilityEvent from "./ReliabilityEvent.ts"
import * as ReliabilityMetrics from "./ReliabilityMetrics.ts"
import * as Retry from "./Retry.ts"

/**
 * Circuit breaker settings; see {@link Breaker.CircuitBreakerOptions} (failure rate over a window by default).
 *
 * @example
 * ```ts
 * Reliability.policy({ circuitBreaker: { failureRate: 0.5, window: 50, openFor: "1 minute" } })
 * ```
 */
export type CircuitBreakerOptions = Breaker.CircuitBreakerOptions

/**
 * Rate limits per provider (token buckets refilled over one minute).
 *
 * @example
 * ```ts
 * Reliability.policy({ rateLimit: { requestsPerMinute: 60, tokensPerMinute: 90_000, onExceeded: "fail" } })
 * ```
 */
export interface RateLimitOptions {
  readonly requestsPerMinute?: number | undefined
  readonly tokensPerMinute?: number | undefined
  /** `wait` (default): delay the call until the bucket allows it. `fail`: fail at once with `RateLimited`. */
  readonly onExceeded?: "wait" | "fail" | undefined
  /**
   * The bucket's size as a fraction of a minute's allowance (default 1: a full minute's requests may go at once after
   * a quiet minute). `1 / 60` keeps any minute at about the per-minute figure (one second's worth of burst), which is
   * what a provider counting a sliding minute expects.
   */
  readonly burst?: number | undefined
  /** How much waiting one priority level is worth when calls queue for the limit (default 10 s); see `Priority`. */
  readonly priorityAging?: Duration.Input | undefined
}

/**
 * A reliability policy; `false` turns a part off.
 *
 * @example
 * ```ts
 * const p: Reliability.Policy = Reliability.policy({ retry: false, concurrency: 4, timeout: "30 seconds" })
 * ```
 */
export interface Policy {
  readonly retry: Retry.RetryOptions | false
  readonly circuitBreaker: CircuitBreakerOptions | false
  readonly rateLimit: RateLimitOptions | false
  /** Calls in flight per provider (undefined: unbounded). */
  readonly concurrency: number | undefined
  /** Deadline of one attempt (undefined: the adapter's own timeout only). */
  readonly timeout: Duration.Input | undefined
}

/**
 * The default policy: 8 retries (200 ms doubling, jittered, cap 20 s, Retry-After honoured); a breaker per provider
 * opening when 60 % of the last 100 calls failed, open 5 s doubling per failed probe up to 1 minute, callers without
 * a failover entry waiting for its probe (up to 1 minute);
 * no rate limit, unbounded concurrency, no extra timeout.
 *
 * @example
 * ```ts
 * const openai = Reliability.layerLlm(Reliability.defaultPolicy, "openai", OpenAi.layer(options))
 * ```
 */
export const defaultPolicy: Policy = {
  retry: {},
  circuitBreaker: {
    failureRate: Breaker.defaults.failureRate,
    window: Breaker.defaults.window,
    openFor: Breaker.defaults.openFor,
    maxOpenFor: Breaker.defaults.maxOpenFor
  },
  rateLimit: false,
  concurrency: undefined,
  timeout: undefined
}

/**
 * A policy: {@link defaultPolicy} with `overrides`.
 *
 * @example
 * ```ts
 * Reliability.policy({ retry: { times: 2 }, rateLimit: { requestsPerMinute: 60 }, circuitBreaker: false })
 * ```
 */
export const policy = (overrides: Partial<Policy> = {}): Policy => ({ ...defaultPolicy, ...overrides })

/**
 * A policy applied to calls; create with {@link make}.
 *
 * @example
 * ```ts
 * const guard = yield* Reliability.make(Reliability.defaultPolicy)
 * const text = yield* model.generateText({ prompt: "hi" }).pipe(guard.apply("openai", { tokens: 50 }))
 * ```
 */
export interface Guard {
  readonly policy: Policy
  /** Applies the policy to one call to `provider`; `tokens` is the call's estimated token count (for `tokensPerMinute`). */
  readonly apply: (
    provider: string,
    options?: { readonly tokens?: number | undefined }
  ) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | LlmError, R>
  /** An effect/ai `LanguageModel` whose calls go through the policy (streams: breaker admission, rate limit and concurrency; no retry). */
  readonly wrapLanguageModel: (provider: string, model: LanguageModel.LanguageModel) => LanguageModel.LanguageModel
  /** A src/llm provider whose calls go through the policy. */
  readonly wrapLlmProvider: (shape: LlmProviderShape) => LlmProviderShape
  /** An effect/ai `EmbeddingModel` whose `embed` / `embedMany` go through the policy (batching is kept). */
  readonly wrapEmbeddingModel: (provider: string, model: EmbeddingModel.EmbeddingModel) => EmbeddingModel.EmbeddingModel
  /** Current circuit state of `provider` ("Closed" when the breaker is off). */
  readonly circuitState: (provider: string) => Effect.Effect<ReliabilityEvent.CircuitState>
}

/**
 * Rough token estimate of a prompt (4 characters per token) for `tokensPerMinute`.
 *
 * @example
 * ```ts
 * Reliability.estimateTokens("x".repeat(400)) // 100
 * ```
 */
export const estimateTokens = (prompt: unknown): number => {
  const text = typeof prompt === "string" ? prompt : JSON.stringify(prompt) ?? ""
  return Math.max(1, Math.ceil(text.length / 4))
}

/**
 * Builds a {@link Guard} for `policy`; breaker and limiter state live as long as the scope. The rate limits count in
 * the `RateLimiter.RateLimiterStore` of the context when there is one (`SharedLimits.layer` for Redis: the limit
 * holds across processes), else in memory (this guard alone). Calls waiting for a limit go in order of their
 * `Priority` (with aging: no starvation).
 *
 * @example
 * ```ts
 * const guard = yield* Reliability.make(Reliability.defaultPolicy)
 * const text = yield* guard.apply("openai")(Llm.generate({ provider: "openai", model: "gpt-4o", prompt }))
 * ```
 */
export const make = Effect.fnUntraced(function*(policy: Policy) {
  const scope = yield* Effect.scope
  const events = yield* ReliabilityEvent.ReliabilityEvents

  const breaker = policy.circuitBreaker === false ? undefined : yield* Breaker.make(policy.circuitBreaker, events)

  // a store in the context (Redis: shared by every process) or one of our own in memory
  const sharedStore = yield* Effect.serviceOption(RateLimiter.RateLimiterStore)
  const limiter = policy.rateLimit === false ? undefined : yield* RateLimiter.make.pipe(
    Option.isSome(sharedStore) ? Effect.provideService(RateLimiter.RateLimiterStore, sharedStore.value) : Effect.provide(RateLimiter.layerStoreMemory)
  )
  const burst = policy.rateLimit === false ? 1 : Math.min(1, Math.max(1e-6, policy.rateLimit.burst ?? 1))
  const aging = policy.rateLimit === false ? "10 seconds" : policy.rateLimit.priorityAging ?? "10 seconds"
  // lanes of the context (Redis: priorities order the calls of every worker) or per guard in memory
  const sharedLanes = yield* Effect.serviceOption(PriorityLanes)
  const lanes = new Map<string, PriorityLane.PriorityLane>()
  const laneOf = (key: string) => {
    if (Option.isSome(sharedLanes)) return sharedLanes.value.lane(key)
    let lane = lanes.get(key)
    if (lane === undefined) lanes.set(key, (lane = PriorityLane.make()))
    return lane
  }
  // A bucket of `burst` minutes' allowance refilled at `perMinute` per minute: effect's limiter takes a limit and a
  // window, refilling one token per window / limit (so limit = the bucket's size, window = the time to refill it).
  const bucket = (perMinute: number) => {
    const size = Math.max(1, Math.round(perMinute * burst))
    return { limit: size, window: Duration.millis((60_000 * size) / perMinute) }
  }

  const semaphores = new Map<string, Semaphore.Semaphore>()
  const semaphore = (provider: string) => {
    let s = semaphores.get(provider)
    if (s === undefined && policy.concurrency !== undefined) {
      s = Semaphore.makeUnsafe(policy.concurrency)
      semaphores.set(provider, s)
    }
    return s
  }

  const consume = (provider: string, limit: "requests" | "tokens", perMinute: number, tokens: number, fail: boolean) =>
    Effect.gen(function*() {
      if (limiter === undefined) return
      const size = bucket(perMinute)
      const options = {
        key: `${provider}:${limit}`,
        algorithm: "token-bucket" as const,
        window: size.window as Duration.Input,
        limit: size.limit,
        tokens: Math.min(tokens, size.limit)
      }
      if (fail) {
        yield* limiter.consume({ ...options, onExceeded: "fail" })
        return
      }
      const priority = yield* Priority
      const result = yield* laneOf(options.key).take(priority, aging, limiter.consume({ ...options, onExceeded: "delay" }))
      const waitedMillis = Duration.toMillis(result.delay)
      if (waitedMillis > 0) {
        yield* ReliabilityEvent.emit({ _tag: "RateLimitWaited", provider, limit, waitedMillis })
        yield* Metric.update(ReliabilityMetrics.rateLimitWait.pipe(Metric.withAttributes({ provider, limit })), waitedMillis / 1000)
      }
    }).pipe(
      Effect.catchTag("RateLimiterError", (e) =>
        e.reason._tag === "RateLimitExceeded"
          ? Effect.fail(new RateLimited({
            provider,
            message: `local rate limit (${limit} per minute) exceeded`,
            retryAfterMillis: Duration.toMillis(e.reason.retryAfter)
          }))
          // the store is down (Redis unreachable): the call goes on unlimited rather than failing, and says so
          : Effect.logWarning(`rate limit of ${provider} not applied: ${e.reason.message}`))
    )

  // after a call, charge the tokens it really used beyond the estimate taken before it (later calls wait for them)
  const settleTokens = (provider: string, estimate: number, usage: { readonly inputTokens: { readonly total?: number | undefined }; readonly outputTokens: { readonly total?: number | undefined } }) => {
    const rl = policy.rateLimit
    if (rl === false || rl.tokensPerMinute === undefined || limiter === undefined) return Effect.void
    const extra = (usage.inputTokens.total ?? 0) + (usage.outputTokens.total ?? 0) - estimate
    if (extra <= 0) return Effect.void
    const size = bucket(rl.tokensPerMinute)
    return limiter.consume({
      key: `${provider}:tokens`,
      algorithm: "token-bucket",
      onExceeded: "delay",
      window: size.window,
      limit: size.limit,
      tokens: Math.min(extra, size.limit)
    }).pipe(Effect.asVoid, Effect.ignore)
  }

  const rateLimit = (provider: string, tokens: number) => {
    const rl = policy.rateLimit
    if (rl === false) return Effect.void
    const fail = rl.onExceeded === "fail"
    return Effect.gen(function*() {
      if (rl.requestsPerMinute !== undefined) yield* consume(provider, "requests", rl.requestsPerMinute, 1, fail)
      if (rl.tokensPerMinute !== undefined) yield* consume(provider, "tokens", rl.tokensPerMinute, tokens, fail)
    })
  }

  const core = <E2>(
    provider: string,
    tokens: number,
    circuitError: (provider: string, retryAfterMillis: number) => E2,
    liftError: (e: LlmError) => E2
  ) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R> => {
    let attempt: Effect.Effect<A, E | E2, R> = self
    if (policy.timeout !== undefined) {
      const timeout = policy.timeout
      attempt = Effect.timeoutOrElse(attempt, {
        duration: timeout,
        orElse: () => Effect.fail(liftError(new ProviderTimeout({ provider, message: `no answer within ${Duration.format(Duration.fromInputUnsafe(timeout))}` })))
      })
    }
    const sem = semaphore(provider)
    if (sem !== undefined) attempt = sem.withPermits(1)(attempt)
    const counted = attempt.pipe(
      Effect.onExit((exit) =>
        Metric.update(
          ReliabilityMetrics.calls.pipe(Metric.withAttributes({
            provider,
            outcome: Exit.isSuccess(exit) ? "success" : classify(exit.cause.reasons.find((r) => r._tag === "Fail")?.error)?._tag ?? "other"
          })),
          1
        )
      )
    )
    let guarded: Effect.Effect<A, E | E2, R> = Effect.andThen(
      Effect.mapError(rateLimit(provider, tokens), liftError),
      counted
    )
    if (breaker !== undefined) {
      // the breaker's per-call state (has it waited through an opening?) lives across the call's retries
      const through = guarded
      const retry = policy.retry
      guarded = Effect.suspend(() => {
        const attemptOnce = breaker.protect(provider, through, circuitError, Breaker.callState())
        return retry === false ? attemptOnce : Effect.retry(attemptOnce, Retry.schedule(provider, retry))
      })
    } else if (policy.retry !== false) {
      guarded = Effect.retry(guarded, Retry.schedule(provider, policy.retry))
    }
    // call-scoped events go to the caller's sink and to the sink the guard was built with
    return Effect.flatMap(ReliabilityEvent.ReliabilityEvents, (callSink) =>
      Effect.provideService(
        guarded,
        ReliabilityEvent.ReliabilityEvents,
        callSink === events ? events : { publish: (e) => Effect.andThen(callSink.publish(e), events.publish(e)) }
      )).pipe(Effect.withSpan("Reliability.call", { attributes: { "llm.provider": provider } }))
  }

  const apply: Guard["apply"] = (provider, options) => core<LlmError>(provider, options?.tokens ?? 1, CircuitOpen.make, (e) => e)

  const applyAi = (provider: string, tokens: number) =>
    core<AiError.AiError>(provider, tokens, CircuitOpen.makeAiError, (e) => toAiError("policy", e))

  // streams: breaker admission, rate limit, and a concurrency permit held until the stream ends (needs a Scope,
  // which Stream.unwrap provides for the stream's lifetime)
  const admitStream = (provider: string, tokens: number): Effect.Effect<void, AiError.AiError, Scope.Scope> =>
    Effect.gen(function*() {
      if (breaker !== undefined) yield* breaker.admitStream(provider, CircuitOpen.makeAiError)
      yield* Effect.mapError(rateLimit(provider, tokens), (e) => toAiError("policy", e))
      const sem = semaphore(provider)
      if (sem !== undefined) yield* sem.takeScoped(1)
    })

  const guardedCall = (provider: string, options: { readonly prompt: unknown }, call: Effect.Effect<LanguageModel.GenerateTextResponse<any>, AiError.AiError, any>) => {
    const estimate = estimateTokens(options.prompt)
    return applyAi(provider, estimate)(Effect.tap(call, (res) => settleTokens(provider, estimate, res.usage)))
  }

  const wrapLanguageModel: Guard["wrapLanguageModel"] = (provider, model) => ({
    ...model,
    generateText: ((options: { readonly prompt: unknown }) => guardedCall(provider, options, (model.generateText as any)(options))) as any,
    generateObject: ((options: { readonly prompt: unknown }) => guardedCall(provider, options, (model.generateObject as any)(options))) as any,
    streamText: ((options: { readonly prompt: unknown }) =>
      Stream.unwrap(Effect.as(
        admitStream(provider, estimateTokens(options.prompt)),
        (model.streamText as any)(options) as Stream.Stream<unknown, AiError.AiError>
      ))) as any
  })

  const llmUsage = (u: { readonly inputTokens: number; readonly outputTokens: number }) => ({
    inputTokens: { total: u.inputTokens },
    outputTokens: { total: u.outputTokens }
  })
  const wrapLlmProvider: Guard["wrapLlmProvider"] = (shape) => ({
    ...shape,
    generateText: (request) => {
      const estimate = estimateTokens(request.prompt)
      return apply(shape.name, { tokens: estimate })(
        Effect.tap(shape.generateText(request), (res) => settleTokens(shape.name, estimate, llmUsage(res.usage)))
      )
    },
    generateObject: (request) => {
      const estimate = estimateTokens(request.prompt)
      return apply(shape.name, { tokens: estimate })(
        Effect.tap(shape.generateObject(request), (res) => settleTokens(shape.name, estimate, llmUsage(res.usage)))
      )
    },
    streamText: (request) =>
      Stream.unwrap(Effect.as(
        Effect.mapError(admitStream(shape.name, estimateTokens(request.prompt)), (e) => classify(e, shape.name)!),
        shape.streamText(request)
      ))
  })

  const wrapEmbeddingModel: Guard["wrapEmbeddingModel"] = (provider, model) => ({
    ...model,
    embed: (input) => applyAi(provider, estimateTokens(input))(model.embed(input)),
    embedMany: (inputs) => applyAi(provider, estimateTokens(inputs))(model.embedMany(inputs))
  })

  const circuitState: Guard["circuitState"] = (provider) =>
    breaker === undefined ? Effect.succeed("Closed") : breaker.state(provider)

  const guard: Guard = { policy, apply, wrapLanguageModel, wrapLlmProvider, wrapEmbeddingModel, circuitState }
  return guard
})

/**
 * Wraps the `LanguageModel` in context with `policy` for provider `provider`.
 *
 * @example
 * ```ts
 * const model = Reliability.layer(Reliability.defaultPolicy, "openai").pipe(Layer.provide(OpenAi.layer(options)))
 * ```
 */
export const layer = (
  policy: Policy,
  provider: string
): Layer.Layer<LanguageModel.LanguageModel, never, LanguageModel.LanguageModel> =>
  Layer.effect(
    LanguageModel.LanguageModel,
    Effect.gen(function*() {
      const model = yield* LanguageModel.LanguageModel
      const guard = yield* make(policy)
      return guard.wrapLanguageModel(provider, model)
    })
  )

/**
 * A named src/llm provider `name` serving `model` (a `LanguageModel` layer, e.g. `OpenAi.layer(...)`) under `policy`.
 *
 * @example
 * ```ts
 * const openai = Reliability.layerLlm(Reliability.defaultPolicy, "openai", OpenAi.layer({ model: "gpt-4o", apiKey }))
 * Llm.generate({ provider: "openai", model: "gpt-4o", prompt }).pipe(Effect.provide(openai))
 * ```
 */
export const layerLlm = <const N extends string, E, R>(
  policy: Policy,
  name: N,
  model: Layer.Layer<LanguageModel.LanguageModel, E, R>
): Layer.Layer<LlmProvider<N>, E, R> => Llm.layer(name, layer(policy, name).pipe(Layer.provide(model)))


/**
 * Wraps the `EmbeddingModel` in context with `policy` for provider `provider`.
 *
 * @example
 * ```ts
 * const embeddings = Reliability.layerEmbeddings(Reliability.defaultPolicy, "openai").pipe(Layer.provide(OpenAi.layerEmbeddings(options)))
 * ```
 */
export const layerEmbeddings = (
  policy: Policy,
  provider: string
): Layer.Layer<EmbeddingModel.EmbeddingModel, never, EmbeddingModel.EmbeddingModel> =>
  Layer.effect(
    EmbeddingModel.EmbeddingModel,
    Effect.gen(function*() {
      const model = yield* EmbeddingModel.EmbeddingModel
      const guard = yield* make(policy)
      return guard.wrapEmbeddingModel(provider, model)
    })
  )

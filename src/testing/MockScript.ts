/**
 * Shared pieces of the mock providers: latency, failure injection (first N calls, seeded probability, given calls)
 * and the errors to inject.
 *
 * @example
 * ```ts
 * MockLlm.layer("openai", { responses: "ok", latency: "200 millis", failures: { firstN: 2, error: "rate-limited", retryAfterMillis: 1000 } })
 * ```
 */
import { Duration, Effect } from "effect"
import {
  InvalidOutput,
  type LlmError,
  ProviderTimeout,
  ProviderUnavailable,
  RateLimited
} from "../llm/LlmError.ts"

/**
 * Named errors for failure injection.
 *
 * @example
 * ```ts
 * MockLlm.layer("openai", { failures: { firstN: 2, error: "rate-limited" satisfies InjectedErrorKind } })
 * ```
 */
export type InjectedErrorKind = "rate-limited" | "timeout" | "server-error" | "invalid-output"

/**
 * What a failing call fails with: a named kind, an error value, or a function of the request and call number.
 *
 * @example
 * ```ts
 * const error: InjectedError<MockRequest> = (req, call) => new ProviderTimeout({ provider: req.provider, message: `call ${call}` })
 * ```
 */
export type InjectedError<Req> = InjectedErrorKind | LlmError | ((request: Req, call: number) => LlmError)

/**
 * Failure injection. Failed calls do not consume scripted responses.
 *
 * @example
 * ```ts
 * const failures: FailureOptions<MockRequest> = { probability: 0.3, seed: 42, error: "server-error" }
 * ```
 */
export interface FailureOptions<Req> {
  /** The first `firstN` calls fail. */
  readonly firstN?: number
  /** These call numbers (1-based) fail. */
  readonly calls?: ReadonlyArray<number>
  /** Every call fails with this probability, drawn from a PRNG seeded with `seed` (default 1): reproducible. */
  readonly probability?: number
  readonly seed?: number
  /** Default "server-error". */
  readonly error?: InjectedError<Req>
  /** Retry-After for "rate-limited" (default 1000). */
  readonly retryAfterMillis?: number
}

/**
 * Latency: fixed, per call (list, last repeats), or a function of the request and call number.
 *
 * @example
 * ```ts
 * const latency: LatencyOption<MockRequest> = ["2 seconds", "100 millis"] // first call slow, then fast
 * ```
 */
export type LatencyOption<Req> =
  | Duration.Input
  | ReadonlyArray<Duration.Input>
  | ((request: Req, call: number) => Duration.Input)

/**
 * mulberry32: small, fast, good enough for reproducible fault injection.
 *
 * @example
 * ```ts
 * const random = seededRandom(42)
 * random() // the same number in [0, 1) on every run
 * ```
 */
export const seededRandom = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Builds the named error for `provider`.
 *
 * @example
 * ```ts
 * injectedError("openai", "rate-limited", 2000) // RateLimited { provider: "openai", retryAfterMillis: 2000, ... }
 * ```
 */
export const injectedError = (provider: string, kind: InjectedErrorKind, retryAfterMillis = 1000): LlmError => {
  switch (kind) {
    case "rate-limited":
      return new RateLimited({ provider, message: "mock: rate limited", retryAfterMillis })
    case "timeout":
      return new ProviderTimeout({ provider, message: "mock: timeout" })
    case "server-error":
      return new ProviderUnavailable({ provider, message: "mock: server error", status: 500 })
    case "invalid-output":
      return new InvalidOutput({ provider, message: "mock: invalid output", raw: "not json" })
  }
}

/**
 * Decides, per call, whether to fail and with what.
 *
 * @example
 * ```ts
 * const failFor = makeFailureInjector<MockRequest>("openai", { calls: [2] })
 * failFor(request, 2)?._tag // "ProviderUnavailable" (the default "server-error")
 * ```
 */
export const makeFailureInjector = <Req>(provider: string, options: FailureOptions<Req> | undefined) => {
  const random = seededRandom(options?.seed ?? 1)
  return (request: Req, call: number): LlmError | undefined => {
    if (options === undefined) return undefined
    // draw on every call so the sequence does not depend on the other rules
    const draw = options.probability === undefined ? 1 : random()
    const fails = (options.firstN !== undefined && call <= options.firstN) ||
      (options.calls?.includes(call) ?? false) ||
      (options.probability !== undefined && draw < options.probability)
    if (!fails) return undefined
    const error = options.error ?? "server-error"
    if (typeof error === "string") return injectedError(provider, error, options.retryAfterMillis)
    if (typeof error === "function") return error(request, call)
    return error
  }
}

/**
 * Sleeps the configured latency of call `call` (Effect.sleep: instant under TestClock once adjusted).
 *
 * @example
 * ```ts
 * yield* applyLatency(["1 second", "10 millis"], request, call)
 * ```
 */
export const applyLatency = <Req>(latency: LatencyOption<Req> | undefined, request: Req, call: number): Effect.Effect<void> => {
  if (latency === undefined) return Effect.void
  const d = typeof latency === "function"
    ? latency(request, call)
    : Array.isArray(latency)
    ? (latency as ReadonlyArray<Duration.Input>)[Math.min(call - 1, latency.length - 1)]
    : (latency as Duration.Input)
  return d === undefined ? Effect.void : Effect.sleep(d)
}

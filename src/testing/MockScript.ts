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
  /**
   * Only calls made by this step fail, and `firstN` / `calls` count that step's calls. The step's path as in
   * `RunResult.steps`: its id, or `branch/case/id` inside a branch case (`"route/bug/draft"`); calls of a map's items
   * and a loop's iterations belong to the map or loop step.
   */
  readonly step?: string
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
 * The failure rules of a mock: one rule, or several (each counts its own calls; the first that fails a call wins).
 *
 * @example
 * ```ts
 * const failures: Failures<MockRequest> = [{ step: "route/bug/draft", firstN: 1 }, { calls: [5], error: "timeout" }]
 * ```
 */
export type Failures<Req> = FailureOptions<Req> | ReadonlyArray<FailureOptions<Req>>

/**
 * A step path without the attempt marks of retried branches and calls (`route~2/bug/draft` is `route/bug/draft`).
 *
 * @example
 * ```ts
 * stepPathOf("route~2/bug/draft") // "route/bug/draft"
 * ```
 */
export const stepPathOf = (path: string): string => path.replace(/~\d+(?=\/|$)/g, "")

/**
 * True when some rule targets a step (the engine must then tell mocks which step calls them).
 *
 * @example
 * ```ts
 * targetsSteps({ step: "draft", firstN: 1 }) // true
 * ```
 */
export const targetsSteps = (failures: Failures<unknown> | undefined): boolean =>
  failures !== undefined && (Array.isArray(failures) ? failures : [failures]).some((f: FailureOptions<unknown>) => f.step !== undefined)

/**
 * Decides, per call, whether to fail and with what, over several rules (see {@link Failures}). `step` is the path of
 * the calling step (undefined outside a run or when unknown).
 *
 * @example
 * ```ts
 * const failFor = makeFailuresInjector<MockRequest>("openai", [{ step: "draft", firstN: 1 }])
 * failFor(request, 1, "draft")?._tag // "ProviderUnavailable"
 * ```
 */
export const makeFailuresInjector = <Req>(provider: string, failures: Failures<Req> | undefined) => {
  const rules = failures === undefined ? [] : Array.isArray(failures) ? failures as ReadonlyArray<FailureOptions<Req>> : [failures as FailureOptions<Req>]
  const injectors = rules.map((rule) => ({ rule, calls: 0, inject: makeFailureInjector(provider, rule) }))
  // `step`: the calling step, or for a batch (embeddings) the step of each input: a rule for a step fails a batch
  // holding any of its inputs, as one provider call fails as a whole
  return (request: Req, call: number, step: string | ReadonlyArray<string | undefined> | undefined): LlmError | undefined => {
    const steps = step === undefined ? [] : typeof step === "string" ? [step] : step
    for (const i of injectors) {
      if (i.rule.step !== undefined) {
        if (!steps.some((s) => s !== undefined && stepPathOf(s) === i.rule.step)) continue
        const error = i.inject(request, ++i.calls)
        if (error !== undefined) return error
      } else {
        const error = i.inject(request, call)
        if (error !== undefined) return error
      }
    }
    return undefined
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

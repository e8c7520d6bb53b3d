/**
 * The error a call gets while its provider's circuit is open: a `ProviderUnavailable` (so code matching on LlmError
 * tags keeps working) recognisable with {@link isCircuitOpen}, which retry policies use to fail fast.
 *
 * @example
 * ```ts
 * import { CircuitOpen } from "llm-orchestrator/reliability"
 * Effect.catchTag("ProviderUnavailable", (e) => CircuitOpen.isCircuitOpen(e) ? useCache : Effect.fail(e))
 * ```
 */
import { Context } from "effect"
import type { AiError } from "effect/ai"
import { ProviderUnavailable } from "../llm/LlmError.ts"
import { toAiError } from "../providers/ErrorMapping.ts"

const rejected = new WeakSet<object>()

/**
 * A `ProviderUnavailable` saying the circuit of `provider` is open for `retryAfterMillis` more.
 *
 * @example
 * ```ts
 * Effect.fail(CircuitOpen.make("openai", 30_000))
 * ```
 */
export const make = (provider: string, retryAfterMillis: number): ProviderUnavailable => {
  const e = new ProviderUnavailable({ provider, message: `circuit open for ${provider}; next probe in ${Math.round(retryAfterMillis)} ms` })
  rejected.add(e)
  return e
}

/**
 * True for errors made by {@link make}.
 *
 * @example
 * ```ts
 * Effect.catchTag("ProviderUnavailable", (e) => CircuitOpen.isCircuitOpen(e) ? fallback : Effect.fail(e))
 * ```
 */
export const isCircuitOpen = (u: unknown): boolean => typeof u === "object" && u !== null && rejected.has(u)

/**
 * The same rejection as an effect/ai `AiError` (for wrapped `LanguageModel`s); {@link isCircuitOpen} is true for it.
 *
 * @example
 * ```ts
 * Effect.fail(CircuitOpen.makeAiError("openai", 30_000))
 * ```
 */
export const makeAiError = (provider: string, retryAfterMillis: number): AiError.AiError => {
  const e = toAiError("circuit", make(provider, retryAfterMillis))
  rejected.add(e)
  return e
}

/**
 * What a guarded call does at an open circuit, when set: `"fail"` at once, or `"wait"` for the half-open probe.
 * `Failover` sets `"fail"` on every entry but the last, so an open circuit moves the call to the next provider;
 * unset, the policy's `circuitBreaker.whenOpen` decides (default `"wait"`).
 *
 * @example
 * ```ts
 * // handle the open circuit yourself, e.g. with a cached answer
 * call.pipe(Effect.provideService(CircuitOpen.WhenOpen, "fail"), Effect.catchIf(CircuitOpen.isCircuitOpen, () => cached))
 * ```
 */
export const WhenOpen = Context.Reference<"wait" | "fail" | undefined>("llm-orchestrator/reliability/WhenOpen", {
  defaultValue: () => undefined
})

/**
 * Compile-time checks (tsc only): policies keep provider identities and error types.
 */
import { Effect, Layer, Redacted } from "effect"
import type { LanguageModel } from "effect/ai"
import type { LlmError, LlmProvider } from "../../src/llm/index.ts"
import { OpenAi } from "../../src/providers/index.ts"
import { Failover, Reliability } from "../../src/reliability/index.ts"

declare const model: Layer.Layer<LanguageModel.LanguageModel>

// layerLlm keeps the provider name in the type
export const named: Layer.Layer<LlmProvider<"openai">> = Reliability.layerLlm(Reliability.defaultPolicy, "openai", model)
// @ts-expect-error a policy layer for "openai" does not provide "anthropic"
export const wrongName: Layer.Layer<LlmProvider<"anthropic">> = Reliability.layerLlm(Reliability.defaultPolicy, "openai", model)

// apply adds LlmError to the error channel and keeps the value type
export const applied = Effect.gen(function*() {
  const guard = yield* Reliability.make(Reliability.defaultPolicy)
  const ok: Effect.Effect<number, "boom" | LlmError> = guard.apply("openai")(Effect.fail("boom" as const).pipe(Effect.as(1)))
  // @ts-expect-error the value stays a number
  const bad: Effect.Effect<string, "boom" | LlmError> = guard.apply("openai")(Effect.fail("boom" as const).pipe(Effect.as(1)))
  return [ok, bad]
})

// policies are plain values: unknown keys are rejected
export const p = Reliability.policy({ concurrency: 4 })
// @ts-expect-error no such policy part
export const q = Reliability.policy({ retries: 4 })

// adapter keys must be Redacted
export const k = OpenAi.layer({ model: "gpt-4o", apiKey: Redacted.make("sk") })
// @ts-expect-error a plain string key is refused
export const plain = OpenAi.layer({ model: "gpt-4o", apiKey: "sk-plain" })

// compile-time: the layer serves exactly its name and requires the providers of entries without a layer
export const served: Layer.Layer<LlmProvider<"main">, never, LlmProvider<"cheap">> = Failover.layer("main", [
  { provider: "openai", layer: model },
  { provider: "cheap" }
])
// @ts-expect-error the entry "cheap" needs LlmProvider<"cheap">: the layer is not self-contained
export const selfContained: Layer.Layer<LlmProvider<"main">> = Failover.layer("main", [{ provider: "openai", layer: model }, { provider: "cheap" }])
// @ts-expect-error a failover layer for "main" does not serve "backup"
export const wrongName: Layer.Layer<LlmProvider<"backup">, never, LlmProvider<"cheap">> = Failover.layer("main", [{ provider: "cheap" }])

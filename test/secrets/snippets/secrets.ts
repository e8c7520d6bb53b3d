import { Effect, Layer, Redacted } from "effect"
import { OpenAi } from "../../../src/providers/index.ts"
import { Secrets } from "../../../src/secrets/index.ts"

// Provider settings name their keys; the Secrets layer decides where they are read from.
const settings = {
  openai: { model: "gpt-4o-mini", apiKey: "file:/run/secrets/openai" },
  anthropic: { model: "claude-sonnet-4-5", apiKey: "vault:secret/data/llm#anthropic" }
} as const

// A provider layer whose key is resolved when the layer is built.
export const OpenAiLive = Layer.unwrap(Effect.gen(function*() {
  const apiKey = yield* Secrets.resolve(settings.openai.apiKey)
  return OpenAi.layerLlm("openai", { model: settings.openai.model, apiKey })
}))

export const program = Effect.gen(function*() {
  const keys = yield* Secrets.resolveAll({ openai: settings.openai.apiKey, anthropic: settings.anthropic.apiKey })
  // Redacted values print as their reference, never as the key.
  yield* Effect.log(`keys: ${keys.openai}, ${keys.anthropic}`)
  return `${String(keys.openai)} ${String(keys.anthropic)} (${Redacted.value(keys.openai).length} characters)`
})

// In production: env:, file: always; Vault from VAULT_ADDR + VAULT_TOKEN or VAULT_ROLE_ID/VAULT_SECRET_ID; AWS from the SDK's chain.
export const SecretsLive = Secrets.layerConfig()

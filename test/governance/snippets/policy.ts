import { Effect, Layer, Redacted, Schema, Stream } from "effect"
import { Workflow } from "../../../src/index.ts"
import { Llm } from "../../../src/llm/index.ts"
import { Cipher, Governance } from "../../../src/governance/index.ts"

// A provider that answers with what it was sent (stands in for OpenAi.layerLlm / Anthropic.layerLlm).
export const sent: Array<string> = []
const Echo = Llm.layerCustom("openai", {
  name: "openai",
  generateText: (request) => Effect.sync(() => {
    sent.push(String(request.prompt))
    return { text: `I will reply to ${String(request.prompt).match(/\[EMAIL_\d+\]/)?.[0]}.`, usage: { inputTokens: 20, outputTokens: 8 }, finishReason: "stop" as const }
  }),
  generateObject: () => Effect.die("not used"),
  streamText: () => Stream.die("not used")
})

const policy = Governance.policy({
  pii: { prompt: "mask", storage: "encrypt", patterns: { "customer-id": /\bCUS-\d{6}\b/ } },
  limits: { promptTokens: 4_000, runPromptTokens: 50_000, outputTokens: 500 },
  // this workflow's answers get the originals back (kept encrypted per run meanwhile)
  workflows: { support: { pii: { reversible: true, restoreOutput: true } } },
  // a step that must never send personal data at all
  steps: { classify: { pii: { prompt: "refuse" } } }
})

// Keys for encryption at rest; in production: Cipher.layer({ current, keys: { id: "vault:…" } }) over Secrets.
const Keys = Cipher.layerKeys({ current: "2026-12", keys: { "2026-12": Redacted.make(Cipher.generateKey()) } })

// The one layer the workflow needs: provider "openai" through the policy.
const Providers = Governance.layerLlm(policy, "openai", Echo).pipe(Layer.provide(Keys))

const support = Workflow.make("support", { input: Schema.Struct({ message: Schema.String }) })
  .step("reply", (ctx) => Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt: ctx.input.message }))

export const program = Effect.gen(function*() {
  const out = yield* Workflow.run(support, { message: "Customer CUS-004211 (ada@example.com, card 4111 1111 1111 1111) asks for a refund." })
  return `sent: ${sent[0]}\nanswer: ${out.reply}`
}).pipe(Effect.provide(Providers))

import { Effect, Layer } from "effect"
import { Entry, OpenAi } from "../../../src/providers/index.ts"

export const mistral: Entry.LlmEntry = {
  kind: "llm",
  id: "mistral",
  description: "Mistral (OpenAI-compatible API)",
  settings: [Entry.apiKey("MISTRAL_API_KEY"), Entry.baseUrl("MISTRAL_BASE_URL", "https://api.mistral.ai/v1"), Entry.model("MISTRAL_MODEL", "mistral-small-latest")],
  build: (s) => Layer.unwrap(Effect.sync(() => OpenAi.layer({ model: s.model ?? "mistral-small-latest", apiKey: s.apiKey, baseUrl: s.baseUrl })))
}

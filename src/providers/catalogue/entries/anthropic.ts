/**
 * Anthropic's Claude models through the official SDK.
 *
 * @example
 * ```ts
 * import { anthropicLlm } from "./anthropic.ts"
 * anthropicLlm.id // "anthropic"
 * ```
 */
import { Effect, Layer } from "effect"
import { apiKey, baseUrl, type LlmEntry, model } from "../Entry.ts"

/** Anthropic chat models. */
export const anthropicLlm: LlmEntry = {
  kind: "llm",
  id: "anthropic",
  description: "Anthropic Claude models (official SDK)",
  settings: [apiKey("ANTHROPIC_API_KEY"), baseUrl("ANTHROPIC_BASE_URL", "https://api.anthropic.com"), model("ANTHROPIC_MODEL", "claude-3-5-haiku-20241022")],
  build: (s) =>
    Layer.unwrap(Effect.map(Effect.promise(() => import("../../Anthropic.ts")), (m) =>
      m.layer({
        model: s.model ?? "claude-3-5-haiku-20241022",
        ...(s.apiKey !== undefined ? { apiKey: s.apiKey } : {}),
        ...(s.baseUrl !== undefined ? { baseUrl: s.baseUrl } : {})
      })))
}

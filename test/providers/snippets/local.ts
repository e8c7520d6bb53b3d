import { Effect } from "effect"
import { LanguageModel } from "effect/ai"
import { Local } from "../../../src/providers/index.ts"

// `ollama serve` listens on 127.0.0.1:11434; pass baseUrl only when it runs elsewhere
export const program = (baseUrl: string = Local.presets.ollama.baseUrl) =>
  LanguageModel.generateText({ prompt: "Why is the sky blue?" }).pipe(
    Effect.map((response) => response.text),
    Effect.provide(Local.ollama({ model: "llama3.2", baseUrl }))
  )

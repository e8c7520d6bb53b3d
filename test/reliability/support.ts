/** In-memory fault injection for policy tests: a LanguageModel whose every call is decided by a script. */
import { Clock, Effect, Stream } from "effect"
import { LanguageModel } from "effect/ai"
import type { LlmError } from "../../src/llm/LlmError.ts"
import { toAiError } from "../../src/providers/ErrorMapping.ts"
import type { ReliabilityEvent } from "../../src/reliability/ReliabilityEvent.ts"
import { seededRandom } from "../../src/testing/index.ts"

/** What one call does: answer `text`, fail with an LlmError, or take `sleep` first. */
export type Outcome = { readonly text: string; readonly sleep?: string } | { readonly error: LlmError; readonly sleep?: string }

export interface Scripted {
  readonly model: LanguageModel.LanguageModel
  readonly calls: Array<{ readonly at: number; readonly prompt: string }>
  inFlight: number
  maxInFlight: number
}

const promptText = (options: LanguageModel.ProviderOptions) =>
  options.prompt.content.flatMap((m) => (m.role === "user" ? m.content.flatMap((p) => (p.type === "text" ? [p.text] : [])) : [])).join("")

/** A LanguageModel answering call n (0-based) with `script(n, prompt)`. */
export const scripted = (script: (n: number, prompt: string) => Outcome) =>
  Effect.gen(function*() {
    const state: Omit<Scripted, "model"> = { calls: [], inFlight: 0, maxInFlight: 0 }
    const model = yield* LanguageModel.make({
      generateText: (options) =>
        Effect.gen(function*() {
          const prompt = promptText(options)
          const n = state.calls.length
          state.calls.push({ at: yield* Clock.currentTimeMillis, prompt })
          const outcome = script(n, prompt)
          state.inFlight++
          state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
          yield* Effect.ensuring(
            outcome.sleep === undefined ? Effect.void : Effect.sleep(outcome.sleep as any),
            Effect.sync(() => state.inFlight--)
          )
          if ("error" in outcome) return yield* Effect.fail(toAiError("generateText", outcome.error))
          return [{ type: "text" as const, text: outcome.text }, {
            type: "finish" as const,
            reason: "stop" as const,
            usage: { inputTokens: { total: 1 }, outputTokens: { total: 1 } }
          }]
        }),
      streamText: () => Stream.make({ type: "text-delta" as const, id: "0", delta: "streamed" })
    })
    return Object.assign(state, { model }) as Scripted
  })

/** Collects reliability events into `into`. */
export const collect = (into: Array<ReliabilityEvent>) => (e: ReliabilityEvent) => Effect.sync(() => void into.push(e))

/** Deterministic PRNG (mulberry32). */
export const seeded = seededRandom

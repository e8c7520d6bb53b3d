/**
 * effect/ai, loaded the first time a call needs it. The package entry (`llm-orchestrator`) would otherwise load
 * effect/ai, and with it effect's HTTP and RPC modules (~100 modules, ~50-70 ms of a cold start), for every user, even
 * one who only builds and runs workflows with mocks or custom providers. Anyone holding a `LanguageModel` has loaded
 * it already, so the first use costs one resolved dynamic import; later uses are synchronous.
 *
 * @example
 * ```ts
 * const prompt = yield* Effect.map(effectAi, (ai) => ai.Prompt.make("hi"))
 * ```
 */
import { Effect } from "effect"

type EffectAi = typeof import("effect/ai")

let loaded: EffectAi | undefined

/** The effect/ai module (loaded once, then cached). */
export const effectAi: Effect.Effect<EffectAi> = Effect.suspend(() =>
  loaded !== undefined
    ? Effect.succeed(loaded)
    : Effect.map(Effect.promise(() => import("effect/ai")), (m) => (loaded = m))
)

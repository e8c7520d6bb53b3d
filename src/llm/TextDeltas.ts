/**
 * Where the text deltas of streamed answers go while they are written: `Llm.stream` reports each delta to the current
 * sink and goes on when the sink has taken it (so a sink that writes to a store keeps the deltas in order, before the
 * step's end). The engine installs a sink per step when someone follows the run's events, so each delta becomes a
 * `StepDelta` event with the step's path (the CLI's `run --stream`); durable runs append each delta to the run's event
 * log (the server's SSE `step.delta`). The default sink drops them.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Llm, TextDeltas } from "llm-orchestrator/llm"
 * const answer = Llm.stream({ provider: "openai", model: "gpt-4o-mini", prompt: "hi" }).pipe(
 *   Stream.mkString,
 *   Effect.provideService(TextDeltas.TextDeltas, { delta: (text) => Effect.sync(() => process.stdout.write(text)) })
 * )
 * ```
 */
import { Context, Effect } from "effect"

/**
 * A receiver of deltas, called in order; the stream waits for each call.
 *
 * @example
 * ```ts
 * const sink: TextDeltas.Sink = { delta: (text) => Effect.sync(() => chunks.push(text)) }
 * ```
 */
export interface Sink {
  readonly delta: (text: string) => Effect.Effect<void>
}

/**
 * The current sink (default: drops deltas).
 *
 * @example
 * ```ts
 * Effect.provideService(program, TextDeltas.TextDeltas, { delta: (text) => Effect.log(text) })
 * ```
 */
export const TextDeltas = Context.Reference<Sink>("llm-orchestrator/llm/TextDeltas", {
  defaultValue: () => noop
})

/**
 * The sink that drops everything.
 *
 * @example
 * ```ts
 * sink === TextDeltas.noop // nobody listens
 * ```
 */
export const noop: Sink = { delta: () => Effect.void }

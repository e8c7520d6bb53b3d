/**
 * The mocked LLM call shared by every version of every workload: one pure `respond` function, wrapped as an Effect
 * (for our engine and the hand-written Effect version) and as a Promise (for the async/await version). With a latency
 * the Effect wrapper sleeps (`Effect.sleep`) and the Promise wrapper waits on `setTimeout`, both one timer per call.
 */
import { Effect } from "effect"

/** The response of the mock: a small string that depends on the prompt (so nothing can be constant-folded away). */
export const respond = (prompt: string): string => `r${prompt.length & 7}`

/** Counts the calls per label (used by the heap measurement to know where the in-flight workflows are). */
export const calls = { embed: 0, search: 0, merge: 0, generate: 0, other: 0 }

export type Label = keyof typeof calls

/** One mocked LLM, in both shapes. */
export interface Mock {
  readonly effect: (label: Label, prompt: string) => Effect.Effect<string>
  readonly promise: (label: Label, prompt: string) => Promise<string>
}

/** Resolves immediately: `Effect.sync` / an already-resolved Promise (still one microtask hop for `await`). */
export const immediate: Mock = {
  effect: (label, prompt) =>
    Effect.sync(() => {
      calls[label]++
      return respond(prompt)
    }),
  promise: (label, prompt) => {
    calls[label]++
    return Promise.resolve(respond(prompt))
  }
}

/**
 * Holds calls until opened: the heap measurement parks every in-flight run at the same point (inside its two parallel
 * searches) before reading the heap. `arrived` counts the calls waiting.
 */
export class Gate {
  arrived = 0
  private release!: () => void
  readonly opened: Promise<void> = new Promise((resolve) => {
    this.release = resolve
  })
  open() {
    this.release()
  }
}

/**
 * Resolves after `millis` (one timer per call); the call is counted when it starts. With a gate, the calls labelled
 * `gated` then wait for it (the same Promise for both shapes: `Effect.promise` / `await`).
 */
export const delayed = (millis: number, gate?: { readonly label: Label; readonly gate: () => Gate }): Mock => ({
  effect: (label, prompt) =>
    Effect.suspend(() => {
      calls[label]++
      const slept = Effect.as(Effect.sleep(millis), respond(prompt))
      if (gate === undefined || gate.label !== label) return slept
      const g = gate.gate()
      return Effect.flatMap(slept, (response) =>
        Effect.promise(() => {
          g.arrived++
          return g.opened
        }).pipe(Effect.as(response)))
    }),
  promise: async (label, prompt) => {
    calls[label]++
    const response = await new Promise<string>((resolve) => setTimeout(resolve, millis, respond(prompt)))
    if (gate === undefined || gate.label !== label) return response
    const g = gate.gate()
    g.arrived++
    await g.opened
    return response
  }
})

/** Resets the call counters. */
export const resetCalls = () => {
  for (const key of Object.keys(calls) as Array<Label>) calls[key] = 0
}

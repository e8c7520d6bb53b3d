/**
 * Step fallbacks (`fallback` step option, dsl/Fallback.ts): what serves a step when its attempts fail for good. Tried
 * in order after the step's retries; the first that produces a value serves the step, which then succeeds with it.
 * Interruptions and defects never fall back. The last good outputs for `Fallback.cached()` live in
 * {@link LastGoodOutputs} (in memory, per process, LRU-bounded).
 */
import { Cause, Clock, Context, Duration, Effect } from "effect"
import * as Fallback from "../../dsl/Fallback.ts"
import type { AnyCtx, Node } from "../../dsl/Node.ts"
import { hash } from "../reliability/ResponseCache.ts"
import type { RunState } from "./RunState.ts"
import type { FallbackRecord } from "./RunResult.ts"

/**
 * Where the last good output of each step (per workflow, step path and inputs) is kept for `Fallback.cached()`.
 *
 * @example
 * ```ts
 * // isolate a test's cached fallbacks
 * program.pipe(Effect.provideService(LastGoodOutputs, LastGoodOutputs.make(100)))
 * ```
 */
export interface LastGoodOutputsShape {
  readonly get: (key: string) => { readonly value: unknown; readonly at: number } | undefined
  readonly set: (key: string, value: unknown, at: number) => void
}

const makeStore = (capacity: number): LastGoodOutputsShape => {
  // a Map keeps insertion order: re-inserting on write makes the first key the least recently written
  const entries = new Map<string, { readonly value: unknown; readonly at: number }>()
  return {
    get: (key) => entries.get(key),
    set: (key, value, at) => {
      entries.delete(key)
      entries.set(key, { value, at })
      if (entries.size > capacity) entries.delete(entries.keys().next().value!)
    }
  }
}

/**
 * The store of last good outputs (default: one per process, 10,000 entries); `LastGoodOutputs.make(capacity)` builds
 * another.
 *
 * @example
 * ```ts
 * Effect.provideService(program, LastGoodOutputs, LastGoodOutputs.make(100))
 * ```
 */
export const LastGoodOutputs = Object.assign(
  Context.Reference<LastGoodOutputsShape>("llm-orchestrator/engine/LastGoodOutputs", { defaultValue: () => makeStore(10_000) }),
  { make: makeStore }
)

/** The fallbacks of a node (only steps take them). */
export const fallbacksOf = (node: Node): ReadonlyArray<Fallback.Fallback<unknown, unknown>> =>
  node.kind === "step" ? Fallback.toList((node.options as { readonly fallback?: Fallback.Option<unknown, unknown> }).fallback) : []

const kindOf = { Value: "value", Cached: "cached", Workflow: "workflow" } as const

const messageOf = (error: unknown): string => {
  if (typeof error === "object" && error !== null) {
    const tag = "_tag" in error ? String((error as { _tag: unknown })._tag) : undefined
    const message = "message" in error ? String((error as { message: unknown }).message) : undefined
    if (tag !== undefined && message !== undefined && message !== "") return `${tag}: ${message}`
    return tag ?? message ?? String(error)
  }
  return String(error)
}

/**
 * Adds the node's fallbacks around `effect` (the node with its retries). `onServed` learns which fallback served.
 */
export const withFallbacks = (
  state: RunState,
  node: Node,
  path: string,
  ctx: AnyCtx,
  fallbacks: ReadonlyArray<Fallback.Fallback<unknown, unknown>>,
  onServed: (record: FallbackRecord) => void
) =>
(effect: Effect.Effect<unknown, unknown, unknown>): Effect.Effect<unknown, unknown, unknown> => {
  const caches = fallbacks.some((f) => f._tag === "Cached")
  let key: string | undefined
  const keyOf = () => (key ??= hash([state.workflow, path, ctx]))
  const remembered = caches
    ? Effect.tap(effect, (value) =>
      Effect.gen(function*() {
        const store = yield* LastGoodOutputs
        store.set(keyOf(), value, yield* Clock.currentTimeMillis)
      }))
    : effect
  return Effect.catchCause(remembered, (cause) => {
    const failure = Cause.findErrorOption(cause)
    // interruptions and defects are not the step failing: they pass through
    if (failure._tag === "None" || Cause.hasInterrupts(cause)) return Effect.failCause(cause)
    const error = failure.value
    const attempt = (i: number): Effect.Effect<unknown, unknown, unknown> => {
      if (i === fallbacks.length) return Effect.failCause(cause)
      const next = () => attempt(i + 1)
      const fallback = fallbacks[i]!
      const served = (value: unknown) =>
        Effect.sync(() => {
          const record: FallbackRecord = { kind: kindOf[fallback._tag], index: i, error: messageOf(error) }
          onServed(record)
          state.emit?.({
            _tag: "StepFallback",
            runId: state.runId,
            workflow: state.workflow,
            at: state.clock.currentTimeMillisUnsafe(),
            stepId: path,
            ...record
          })
          return value
        })
      switch (fallback._tag) {
        case "Value":
          return served(fallback.value)
        case "Cached":
          return Effect.gen(function*() {
            const store = yield* LastGoodOutputs
            const entry = store.get(keyOf())
            const now = yield* Clock.currentTimeMillis
            const fresh = entry !== undefined &&
              (fallback.maxAge === undefined || now - entry.at <= Duration.toMillis(Duration.fromInputUnsafe(fallback.maxAge)))
            return yield* (fresh ? served(entry.value) : next())
          })
        case "Workflow":
          return Effect.suspend(() => state.runGraph(state, fallback.workflow, `${path}/fallback`, fallback.input(ctx), {})).pipe(
            Effect.map((outputs) => fallback.output(outputs)),
            Effect.matchCauseEffect({
              onSuccess: served,
              onFailure: (c) => (Cause.hasInterrupts(c) ? Effect.failCause(c) : next())
            })
          )
      }
    }
    return attempt(0)
  })
}

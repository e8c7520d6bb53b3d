/**
 * The live event stream of a run (`GET /runs/{id}/events`): the run's events from the store, after the last one the
 * client saw, filtered, then the new ones as they are written, until the run has finished. Ids are the store's event
 * ids (strictly increasing per run, never repeated), so a client that reconnects with `Last-Event-ID` (EventSource
 * does so by itself, to the same URL, so with the same filters) gets exactly the events it missed. A run that
 * suspends waiting for a signal keeps its stream open: the events after the resume arrive on it.
 *
 * A `ping` event without id is sent when nothing happened for `heartbeat`, so proxies keep the connection open.
 *
 * @example
 * ```ts
 * const events = EventStream.follow(runs, "run-1", { after: 41, filter: EventStream.parseFilter("step.delta", undefined) })
 * ```
 */
import { Clock, Duration, Effect, Option, Stream } from "effect"
import type * as ApiError from "./ApiError.ts"
import type * as Model from "./Model.ts"
import type { RunServiceShape } from "./RunService.ts"

/**
 * Which events a client asked for: event types (`step.delta`; `step` matches every `step.*`) and step ids (step events
 * of other steps are left out; run events always pass the step filter).
 *
 * @example
 * ```ts
 * const f: EventStream.Filter = { types: ["step.delta", "run"], steps: ["answer"] }
 * ```
 */
export interface Filter {
  readonly types?: ReadonlyArray<string> | undefined
  readonly steps?: ReadonlyArray<string> | undefined
}

const list = (s: string | undefined) => {
  if (s === undefined) return undefined
  const items = s.split(",").map((x) => x.trim()).filter((x) => x !== "")
  return items.length === 0 ? undefined : items
}

/**
 * The filter of the query parameters `types` and `steps` (comma-separated).
 *
 * @example
 * ```ts
 * EventStream.parseFilter("step.delta,run", "answer") // { types: ["step.delta", "run"], steps: ["answer"] }
 * ```
 */
export const parseFilter = (types: string | undefined, steps: string | undefined): Filter => ({ types: list(types), steps: list(steps) })

/**
 * True when `event` passes `filter`.
 *
 * @example
 * ```ts
 * EventStream.matches({ id: 1, runId: "r", type: "step.delta", at: 0, stepId: "a" }, { types: ["step"] }) // true
 * ```
 */
export const matches = (event: Model.RunEvent, filter: Filter): boolean => {
  if (filter.types !== undefined && !filter.types.some((t) => event.type === t || event.type.startsWith(`${t}.`))) return false
  if (filter.steps !== undefined && event.stepId !== undefined && !filter.steps.some((s) => event.stepId === s || event.stepId!.startsWith(`${s}/`) || event.stepId!.startsWith(`${s}#`) || event.stepId!.startsWith(`${s}@`))) return false
  return true
}

/**
 * One SSE event as the endpoint sends it.
 *
 * @example
 * ```ts
 * const e: EventStream.SseEvent = { id: "42", event: "step.delta", data: "{...}" }
 * ```
 */
export interface SseEvent {
  readonly id?: string | undefined
  readonly event: string
  readonly data: string
}

const terminal = new Set(["succeeded", "failed", "cancelled"])

/**
 * Options of {@link follow}.
 *
 * @example
 * ```ts
 * const o: EventStream.Options = { after: undefined, filter: {}, pollInterval: "100 millis", heartbeat: "15 seconds" }
 * ```
 */
export interface Options {
  /** Start after this event id (the client's `Last-Event-ID`). */
  readonly after: number | undefined
  readonly filter: Filter
  /** How often the store is read for new events (default 100 ms). */
  readonly pollInterval?: Duration.Input | undefined
  /** A `ping` after this long without events (default 15 s). */
  readonly heartbeat?: Duration.Input | undefined
  /** Completing ends the stream (the server shuts down). */
  readonly stop?: Effect.Effect<void> | undefined
}

/**
 * The events of run `runId` from `after` on, live, ending after the run's final event.
 *
 * @example
 * ```ts
 * Stream.runForEach(EventStream.follow(runs, id, { after: undefined, filter: {} }), (e) => Console.log(e.event))
 * ```
 */
export const follow = (runs: RunServiceShape, runId: string, options: Options): Stream.Stream<SseEvent, ApiError.Unavailable> => {
  const poll = Duration.fromInputUnsafe(options.pollInterval ?? "100 millis")
  const heartbeatMillis = Duration.toMillis(Duration.fromInputUnsafe(options.heartbeat ?? "15 seconds"))
  const state = { after: options.after, finished: false, done: false, lastSent: 0, lastStatusCheck: 0 }

  const next: Effect.Effect<Option.Option<ReadonlyArray<SseEvent>>, ApiError.Unavailable> = Effect.gen(function*() {
    if (state.done) return Option.none()
    while (true) {
      const batch = yield* runs.events(runId, state.after)
      const now = yield* Clock.currentTimeMillis
      if (state.lastSent === 0) state.lastSent = now
      if (batch.length > 0) {
        state.after = batch[batch.length - 1]!.id
        for (const e of batch) if (e.type === "run" && terminal.has(String((e.data as { status?: unknown } | undefined)?.status))) state.finished = true
        const out = batch.filter((e) => matches(e, options.filter)).map((e): SseEvent => ({ id: String(e.id), event: e.type, data: JSON.stringify(e) }))
        if (out.length > 0) {
          state.lastSent = now
          return Option.some(out)
        }
        continue
      }
      // Nothing new: a finished run's stream ends; a client that reconnected after the end learns it from the status.
      if (state.finished) {
        state.done = true
        return Option.none()
      }
      if (now - state.lastStatusCheck >= 1000) {
        state.lastStatusCheck = now
        const run = yield* Effect.result(runs.get(runId))
        if (run._tag === "Failure" && run.failure._tag === "NotFound") {
          state.done = true
          return Option.none()
        }
        if (run._tag === "Success" && terminal.has(run.success.status)) {
          // Read once more: the final events may have been written between the two reads.
          state.finished = true
          continue
        }
      }
      if (now - state.lastSent >= heartbeatMillis) {
        state.lastSent = now
        return Option.some([{ event: "ping", data: "{}" }])
      }
      yield* Effect.sleep(poll)
    }
  })

  const stream = Stream.paginate(undefined, () =>
    Effect.map(next, (o) => (Option.isSome(o) ? [o.value, Option.some(undefined)] as const : [[], Option.none()] as const)))
  return options.stop === undefined ? stream : Stream.interruptWhen(stream, options.stop)
}

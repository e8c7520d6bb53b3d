/**
 * One lane of callers waiting for a rate limit, served one at a time in priority order with aging: the caller whose
 * `arrival - priority * aging` is lowest goes next (ties: first come). The caller holding the turn takes its token
 * from the limiter (waiting out the delay it is given) and passes the turn on; so a call that arrives later with a
 * higher priority overtakes the calls still waiting, never the one already holding a reservation.
 *
 * Used by `Reliability.make` for each provider and limit when no `PriorityLanes` service is in the context: the lane
 * is then per process (priorities order the calls of one worker). `SharedLimits.layer` provides lanes queued in
 * Redis instead (`SharedPriorityLane`), which order the calls of all the workers.
 *
 * @example
 * ```ts
 * const lane = PriorityLane.make()
 * yield* lane.take(priority, "10 seconds", limiter.consume({ ...options, onExceeded: "delay" }))
 * ```
 */
import { Clock, Deferred, Duration, Effect, Exit } from "effect"

interface Waiter {
  readonly order: number
  readonly seq: number
  readonly turn: Deferred.Deferred<void>
}

/**
 * A lane; see the module doc.
 *
 * @example
 * ```ts
 * const lane: PriorityLane.PriorityLane = PriorityLane.make()
 * ```
 */
export interface PriorityLane {
  /** Runs `self` when it is this caller's turn (by `priority` and arrival, `aging` per priority level). */
  readonly run: <A, E, R>(priority: number, aging: Duration.Input, self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * Takes a reservation from a limiter in turn: `reserve` runs when it is this caller's turn and returns the delay
   * after which its token is due; the turn passes on when that delay has elapsed (so at most one reservation is
   * outstanding per lane), and `take` returns then.
   */
  readonly take: <A extends { readonly delay: Duration.Duration }, E, R>(
    priority: number,
    aging: Duration.Input,
    reserve: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
  /** Callers waiting for their turn (not counting the one holding it). */
  readonly waiting: () => number
}

/**
 * A new, empty lane.
 *
 * @example
 * ```ts
 * const lane = PriorityLane.make()
 * ```
 */
export const make = (): PriorityLane => {
  let busy = false
  let seq = 0
  const queue: Array<Waiter> = []

  const passOn = () => {
    const next = queue.shift()
    if (next === undefined) busy = false
    else Deferred.doneUnsafe(next.turn, Exit.void)
  }

  const enqueue = (order: number): Waiter | undefined => {
    if (!busy) {
      busy = true
      return undefined
    }
    const waiter: Waiter = { order, seq: seq++, turn: Deferred.makeUnsafe<void>() }
    let i = queue.length
    while (i > 0 && queue[i - 1]!.order > order) i--
    queue.splice(i, 0, waiter)
    return waiter
  }

  const run: PriorityLane["run"] = (priority, aging, self) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const waiter = enqueue(now - priority * Duration.toMillis(Duration.fromInputUnsafe(aging)))
        if (waiter !== undefined) {
          yield* restore(Deferred.await(waiter.turn)).pipe(
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                const i = queue.indexOf(waiter)
                // still waiting: leave the queue; handed the turn already: pass it on
                if (i >= 0) queue.splice(i, 1)
                else passOn()
              })
            )
          )
        }
        return yield* Effect.ensuring(restore(self), Effect.sync(passOn))
      })
    )

  const take: PriorityLane["take"] = (priority, aging, reserve) =>
    run(priority, aging, Effect.tap(reserve, (r) => Duration.isZero(r.delay) ? Effect.void : Effect.sleep(r.delay)))

  return { run, take, waiting: () => queue.length }
}

/**
 * Joining forked fibers in TestClock tests without hanging: after the test has moved the clock, the fiber must be
 * done; if it is not, the test fails at once with a message instead of waiting for the test timeout.
 */
import { Effect, type Fiber } from "effect"

/**
 * The result of `fiber`, which must be done by now (after a few yields for follow-up work); fails the test with
 * "`what` is still running" otherwise.
 */
export const joinDone = <A, E>(fiber: Fiber.Fiber<A, E>, what = "the forked effect"): Effect.Effect<A, E> =>
  Effect.gen(function*() {
    for (let i = 0; i < 50 && fiber.pollUnsafe() === undefined; i++) yield* Effect.yieldNow
    const exit = fiber.pollUnsafe()
    if (exit === undefined) return yield* Effect.die(new Error(`${what} is still running (it should have finished by now)`))
    return yield* exit
  })

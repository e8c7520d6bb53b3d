/**
 * Priorities when the rate limit is the bottleneck (FR-6): waiting calls take their turn by `arrival - priority *
 * aging`, so higher priorities go first and a low one is served at the latest one aging period per level after it
 * arrived, however many higher ones keep coming. TestClock: the order is exact.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Schema } from "effect"
import { DurableRuns } from "../../src/durable/index.ts"
import { Workflow } from "../../src/index.ts"
import { TestClock } from "effect/testing"
import { Priority, PriorityLane, Reliability } from "../../src/reliability/index.ts"

const policy = Reliability.policy({
  retry: false,
  circuitBreaker: false,
  // one call per second, no burst beyond one
  rateLimit: { requestsPerMinute: 60, burst: 1 / 60, priorityAging: "10 seconds" }
})

describe("Priority", () => {
  it.effect("under a saturated limit, high-priority calls queued after low ones go first", () =>
    Effect.gen(function*() {
      const guard = yield* Reliability.make(policy)
      const served: Array<string> = []
      const call = (name: string, priority: number) =>
        guard.apply("p")(Effect.sync(() => served.push(name))).pipe(Priority.with(priority), Effect.forkChild)
      const fibers = []
      for (let i = 0; i < 4; i++) fibers.push(yield* call(`low${i}`, Priority.low))
      yield* Effect.yieldNow
      for (let i = 0; i < 4; i++) fibers.push(yield* call(`high${i}`, Priority.high))
      yield* Effect.yieldNow
      yield* TestClock.adjust("20 seconds")
      yield* Fiber.joinAll(fibers)
      // low0 took the free token and low1 the next reservation (it holds the turn, waiting out its second) before the
      // high calls queued; then every high before the remaining lows
      assert.deepStrictEqual(served, ["low0", "low1", "high0", "high1", "high2", "high3", "low2", "low3"])
    }))

  it.effect("no starvation: high calls arriving at twice the limit overtake a low one only for two aging periods (20 s)", () =>
    Effect.gen(function*() {
      const guard = yield* Reliability.make(policy)
      const served: Array<string> = []
      const call = (name: string, priority: number) =>
        guard.apply("p")(Effect.sync(() => served.push(name))).pipe(Priority.with(priority), Effect.forkChild)
      const fibers = []
      // the lane is busy (one served, one holding the next reservation, one waiting) when the low call arrives at 0
      for (const n of ["h0", "h1", "h2"]) fibers.push(yield* call(n, Priority.high))
      yield* Effect.yieldNow
      fibers.push(yield* call("low", Priority.low))
      // then two high calls every second for 40 s: the queue only grows
      for (let s = 0; s < 40; s++) {
        fibers.push(yield* call(`high@${s}a`, Priority.high))
        fibers.push(yield* call(`high@${s}b`, Priority.high))
        yield* Effect.yieldNow
        yield* TestClock.adjust("1 second")
      }
      yield* TestClock.adjust("60 seconds")
      yield* Fiber.joinAll(fibers)
      assert.strictEqual(served.length, 84)
      // low arrived at 0 two levels below (a 20 s handicap): exactly the high calls that arrived before 20 s go first
      const at = served.indexOf("low")
      const ahead = served.slice(0, at)
      assert.deepStrictEqual(ahead.slice(0, 3), ["h0", "h1", "h2"])
      assert.deepStrictEqual(
        ahead.slice(3),
        Array.from({ length: 20 }, (_, s) => [`high@${s}a`, `high@${s}b`]).flat()
      )
      assert.strictEqual(served[at + 1], "high@20a")
    }))

  it.effect("equal priorities: first come, first served", () =>
    Effect.gen(function*() {
      const lane = PriorityLane.make()
      const served: Array<number> = []
      const fibers = []
      for (let i = 0; i < 5; i++) {
        fibers.push(yield* lane.run(0, "10 seconds", Effect.andThen(Effect.sleep("1 second"), Effect.sync(() => served.push(i)))).pipe(Effect.forkChild))
      }
      yield* Effect.yieldNow
      assert.strictEqual(lane.waiting(), 4)
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.joinAll(fibers)
      assert.deepStrictEqual(served, [0, 1, 2, 3, 4])
    }))

  it.effect("an interrupted waiter leaves the lane; an interrupted holder passes the turn on", () =>
    Effect.gen(function*() {
      const lane = PriorityLane.make()
      const served: Array<string> = []
      const job = (name: string) => lane.run(0, "10 seconds", Effect.andThen(Effect.sleep("1 second"), Effect.sync(() => served.push(name))))
      const a = yield* job("a").pipe(Effect.forkChild)
      const b = yield* job("b").pipe(Effect.forkChild)
      const c = yield* job("c").pipe(Effect.forkChild)
      yield* Effect.yieldNow
      yield* Fiber.interrupt(b)
      assert.strictEqual(lane.waiting(), 1)
      yield* Fiber.interrupt(a)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(c)
      assert.deepStrictEqual(served, ["c"])
      assert.strictEqual(lane.waiting(), 0)
    }))

  it.live("a durable run carries its priority into its steps (kept with the run)", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("priority-probe", { input: Schema.Struct({ n: Schema.Number }) })
        .step("probe", () => Effect.service(Priority.Priority))
      const runs = yield* DurableRuns.DurableRuns
      const urgent = yield* runs.start(wf, { n: 1 }, { priority: 2 })
      const plain = yield* runs.start(wf, { n: 2 })
      const done = yield* runs.await(urgent.runId)
      assert.strictEqual(done.status, "succeeded", JSON.stringify(done.error))
      assert.deepStrictEqual(done.output, { probe: 2 })
      assert.deepStrictEqual((yield* runs.await(plain.runId)).output, { probe: 0 })
      assert.deepStrictEqual(urgent.options, { priority: 2 })
    }).pipe(Effect.provide(DurableRuns.layerMemory)), 20_000)

  it("parse: names and numbers", () => {
    assert.strictEqual(Priority.parse("high"), 1)
    assert.strictEqual(Priority.parse(" LOW "), -1)
    assert.strictEqual(Priority.parse("normal"), 0)
    assert.strictEqual(Priority.parse("-3"), -3)
    assert.strictEqual(Priority.parse(2.5), 2.5)
    assert.isUndefined(Priority.parse("urgent"))
    assert.isUndefined(Priority.parse(""))
  })
})

/**
 * Behaviour both run paths must share, each test run on the compiled path (`Workflow.run` without options, and with
 * `onEvent`, which the compiled path handles itself) and on the graph driver (forced by a concurrency limit no run
 * reaches: a permit per step, taken at once), plus the fast-path decision itself. The cases come from mutation testing (issue 8): each
 * is a plausible bug that no other test caught.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Effect, Exit, Schema, Semaphore } from "effect"
import { BudgetLedger } from "../../src/budget/index.ts"
import { Pricing } from "../../src/providers/index.ts"
import { Semconv, WorkflowMetrics } from "../../src/telemetry/index.ts"
import { TestClock } from "effect/testing"
import { WorkflowDefinitionError } from "../../dsl/errors.ts"
import { runGraph } from "../../src/engine/runGraph.ts"
import { inlineObservers, makeRunState, needsDriver, type Observers } from "../../src/engine/RunState.ts"
import { StepSpans } from "../../src/engine/StepSpans.ts"
import { Workflow } from "../../src/index.ts"
import { joinDone } from "../support/fibers.ts"

class Boom extends Schema.TaggedError<Boom>()("Boom", { id: Schema.String }) {}

const Input = Schema.Struct({ text: Schema.String })
const input = { text: "x" }

const paths = [
  ["compiled path", <W extends Workflow.Any>(wf: W) => Workflow.run(wf, input as Workflow.EncodedInputOf<W>)],
  ["compiled path with events", <W extends Workflow.Any>(wf: W) => Workflow.run(wf, input as Workflow.EncodedInputOf<W>, { onEvent: () => {} })],
  ["driver", <W extends Workflow.Any>(wf: W) => Workflow.run(wf, input as Workflow.EncodedInputOf<W>, { concurrency: Number.MAX_SAFE_INTEGER })]
] as const

const failureOf = (exit: Exit.Exit<unknown, unknown>) => {
  assert.isTrue(Exit.isFailure(exit))
  const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
  assert.strictEqual(error?._tag, "Some")
  return (error as { value: any }).value
}

for (const [name, run] of paths) {
  describe(`${name}: shared behaviour`, () => {
    it.effect("after a failure, the siblings still running are interrupted and finalized before the run returns", () =>
      Effect.gen(function*() {
        const log: Array<string> = []
        const wf = Workflow.make("siblings", { input: Input })
          .step("root", () => Effect.succeed(1))
          .step("fails", { needs: ["root"] }, () => Effect.andThen(Effect.yieldNow, Effect.fail(new Boom({ id: "fails" }))))
          .step("slow", { needs: ["root"] }, () =>
            Effect.never.pipe(
              // A finalizer that takes a few scheduler turns: a run that only signalled the interruption would return first.
              Effect.onInterrupt(() => Effect.andThen(Effect.repeat(Effect.yieldNow, { times: 3 }), Effect.sync(() => log.push("slow interrupted"))))
            ))
          .step("after", { needs: ["fails", "slow"] }, () => Effect.sync(() => log.push("after ran")))
        // Not forked: the test's own fiber runs the run, so nothing but the engine can interrupt `slow`.
        const exit = yield* Effect.exit(run(wf))
        assert.deepStrictEqual(log, ["slow interrupted"])
        const error = failureOf(exit)
        assert.strictEqual(error._tag, "StepFailed")
        assert.strictEqual(error.stepId, "fails")
        assert.strictEqual(exit._tag === "Failure" && exit.cause.reasons.length, 1)
      }))

    it.effect("a step that fails at once stops the start of the parallel steps declared after it", () =>
      Effect.gen(function*() {
        const started: Array<string> = []
        const step = (id: string, effect: Effect.Effect<unknown, Boom>) => () => Effect.andThen(Effect.sync(() => started.push(id)), effect)
        const wf = Workflow.make("instant", { input: Input })
          .step("a", step("a", Effect.sleep("1 second")))
          .step("b", step("b", Effect.fail(new Boom({ id: "b" }))))
          .step("c", step("c", Effect.void))
        const error = failureOf(yield* Effect.exit(run(wf)))
        assert.strictEqual(error.stepId, "b")
        assert.deepStrictEqual(started, ["a", "b"])
      }))

    it.effect("a loop whose until first holds after exactly maxIterations bodies returns that state", () =>
      Effect.gen(function*() {
        const bodies: Array<number> = []
        const wf = Workflow.make("exact", { input: Input })
          .loop("count", { needs: [], initial: () => 0, until: (n) => n >= 3, maxIterations: 3 }, (n, _ctx, iteration) =>
            Effect.sync(() => {
              bodies.push(iteration)
              return n + 1
            }))
        assert.deepStrictEqual(yield* run(wf), { count: 3 })
        assert.deepStrictEqual(bodies, [0, 1, 2])
        // One short of converging: fails with LoopMaxIterations after the same three bodies.
        const short = Workflow.make("short", { input: Input })
          .loop("count", { needs: [], initial: () => 0, until: (n) => n >= 4, maxIterations: 3 }, (n) => Effect.succeed(n + 1))
        const error = failureOf(yield* Effect.exit(run(short)))
        assert.strictEqual(error.error._tag, "LoopMaxIterations")
        assert.strictEqual(error.error.lastState, 3)
      }))

    it.effect("a branch whose on value names no case fails with UnknownBranchCase (an inherited key is no case either)", () =>
      Effect.gen(function*() {
        for (const value of ["maybe", "toString", "__proto__"]) {
          const ran: Array<string> = []
          const wf = Workflow.make("route", { input: Input })
            .branch("route", { needs: [], on: () => value as "yes" | "no" }, {
              yes: (b) => b.step("y", () => Effect.sync(() => ran.push("yes"))),
              no: (b) => b.step("n", () => Effect.sync(() => ran.push("no")))
            })
          const error = failureOf(yield* Effect.exit(run(wf)))
          assert.strictEqual(error._tag, "StepFailed")
          assert.strictEqual(error.error._tag, "UnknownBranchCase")
          assert.strictEqual(error.error.message, `Branch 'route' got '${value}', which is none of its cases (yes, no)`)
          assert.deepStrictEqual(ran, [])
        }
      }))

    it.effect("a node of a kind the engine does not know is refused before any step of its graph runs", () =>
      Effect.gen(function*() {
        const ran: Array<string> = []
        const wf = Workflow.make("bogus", { input: Input })
          .step("a", () => Effect.sync(() => ran.push("a")))
          .step("b", { needs: ["a"] }, () => Effect.sync(() => ran.push("b")))
        // Untyped code (a hand-built graph) with a kind that does not exist.
        const bad = { ...wf, nodes: [wf.nodes[0], { ...wf.nodes[1], kind: "bogus" }] } as unknown as typeof wf
        const exit = yield* Effect.exit(run(bad))
        assert.isTrue(Exit.isFailure(exit))
        const defect = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Die") : undefined
        assert.instanceOf((defect as { defect: unknown } | undefined)?.defect, WorkflowDefinitionError)
        assert.strictEqual(
          ((defect as { defect: WorkflowDefinitionError }).defect).message,
          "bogus: step 'b' has unknown kind 'bogus' (known: step, branch, map, loop, call, wait)"
        )
        assert.deepStrictEqual(ran, [])
      }))
  })
}

describe("concurrency option on Workflow.run", () => {
  it.effect("concurrency: 1 with no other option runs independent steps one at a time", () =>
    Effect.gen(function*() {
      const started: Record<string, number> = {}
      let inFlight = 0
      let most = 0
      const step = (id: string) => () =>
        Effect.gen(function*() {
          started[id] = yield* Clock.currentTimeMillis
          most = Math.max(most, ++inFlight)
          yield* Effect.sleep("1 second")
          inFlight--
          return id
        })
      const wf = Workflow.make("one-at-a-time", { input: Input }).step("a", step("a")).step("b", step("b")).step("c", step("c"))
      const fiber = yield* Effect.forkChild(Workflow.run(wf, input, { concurrency: 1 }))
      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual(yield* joinDone(fiber), { a: "a", b: "b", c: "c" })
      assert.strictEqual(most, 1)
      assert.deepStrictEqual(Object.values(started).sort(), [0, 1000, 2000])
    }))
})

describe("the fast-path decision", () => {
  /** One present value per observer: adding an observer to `Observers` is a compile error here until it has one. */
  const present: { readonly [K in keyof Observers]-?: Exclude<Observers[K], undefined | false> } = {
    emit: () => {},
    records: {},
    spans: Effect.runSync(Effect.withFiber((fiber) => Effect.succeed(StepSpans.of(fiber, fiber.getRef(Clock.Clock))))),
    semaphore: Semaphore.makeUnsafe(1),
    budget: BudgetLedger.make({ usd: 1 }, { prices: Pricing.defaults }),
    metrics: WorkflowMetrics.forWorkflow("w"),
    correlate: true,
    journal: { unit: (_unit, effect) => effect, wait: () => Effect.never }
  }
  const none: { readonly [K in keyof Observers]-?: Observers[K] } = {
    emit: undefined,
    records: undefined,
    spans: undefined,
    semaphore: undefined,
    budget: undefined,
    metrics: undefined,
    correlate: false,
    journal: undefined
  }
  const base = Effect.runSync(Effect.withFiber((fiber) =>
    Effect.succeed({
      runId: "r",
      workflow: "w",
      clock: fiber.getRef(Clock.Clock),
      usageSink: { record: () => Effect.void },
      reliabilitySink: { publish: () => Effect.void },
      runGraph,
      prices: Pricing.defaults,
      semconv: Semconv.v1_41,
      signals: undefined
    })
  ))

  it("no observer, events and records, or spans: compiled; any other observer alone: driven", () => {
    assert.strictEqual(makeRunState(base, none).mode, "compiled")
    assert.isFalse(needsDriver(none))
    assert.deepStrictEqual(Object.keys(inlineObservers).sort(), ["emit", "records", "spans"])
    assert.strictEqual(makeRunState(base, { ...none, emit: present.emit, records: present.records }).mode, "compiled")
    for (const key of Object.keys(present) as Array<keyof Observers>) {
      const mode = makeRunState(base, { ...none, [key]: present[key] }).mode
      assert.strictEqual(mode, key === "emit" || key === "records" || key === "spans" ? "compiled" : "driven", key)
      // with events and records as well: driven by any other one (spans included: not both in one run)
      if (key !== "emit" && key !== "records") {
        assert.strictEqual(makeRunState(base, { ...none, emit: present.emit, records: {}, [key]: present[key] }).mode, "driven", key)
      }
    }
    assert.strictEqual(makeRunState(base, { ...none, spans: present.spans, records: {} }).mode, "driven")
  })

  it("an observer the decision has never heard of still forces the driver", () => {
    // The decision reads every field, so a new one is counted without being listed anywhere.
    assert.isTrue(needsDriver({ ...none, tracer: {} } as unknown as Observers))
    assert.isTrue(needsDriver({ ...none, emit: present.emit, tracer: {} } as unknown as Observers))
  })
})

describe("builder definition errors", () => {
  it("untyped callers get the same WorkflowDefinitionError as the record form, naming the workflow and step", () => {
    const wf: any = Workflow.make("w", { input: Input }).step("a", () => Effect.succeed(1))
    const cases: Array<readonly [() => unknown, string, string]> = [
      [() => wf.step("a", () => Effect.succeed(2)), "a", "w: duplicate step id 'a'"],
      [() => wf.step("b", { needs: ["zz"] }, () => Effect.succeed(2)), "b", "w: step 'b' needs unknown step 'zz'"],
      [() => wf.step("input", () => Effect.succeed(2)), "input", "w: step id 'input' is reserved for the workflow input"],
      [
        () => wf.loop("l", { needs: [], initial: () => 0, until: () => true, maxIterations: 0 }, () => Effect.succeed(0)),
        "l",
        "w: loop 'l' needs maxIterations >= 1 (got 0)"
      ]
    ]
    for (const [build, stepId, message] of cases) {
      try {
        build()
        assert.fail(`expected ${message}`)
      } catch (error) {
        assert.instanceOf(error, WorkflowDefinitionError)
        assert.strictEqual((error as WorkflowDefinitionError)._tag, "WorkflowDefinitionError")
        assert.strictEqual((error as WorkflowDefinitionError).workflow, "w")
        assert.strictEqual((error as WorkflowDefinitionError).stepId, stepId)
        assert.strictEqual((error as WorkflowDefinitionError).message, message)
      }
    }
  })
})

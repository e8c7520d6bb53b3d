/**
 * The compiled path of `Workflow.run` (series-parallel graphs run as a fixed Effect program) against the graph driver
 * (which any run with `onEvent` uses): same outputs, same start time for every step, same failures and interruptions.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Effect, Exit, Fiber, Schedule, Schema } from "effect"
import { TestClock } from "effect/testing"
import { decompose, type Program, show } from "../../src/engine/decompose.ts"
import type { WorkflowEvent } from "../../src/engine/events.ts"
import { Workflow } from "../../src/index.ts"
import { seededRandom } from "../../src/testing/index.ts"
import { type Built, buildDag, kindsOf, randomDag, type Spec, summary } from "./randomDag.ts"
import { joinDone } from "../support/fibers.ts"

class Boom extends Schema.TaggedError<Boom>()("Boom", { id: Schema.String }) {}

const Input = Schema.Struct({ text: Schema.String })

/** The builder without its compile-time checks (ids are computed here). */
interface Untyped {
  step(id: string, options: { readonly needs: ReadonlyArray<string> }, run: (ctx: any) => Effect.Effect<unknown, unknown>): Untyped
}
const build = (name: string, steps: ReadonlyArray<{ readonly id: string; readonly needs: ReadonlyArray<string>; readonly run: (ctx: any) => Effect.Effect<unknown, unknown> }>) => {
  let b = Workflow.make(name, { input: Input }) as unknown as Untyped
  for (const s of steps) b = b.step(s.id, { needs: s.needs }, s.run)
  return b as unknown as Workflow.Workflow<{ readonly text: string }, { readonly text: string }, Record<string, unknown>, unknown, never>
}

/** Shape of the compiled program of a graph given as `id: needs`. */
const shape = (graph: Record<string, ReadonlyArray<string>>) => {
  const nodes = Object.entries(graph).map(([id, needs]) => ({ id, needs }))
  return show(decompose(nodes), nodes.map((n) => n.id))
}

/**
 * Runs a built random workflow on the compiled path or the driver; times are relative to the run's start. When the run
 * fails, the steps started at the very instant it failed are left out: which of them start before the failure is seen
 * is an arbitrary order of simultaneous events (a step failing at once while a sibling part starts its roots), and they
 * are interrupted before doing anything.
 */
const runBuilt = (built: Built, driver: boolean) =>
  Effect.gen(function*() {
    // The TestClock keeps going from run to run: start times are relative to this run's start.
    const rec = built.reset(yield* Clock.currentTimeMillis)
    let endedAt = Number.POSITIVE_INFINITY
    // a concurrency limit no run reaches forces the driver (a permit per step, taken at once)
    const run = (driver ? Workflow.run(built.workflow, { text: "x" }, { concurrency: Number.MAX_SAFE_INTEGER }) : Workflow.run(built.workflow, { text: "x" })).pipe(
      Effect.onError(() => Effect.map(Clock.currentTimeMillis, (now) => {
        endedAt = now - rec.t0
      }))
    )
    const fiber = yield* Effect.forkChild(Effect.exit(run))
    yield* TestClock.adjust("1000 seconds")
    const exit = yield* joinDone(fiber)
    const before = (label: string) => rec.started[label.split("~")[0]!]! < endedAt
    const started = Object.fromEntries(Object.entries(rec.started).filter(([, at]) => at < endedAt))
    return { exit, started, interrupted: rec.interrupted.filter(before).sort(), finalized: rec.finalized.filter(before).sort() }
  })

/**
 * Runs a built random workflow with events and records (`Workflow.execute` with `onEvent`), on the compiled path or the
 * driver: its exit, its events and its step records, with times relative to the run's start.
 */
const observeBuilt = (built: Built, driver: boolean) =>
  Effect.gen(function*() {
    const t0 = yield* Clock.currentTimeMillis
    built.reset(t0)
    const events: Array<WorkflowEvent> = []
    const options = { runId: "r", onEvent: (event: WorkflowEvent) => void events.push(event) }
    const run = Workflow.execute(built.workflow, { text: "x" }, driver ? { ...options, concurrency: Number.MAX_SAFE_INTEGER } : options)
    const fiber = yield* Effect.forkChild(Effect.exit(run))
    yield* TestClock.adjust("1000 seconds")
    const exit = yield* joinDone(fiber)
    // As in `runBuilt`: when the run fails, what happened at the very instant it failed is left out (which of the
    // steps ready then start before the failure is seen is an arbitrary order of simultaneous events).
    const endedAt = Exit.isFailure(exit) ? events.at(-1)!.at : Number.POSITIVE_INFINITY
    const relative = events.filter((event) => event.at < endedAt).map((event) => ({ ...event, at: event.at - t0 }))
    const records = Exit.isSuccess(exit)
      ? Object.fromEntries(Object.entries(exit.value.steps).map(([path, record]) => [path, { ...record!, startedAt: record!.startedAt - t0 }]))
      : undefined
    return { exit: Exit.isSuccess(exit) ? Exit.succeed(exit.value.outputs) : exit, events: relative, records }
  })

/** A chain of nodes and parallel groups of single nodes. */
const layered = (program: Program): boolean =>
  program._tag === "Node" ||
  (program._tag === "Series" && program.parts.every(layered)) ||
  (program._tag === "Parallel" && program.parts.every((part) => part._tag === "Node"))

const line = (event: WorkflowEvent) => `${event.at} ${event._tag} ${"stepId" in event ? event.stepId : ""}`

/** Each step's events (and the run's, under ""), in their order. */
const perStep = (events: ReadonlyArray<WorkflowEvent>) => {
  const out: Record<string, Array<WorkflowEvent>> = {}
  for (const event of events) (out["stepId" in event ? event.stepId : ""] ??= []).push(event)
  return out
}

/**
 * Runs the same random workflow both ways and asserts the same outputs or failure, schedule and interruptions; then
 * both ways again with events and records, and asserts the same events in the same order and the same records.
 */
const compare = (specs: ReadonlyArray<Spec>) =>
  Effect.gen(function*() {
    const built = buildDag("dag", specs)
    const program = show(decompose(specs), specs.map((s) => s.id))
    const fast = yield* runBuilt(built, false)
    const slow = yield* runBuilt(built, true)
    assert.deepStrictEqual(summary(fast.exit), summary(slow.exit), program)
    assert.deepStrictEqual(fast.started, slow.started, program)
    assert.deepStrictEqual(fast.interrupted, slow.interrupted, program)
    assert.deepStrictEqual(fast.finalized, slow.finalized, program)
    const seen = yield* observeBuilt(built, false)
    const driven = yield* observeBuilt(built, true)
    assert.deepStrictEqual(summary(seen.exit), summary(driven.exit), program)
    assert.deepStrictEqual(summary(seen.exit), summary(fast.exit), program)
    // The same events, each step's own in the same order, and all of them in the same order for chains of parallel
    // layers (W1-W3's shapes). Simultaneous events of independent parts may come in another order otherwise: the
    // driver starts ready nodes in the order they became ready, the program runs a part's chain on at once.
    assert.deepStrictEqual(seen.events.map((e) => JSON.stringify(e)).sort(), driven.events.map((e) => JSON.stringify(e)).sort(), program)
    assert.deepStrictEqual(perStep(seen.events), perStep(driven.events), program)
    if (layered(decompose(specs)) && specs.every((spec) => spec.kind !== "branch" && spec.kind !== "call")) {
      assert.deepStrictEqual(seen.events.map(line), driven.events.map(line), program)
    }
    assert.deepStrictEqual(seen.records, driven.records, program)
    return { program, exit: fast.exit, started: fast.started }
  })

describe("compiled path: decomposition", () => {
  it("chains, parallel layers and independent parts compile; other shapes are left to the driver", () => {
    assert.strictEqual(shape({ a: [], b: ["a"], c: ["b"] }), "a ; b ; c")
    assert.strictEqual(
      shape({ embed: [], docs: ["embed"], code: ["embed"], merged: ["docs", "code"], answer: ["merged"] }),
      "embed ; (docs | code) ; merged ; answer"
    )
    assert.strictEqual(shape({ a: [], b: [], c: ["a", "b"], d: ["a", "b"] }), "(a | b) ; (c | d)")
    assert.strictEqual(shape({ a: [], b: ["a"], x: [], y: ["x"] }), "(a ; b) | (x ; y)")
    // d needs b, which needs a: a series split after a holds (b and c both need a).
    assert.strictEqual(shape({ a: [], b: ["a"], c: ["a"], d: ["b"] }), "a ; ((b ; d) | c)")
    // The "N": c needs only a, so c could start before b ends; no split keeps that.
    assert.strictEqual(shape({ a: [], b: [], c: ["a"], d: ["a", "b"] }), "rest{a, b, c, d}")
    // A needs-ordered part before a non-decomposable one still compiles around it.
    assert.strictEqual(shape({ r: [], a: ["r"], b: ["r"], c: ["a"], d: ["a", "b"] }), "r ; rest{a, b, c, d}")
    // c needs a directly and b transitively only: c may start when b ends, which is all of a ; b.
    assert.strictEqual(shape({ a: [], b: ["a"], c: ["a", "b"] }), "a ; b ; c")
    // Needs on ids outside the graph (a branch case's visible values) do not count.
    assert.strictEqual(shape({ a: ["outside"], b: ["outside"] }), "a | b")
  })
})

describe("compiled path: large graphs", () => {
  // A spine n0 -> n3 -> n6 ... where each spine node also has two leaves: one level of nesting per spine node.
  const caterpillar = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: `n${i}`, needs: i % 3 === 0 ? (i === 0 ? [] : [`n${i - 3}`]) : [`n${i - (i % 3)}`] }))

  it("a deeply nested shape is compiled down to a budget of node visits, the rest left to the driver", () => {
    const nodes = caterpillar(3000)
    const program = show(decompose(nodes), nodes.map((n) => n.id))
    assert.isTrue(program.startsWith("n0 ; (n1 | n2 | (n3 ; (n4 | n5 | (n6 ; "))
    assert.include(program, "rest{")
    const chain = Array.from({ length: 3000 }, (_, i) => ({ id: `n${i}`, needs: i === 0 ? [] : [`n${i - 1}`] }))
    assert.notInclude(show(decompose(chain), chain.map((n) => n.id)), "rest{")
  })

  it.effect("such a graph gives the same outputs on both paths", () =>
    Effect.gen(function*() {
      const wf = build("caterpillar", caterpillar(1500).map((s) => ({
        id: s.id,
        needs: s.needs,
        run: (ctx: Record<string, unknown>) => Effect.succeed(`${s.id}<${s.needs.map((need) => String(ctx[need]).length).join(",")}>`)
      })))
      const fast = yield* Workflow.run(wf, { text: "x" })
      const slow = yield* Workflow.run(wf, { text: "x" }, { concurrency: Number.MAX_SAFE_INTEGER })
      assert.strictEqual(Object.keys(fast).length, 1500)
      assert.deepStrictEqual(fast, slow)
      assert.deepStrictEqual(Object.keys(fast), Object.keys(slow))
    }))
})

describe("compiled path: same schedule as the driver", () => {
  it.effect("random DAGs: same outputs and the same start time for every step", () =>
    Effect.gen(function*() {
      const next = seededRandom(20261124)
      let compiled = 0
      let partly = 0
      for (let g = 0; g < 150; g++) {
        const specs = randomDag(next, { failures: false, kinds: false })
        const { program, started } = yield* compare(specs)
        if (program.includes("rest{")) partly++
        else compiled++
        assert.strictEqual(Object.keys(started).length, specs.length)
      }
      // Both the fully compiled programs and the driver fallbacks inside them were exercised.
      assert.isAbove(compiled, 30)
      assert.isAbove(partly, 10)
    }))

  it.effect("random DAGs with failing steps: same error, same steps started, interrupted and finalized", () =>
    Effect.gen(function*() {
      const next = seededRandom(7)
      let failures = 0
      for (let g = 0; g < 150; g++) {
        const { exit } = yield* compare(randomDag(next, { failures: true, kinds: false }))
        if (Exit.isFailure(exit)) failures++
      }
      assert.isAbove(failures, 30)
    }))

  it.effect("random DAGs of every kind (retry, timeout, map, loop, branch, call), with failures: the same runs", () =>
    Effect.gen(function*() {
      const next = seededRandom(16)
      const seen: Record<string, number> = {}
      const errors: Record<string, number> = {}
      for (let g = 0; g < 200; g++) {
        const specs = randomDag(next, { failures: g % 2 === 0, kinds: true })
        kindsOf(specs, seen)
        const { exit } = yield* compare(specs)
        if (Exit.isFailure(exit)) {
          const error = Cause.findErrorOption(exit.cause)
          const inner = error._tag === "Some" ? (error.value as { error?: { _tag?: string } }).error?._tag ?? "?" : "defect"
          errors[inner] = (errors[inner] ?? 0) + 1
        }
      }
      // Every kind and step mode was generated, nested and at top level, and each kind of failure happened.
      for (const kind of ["step", "step:fails", "step:instant", "step:flaky", "step:exhausted", "step:timeout", "map", "loop", "branch", "call"]) {
        assert.isAbove(seen[kind] ?? 0, 5, kind)
      }
      for (const tag of ["Boom", "LoopMaxIterations"]) assert.isAbove(errors[tag] ?? 0, 3, tag)
    }), 180_000)
})

describe("compiled path: failures and interruption", () => {
  const rag = (fail: "docs" | "none", finalized: Array<string>) =>
    Workflow.make("rag", { input: Input })
      .step("embed", (ctx) => Effect.succeed(ctx.input.text.length))
      .step("docs", { needs: ["embed"] }, () =>
        fail === "docs"
          ? Effect.andThen(Effect.sleep("1 second"), Effect.fail(new Boom({ id: "docs" })))
          : Effect.as(Effect.sleep("1 second"), "d"))
      .step("code", { needs: ["embed"] }, () =>
        Effect.as(Effect.sleep("1 hour"), "c").pipe(Effect.ensuring(Effect.sync(() => finalized.push("code")))))
      .step("merged", { needs: ["docs", "code"] }, (ctx) => Effect.sync(() => {
        finalized.push("merged ran")
        return ctx.docs + ctx.code
      }))

  it.effect("a failing step fails the run with StepFailed (attempt 1) alone, after its siblings' finalizers ran", () =>
    Effect.gen(function*() {
      assert.strictEqual(shape({ embed: [], docs: ["embed"], code: ["embed"], merged: ["docs", "code"] }), "embed ; (docs | code) ; merged")
      const finalized: Array<string> = []
      const fiber = yield* Effect.forkChild(Effect.exit(Workflow.run(rag("docs", finalized), { text: "x" })))
      yield* TestClock.adjust("1 second")
      const exit = yield* joinDone(fiber)
      assert.deepStrictEqual(finalized, ["code"])
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        assert.strictEqual(exit.cause.reasons.length, 1)
        const error = Cause.findErrorOption(exit.cause)
        assert.strictEqual(error._tag, "Some")
        if (error._tag === "Some") {
          const failed = error.value as { _tag: string; stepId: string; attempt: number; message: string; error: Boom }
          assert.strictEqual(failed._tag, "StepFailed")
          assert.strictEqual(failed.stepId, "docs")
          assert.strictEqual(failed.attempt, 1)
          assert.strictEqual(failed.message, `Step 'docs' failed on attempt 1: Boom`)
          assert.strictEqual(failed.error.id, "docs")
        }
      }
    }))

  it.effect("interrupting a compiled run interrupts the parallel steps and runs their finalizers", () =>
    Effect.gen(function*() {
      const finalized: Array<string> = []
      const fiber = yield* Effect.forkChild(Workflow.run(rag("none", finalized), { text: "x" }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(finalized, ["code"])
    }))

  it.effect("a step function that throws is a defect of the run, as with the driver", () =>
    Effect.gen(function*() {
      const wf = build("throws", [
        { id: "a", needs: [], run: () => Effect.succeed(1) },
        { id: "b", needs: ["a"], run: () => { throw new Error("bug in b") } },
        { id: "c", needs: ["a"], run: () => Effect.succeed(3) }
      ])
      const fast = yield* Effect.exit(Workflow.run(wf, { text: "x" }))
      const slow = yield* Effect.exit(Workflow.run(wf, { text: "x" }, { onEvent: () => {} }))
      for (const exit of [fast, slow]) {
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) {
          assert.deepStrictEqual(exit.cause.reasons.map((r) => r._tag), ["Die"])
          assert.strictEqual(Cause.pretty(exit.cause).includes("bug in b"), true)
        }
      }
    }))

  it.effect("steps with retries, timeouts and output Schemas keep their attempts and errors inside a compiled program", () =>
    Effect.gen(function*() {
      let attempts = 0
      const wf = Workflow.make("mixed", { input: Input })
        .step("a", () => Effect.succeed(2))
        .step("flaky", { needs: ["a"], retry: { schedule: Schedule.spaced("1 second"), times: 2 } }, () =>
          Effect.suspend(() => {
            attempts++
            return Effect.fail(new Boom({ id: `try ${attempts}` }))
          }))
        .step("other", { needs: ["a"], output: Schema.Number }, () => Effect.succeed(3))
      const fiber = yield* Effect.forkChild(Effect.flip(Workflow.run(wf, { text: "x" })))
      yield* TestClock.adjust("2 seconds")
      const error = yield* joinDone(fiber)
      assert.strictEqual(attempts, 3)
      assert.strictEqual(error._tag, "StepFailed")
      if (error._tag === "StepFailed") {
        assert.strictEqual(error.stepId, "flaky")
        assert.strictEqual(error.attempt, 3)
        assert.strictEqual(error.message, "Step 'flaky' failed on attempt 3: Boom")
      }

      const badOutput = Workflow.make("bad-output", { input: Input })
        .step("a", () => Effect.succeed(1))
        .step("b", { needs: ["a"], output: Schema.String }, () => Effect.succeed(42 as unknown as string))
        .step("c", { needs: ["a"] }, () => Effect.succeed("c"))
      const outputError = yield* Effect.flip(Workflow.run(badOutput, { text: "x" }))
      assert.strictEqual(outputError._tag, "StepFailed")
      if (outputError._tag === "StepFailed") {
        assert.strictEqual(outputError.stepId, "b")
        assert.strictEqual(outputError.attempt, 1)
        assert.strictEqual((outputError.error as { _tag: string })._tag, "StepOutputError")
      }
    }))

  it.effect("branch cases and called workflows compile too, with their step paths in errors", () =>
    Effect.gen(function*() {
      const sub = Workflow.make("sub", { input: Schema.Struct({ n: Schema.Number }) })
        .step("x", (ctx) => Effect.succeed(ctx.input.n + 1))
        .step("y", (ctx) => Effect.succeed(ctx.input.n + 2))
        .step("boom", { needs: ["x", "y"] }, (ctx) => ctx.x + ctx.y > 100 ? Effect.fail(new Boom({ id: "sub" })) : Effect.succeed(ctx.x + ctx.y))
      const wf = Workflow.make("outer", { input: Schema.Struct({ n: Schema.Number }) })
        .step("n", (ctx) => Effect.succeed(ctx.input.n))
        .call("sub", { needs: ["n"], input: (ctx) => ({ n: ctx.n }) }, sub)
        .branch("route", { needs: ["n"], on: (ctx) => (ctx.n > 5 ? "big" as const : "small" as const) }, {
          big: (b) => b.step("p", { needs: ["n"] }, (ctx) => Effect.succeed(`big ${ctx.n}`)).step("q", { needs: ["n"] }, () => Effect.succeed("q")),
          small: (b) => b.step("p", () => Effect.succeed("small"))
        })
      assert.deepStrictEqual(yield* Workflow.run(wf, { n: 7 }), {
        n: 7,
        sub: { x: 8, y: 9, boom: 17 },
        route: { case: "big", value: { p: "big 7", q: "q" } }
      })
      const error = yield* Effect.flip(Workflow.run(wf, { n: 60 }))
      assert.strictEqual(error._tag, "StepFailed")
      if (error._tag === "StepFailed") {
        assert.strictEqual(error.stepId, "sub/boom")
        assert.strictEqual(error.message, "Step 'sub/boom' failed on attempt 1: Boom")
      }
    }))
})

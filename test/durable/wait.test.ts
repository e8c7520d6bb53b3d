/**
 * Wait steps (human in the loop): in memory from the `signals` option, and durably: the run suspends, shows what it
 * waits for, goes on when the signal arrives (without re-running earlier steps), refuses a wrong-typed signal with the
 * field named while it keeps waiting, keeps a signal that came first, times out, and never loses a wake-up.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Schema } from "effect"
import { Durable, DurableRuns } from "../../src/durable/index.ts"
import { Workflow } from "../../src/index.ts"

const Input = Schema.Struct({ text: Schema.String })
const Approval = Schema.Struct({ approved: Schema.Boolean, note: Schema.String })

const makeReview = (calls: Record<string, number>) =>
  Workflow.make("review", { input: Input })
    .step("draft", (ctx) => Effect.sync(() => {
      calls["draft"] = (calls["draft"] ?? 0) + 1
      return `draft of ${ctx.input.text}`
    }))
    .wait("approve", { needs: ["draft"], signal: Approval, request: (ctx) => ({ draft: ctx.draft }) })
    .step("publish", { needs: ["draft", "approve"] }, (ctx) => Effect.sync(() => {
      calls["publish"] = (calls["publish"] ?? 0) + 1
      return ctx.approve.approved ? `published ${ctx.draft} (${ctx.approve.note})` : "held"
    }))

/** Polls the run until `predicate` holds (the engine works in the background). */
const until = (runId: string, predicate: (view: DurableRuns.RunView) => boolean) =>
  Effect.gen(function*() {
    const runs = yield* DurableRuns.DurableRuns
    for (let i = 0; i < 500; i++) {
      const view = yield* runs.get(runId)
      if (predicate(view)) return view
      yield* Effect.sleep("10 millis")
    }
    return yield* Effect.die(new Error(`run ${runId} never reached the expected state`))
  })

describe("wait steps in memory", () => {
  it.effect("take their value from the signals option, decoded with the signal Schema", () =>
    Effect.gen(function*() {
      const calls: Record<string, number> = {}
      const wf = makeReview(calls)
      const outputs = yield* Workflow.run(wf, { text: "t" }, { signals: { approve: { approved: true, note: "ok" } } })
      assert.deepStrictEqual(outputs, { draft: "draft of t", approve: { approved: true, note: "ok" }, publish: "published draft of t (ok)" })

      const missing = yield* Effect.flip(Workflow.run(wf, { text: "t" }))
      assert.strictEqual(missing._tag, "StepFailed")
      assert.strictEqual((missing as { error: { _tag: string } }).error._tag, "NoSignal")

      const bad = yield* Effect.flip(Workflow.run(wf, { text: "t" }, { signals: { approve: { approved: "yes" } } }))
      const error = (bad as { error: { _tag: string; issues: ReadonlyArray<{ path: string }>; message: string } }).error
      assert.strictEqual(error._tag, "SignalInvalid")
      assert.deepStrictEqual(error.issues.map((i) => i.path), ["approved", "note"])
      assert.include(error.message, "Signal for 'approve' is invalid: approved: Expected boolean")
    }))
})

describe("wait steps in durable runs", () => {
  it.live("the run suspends, shows its request, and goes on with the signal without re-running earlier steps", () =>
    Effect.gen(function*() {
      const calls: Record<string, number> = {}
      const wf = makeReview(calls)
      const runs = yield* DurableRuns.DurableRuns
      const run = yield* Durable.start(wf, { text: "t" })
      const waiting = yield* until(run.runId, (v) => v.run.status === "suspended")
      assert.deepStrictEqual(waiting.waits.map((w) => [w.stepId, w.request, w.signal]), [["approve", { draft: "draft of t" }, undefined]])
      assert.deepStrictEqual(waiting.steps.map((s) => [s.name, s.status]), [["draft", "succeeded"]])

      yield* Durable.signal(wf, run.runId, "approve", { approved: true, note: "ship it" })
      const outputs = yield* Durable.result(wf, run.runId)
      assert.deepStrictEqual(outputs, { draft: "draft of t", approve: { approved: true, note: "ship it" }, publish: "published draft of t (ship it)" })
      // The body was replayed after the signal; the draft step's journaled output was reused.
      assert.deepStrictEqual(calls, { draft: 1, publish: 1 })
      const statuses = (yield* runs.events(run.runId)).filter((e) => e.type === "RunStatus").map((e) => (e.data as { status: string }).status)
      assert.deepStrictEqual(statuses, ["pending", "running", "suspended", "running", "succeeded"])
    }).pipe(Effect.provide(DurableRuns.layerMemory)))

  it.live("a wrong-typed signal is refused with the fields named; the run keeps waiting and takes a good one", () =>
    Effect.gen(function*() {
      const wf = makeReview({})
      const runs = yield* DurableRuns.DurableRuns
      const run = yield* Durable.start(wf, { text: "t" })
      yield* until(run.runId, (v) => v.run.status === "suspended")
      const refused = yield* Effect.flip(runs.signal(run.runId, "approve", { approved: "yes" }))
      assert.strictEqual(refused._tag, "SignalInvalid")
      if (refused._tag === "SignalInvalid") {
        assert.deepStrictEqual(refused.issues.map((i) => i.path), ["approved", "note"])
        assert.include(refused.message, `Signal for 'approve' of run '${run.runId}' is invalid: approved: Expected boolean; note: Missing key`)
      }
      const still = yield* runs.get(run.runId)
      assert.strictEqual(still.run.status, "suspended")
      assert.strictEqual(still.waits[0]!.signal, undefined)

      const notAWait = yield* Effect.flip(runs.signal(run.runId, "aprove", { approved: true, note: "x" }))
      assert.strictEqual(notAWait._tag, "NotAWait")
      assert.strictEqual(notAWait.message, `Run '${run.runId}' has no wait step 'aprove' (its wait steps: approve)`)

      yield* runs.signal(run.runId, "approve", { approved: false, note: "no" })
      const twice = yield* Effect.flip(runs.signal(run.runId, "approve", { approved: true, note: "yes" }))
      assert.strictEqual(twice._tag, "AlreadySignalled")
      assert.deepStrictEqual(yield* Durable.result(wf, run.runId), { draft: "draft of t", approve: { approved: false, note: "no" }, publish: "held" })
      const finished = yield* Effect.flip(runs.signal(run.runId, "approve", { approved: true, note: "late" }))
      assert.strictEqual(finished._tag, "RunFinished")
    }).pipe(Effect.provide(DurableRuns.layerMemory)))

  it.live("a signal that arrives before the run reaches its wait is kept and delivered", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("early", { input: Input })
        .step("slow", () => Effect.as(Effect.sleep("200 millis"), "slow done"))
        .wait("approve", { needs: ["slow"], signal: Approval })
      const runs = yield* DurableRuns.DurableRuns
      const run = yield* Durable.start(wf, { text: "t" })
      yield* Durable.signal(wf, run.runId, "approve", { approved: true, note: "early" })
      const outputs = yield* Durable.result(wf, run.runId)
      assert.deepStrictEqual(outputs.approve, { approved: true, note: "early" })
      const view = yield* runs.get(run.runId)
      assert.isBelow(view.waits[0]!.signalledAt!, view.waits[0]!.waitingSince!)
    }).pipe(Effect.provide(DurableRuns.layerMemory)))

  it.live("a wait with a timeout fails with WaitTimedOut when no signal comes; a late signal is refused", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("timeout", { input: Input })
        .wait("approve", { signal: Approval, timeout: "300 millis" })
        .step("after", { needs: ["approve"] }, () => Effect.succeed("never"))
      const runs = yield* DurableRuns.DurableRuns
      const run = yield* Durable.start(wf, { text: "t" })
      const started = Date.now()
      const exit = yield* Effect.exit(Durable.result(wf, run.runId))
      assert.isAtLeast(Date.now() - started, 250)
      assert.isTrue(Exit.isFailure(exit))
      const failure = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
      const error = (failure as { value: { _tag: string; error: { _tag: string; error: { _tag: string; stepId: string } } } } | undefined)?.value
      assert.strictEqual(error?._tag, "DurableRunFailed")
      assert.strictEqual(error?.error._tag, "StepFailed")
      assert.strictEqual(error?.error.error._tag, "WaitTimedOut")
      assert.strictEqual(error?.error.error.stepId, "approve")
      const late = yield* Effect.flip(runs.signal(run.runId, "approve", { approved: true, note: "late" }))
      assert.strictEqual(late._tag, "RunFinished")
    }).pipe(Effect.provide(DurableRuns.layerMemory)))

  it.live("a wait inside a branch case is signalled by its path", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("nested", { input: Input })
        .step("kind", (ctx) => Effect.succeed(ctx.input.text === "risky" ? "risky" as const : "safe" as const))
        .branch("route", { needs: ["kind"], on: (ctx) => ctx.kind }, {
          risky: (b) => b.wait("approve", { signal: Approval }),
          safe: (b) => b.step("auto", () => Effect.succeed("auto"))
        })
      const runs = yield* DurableRuns.DurableRuns
      const run = yield* Durable.start(wf, { text: "risky" })
      yield* until(run.runId, (v) => v.run.status === "suspended")
      yield* runs.signal(run.runId, "route/risky/approve", { approved: true, note: "nested" })
      const outputs = yield* Durable.result(wf, run.runId)
      assert.deepStrictEqual(outputs.route, { case: "risky", value: { approve: { approved: true, note: "nested" } } })
    }).pipe(Effect.provide(DurableRuns.layerMemory)))

  it.live("no lost wake-ups: 1,000 runs signalled at random moments around their suspension all finish", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("race", { input: Schema.Struct({ i: Schema.Number }) })
        .step("before", (ctx) => Effect.succeed(ctx.input.i))
        .wait("go", { needs: ["before"], signal: Schema.Number })
        .step("after", { needs: ["before", "go"] }, (ctx) => Effect.succeed(ctx.before + ctx.go))
      const runs = yield* DurableRuns.DurableRuns
      const results = yield* Effect.forEach(Array.from({ length: 1000 }, (_, i) => i), (i) =>
        Effect.gen(function*() {
          const run = yield* Durable.start(wf, { i })
          // 0-3 ms after the start: before, during or after the moment the run suspends on its wait.
          const delay = i % 4
          if (delay > 0) yield* Effect.sleep(`${delay} millis`)
          yield* runs.signal(run.runId, "go", i)
          return yield* Durable.result(wf, run.runId).pipe(Effect.timeout("20 seconds"))
        }), { concurrency: 50 })
      assert.strictEqual(results.length, 1000)
      results.forEach((r, i) => assert.strictEqual(r.after, 2 * i))
    }).pipe(Effect.provide(DurableRuns.layerMemory)), 120_000)
})

/**
 * The life of durable runs around them: resuming after a definition changed (refused with the changed step named,
 * unless forced), `check` replaying stored journals against a new definition, re-running from a step (reusing the
 * journaled outputs before it), pruning finished runs with the engine's rows, and refusing what cannot run durably.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Durable, DurableRuns } from "../../src/durable/index.ts"
import { Workflow } from "../../src/index.ts"

const Input = Schema.Struct({ text: Schema.String })
const dir = mkdtempSync(join(tmpdir(), "llmo-lifecycle-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const waitFor = (runId: string, predicate: (view: DurableRuns.RunView) => boolean) =>
  Effect.gen(function*() {
    const runs = yield* DurableRuns.DurableRuns
    for (let i = 0; i < 1000; i++) {
      const view = yield* runs.get(runId)
      if (predicate(view)) return view
      yield* Effect.sleep("5 millis")
    }
    return yield* Effect.die(new Error(`run ${runId} never reached the expected state`))
  })

describe("definition changes", () => {
  const v1 = Workflow.make("review", { input: Input })
    .step("draft", (ctx) => Effect.succeed(`draft ${ctx.input.text}`))
    .wait("approve", { needs: ["draft"], signal: Schema.Boolean })
    .step("publish", { needs: ["draft", "approve"] }, (ctx) => Effect.succeed(ctx.approve ? `published ${ctx.draft}` : "held"))
  // The publish step no longer needs the draft: a journal of v1 cannot be replayed on it as is.
  const breaking = Workflow.make("review", { input: Input })
    .step("draft", (ctx) => Effect.succeed(`draft ${ctx.input.text}`))
    .wait("approve", { needs: ["draft"], signal: Schema.Boolean })
    .step("publish", { needs: ["approve"] }, (ctx) => Effect.succeed(ctx.approve ? "published (v2)" : "held (v2)"))
  // Only a step added at the end: compatible.
  const compatible = v1.step("notify", { needs: ["publish"] }, (ctx) => Effect.succeed(`notified: ${ctx.publish}`))

  it.live("a resume on a changed definition is refused with the changed step named; forced, it runs on the new one", () =>
    Effect.gen(function*() {
      const runs = yield* DurableRuns.DurableRuns
      const run = yield* Durable.start(v1, { text: "t" })
      yield* waitFor(run.runId, (v) => v.run.status === "suspended")
      // A redeploy: the process now has the new definition.
      yield* runs.register(breaking)
      const report = yield* runs.check(breaking)
      assert.deepStrictEqual(report.map((r) => [r.runId, r.compatible, r.problems]), [[run.runId, false, ["step 'publish' changed (needs [draft, approve] -> [approve])"]]])
      yield* runs.signal(run.runId, "approve", true)
      const blocked = yield* waitFor(run.runId, (v) => v.run.blocked !== undefined)
      assert.strictEqual(
        blocked.run.blocked,
        "definition of 'review' changed since the run started: step 'publish' changed (needs [draft, approve] -> [approve]); resume with --force to run it anyway"
      )
      assert.notStrictEqual(blocked.run.status, "succeeded")
      yield* runs.resume(run.runId, { force: true })
      const done = yield* runs.await(run.runId)
      assert.strictEqual(done.status, "succeeded")
      assert.deepStrictEqual(done.output, { draft: "draft t", approve: true, publish: "published (v2)" })
    }).pipe(Effect.provide(DurableRuns.layerMemory)))

  it.live("a compatible change (a step added) resumes without being asked, and runs the new step", () =>
    Effect.gen(function*() {
      const runs = yield* DurableRuns.DurableRuns
      const run = yield* Durable.start(v1, { text: "t" })
      yield* waitFor(run.runId, (v) => v.run.status === "suspended")
      yield* runs.register(compatible)
      assert.deepStrictEqual((yield* runs.check(compatible)).map((r) => r.compatible), [true])
      yield* runs.signal(run.runId, "approve", true)
      const done = yield* runs.await(run.runId)
      assert.deepStrictEqual(done.output, { draft: "draft t", approve: true, publish: "published draft t", notify: "notified: published draft t" })
    }).pipe(Effect.provide(DurableRuns.layerMemory)))

  it.live("check replays stored journals: a changed branch decision is found although the shape is the same", () =>
    Effect.gen(function*() {
      const routed = (pick: (n: number) => "small" | "big") =>
        Workflow.make("routed", { input: Input })
          .step("n", (ctx) => Effect.succeed(ctx.input.text.length))
          .branch("route", { needs: ["n"], on: (ctx) => pick(ctx.n) }, {
            small: (b) => b.step("x", () => Effect.succeed("small")),
            big: (b) => b.step("y", () => Effect.succeed("big"))
          })
      const before = routed((n) => (n > 3 ? "big" : "small"))
      const after = routed((n) => (n > 1 ? "big" : "small"))
      const runs = yield* DurableRuns.DurableRuns
      const run = yield* Durable.start(before, { text: "ab" })
      assert.strictEqual((yield* runs.await(run.runId)).status, "succeeded")
      assert.deepStrictEqual((yield* runs.check(before, { all: true })).map((r) => r.compatible), [true])
      const report = yield* runs.check(after, { all: true })
      assert.deepStrictEqual(report.map((r) => r.compatible), [false])
      assert.deepStrictEqual(report[0]!.problems, ["step 'route/big/y' would run now, but the stored run never ran it"])
    }).pipe(Effect.provide(DurableRuns.layerMemory)))
})

describe("rerun from a step", () => {
  const counting = (calls: Record<string, number>) => {
    const count = (id: string) => (calls[id] = (calls[id] ?? 0) + 1)
    return Workflow.make("chain", { input: Input })
      .step("a", (ctx) => Effect.sync(() => (count("a"), ctx.input.text.length)))
      .step("b", { needs: ["a"], output: Schema.Number }, (ctx) => Effect.sync(() => (count("b"), ctx.a * 10)))
      .step("c", { needs: ["b"] }, (ctx) => Effect.sync(() => (count("c"), `c(${ctx.b})`)))
      .step("side", (ctx) => Effect.sync(() => (count("side"), ctx.input.text.toUpperCase())))
  }

  it.live("reuses the outputs of the steps that do not depend on it, re-runs it and its dependants, or takes a value", () =>
    Effect.gen(function*() {
      const calls: Record<string, number> = {}
      const wf = counting(calls)
      const runs = yield* DurableRuns.DurableRuns
      const first = yield* Durable.start(wf, { text: "abc" })
      assert.deepStrictEqual((yield* runs.await(first.runId)).output, { a: 3, b: 30, c: "c(30)", side: "ABC" })
      assert.deepStrictEqual(calls, { a: 1, b: 1, c: 1, side: 1 })

      const again = yield* runs.rerun(first.runId, { from: "b" })
      assert.strictEqual(again.parentRunId, first.runId)
      assert.strictEqual(again.rerunFrom, "b")
      assert.deepStrictEqual((yield* runs.await(again.runId)).output, { a: 3, b: 30, c: "c(30)", side: "ABC" })
      assert.deepStrictEqual(calls, { a: 1, b: 2, c: 2, side: 1 })

      const edited = yield* runs.rerun(first.runId, { from: "b", value: 7 })
      assert.deepStrictEqual((yield* runs.await(edited.runId)).output, { a: 3, b: 7, c: "c(7)", side: "ABC" })
      assert.deepStrictEqual(calls, { a: 1, b: 2, c: 3, side: 1 })

      const bad = yield* Effect.flip(runs.rerun(first.runId, { from: "b", value: "seven" }))
      assert.strictEqual(bad._tag, "SignalInvalid")
      const unknown = yield* Effect.flip(runs.rerun(first.runId, { from: "bb" }))
      assert.strictEqual(unknown._tag, "UnknownStep")
      assert.strictEqual(unknown.message, `Run '${first.runId}' has no step 'bb' (steps: a, b, c, side)`)
    }).pipe(Effect.provide(DurableRuns.layerMemory)))
})

describe("prune", () => {
  it.live("deletes finished runs older than the cutoff, with the engine's rows of them; keeps the rest", () =>
    Effect.gen(function*() {
      const file = join(dir, "prune.db")
      const wf = Workflow.make("short", { input: Input }).step("a", (ctx) => Effect.succeed(ctx.input.text))
      const waiting = Workflow.make("waiting", { input: Input }).wait("w", { signal: Schema.Boolean })
      const program = Effect.gen(function*() {
        const runs = yield* DurableRuns.DurableRuns
        const old = yield* Durable.start(wf, { text: "old" })
        yield* runs.await(old.runId)
        const open = yield* Durable.start(waiting, { text: "open" })
        yield* waitFor(open.runId, (v) => v.run.status === "suspended")
        // Wide margins: on a loaded machine a second can pass between the recent run's end and the prune.
        yield* Effect.sleep("2500 millis")
        const recent = yield* Durable.start(wf, { text: "recent" })
        yield* runs.await(recent.runId)
        // The engine's rows: messages of the three executions (each run's requests, activities, replies).
        const messages = () => {
          const db = new DatabaseSync(file, { readOnly: true })
          try {
            return (db.prepare("SELECT count(*) AS n FROM cluster_messages").get() as { n: number }).n
          } finally {
            db.close()
          }
        }
        const before = messages()
        const pruned = yield* runs.prune({ olderThan: "1500 millis" })
        assert.deepStrictEqual(pruned, [old.runId])
        const after = messages()
        assert.isBelow(after, before)
        assert.isAbove(after, 0)
        assert.deepStrictEqual((yield* runs.list()).map((r) => r.runId).sort(), [open.runId, recent.runId].sort())
        assert.strictEqual((yield* Effect.flip(runs.get(old.runId)))._tag, "RunNotFound")
      })
      yield* program.pipe(Effect.provide(DurableRuns.layer({ store: `sqlite:${file}` })))
    }))
})

describe("what cannot run durably is refused before the run", () => {
  it.live("step ids with unit-name separators, and an output that is not JSON without a Schema", () =>
    Effect.gen(function*() {
      const runs = yield* DurableRuns.DurableRuns
      const badId = Workflow.make("bad-id", { input: Input }).step("a#1", () => Effect.succeed(1))
      const refused = yield* Effect.flip(Durable.start(badId, { text: "t" }))
      assert.strictEqual(refused._tag, "NotDurable")
      assert.strictEqual(
        refused.message,
        "Workflow 'bad-id' cannot run durably: step 'a#1': step ids of durable runs cannot contain '#' (it separates parts of unit names: / # @ ~); rename the step"
      )
      assert.deepStrictEqual(yield* runs.list(), [])

      const dates = Workflow.make("dates", { input: Input })
        .step("at", () => Effect.succeed({ at: new Date(0) }))
        .step("after", { needs: ["at"] }, () => Effect.succeed("never"))
      // The compiler refuses it (test/types/messages/durable-persistable.ts); callers it does not see (YAML, graphs
      // built by hand, casts) meet the same check when the step returns.
      // @ts-expect-error step 'at' returns a Date and declares no output Schema
      const error = yield* Effect.flip(Durable.run(dates, { text: "t" }))
      assert.strictEqual(error._tag, "DurableRunFailed")
      const failed = (error as { error: { stepId: string; error: { _tag: string; message: string } } }).error
      assert.strictEqual(failed.stepId, "at")
      assert.strictEqual(failed.error._tag, "NotPersistable")
      assert.include(failed.error.message, "Step 'at' returned a value that a durable run cannot store: value.at is a Date. Declare `output: <Schema>`")

      // With a Schema it is stored (encoded) and comes back a Date.
      const withSchema = Workflow.make("dates-ok", { input: Input })
        .step("at", { output: Schema.Struct({ at: Schema.Date }) }, () => Effect.succeed({ at: new Date(0) }))
      const outputs = yield* Durable.run(withSchema, { text: "t" })
      assert.instanceOf(outputs.at.at, Date)
      assert.strictEqual(outputs.at.at.getTime(), 0)

      const badInput = yield* Effect.flip(Durable.start(withSchema, { text: 1 } as never))
      assert.strictEqual(badInput._tag, "WorkflowInputError")
    }).pipe(Effect.provide(DurableRuns.layerMemory)))
})

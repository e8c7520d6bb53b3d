/**
 * Cancelling durable runs: the step in flight is interrupted (its finalizers run), the run is `cancelled` within a
 * second, no step (no provider call) starts after the cancel is acknowledged, a suspended run is cancelled too, and a
 * client process's cancel is carried out by the runner.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Schema } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Durable, DurableRuns } from "../../src/durable/index.ts"
import { Workflow } from "../../src/index.ts"

const Input = Schema.Struct({ text: Schema.String })
const dir = mkdtempSync(join(tmpdir(), "llmo-cancel-"))
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

describe("cancel", () => {
  it.live("interrupts the step in flight, runs its finalizers, and ends the run cancelled within a second", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const wf = Workflow.make("long", { input: Input })
        .step("call", () =>
          Effect.sleep("30 seconds").pipe(
            Effect.as("answer"),
            Effect.onInterrupt(() => Effect.sync(() => log.push("call interrupted")))
          ))
        .step("after", { needs: ["call"] }, () => Effect.sync(() => log.push("after ran")))
      const runs = yield* DurableRuns.DurableRuns
      const run = yield* Durable.start(wf, { text: "t" })
      yield* waitFor(run.runId, (v) => v.steps.some((s) => s.name === "call" && s.status === "running"))
      const asked = Date.now()
      const cancelled = yield* runs.cancel(run.runId)
      const took = Date.now() - asked
      assert.strictEqual(cancelled.status, "cancelled")
      assert.isBelow(took, 1000)
      assert.deepStrictEqual(log, ["call interrupted"])
      const view = yield* runs.get(run.runId)
      assert.deepStrictEqual(view.steps.map((s) => [s.name, s.status]), [["call", "failed"]])
      const events = (yield* runs.events(run.runId)).map((e) => e.type === "RunStatus" ? `status:${(e.data as { status: string }).status}` : e.type)
      assert.strictEqual(events.at(-1), "status:cancelled")
      assert.include(events, "CancelRequested")
      const awaited = yield* Effect.flip(Durable.result(wf, run.runId))
      assert.strictEqual(awaited._tag, "RunCancelled")
      const again = yield* Effect.flip(runs.cancel(run.runId))
      assert.strictEqual(again._tag, "RunFinished")
      assert.strictEqual((yield* Effect.flip(runs.cancel("no-such-run")))._tag, "RunNotFound")
    }).pipe(Effect.provide(DurableRuns.layerMemory)))

  it.live("no provider call starts after the cancel is acknowledged", () =>
    Effect.gen(function*() {
      const calls: Array<number> = []
      const wf = Workflow.make("many", { input: Input })
        .map("items", { needs: [], over: () => Array.from({ length: 40 }, (_, i) => i), concurrency: 2 }, () =>
          Effect.suspend(() => {
            calls.push(Date.now())
            return Effect.as(Effect.sleep("40 millis"), "done")
          }))
      const runs = yield* DurableRuns.DurableRuns
      const run = yield* Durable.start(wf, { text: "t" })
      yield* waitFor(run.runId, (v) => v.steps.filter((s) => s.status === "succeeded").length >= 4)
      const cancelled = yield* runs.cancel(run.runId)
      const acknowledged = Date.now()
      assert.strictEqual(cancelled.status, "cancelled")
      yield* Effect.sleep("300 millis")
      assert.isBelow(calls.length, 40)
      assert.deepStrictEqual(calls.filter((at) => at > acknowledged), [])
    }).pipe(Effect.provide(DurableRuns.layerMemory)))

  it.live("a suspended run is cancelled, and takes no signal afterwards", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("waiting", { input: Input }).wait("approve", { signal: Schema.Boolean })
      const runs = yield* DurableRuns.DurableRuns
      const run = yield* Durable.start(wf, { text: "t" })
      yield* waitFor(run.runId, (v) => v.run.status === "suspended")
      const cancelled = yield* runs.cancel(run.runId)
      assert.strictEqual(cancelled.status, "cancelled")
      assert.strictEqual((yield* Effect.flip(runs.signal(run.runId, "approve", true)))._tag, "RunFinished")
    }).pipe(Effect.provide(DurableRuns.layerMemory)))

  it.live("a client on the same store: its start and cancel are carried out by the runner", () =>
    Effect.gen(function*() {
      const store = `sqlite:${join(dir, "shared.db")}`
      const log: Array<string> = []
      const wf = Workflow.make("shared", { input: Input })
        .step("call", () => Effect.sleep("30 seconds").pipe(Effect.onInterrupt(() => Effect.sync(() => log.push("interrupted")))))
      const runner = yield* Layer.build(DurableRuns.layer({ store, pollInterval: "50 millis" }))
      const client = yield* Layer.build(DurableRuns.layer({ store, pollInterval: "50 millis" }))
      const runnerRuns = Context.get(runner, DurableRuns.DurableRuns)
      const clientRuns = Context.get(client, DurableRuns.DurableRuns)
      assert.strictEqual(runnerRuns.role, "runner")
      assert.strictEqual(clientRuns.role, "client")
      yield* runnerRuns.register(wf)
      const run = yield* clientRuns.start(wf, { text: "t" })
      assert.strictEqual(run.status, "pending")
      yield* waitFor(run.runId, (v) => v.steps.some((s) => s.status === "running")).pipe(Effect.provide(runner))
      const cancelled = yield* clientRuns.cancel(run.runId)
      assert.strictEqual(cancelled.status, "cancelled")
      assert.deepStrictEqual(log, ["interrupted"])
    }).pipe(Effect.scoped))
})

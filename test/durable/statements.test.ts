/**
 * What a durable run costs the embedded store, counted statement by statement (a statement is the unit of work of
 * SQLite; counting them is exact where timing on a shared machine is not): a 3-step run one at a time stays under a
 * fixed number of statements and transactions, and runs in flight together share transactions (the run index's group
 * commit), so they cost fewer per run. The bounds sit a little above what was measured, so a change that adds a
 * statement or a transaction to every run or step fails here.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Durable, DurableRuns } from "../../src/durable/index.ts"
import { Workflow } from "../../src/index.ts"

const dir = mkdtempSync(join(tmpdir(), "llmo-statements-durable-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const three = Workflow.make("three", { input: Schema.Struct({ n: Schema.Number }) })
  .step("a", (ctx) => Effect.succeed(ctx.input.n + 1))
  .step("b", { needs: ["a"] }, (ctx) => Effect.succeed(ctx.a * 2))
  .step("c", { needs: ["b"], output: Schema.Number }, (ctx) => Effect.succeed(ctx.b + 3))

/** Statements executed while counting, by kind: ours (`llmo_` tables), the engine's (`cluster_`), BEGIN, the rest. */
const counter = () => {
  const counts = { all: 0, begin: 0, index: 0, engine: 0, indexByTable: new Map<string, number>() }
  let on = false
  return {
    counts,
    start: () => {
      on = true
    },
    stop: () => {
      on = false
    },
    onStatement: (sql: string) => {
      if (!on) return
      counts.all++
      if (/^\s*BEGIN/i.test(sql)) counts.begin++
      const table = /llmo_\w+/.exec(sql)?.[0]
      if (table !== undefined) {
        counts.index++
        counts.indexByTable.set(table, (counts.indexByTable.get(table) ?? 0) + 1)
      } else if (/cluster_\w+/.test(sql)) counts.engine++
    }
  }
}

const runs = (count: number, concurrency: number) =>
  Effect.forEach(
    Array.from({ length: count }, (_, i) => i),
    (i) => Effect.flatMap(Durable.start(three, { n: i }), (run) => Durable.result(three, run.runId)),
    { concurrency }
  )

describe("statements per durable run on SQLite", () => {
  it.live("a 3-step run, one at a time: at most 92 statements and 22 transactions, 20 of them on the run index", () => {
    const count = counter()
    return Effect.gen(function*() {
      // Warm up (tables, prepared statements, the engine's first shard read).
      yield* runs(3, 1)
      count.start()
      const outputs = yield* runs(10, 1)
      count.stop()
      assert.deepStrictEqual(outputs.map((o) => o.c), Array.from({ length: 10 }, (_, i) => (i + 1) * 2 + 3))
      // The index is whole: every unit's row finished, with its start and end events in order.
      const durable = yield* DurableRuns.DurableRuns
      for (const run of (yield* durable.list()).slice(0, 10)) {
        const { steps } = yield* durable.get(run.runId)
        assert.deepStrictEqual(steps.map((s) => [s.name, s.status]), [["a", "succeeded"], ["b", "succeeded"], ["c", "succeeded"]])
        const events = (yield* durable.events(run.runId)).filter((e) => e.type.startsWith("Step")).map((e) => `${e.type}:${e.stepId}`)
        assert.deepStrictEqual(events, ["StepStarted:a", "StepFinished:a", "StepStarted:b", "StepFinished:b", "StepStarted:c", "StepFinished:c"])
      }
      const per = (n: number) => n / 10
      // Measured 87-89 statements and 21 transactions per run (before the group commit and the in-memory cancel check:
      // 99.5 and 21); 25 of the statements are the engine's, 20 the run index's, the rest BEGIN/COMMIT.
      assert.isAtMost(per(count.counts.all), 92, `statements per run: ${per(count.counts.all)}`)
      assert.isAtMost(per(count.counts.begin), 22, `transactions per run: ${per(count.counts.begin)}`)
      // The run index: the run (insert, 2 moves, 1 read: the caller's await; the run's first execution takes the
      // record it was created with), 3 units (row written at start and at end), 9 events (the runner's inbox polls are
      // out of the count: the poll interval is long here).
      assert.isAtMost(per(count.counts.index), 20, `run index statements per run: ${per(count.counts.index)} ${JSON.stringify([...count.counts.indexByTable])}`)
      // No read of the run per unit (the cancel check is in memory; before: 13 reads of the run per run), and none by
      // the run's first execution (before: 2 reads per run).
      assert.isAtMost(per(count.counts.indexByTable.get("llmo_runs") ?? 0), 5, `statements on llmo_runs per run: ${per(count.counts.indexByTable.get("llmo_runs") ?? 0)}`)
    }).pipe(Effect.provide(Layer.fresh(DurableRuns.layer({ store: { _tag: "sqlite", filename: join(dir, "one.db"), onStatement: count.onStatement }, role: "runner", pollInterval: "10 seconds" }))))
  }, 60_000)

  it.live("runs in flight together share the run index's transactions", () => {
    const count = counter()
    return Effect.gen(function*() {
      yield* runs(3, 1)
      count.start()
      const outputs = yield* runs(40, 20)
      count.stop()
      assert.strictEqual(outputs.length, 40)
      const per = (n: number) => n / 40
      // One at a time a run takes 21 transactions (9 of them the index's); 20 together measured 9 per run (before the
      // group commit: 17-21).
      assert.isAtMost(per(count.counts.begin), 13, `transactions per run: ${per(count.counts.begin)}`)
      // The events of a batch go in as one statement (one at a time: 9 per run).
      assert.isAtMost(per(count.counts.indexByTable.get("llmo_events") ?? 0), 2, `event inserts per run: ${per(count.counts.indexByTable.get("llmo_events") ?? 0)}`)
    }).pipe(Effect.provide(Layer.fresh(DurableRuns.layer({ store: { _tag: "sqlite", filename: join(dir, "many.db"), onStatement: count.onStatement }, role: "runner", pollInterval: "10 seconds" }))))
  }, 60_000)
})

/**
 * Postgres restarted under load: three real `llm-orchestrator worker` processes and a submitter (a client of the run
 * store) on a Postgres server of the test's own (`support/ownPostgres.ts`: initdb in a temp dir, its own port; the
 * machine's shared server is never restarted), which is stopped (`pg_ctl stop -m fast`, every connection closed) and
 * started again while the runs' steps are in flight. The workers and the submitter reconnect, every run finishes with
 * its outputs, and no step whose output was stored runs again (steps in flight whose writes failed may).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { analyse, readLog, startWorker, stop, submit, waitForLog, type Worker } from "./support/cluster.ts"
import { type OwnPostgres, ownPostgresAvailability, startOwnPostgres } from "./support/ownPostgres.ts"
import { expected, steps } from "./support/workflow.ts"

const RUNS = 20
const MS = 400
const dir = mkdtempSync(join(tmpdir(), "scale-pg-restart-"))
const log = join(dir, "steps.log")
const availability = ownPostgresAvailability()
const workers: Array<Worker> = []
let server: OwnPostgres | undefined

beforeAll(async () => {
  if (!availability.run) return
  if (availability.reason !== undefined) throw new Error(availability.reason)
  // A port of its own, below the ephemeral range and apart from the workers' (20000-29999).
  server = await startOwnPostgres(15000 + (process.pid % 1000) * 2)
  workers.push(...await Promise.all([0, 1, 2].map(() => startWorker({ store: server!.url(), log, args: ["--grace", "20s"], readyTimeoutMillis: 300_000 }))))
}, 400_000)

afterAll(async () => {
  await Promise.all(workers.map(stop))
  server?.destroy()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe.skipIf(!availability.run)("cluster on a Postgres server that restarts (a server of the test's own)", () => {
  it("Postgres stopped and started under load: workers and submitter reconnect, every run finishes with its outputs, no finished step runs again", async () => {
    const done = submit({ store: server!.url(), prefix: "p", n: RUNS, ms: MS, timeoutMillis: 400_000 })
    // (awaited below, after the restart; a failure before it ends the wait for the log)
    done.catch(() => undefined)
    // Restart once the runs are under way: some steps done, some in flight.
    await Promise.race([
      waitForLog(log, (es) => es.filter((e) => e.kind === "end").length >= RUNS && es.some((e) => e.kind === "start" && !es.some((f) => f.kind === "end" && f.key === e.key && f.step === e.step)), 300_000),
      done.then(() => Promise.reject(new Error("the runs finished before the restart")))
    ])
    const at = Date.now()
    const restart = await server!.restart(2_000)
    const submitted = await done
    const entries = readLog(log)
    const analysis = analyse(entries)
    assert.strictEqual(submitted.results.length, RUNS)
    for (const r of submitted.results) {
      assert.strictEqual(r.status, "succeeded", `run ${r.i} (${r.runId}) ended ${r.status}`)
      assert.deepInclude(r.output as object, expected(r.i))
    }
    assert.strictEqual(analysis.finished.size, RUNS)
    assert.deepStrictEqual(analysis.finishedReRun, [])
    // Each worker is still alive: none gave up on the lost database.
    for (const w of workers) assert.isNull(w.child.exitCode, `worker ${w.pid} exited:\n${w.output()}`)
    // Work went on after the restart (the steps after it started on the reconnected workers).
    const after = entries.filter((e) => e.kind === "start" && e.at > at + restart.stopMillis + 2_000)
    assert.isAbove(after.length, 0)
    // The run store's inbox reader said once that the store was away, not at every poll.
    const away = workers.map((w) => (w.output().match(/runner: Run store: \w+ failed/g) ?? []).length)
    for (const n of away) assert.isAtMost(n, 3, `store failures reported ${away.join(", ")} times`)
    console.log(
      `[cluster] Postgres restart: stopped in ${restart.stopMillis} ms, down 2000 ms, started in ${restart.startMillis} ms; ${RUNS} runs in ${submitted.totalMillis} ms; ` +
        `${analysis.reRun.length} steps ran twice, ${[...analysis.starts.values()].reduce((a, b) => a + b, 0)} step starts for ${RUNS * steps.length} steps; ` +
        `steps started again ${Math.min(...after.map((e) => e.at)) - at} ms after the stop began, the last run finished ${Math.max(...entries.map((e) => e.at)) - at} ms after it`
    )
  }, 600_000)
})

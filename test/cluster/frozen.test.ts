/**
 * A frozen worker: one of three real `llm-orchestrator worker` processes on the real Postgres is stopped with SIGSTOP
 * (as a long GC pause or a VM stall would) for longer than the lock expiry while it runs steps, then thawed with
 * SIGCONT. The others take its shards, it takes some back when it thaws; every run's result is still right, and what
 * ran twice stays within what docs/scale-out.md says. A cluster of its own: the shards moving away and back must not
 * disturb the kill -9 and SIGTERM tests (`faults.test.ts`).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { postgresAvailability } from "../store/postgres.ts"
import { analyse, createDatabase, dropDatabase, inFlightOn, readLog, startWorker, stop, submit, waitForLog, type Worker } from "./support/cluster.ts"
import { expected } from "./support/workflow.ts"

const RUNS = 20
const MS = 400
const dir = mkdtempSync(join(tmpdir(), "scale-frozen-"))
const log = join(dir, "steps.log")
const pg = await postgresAvailability()
const workers: Array<Worker> = []
let db: { readonly name: string; readonly url: string } | undefined

beforeAll(async () => {
  if (!pg.run) return
  if (pg.reason !== undefined) throw new Error(pg.reason)
  db = await createDatabase("frozen")
  workers.push(...await Promise.all([0, 1, 2].map(() => startWorker({ store: db!.url, log, args: ["--grace", "20s"], readyTimeoutMillis: 300_000 }))))
}, 400_000)

afterAll(async () => {
  // SIGKILL also ends a stopped process.
  await Promise.all(workers.map(stop))
  if (db !== undefined) await dropDatabase(db.name)
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

const alive = () => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null)

const checkOutputs = (results: Awaited<ReturnType<typeof submit>>["results"]) => {
  assert.strictEqual(results.length, RUNS)
  for (const r of results) {
    assert.strictEqual(r.status, "succeeded", `run ${r.i} (${r.runId}) ended ${r.status}`)
    assert.deepInclude(r.output as object, expected(r.i))
  }
}

const ofPrefix = (prefix: string) => readLog(log).filter((e) => e.key.startsWith(`${prefix}-`))

describe.skipIf(!pg.run)("cluster: a frozen worker (three workers, real Postgres)", () => {
  it("a frozen worker (SIGSTOP longer than the lock expiry, then SIGCONT): every run correct, a step runs at most three times, a stored one again only on the thawed worker", async () => {
    const FREEZE = 12_000 // above the 9 s lock expiry: the others take the frozen worker's shards
    const running = alive()
    const done = submit({ store: db!.url, prefix: "s", n: RUNS, ms: MS, timeoutMillis: 300_000 })
    done.catch(() => undefined)
    const before = await Promise.race([
      waitForLog(log, (es) => {
        const mine = es.filter((e) => e.key.startsWith("s-"))
        return mine.filter((e) => e.kind === "end").length >= RUNS / 2 && running.some((w) => inFlightOn(mine, w.pid).length > 0)
      }, 180_000),
      done.then(() => Promise.reject(new Error("the runs finished before the freeze")))
    ])
    const victim = running.find((w) => inFlightOn(before.filter((e) => e.key.startsWith("s-")), w.pid).length > 0)!
    const stoppedAt = Date.now()
    victim.child.kill("SIGSTOP")
    await new Promise((r) => setTimeout(r, FREEZE))
    victim.child.kill("SIGCONT")
    const thawedAt = Date.now()
    const submitted = await done
    checkOutputs(submitted.results)
    const entries = ofPrefix("s")
    const analysis = analyse(entries)
    // In flight on the frozen worker when it stopped: from its events stamped before the stop (the log read before it
    // can miss a start written in between).
    const frozenInFlight = inFlightOn(entries.filter((e) => e.pid !== victim.pid || e.at < stoppedAt), victim.pid)
    assert.strictEqual(analysis.finished.size, RUNS)
    // The bound docs/scale-out.md gives. A step runs again each time its shard moves while it is in flight: away from
    // the frozen worker, and back when it thaws, so at most three times. A step whose output was stored runs again
    // only on the thawed worker, before it finds it lost the shard (seen in a landing run: the next step had started
    // elsewhere); never on the others. The run's result is the first stored one (checked above).
    for (const [id, n] of analysis.starts) assert.isAtMost(n, 3, `${id} started ${n} times`)
    for (const id of analysis.finishedReRun) {
      const last = entries.filter((e) => e.kind === "start" && `${e.key}/${e.step}` === id).at(-1)!
      assert.strictEqual(last.pid, victim.pid, `${id}, already stored, ran again on a worker that was not frozen`)
      assert.isAtLeast(last.at, stoppedAt)
    }
    // Steps that ran on two workers at the same time: started on the frozen one before the freeze, ended there after
    // the thaw, and started elsewhere in between.
    const both = analysis.reRun.filter((id) => {
      const es = entries.filter((e) => `${e.key}/${e.step}` === id)
      return es.some((e) => e.pid === victim.pid && e.kind === "start" && e.at < stoppedAt) && es.some((e) => e.pid === victim.pid && e.kind === "end" && e.at >= thawedAt) &&
        es.some((e) => e.pid !== victim.pid && e.kind === "start" && e.at > stoppedAt)
    })
    const takenOver = entries.filter((e) => e.kind === "start" && e.pid !== victim.pid && e.at > stoppedAt && frozenInFlight.includes(`${e.key}/${e.step}`)).map((e) => e.at)
    console.log(
      `[cluster] SIGSTOP ${FREEZE} ms: ${frozenInFlight.length} steps in flight on the frozen worker, restarted elsewhere after ${takenOver.length === 0 ? "never" : `${Math.min(...takenOver) - stoppedAt} ms`}; ` +
        `${analysis.reRun.length} steps ran again (${[...analysis.starts.values()].filter((n) => n > 2).length} three times), ${both.length} of them at the same time on two workers, ` +
        `${analysis.finishedReRun.length} after their output was stored (on the thawed worker); ${RUNS} runs in ${submitted.totalMillis} ms`
    )
    // The frozen worker went on after the thaw (it was not killed by the freeze).
    assert.isNull(victim.child.exitCode)
  }, 600_000)
})

/**
 * kill -9 in child processes: a worker runs durable runs of a 5-step workflow and is killed with SIGKILL at seeded
 * random points, then restarted, until it finishes. No run is lost, no step whose output was stored runs again
 * (counted with a side-effect log that survives the kills), and the outputs equal the in-memory engine's. On SQLite
 * and on Postgres. (The 100-run figures are in `npm run bench:durable`.)
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Workflow } from "../../src/index.ts"
import { createDatabase, dropDatabase, postgresAvailability } from "../store/postgres.ts"
import { crashTest } from "./support/crash.ts"
import { crashWorkflow } from "./support/crashWorkflow.ts"

const RUNS = 20
const dir = mkdtempSync(join(tmpdir(), "llmo-crash-test-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const expected = await Effect.runPromise(
  Effect.forEach(Array.from({ length: RUNS }, (_, i) => i), (i) => Workflow.run(crashWorkflow(join(dir, "memory.log"), Workflow), { i }))
)

const check = async (store: string, seed: number) => {
  const report = await crashTest({ store, runs: RUNS, kills: 4, seed })
  assert.strictEqual(report.kills, 4)
  assert.strictEqual(report.incarnations, 5)
  // 0 runs lost: every run finished, with the in-memory engine's outputs.
  assert.deepStrictEqual(report.outputs, expected)
  // 0 finished steps re-run; the kills did land inside steps (some ran again).
  assert.deepStrictEqual(report.finishedReRuns, [])
  assert.isAbove(report.reRuns, 0)
  // Each of the RUNS x 5 steps ended at least once.
  const ends = new Set(report.log.split("\n").filter((l) => l.startsWith("end ")).map((l) => l.split(" ").slice(1, 3).join("/")))
  assert.strictEqual(ends.size, RUNS * 5)
}

describe("durable runs survive kill -9", () => {
  it("SQLite: 20 runs through 4 kills", () => check(`sqlite:${join(dir, "crash.db")}`, 11), 120_000)

  describe("Postgres", async () => {
    const pg = await postgresAvailability()
    it.skipIf(!pg.run)("Postgres: 20 runs through 4 kills", async () => {
      if (pg.reason !== undefined) throw new Error(pg.reason)
      const db = await createDatabase()
      try {
        await check(db.url, 12)
      } finally {
        await dropDatabase(db.name)
      }
    }, 120_000)
  })
})

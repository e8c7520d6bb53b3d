/**
 * Retention on a real SQLite store: per-workflow ages, a default for the others, unfinished runs never pruned, and a
 * pruned run gone whole (its rows in the run index, the engine's journal and the vault of originals: the database
 * file no longer mentions it); audit entries older than the audit retention expire, newer ones stay; the schedule
 * prunes on its own.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { DurableRuns } from "../../src/durable/index.ts"
import * as Store from "../../src/durable/Store.ts"
import { Cipher, Governance, PiiVault, Retention, StoredData } from "../../src/governance/index.ts"
import { Workflow } from "../../src/index.ts"
import * as AuditLog from "../../src/server/AuditLog.ts"

const dir = mkdtempSync(join(tmpdir(), "llmo-retention-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const Input = Schema.Struct({ who: Schema.String })
const make = (name: string) => Workflow.make(name, { input: Input }).step("hello", (ctx) => Effect.succeed(`hello ${ctx.input.who}`))
const short = make("short")
const long = make("long")
const other = make("other")
const waiting = Workflow.make("short", { input: Input, version: "w" })
  .step("hello", (ctx) => Effect.succeed(`hello ${ctx.input.who}`))
  .wait("approve", { needs: ["hello"], signal: Schema.Boolean })

const dump = (file: string): string => {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
    return tables.map(({ name }) => {
      const statement = db.prepare(`SELECT * FROM "${name}"`)
      statement.setReadBigInts(true)
      return `${name}: ${JSON.stringify(statement.all(), (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : typeof v === "bigint" ? String(v) : v))}`
    }).join("\n")
  } finally {
    db.close()
  }
}

const open = (file: string) =>
  Effect.gen(function*() {
    const cipher = yield* Cipher.make({ current: "k1", keys: new Map([["k1", Buffer.from(Cipher.generateKey(), "base64")]]) })
    const sql = yield* Layer.build(Store.sqlLayer({ _tag: "sqlite", filename: file }))
    const vault = yield* PiiVault.make(yield* Effect.provideContext(PiiVault.storeSql, sql)).pipe(Effect.provideService(Cipher.Cipher, cipher))
    const codec = yield* StoredData.codec({ policy: Governance.policy({ pii: { storage: "mask", reversible: true } }), cipher, vault })
    // The server's tables first: their migration waits for the runner's connection otherwise (SQLite's single writer).
    const audit = yield* Effect.provideContext(AuditLog.makeSql, sql)
    const runs = yield* DurableRuns.make({ store: `sqlite:${file}`, codec, pollInterval: "20 millis", gracePeriod: "2 seconds", onProblem: () => {} })
    const expireAudit = (before: number) => Effect.provideContext(AuditLog.expireSql(before), sql)
    return { runs, audit, expireAudit }
  })

const finished = (runs: DurableRunsShape, graph: typeof short, who: string) =>
  Effect.flatMap(runs.start(graph, { who }), (run) => Effect.map(runs.await(run.runId), (done) => done.runId))
type DurableRunsShape = DurableRuns.DurableRunsShape

describe("retention", () => {
  it.live("each workflow its own age, a default for the others; unfinished runs stay; a pruned run is gone from every table and the vault", () =>
    Effect.gen(function*() {
      const file = join(dir, "retention.db")
      const { runs, audit, expireAudit } = yield* open(file)
      const policy: Retention.Policy = { runs: "1 day", workflows: { short: "1 hour", long: "30 days" }, audit: "30 days" }
      // Runs age by moving their finish time back (the store's own column), so the test does not wait for hours.
      const age = (ids: ReadonlyArray<string>, millis: number) => {
        const db = new DatabaseSync(file)
        for (const id of ids) db.prepare("UPDATE llmo_runs SET finished_at = finished_at - ? WHERE run_id = ?").run(millis, id)
        db.close()
      }
      const shortIds = [yield* finished(runs, short, "ada@example.com"), yield* finished(runs, short, "bob@example.com")]
      const longIds = [yield* finished(runs, long, "cy@example.com")]
      const otherIds = [yield* finished(runs, other, "dee@example.com"), yield* finished(runs, other, "eve@example.com")]
      const suspended = yield* runs.start(waiting, { who: "fay@example.com" })
      for (let i = 0; i < 400 && (yield* runs.get(suspended.runId)).run.status !== "suspended"; i++) yield* Effect.sleep("5 millis")
      const vaultRows = () => {
        const db = new DatabaseSync(file, { readOnly: true })
        const rows = db.prepare("SELECT DISTINCT run_id FROM llmo_pii_vault ORDER BY run_id").all() as Array<{ run_id: string }>
        db.close()
        return rows.map((r) => r.run_id)
      }
      assert.deepStrictEqual(vaultRows(), [...shortIds, ...longIds, ...otherIds, suspended.runId].sort())

      // audit: one entry past a year's... past the audit retention, one inside it
      const now = Date.now()
      const actor = { kind: "system" as const, id: "test", name: "test" }
      yield* audit.append({ at: now - 31 * 86_400_000, actor, action: "old.entry", requestId: "r1", outcome: "ok", status: 200 })
      yield* audit.append({ at: now - 29 * 86_400_000, actor, action: "recent.entry", requestId: "r2", outcome: "ok", status: 200 })

      const first = yield* Retention.prune(policy, runs, expireAudit)
      assert.deepStrictEqual(first.runs, [], "nothing is old enough yet")
      assert.strictEqual(first.auditEntries, 1)
      assert.deepStrictEqual((yield* audit.list()).map((e) => e.action), ["recent.entry"])

      age([...shortIds, ...longIds, ...otherIds], 2 * 3_600_000)
      const second = yield* Retention.prune(policy, runs, expireAudit)
      assert.deepStrictEqual([...second.runs].sort(), [...shortIds].sort(), "only the short workflow's finished runs")

      age([...longIds, ...otherIds], 2 * 86_400_000)
      const third = yield* Retention.prune(policy, runs, expireAudit)
      assert.deepStrictEqual([...third.runs].sort(), [...otherIds].sort(), "then the default's; 'long' keeps its hour")

      const kept = (yield* runs.list()).map((r) => r.runId).sort()
      assert.deepStrictEqual(kept, [...longIds, suspended.runId].sort())
      assert.deepStrictEqual(vaultRows(), [...longIds, suspended.runId].sort())
      const rows = dump(file)
      for (const id of [...shortIds, ...otherIds]) assert.notInclude(rows, id, `${id} is still in the database`)
      for (const id of [...longIds, suspended.runId]) assert.include(rows, id)
    }).pipe(Effect.scoped), 30_000)

  it.live("the schedule prunes on its own", () =>
    Effect.gen(function*() {
      const runs = yield* DurableRuns.make({ store: `sqlite:${join(dir, "scheduled.db")}`, pollInterval: "20 millis", gracePeriod: "2 seconds", onProblem: () => {} })
      const pruned: Array<string> = []
      yield* Effect.forkScoped(Retention.schedule({ runs: "50 millis", every: "30 millis" }, runs, { onPrune: (r) => void pruned.push(...r.runs) }))
      const id = yield* finished(runs, other, "gus@example.com")
      for (let i = 0; i < 200 && !pruned.includes(id); i++) yield* Effect.sleep("10 millis")
      assert.deepStrictEqual(pruned, [id])
      assert.deepStrictEqual(yield* runs.list(), [])
    }).pipe(Effect.scoped), 30_000)
})

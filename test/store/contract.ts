// The behaviour every run store must have. `runStoreContract(label, makeLayer)` registers the suite for one store;
// makeLayer must give a fresh, empty store on every build.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, type Layer } from "effect"
import { RunStore } from "../../src/store/index.ts"

type NewRun = RunStore.NewRun

export const newRun = (runId: string, overrides: Partial<NewRun> = {}): NewRun => ({
  runId,
  workflow: "wf",
  version: undefined,
  graphHash: "hash-1",
  shape: { nodes: ["a"] },
  source: undefined,
  input: { text: "héllo ✓", n: 1.5, list: [1, null, { deep: true }] },
  options: {},
  parentRunId: undefined,
  rerunFrom: undefined,
  seeds: undefined,
  idempotencyKey: undefined,
  createdAt: 1_000,
  ...overrides
})

export const runStoreContract = (label: string, makeLayer: () => Layer.Layer<RunStore.RunStore, unknown>): void => {
  const run = <A, E>(effect: Effect.Effect<A, E, RunStore.RunStore>) => effect.pipe(Effect.provide(makeLayer()))
  const store = RunStore.RunStore

  describe(`RunStore contract: ${label}`, () => {
    it.live("creates a run in pending, once: the same id returns the existing run", () =>
      run(Effect.gen(function*() {
        const s = yield* store
        const first = yield* s.createRun(newRun("r1"))
        assert.isTrue(first.created)
        assert.strictEqual(first.run.status, "pending")
        assert.deepStrictEqual(first.run.input, { text: "héllo ✓", n: 1.5, list: [1, null, { deep: true }] })
        assert.isFalse(first.run.submitted)
        const again = yield* s.createRun(newRun("r1", { workflow: "other", createdAt: 5_000 }))
        assert.isFalse(again.created)
        assert.strictEqual(again.run.workflow, "wf")
        assert.strictEqual(again.run.createdAt, 1_000)
        assert.strictEqual(yield* s.getRun("nope"), undefined)
        const events = yield* s.events("r1")
        assert.deepStrictEqual(events.map((e) => [e.type, e.data]), [["RunStatus", { status: "pending" }]])
      })))

    it.live("moves through the state machine, setting times, output and error; refuses other moves", () =>
      run(Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(newRun("r1"))
        const running = yield* s.setStatus("r1", "running", 2_000)
        assert.strictEqual(running.startedAt, 2_000)
        assert.strictEqual(running.finishedAt, undefined)
        assert.isTrue(running.submitted)
        assert.isTrue((yield* s.getRun("r1"))!.submitted)
        yield* s.setStatus("r1", "suspended", 3_000)
        const again = yield* s.setStatus("r1", "running", 4_000)
        assert.strictEqual(again.startedAt, 2_000)
        // Staying in a state changes nothing and logs nothing (a replayed body reports its state again).
        yield* s.setStatus("r1", "running", 4_500)
        const done = yield* s.setStatus("r1", "succeeded", 5_000, { output: { answer: "42" } })
        assert.strictEqual(done.finishedAt, 5_000)
        assert.deepStrictEqual(done.output, { answer: "42" })
        const refused = yield* Effect.flip(s.setStatus("r1", "running", 6_000))
        assert.strictEqual(refused._tag, "InvalidTransition")
        assert.strictEqual(refused.message, "Run 'r1' is succeeded and cannot become running")
        const missing = yield* Effect.flip(s.setStatus("zz", "running", 6_000))
        assert.strictEqual(missing._tag, "RunNotFound")
        assert.strictEqual(missing.message, "No run 'zz'")
        const statuses = (yield* s.events("r1")).filter((e) => e.type === "RunStatus").map((e) => (e.data as { status: string }).status)
        assert.deepStrictEqual(statuses, ["pending", "running", "suspended", "running", "succeeded"])

        yield* s.createRun(newRun("r2"))
        const failed = yield* s.setStatus("r2", "failed", 7_000, { error: { _tag: "StepFailed", stepId: "a" } })
        assert.deepStrictEqual(failed.error, { _tag: "StepFailed", stepId: "a" })
        assert.strictEqual(failed.startedAt, undefined)
        assert.strictEqual((yield* Effect.flip(s.setStatus("r2", "suspended", 8_000)))._tag, "InvalidTransition")
      })))

    it.live("two processes racing to finish a run: exactly one move wins", () =>
      run(Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(newRun("r1"))
        yield* s.setStatus("r1", "running", 2_000)
        const exits = yield* Effect.all([
          Effect.exit(s.setStatus("r1", "succeeded", 3_000)),
          Effect.exit(s.setStatus("r1", "cancelled", 3_000))
        ], { concurrency: "unbounded" })
        assert.strictEqual(exits.filter(Exit.isSuccess).length, 1)
        const final = (yield* s.getRun("r1"))!
        assert.include(["succeeded", "cancelled"], final.status)
      })))

    it.live("lists runs newest first, by status, workflow, creation time and limit", () =>
      run(Effect.gen(function*() {
        const s = yield* store
        for (let i = 0; i < 5; i++) yield* s.createRun(newRun(`r${i}`, { createdAt: 1_000 + i, workflow: i % 2 === 0 ? "even" : "odd" }))
        yield* s.setStatus("r1", "running", 2_000)
        yield* s.setStatus("r3", "failed", 2_000)
        const ids = (runs: ReadonlyArray<RunStore.RunRecord>) => runs.map((r) => r.runId)
        assert.deepStrictEqual(ids(yield* s.listRuns()), ["r4", "r3", "r2", "r1", "r0"])
        assert.deepStrictEqual(ids(yield* s.listRuns({ status: "pending" })), ["r4", "r2", "r0"])
        assert.deepStrictEqual(ids(yield* s.listRuns({ status: ["running", "failed"] })), ["r3", "r1"])
        assert.deepStrictEqual(ids(yield* s.listRuns({ workflow: "odd" })), ["r3", "r1"])
        assert.deepStrictEqual(ids(yield* s.listRuns({ since: 1_003 })), ["r4", "r3"])
        assert.deepStrictEqual(ids(yield* s.listRuns({ limit: 2 })), ["r4", "r3"])
        assert.deepStrictEqual(ids(yield* s.listRuns({ workflow: "even", status: "pending", limit: 1 })), ["r4"])
        assert.deepStrictEqual(ids(yield* s.unfinishedRuns()), ["r0", "r1", "r2", "r4"])
      })))

    it.live("the runner's inbox: runs to submit, and cancel requests recorded once", () =>
      run(Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(newRun("a", { createdAt: 1 }))
        yield* s.createRun(newRun("b", { createdAt: 2 }))
        assert.deepStrictEqual((yield* s.runsToSubmit()).map((r) => r.runId), ["a", "b"])
        yield* s.updateRun("a", { submitted: true })
        assert.deepStrictEqual((yield* s.runsToSubmit()).map((r) => r.runId), ["b"])
        yield* s.updateRun("b", { blocked: "workflow 'wf' is not registered here", forced: true })
        const b = (yield* s.getRun("b"))!
        assert.strictEqual(b.blocked, "workflow 'wf' is not registered here")
        assert.isTrue(b.forced)
        yield* s.updateRun("b", { blocked: null })
        assert.strictEqual((yield* s.getRun("b"))!.blocked, undefined)

        const first = yield* s.requestCancel("a", 10)
        assert.strictEqual(first.cancelRequestedAt, 10)
        const second = yield* s.requestCancel("a", 20)
        assert.strictEqual(second.cancelRequestedAt, 10)
        assert.deepStrictEqual((yield* s.cancelRequested()).map((r) => r.runId), ["a"])
        yield* s.setStatus("a", "cancelled", 30)
        assert.deepStrictEqual(yield* s.cancelRequested(), [])
        assert.strictEqual((yield* Effect.flip(s.requestCancel("zz", 1)))._tag, "RunNotFound")
        assert.strictEqual((yield* s.events("a")).filter((e) => e.type === "CancelRequested").length, 1)
      })))

    it.live("units of work: started, finished with output and usage, started again after a crash", () =>
      run(Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(newRun("r1"))
        yield* s.stepStarted({ runId: "r1", name: "a", stepId: "a", kind: "step", at: 10 })
        yield* s.stepStarted({ runId: "r1", name: "m#0", stepId: "m", kind: "map", at: 11 })
        let rows = yield* s.steps("r1")
        assert.deepStrictEqual(rows.map((r) => [r.name, r.status, r.executions]), [["a", "running", 1], ["m#0", "running", 1]])
        yield* s.stepFinished({ runId: "r1", name: "a", status: "succeeded", attempts: 2, at: 20, output: { v: [1, 2] }, usage: { inputTokens: 3, outputTokens: 4, calls: 1 }, costUsd: 0.25 })
        // The process died during m#0; on restart it runs again.
        yield* s.stepStarted({ runId: "r1", name: "m#0", stepId: "m", kind: "map", at: 30 })
        yield* s.stepFinished({ runId: "r1", name: "m#0", status: "failed", attempts: 1, at: 40, error: { _tag: "Boom" } })
        rows = yield* s.steps("r1")
        const a = rows.find((r) => r.name === "a")!
        assert.deepStrictEqual([a.status, a.attempts, a.executions, a.startedAt, a.finishedAt, a.costUsd], ["succeeded", 2, 1, 10, 20, 0.25])
        assert.deepStrictEqual(a.output, { v: [1, 2] })
        assert.deepStrictEqual(a.usage, { inputTokens: 3, outputTokens: 4, calls: 1 })
        const m = rows.find((r) => r.name === "m#0")!
        assert.deepStrictEqual([m.status, m.executions, m.startedAt, m.stepId, m.kind], ["failed", 2, 11, "m", "map"])
        assert.deepStrictEqual(m.error, { _tag: "Boom" })
        assert.deepStrictEqual(yield* s.steps("other"), [])
      })))

    it.live("events: strictly increasing sequence numbers, read after a given one", () =>
      run(Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(newRun("r1"))
        yield* s.createRun(newRun("r2"))
        yield* s.appendEvent({ runId: "r1", at: 5, type: "Custom", stepId: "a", data: { n: 1 } })
        yield* s.appendEvent({ runId: "r2", at: 6, type: "Custom", stepId: undefined, data: undefined })
        yield* s.appendEvent({ runId: "r1", at: 7, type: "Custom", stepId: undefined, data: [1, "two"] })
        const all = yield* s.events("r1")
        assert.deepStrictEqual(all.map((e) => e.type), ["RunStatus", "Custom", "Custom"])
        for (let i = 1; i < all.length; i++) assert.isAbove(all[i]!.seq, all[i - 1]!.seq)
        const after = yield* s.events("r1", { after: all[1]!.seq })
        assert.deepStrictEqual(after.map((e) => e.data), [[1, "two"]])
        assert.deepStrictEqual(all[1]!.stepId, "a")
        assert.strictEqual(all[2]!.stepId, undefined)
      })))

    it.live("waits and signals: a signal that comes first is kept, a second one is refused, deadlines come due", () =>
      run(Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(newRun("r1"))
        // The signal arrives before the run reaches the wait.
        yield* s.putSignal("r1", "approve", { ok: true }, 5)
        yield* s.putWait({ runId: "r1", stepId: "approve", request: { draft: "text" }, deadlineAt: undefined, at: 6 })
        yield* s.putWait({ runId: "r1", stepId: "review", request: undefined, deadlineAt: 100, at: 7 })
        const waits = yield* s.waits("r1")
        const approve = waits.find((w) => w.stepId === "approve")!
        assert.deepStrictEqual([approve.signal, approve.signalledAt, approve.waitingSince, approve.request], [{ ok: true }, 5, 6, { draft: "text" }])
        const again = yield* Effect.flip(s.putSignal("r1", "approve", { ok: false }, 8))
        assert.strictEqual(again._tag, "AlreadySignalled")
        assert.strictEqual(again.message, "Step 'approve' of run 'r1' already has its signal")
        assert.deepStrictEqual((yield* s.waitsToApply(50)).map((w) => w.stepId), ["approve"])
        assert.deepStrictEqual((yield* s.waitsToApply(100)).map((w) => w.stepId).sort(), ["approve", "review"])
        yield* s.markWaitApplied("r1", "approve", 60, false)
        // A wait with a signal cannot time out; one without can, once.
        assert.isFalse(yield* s.claimTimeout("r1", "approve", 100))
        assert.isTrue(yield* s.claimTimeout("r1", "review", 101))
        assert.isFalse(yield* s.claimTimeout("r1", "review", 102))
        assert.deepStrictEqual(yield* s.waitsToApply(1_000), [])
        assert.isTrue((yield* s.waits("r1")).find((w) => w.stepId === "review")!.timedOut)
        // A timed-out wait takes no signal any more.
        assert.strictEqual((yield* Effect.flip(s.putSignal("r1", "review", { late: true }, 102)))._tag, "AlreadySignalled")
        // Reaching the wait again (a replay) keeps the first wait time.
        yield* s.putWait({ runId: "r1", stepId: "approve", request: { draft: "other" }, deadlineAt: undefined, at: 70 })
        const kept = (yield* s.waits("r1")).find((w) => w.stepId === "approve")!
        assert.deepStrictEqual([kept.waitingSince, kept.request, kept.appliedAt], [6, { draft: "text" }, 60])
      })))

    it.live("the runner lease: one holder; taken over when expired or when its process is gone", () =>
      run(Effect.gen(function*() {
        const s = yield* store
        const a = { owner: "A", pid: 100, host: "h" }
        const b = { owner: "B", pid: 200, host: "h" }
        const alive = () => false
        assert.deepStrictEqual(yield* s.acquireRunner(a, 1_000, 10_000, alive), { acquired: true })
        assert.isTrue((yield* s.acquireRunner(a, 2_000, 10_000, alive)).acquired)
        const refused = yield* s.acquireRunner(b, 3_000, 10_000, alive)
        assert.isFalse(refused.acquired)
        if (!refused.acquired) assert.deepStrictEqual([refused.holder.owner, refused.holder.pid, refused.holder.startedAt, refused.holder.heartbeatAt], ["A", 100, 1_000, 2_000])
        assert.isTrue(yield* s.heartbeat("A", 5_000))
        assert.isFalse((yield* s.acquireRunner(b, 14_000, 10_000, alive)).acquired)
        // No heartbeat for longer than the expiry: B takes over, and A learns it at its next heartbeat.
        assert.isTrue((yield* s.acquireRunner(b, 15_001, 10_000, alive)).acquired)
        assert.isFalse(yield* s.heartbeat("A", 15_002))
        // A holder whose process is gone is replaced at once.
        assert.isTrue((yield* s.acquireRunner(a, 15_003, 10_000, (lease) => lease.pid === 200)).acquired)
        assert.strictEqual((yield* s.runner())!.owner, "A")
        yield* s.releaseRunner("B")
        assert.strictEqual((yield* s.runner())!.owner, "A")
        yield* s.releaseRunner("A")
        assert.strictEqual(yield* s.runner(), undefined)
      })))

    it.live("spend ledgers: concurrent reservations never pass the limit; settle gives the reservation back and adds the spend", () =>
      run(Effect.gen(function*() {
        const s = yield* store
        const key = { scope: "workflow:wf", day: "2026-12-01" }
        assert.strictEqual(yield* s.spend(key), undefined)
        // 12 calls of $0.1 / 100 tokens at once against $1.00: exactly 10 are admitted, 2 refused
        const results = yield* Effect.forEach(Array.from({ length: 12 }, (_, i) => i), (i) => s.reserveSpend(key, { usd: 1 }, { usd: 0.1, tokens: 100 }, 10 + i), { concurrency: "unbounded" })
        assert.deepStrictEqual([results.filter((r) => r.admitted).length, results.filter((r) => !r.admitted).length], [10, 2])
        const full = (yield* s.spend(key))!
        assert.deepInclude(full, { scope: "workflow:wf", day: "2026-12-01", spentUsd: 0, calls: 10, refused: 2, reservedTokens: 1000 })
        assert.closeTo(full.reservedUsd, 1, 1e-9)
        // one call settles to less than it reserved, one is released unsent: room for one more $0.1 call (not two)
        yield* s.settleSpend(key, { usd: 0.1, tokens: 100 }, { usd: 0.04, tokens: 40 }, 30)
        yield* s.settleSpend(key, { usd: 0.1, tokens: 100 }, { usd: 0, tokens: 0 }, 31)
        const after = (yield* s.spend(key))!
        assert.closeTo(after.spentUsd, 0.04, 1e-9)
        assert.closeTo(after.reservedUsd, 0.8, 1e-9)
        assert.deepInclude(after, { spentTokens: 40, reservedTokens: 800, updatedAt: 31 })
        assert.isTrue((yield* s.reserveSpend(key, { usd: 1 }, { usd: 0.1, tokens: 100 }, 40)).admitted)
        const refused = yield* s.reserveSpend(key, { usd: 1 }, { usd: 0.1, tokens: 100 }, 41)
        assert.isFalse(refused.admitted)
        assert.strictEqual(refused.row.refused, 3)
        // a tokens limit, and ledgers of other days and scopes are their own
        assert.isFalse((yield* s.reserveSpend(key, { tokens: 950 }, { usd: 0, tokens: 100 }, 42)).admitted)
        assert.isTrue((yield* s.reserveSpend({ ...key, day: "2026-12-02" }, { usd: 1 }, { usd: 1, tokens: 1 }, 43)).admitted)
        assert.isTrue((yield* s.reserveSpend({ ...key, scope: "workflow:other" }, { usd: 1, tokens: 5 }, { usd: 0.5, tokens: 5 }, 44)).admitted)
        assert.strictEqual((yield* s.spend({ ...key, day: "2026-12-02" }))!.calls, 1)
      })))

    it.live("prune deletes finished runs older than the cutoff, with their steps, events and waits", () =>
      run(Effect.gen(function*() {
        const s = yield* store
        for (const id of ["old-ok", "old-failed", "new-ok", "old-running"]) yield* s.createRun(newRun(id))
        yield* s.setStatus("old-ok", "running", 10)
        yield* s.setStatus("old-ok", "succeeded", 100)
        yield* s.setStatus("old-failed", "failed", 200)
        yield* s.setStatus("new-ok", "running", 10)
        yield* s.setStatus("new-ok", "succeeded", 5_000)
        yield* s.setStatus("old-running", "running", 50)
        yield* s.stepStarted({ runId: "old-ok", name: "a", stepId: "a", kind: "step", at: 20 })
        yield* s.putSignal("old-ok", "w", { x: 1 }, 30)
        const pruned = yield* s.prune(1_000)
        assert.deepStrictEqual([...pruned].sort(), ["old-failed", "old-ok"])
        assert.deepStrictEqual((yield* s.listRuns()).map((r) => r.runId).sort(), ["new-ok", "old-running"])
        assert.deepStrictEqual(yield* s.steps("old-ok"), [])
        assert.deepStrictEqual(yield* s.events("old-ok"), [])
        assert.deepStrictEqual(yield* s.waits("old-ok"), [])
        assert.deepStrictEqual(yield* s.prune(1_000), [])
      })))
  })
}

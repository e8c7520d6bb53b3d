/**
 * The run store in memory: for tests and `--store memory` (nothing survives the process). Same behaviour as the SQL
 * store, checked by the same contract test.
 */
import { Effect } from "effect"
import { canMove, isTerminal, type Status } from "./RunStatus.ts"
import {
  AlreadySignalled,
  InvalidTransition,
  type ListFilter,
  RunNotFound,
  type RunEvent,
  type RunnerLease,
  type RunRecord,
  type RunStoreShape,
  type SpendKey,
  spendEpsilon,
  type SpendRow,
  type StepRow,
  type WaitRow
} from "./RunStoreShape.ts"

/**
 * A fresh, empty in-memory store.
 *
 * @example
 * ```ts
 * const store = makeMemory()
 * ```
 */
export const makeMemory = (): RunStoreShape => {
  const runs = new Map<string, RunRecord>()
  const steps = new Map<string, Map<string, StepRow>>()
  const events: Array<RunEvent> = []
  const waits = new Map<string, Map<string, WaitRow>>()
  let seq = 0
  let lease: RunnerLease | undefined
  const ledgers = new Map<string, SpendRow>()
  const ledgerOf = (key: SpendKey, at: number): SpendRow => {
    const id = `${key.scope}\u0000${key.day}`
    let row = ledgers.get(id)
    if (row === undefined) {
      row = { ...key, spentUsd: 0, spentTokens: 0, reservedUsd: 0, reservedTokens: 0, calls: 0, refused: 0, updatedAt: at }
      ledgers.set(id, row)
    }
    return row
  }
  const putLedger = (row: SpendRow) => void ledgers.set(`${row.scope}\u0000${row.day}`, row)

  const matches = (run: RunRecord, filter: ListFilter) => {
    if (filter.status !== undefined) {
      const wanted: ReadonlyArray<Status> = typeof filter.status === "string" ? [filter.status] : filter.status
      if (!wanted.includes(run.status)) return false
    }
    if (filter.workflow !== undefined && run.workflow !== filter.workflow) return false
    if (filter.since !== undefined && run.createdAt < filter.since) return false
    return true
  }
  const newestFirst = (a: RunRecord, b: RunRecord) => b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : -1)
  const waitsOf = (runId: string) => {
    let m = waits.get(runId)
    if (m === undefined) waits.set(runId, (m = new Map()))
    return m
  }
  const emptyWait = (runId: string, stepId: string): WaitRow => ({
    runId,
    stepId,
    request: undefined,
    deadlineAt: undefined,
    waitingSince: undefined,
    signal: undefined,
    signalledAt: undefined,
    appliedAt: undefined,
    timedOut: false
  })

  return {
    createRun: (run) =>
      Effect.sync(() => {
        const existing = runs.get(run.runId)
        if (existing !== undefined) return { created: false, run: existing }
        const record: RunRecord = {
          ...run,
          status: "pending",
          output: undefined,
          error: undefined,
          startedAt: undefined,
          finishedAt: undefined,
          updatedAt: run.createdAt,
          submitted: false,
          cancelRequestedAt: undefined,
          blocked: undefined,
          forced: false
        }
        runs.set(run.runId, record)
        events.push({ runId: run.runId, seq: ++seq, at: run.createdAt, type: "RunStatus", stepId: undefined, data: { status: "pending" } })
        return { created: true, run: record }
      }),
    getRun: (runId) => Effect.sync(() => runs.get(runId)),
    listRuns: (filter = {}) =>
      Effect.sync(() => {
        const out = [...runs.values()].filter((run) => matches(run, filter)).sort(newestFirst)
        return filter.limit === undefined ? out : out.slice(0, filter.limit)
      }),
    setStatus: (runId, to, at, fields = {}) =>
      Effect.suspend((): Effect.Effect<RunRecord, RunNotFound | InvalidTransition> => {
        const run = runs.get(runId)
        if (run === undefined) return Effect.fail(new RunNotFound({ runId }))
        if (!canMove(run.status, to)) return Effect.fail(new InvalidTransition({ runId, from: run.status, to }))
        if (run.status === to && fields.output === undefined && fields.error === undefined) return Effect.succeed(run)
        const next: RunRecord = {
          ...run,
          status: to,
          updatedAt: at,
          startedAt: run.startedAt ?? (to === "running" ? at : undefined),
          finishedAt: isTerminal(to) ? at : run.finishedAt,
          output: fields.output ?? run.output,
          error: fields.error ?? run.error,
          blocked: to === "running" || isTerminal(to) ? undefined : run.blocked,
          submitted: to === "running" ? true : run.submitted
        }
        runs.set(runId, next)
        if (run.status !== to) events.push({ runId, seq: ++seq, at, type: "RunStatus", stepId: undefined, data: { status: to } })
        return Effect.succeed(next)
      }),
    updateRun: (runId, fields) =>
      Effect.sync(() => {
        const run = runs.get(runId)
        if (run === undefined) return
        runs.set(runId, {
          ...run,
          submitted: fields.submitted ?? run.submitted,
          blocked: fields.blocked === undefined ? run.blocked : fields.blocked ?? undefined,
          forced: fields.forced ?? run.forced
        })
      }),
    requestCancel: (runId, at) =>
      Effect.suspend((): Effect.Effect<RunRecord, RunNotFound> => {
        const run = runs.get(runId)
        if (run === undefined) return Effect.fail(new RunNotFound({ runId }))
        if (run.cancelRequestedAt !== undefined || isTerminal(run.status)) return Effect.succeed(run)
        const next = { ...run, cancelRequestedAt: at, updatedAt: at }
        runs.set(runId, next)
        events.push({ runId, seq: ++seq, at, type: "CancelRequested", stepId: undefined, data: undefined })
        return Effect.succeed(next)
      }),
    runsToSubmit: () => Effect.sync(() => [...runs.values()].filter((r) => r.status === "pending" && !r.submitted).sort((a, b) => a.createdAt - b.createdAt)),
    unfinishedRuns: () => Effect.sync(() => [...runs.values()].filter((r) => !isTerminal(r.status)).sort((a, b) => a.createdAt - b.createdAt)),
    cancelRequested: () => Effect.sync(() => [...runs.values()].filter((r) => !isTerminal(r.status) && r.cancelRequestedAt !== undefined)),
    stepStarted: ({ at, kind, name, runId, stepId }) =>
      Effect.sync(() => {
        let m = steps.get(runId)
        if (m === undefined) steps.set(runId, (m = new Map()))
        const prev = m.get(name)
        m.set(name, {
          runId,
          name,
          stepId,
          kind,
          status: "running",
          attempts: 0,
          executions: (prev?.executions ?? 0) + 1,
          startedAt: prev?.startedAt ?? at,
          finishedAt: undefined,
          output: undefined,
          error: undefined,
          usage: undefined,
          costUsd: undefined
        })
        events.push({ runId, seq: ++seq, at, type: "StepStarted", stepId: name, data: { kind } })
      }),
    stepFinished: (row) =>
      Effect.sync(() => {
        const m = steps.get(row.runId)
        const prev = m?.get(row.name)
        if (m === undefined || prev === undefined) return
        m.set(row.name, {
          ...prev,
          status: row.status,
          attempts: row.attempts,
          finishedAt: row.at,
          output: row.output,
          error: row.error,
          usage: row.usage,
          costUsd: row.costUsd
        })
        events.push({ runId: row.runId, seq: ++seq, at: row.at, type: "StepFinished", stepId: row.name, data: { status: row.status, attempts: row.attempts } })
      }),
    steps: (runId) => Effect.sync(() => [...(steps.get(runId)?.values() ?? [])].sort((a, b) => a.startedAt - b.startedAt)),
    appendEvent: (event) =>
      Effect.sync(() => {
        events.push({ ...event, seq: ++seq })
      }),
    events: (runId, options) => Effect.sync(() => events.filter((e) => e.runId === runId && e.seq > (options?.after ?? 0))),
    putWait: ({ at, deadlineAt, request, runId, stepId }) =>
      Effect.sync(() => {
        const m = waitsOf(runId)
        const prev = m.get(stepId) ?? emptyWait(runId, stepId)
        if (prev.waitingSince !== undefined) return
        m.set(stepId, { ...prev, request, deadlineAt, waitingSince: at })
        events.push({ runId, seq: ++seq, at, type: "Waiting", stepId, data: { request: request ?? null, deadlineAt: deadlineAt ?? null } })
      }),
    putSignal: (runId, stepId, value, at) =>
      Effect.suspend((): Effect.Effect<void, AlreadySignalled> => {
        const m = waitsOf(runId)
        const prev = m.get(stepId) ?? emptyWait(runId, stepId)
        if (prev.signal !== undefined || prev.timedOut) return Effect.fail(new AlreadySignalled({ runId, stepId }))
        m.set(stepId, { ...prev, signal: value, signalledAt: at })
        events.push({ runId, seq: ++seq, at, type: "Signalled", stepId, data: undefined })
        return Effect.void
      }),
    waits: (runId) => Effect.sync(() => [...(waits.get(runId)?.values() ?? [])]),
    waitsToApply: (now) =>
      Effect.sync(() =>
        [...waits.values()].flatMap((m) => [...m.values()]).filter((w) =>
          w.appliedAt === undefined && (w.signal !== undefined || (w.deadlineAt !== undefined && w.deadlineAt <= now))
        )
      ),
    markWaitApplied: (runId, stepId, at, timedOut) =>
      Effect.sync(() => {
        const m = waitsOf(runId)
        const prev = m.get(stepId) ?? emptyWait(runId, stepId)
        m.set(stepId, { ...prev, appliedAt: at, timedOut })
      }),
    claimTimeout: (runId, stepId, at) =>
      Effect.sync(() => {
        const m = waitsOf(runId)
        const prev = m.get(stepId) ?? emptyWait(runId, stepId)
        if (prev.signal !== undefined || prev.appliedAt !== undefined) return false
        m.set(stepId, { ...prev, appliedAt: at, timedOut: true })
        events.push({ runId, seq: ++seq, at, type: "WaitTimedOut", stepId, data: undefined })
        return true
      }),
    acquireRunner: (owner, now, expiryMillis, isDead) =>
      Effect.sync(() => {
        if (lease === undefined || lease.owner === owner.owner || lease.heartbeatAt + expiryMillis < now || isDead(lease)) {
          lease = { ...owner, startedAt: lease?.owner === owner.owner ? lease.startedAt : now, heartbeatAt: now }
          return { acquired: true } as const
        }
        return { acquired: false, holder: lease } as const
      }),
    heartbeat: (owner, now) =>
      Effect.sync(() => {
        if (lease?.owner !== owner) return false
        lease = { ...lease, heartbeatAt: now }
        return true
      }),
    releaseRunner: (owner) =>
      Effect.sync(() => {
        if (lease?.owner === owner) lease = undefined
      }),
    runner: () => Effect.sync(() => lease),
    reserveSpend: (key, limits, amount, at) =>
      Effect.sync(() => {
        const row = ledgerOf(key, at)
        const fits = (limits.usd === undefined || row.spentUsd + row.reservedUsd + amount.usd <= limits.usd + spendEpsilon) &&
          (limits.tokens === undefined || row.spentTokens + row.reservedTokens + amount.tokens <= limits.tokens)
        const next: SpendRow = fits
          ? { ...row, reservedUsd: row.reservedUsd + amount.usd, reservedTokens: row.reservedTokens + amount.tokens, calls: row.calls + 1, updatedAt: at }
          : { ...row, refused: row.refused + 1, updatedAt: at }
        putLedger(next)
        return { admitted: fits, row: next }
      }),
    settleSpend: (key, reserved, spent, at) =>
      Effect.sync(() => {
        const row = ledgerOf(key, at)
        putLedger({
          ...row,
          reservedUsd: Math.max(0, row.reservedUsd - reserved.usd),
          reservedTokens: Math.max(0, row.reservedTokens - reserved.tokens),
          spentUsd: row.spentUsd + spent.usd,
          spentTokens: row.spentTokens + spent.tokens,
          updatedAt: at
        })
      }),
    spend: (key) => Effect.sync(() => ledgers.get(`${key.scope}\u0000${key.day}`)),
    prune: (before, filter) =>
      Effect.sync(() => {
        const pruned = [...runs.values()].filter((r) =>
          isTerminal(r.status) && r.finishedAt !== undefined && r.finishedAt < before &&
          (filter?.workflow === undefined || r.workflow === filter.workflow) && !(filter?.except?.includes(r.workflow) ?? false)
        ).map((r) => r.runId)
        for (const runId of pruned) {
          runs.delete(runId)
          steps.delete(runId)
          waits.delete(runId)
        }
        const keep = events.filter((e) => !pruned.includes(e.runId))
        events.length = 0
        events.push(...keep)
        return pruned
      })
  }
}

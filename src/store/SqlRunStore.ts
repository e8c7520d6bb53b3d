/**
 * The run store on SQL: one implementation for SQLite and Postgres (the statements are the same; only a few column
 * types differ, chosen with `sql.onDialectOrElse`). Times are epoch milliseconds in `DOUBLE PRECISION` / `REAL`
 * columns, JSON values are text, so every column reads back as a plain JS value on both databases.
 *
 * Tables are prefixed `llmo_` and created by effect's `Migrator` (table `llmo_migrations`), next to the engine's own
 * `cluster_*` tables in the same database.
 */
import { type Array as Arr, Effect } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import * as GroupCommit from "./GroupCommit.ts"
import { canMove, isTerminal, type Status, terminal } from "./RunStatus.ts"
import {
  AlreadySignalled,
  InvalidTransition,
  type Json,
  RunNotFound,
  type RunEvent,
  type RunnerLease,
  type RunRecord,
  RunStoreError,
  type RunStoreShape,
  type SpendRow,
  spendEpsilon,
  type StepRow,
  type StepStatus,
  type WaitRow
} from "./RunStoreShape.ts"

const migrations = Migrator.fromRecord({
  "1_create_run_index": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const time = sql.onDialectOrElse({ pg: () => sql.literal("DOUBLE PRECISION"), orElse: () => sql.literal("REAL") })
    const serial = sql.onDialectOrElse({ pg: () => sql.literal("BIGSERIAL PRIMARY KEY"), orElse: () => sql.literal("INTEGER PRIMARY KEY AUTOINCREMENT") })
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_runs (
      run_id TEXT PRIMARY KEY,
      workflow TEXT NOT NULL,
      version TEXT,
      graph_hash TEXT NOT NULL,
      shape TEXT NOT NULL,
      source TEXT,
      input TEXT NOT NULL,
      options TEXT NOT NULL,
      parent_run_id TEXT,
      rerun_from TEXT,
      seeds TEXT,
      idempotency_key TEXT,
      status TEXT NOT NULL,
      output TEXT,
      error TEXT,
      created_at ${time} NOT NULL,
      started_at ${time},
      finished_at ${time},
      updated_at ${time} NOT NULL,
      submitted INTEGER NOT NULL DEFAULT 0,
      cancel_requested_at ${time},
      blocked TEXT,
      forced INTEGER NOT NULL DEFAULT 0
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS llmo_runs_status ON llmo_runs (status, created_at)`
    yield* sql`CREATE INDEX IF NOT EXISTS llmo_runs_workflow ON llmo_runs (workflow, created_at)`
    yield* sql`CREATE INDEX IF NOT EXISTS llmo_runs_finished ON llmo_runs (finished_at)`
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_steps (
      run_id TEXT NOT NULL,
      name TEXT NOT NULL,
      step_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      executions INTEGER NOT NULL,
      started_at ${time} NOT NULL,
      finished_at ${time},
      output TEXT,
      error TEXT,
      usage TEXT,
      cost_usd ${time},
      PRIMARY KEY (run_id, name)
    )`
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_events (
      seq ${serial},
      run_id TEXT NOT NULL,
      at ${time} NOT NULL,
      type TEXT NOT NULL,
      step_id TEXT,
      data TEXT
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS llmo_events_run ON llmo_events (run_id, seq)`
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_waits (
      run_id TEXT NOT NULL,
      step_id TEXT NOT NULL,
      request TEXT,
      deadline_at ${time},
      waiting_since ${time},
      signal TEXT,
      signalled_at ${time},
      applied_at ${time},
      timed_out INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (run_id, step_id)
    )`
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_runner (
      id INTEGER PRIMARY KEY,
      owner TEXT NOT NULL,
      pid INTEGER NOT NULL,
      host TEXT NOT NULL,
      started_at ${time} NOT NULL,
      heartbeat_at ${time} NOT NULL
    )`
  }),
  // The runner's inbox reads these every poll (250 ms): without them each read scans every run and wait ever stored.
  "2_inbox_indexes": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE INDEX IF NOT EXISTS llmo_runs_cancel ON llmo_runs (cancel_requested_at) WHERE cancel_requested_at IS NOT NULL`
    yield* sql`CREATE INDEX IF NOT EXISTS llmo_waits_open ON llmo_waits (run_id) WHERE applied_at IS NULL`
  })
})

// The spend ledgers (daily budgets) have a migration table of their own, so they never take a number in the run
// index's sequence.
const spendMigrations = Migrator.fromRecord({
  "1_create_spend": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // Amounts in the same floating type as times: tokens stay exact far past any day's count, and read back as numbers.
    const num = sql.onDialectOrElse({ pg: () => sql.literal("DOUBLE PRECISION"), orElse: () => sql.literal("REAL") })
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_spend (
      scope TEXT NOT NULL,
      day TEXT NOT NULL,
      spent_usd ${num} NOT NULL,
      spent_tokens ${num} NOT NULL,
      reserved_usd ${num} NOT NULL,
      reserved_tokens ${num} NOT NULL,
      calls ${num} NOT NULL,
      refused ${num} NOT NULL,
      updated_at ${num} NOT NULL,
      PRIMARY KEY (scope, day)
    )`
  })
})

const toSpend = (row: Record<string, unknown>): SpendRow => ({
  scope: String(row["scope"]),
  day: String(row["day"]),
  spentUsd: Number(row["spent_usd"]),
  spentTokens: Number(row["spent_tokens"]),
  reservedUsd: Number(row["reserved_usd"]),
  reservedTokens: Number(row["reserved_tokens"]),
  calls: Number(row["calls"]),
  refused: Number(row["refused"]),
  updatedAt: Number(row["updated_at"])
})

type EventRow = {
  readonly run_id: string
  readonly at: number
  readonly type: string
  readonly step_id: string | null
  readonly data: string | null
}

const json = (value: Json | undefined): string | null => (value === undefined ? null : JSON.stringify(value))
const parse = (text: unknown): Json | undefined => (text === null || text === undefined ? undefined : JSON.parse(String(text)) as Json)
const num = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : Number(value))

const toRun = (row: Record<string, unknown>): RunRecord => ({
  runId: String(row["run_id"]),
  workflow: String(row["workflow"]),
  version: row["version"] === null ? undefined : String(row["version"]),
  graphHash: String(row["graph_hash"]),
  shape: parse(row["shape"])!,
  source: parse(row["source"]),
  input: parse(row["input"])!,
  options: parse(row["options"])!,
  parentRunId: row["parent_run_id"] === null ? undefined : String(row["parent_run_id"]),
  rerunFrom: row["rerun_from"] === null ? undefined : String(row["rerun_from"]),
  seeds: parse(row["seeds"]),
  idempotencyKey: row["idempotency_key"] === null ? undefined : String(row["idempotency_key"]),
  status: String(row["status"]) as Status,
  output: parse(row["output"]),
  error: parse(row["error"]),
  createdAt: Number(row["created_at"]),
  startedAt: num(row["started_at"]),
  finishedAt: num(row["finished_at"]),
  updatedAt: Number(row["updated_at"]),
  submitted: Number(row["submitted"]) === 1,
  cancelRequestedAt: num(row["cancel_requested_at"]),
  blocked: row["blocked"] === null ? undefined : String(row["blocked"]),
  forced: Number(row["forced"]) === 1
})

const toStep = (row: Record<string, unknown>): StepRow => ({
  runId: String(row["run_id"]),
  name: String(row["name"]),
  stepId: String(row["step_id"]),
  kind: String(row["kind"]),
  status: String(row["status"]) as StepStatus,
  attempts: Number(row["attempts"]),
  executions: Number(row["executions"]),
  startedAt: Number(row["started_at"]),
  finishedAt: num(row["finished_at"]),
  output: parse(row["output"]),
  error: parse(row["error"]),
  usage: parse(row["usage"]),
  costUsd: num(row["cost_usd"])
})

const toEvent = (row: Record<string, unknown>): RunEvent => ({
  runId: String(row["run_id"]),
  seq: Number(row["seq"]),
  at: Number(row["at"]),
  type: String(row["type"]),
  stepId: row["step_id"] === null ? undefined : String(row["step_id"]),
  data: parse(row["data"])
})

const toWait = (row: Record<string, unknown>): WaitRow => ({
  runId: String(row["run_id"]),
  stepId: String(row["step_id"]),
  request: parse(row["request"]),
  deadlineAt: num(row["deadline_at"]),
  waitingSince: num(row["waiting_since"]),
  signal: parse(row["signal"]),
  signalledAt: num(row["signalled_at"]),
  appliedAt: num(row["applied_at"]),
  timedOut: Number(row["timed_out"]) === 1
})

const toLease = (row: Record<string, unknown>): RunnerLease => ({
  owner: String(row["owner"]),
  pid: Number(row["pid"]),
  host: String(row["host"]),
  startedAt: Number(row["started_at"]),
  heartbeatAt: Number(row["heartbeat_at"])
})

/** Wraps a SQL failure of `operation` into `RunStoreError`, with the database's own message. */
const failed = (operation: string) => (error: SqlError | Migrator.MigrationError) =>
  new RunStoreError({ operation, message: `Run store: ${operation} failed: ${error.message}`, cause: error })

/**
 * The SQL store on the `SqlClient` in context; runs the migrations first.
 *
 * @example
 * ```ts
 * const store = yield* makeSql // with SqliteClient.layer(...) or PgClient.layer(...) provided
 * ```
 */
export const makeSql: Effect.Effect<RunStoreShape, RunStoreError, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* Migrator.make({})({ loader: migrations, table: "llmo_migrations" }).pipe(Effect.mapError(failed("migrate")))
  yield* Migrator.make({})({ loader: spendMigrations, table: "llmo_spend_migrations" }).pipe(Effect.mapError(failed("migrate")))

  const getRun = (runId: string) =>
    Effect.map(sql<Record<string, unknown>>`SELECT * FROM llmo_runs WHERE run_id = ${runId}`, (rows) => (rows[0] === undefined ? undefined : toRun(rows[0])))
  const event = (e: Omit<RunEvent, "seq">) =>
    sql`INSERT INTO llmo_events (run_id, at, type, step_id, data) VALUES (${e.runId}, ${e.at}, ${e.type}, ${e.stepId ?? null}, ${json(e.data)})`
  const eventRow = (e: Omit<RunEvent, "seq">): EventRow => ({ run_id: e.runId, at: e.at, type: e.type, step_id: e.stepId ?? null, data: json(e.data) })
  // The hot writes (a run's start and status moves, its units' rows, streamed deltas) share transactions.
  const group = GroupCommit.make<EventRow>(sql, (rows) => sql`INSERT INTO llmo_events ${sql.insert(rows as unknown as Arr.NonEmptyReadonlyArray<Record<string, unknown>>)}`)
  const in_ = (values: ReadonlyArray<string>) => sql.in(values as Array<string>)

  const store: RunStoreShape = {
    createRun: (run) =>
      group.write((events) => Effect.gen(function*() {
        const inserted = yield* sql<Record<string, unknown>>`INSERT INTO llmo_runs (
            run_id, workflow, version, graph_hash, shape, source, input, options, parent_run_id, rerun_from, seeds,
            idempotency_key, status, created_at, updated_at
          ) VALUES (
            ${run.runId}, ${run.workflow}, ${run.version ?? null}, ${run.graphHash}, ${json(run.shape)}, ${json(run.source)},
            ${json(run.input)}, ${json(run.options)}, ${run.parentRunId ?? null}, ${run.rerunFrom ?? null}, ${json(run.seeds)},
            ${run.idempotencyKey ?? null}, 'pending', ${run.createdAt}, ${run.createdAt}
          ) ON CONFLICT (run_id) DO NOTHING RETURNING *`
        if (inserted[0] === undefined) return { created: false, run: (yield* getRun(run.runId))! }
        events.push(eventRow({ runId: run.runId, at: run.createdAt, type: "RunStatus", stepId: undefined, data: { status: "pending" } }))
        return { created: true, run: toRun(inserted[0]) }
      })).pipe(Effect.mapError(failed("createRun"))),

    getRun: (runId) => getRun(runId).pipe(Effect.mapError(failed("getRun"))),

    listRuns: (filter = {}) =>
      Effect.suspend(() => {
        const statuses = filter.status === undefined ? undefined : typeof filter.status === "string" ? [filter.status] : filter.status
        const where = [
          statuses === undefined ? undefined : sql`status IN ${in_(statuses)}`,
          filter.workflow === undefined ? undefined : sql`workflow = ${filter.workflow}`,
          filter.since === undefined ? undefined : sql`created_at >= ${filter.since}`
        ].filter((c) => c !== undefined)
        const limit = filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`
        return sql<Record<string, unknown>>`SELECT * FROM llmo_runs ${where.length === 0 ? sql`` : sql`WHERE ${sql.and(where)}`} ORDER BY created_at DESC, run_id DESC ${limit}`
      }).pipe(Effect.map((rows) => rows.map(toRun)), Effect.mapError(failed("listRuns"))),

    setStatus: (runId, to, at, fields = {}) =>
      group.write((events) => Effect.gen(function*() {
        const withFields = fields.output !== undefined || fields.error !== undefined
        // One statement on the way that matters: the move is allowed from these statuses (staying is the no-op below).
        const from = (["pending", "running", "suspended", "succeeded", "failed", "cancelled"] as const).filter((s) => s !== to && canMove(s, to))
        const set = sql`status = ${to}, updated_at = ${at},
            started_at = ${to === "running" ? sql`COALESCE(started_at, ${at})` : sql`started_at`},
            finished_at = ${isTerminal(to) ? sql`${at}` : sql`finished_at`},
            blocked = ${to === "running" || isTerminal(to) ? sql`NULL` : sql`blocked`},
            submitted = ${to === "running" ? sql`1` : sql`submitted`},
            output = ${fields.output === undefined ? sql`output` : sql`${json(fields.output)}`},
            error = ${fields.error === undefined ? sql`error` : sql`${json(fields.error)}`}`
        const moved = from.length === 0
          ? []
          : yield* sql<Record<string, unknown>>`UPDATE llmo_runs SET ${set} WHERE run_id = ${runId} AND status IN ${in_(from)} RETURNING *`
        if (moved[0] !== undefined) {
          events.push(eventRow({ runId, at, type: "RunStatus", stepId: undefined, data: { status: to } }))
          return toRun(moved[0])
        }
        // Not moved: not there, not allowed, or already in `to` (then only the fields change, and no event).
        const run = yield* getRun(runId)
        if (run === undefined) return yield* new RunNotFound({ runId })
        if (run.status !== to) return yield* new InvalidTransition({ runId, from: run.status, to })
        if (!withFields) return run
        const kept = yield* sql<Record<string, unknown>>`UPDATE llmo_runs SET ${set} WHERE run_id = ${runId} AND status = ${to} RETURNING *`
        return kept[0] === undefined ? (yield* new InvalidTransition({ runId, from: run.status, to })) : toRun(kept[0])
      })).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(failed("setStatus")(e)))),

    updateRun: (runId, fields) =>
      Effect.suspend(() => {
        const set = [
          fields.submitted === undefined ? undefined : sql`submitted = ${fields.submitted ? 1 : 0}`,
          fields.blocked === undefined ? undefined : sql`blocked = ${fields.blocked}`,
          fields.forced === undefined ? undefined : sql`forced = ${fields.forced ? 1 : 0}`
        ].filter((f) => f !== undefined)
        return set.length === 0 ? Effect.void : Effect.asVoid(sql`UPDATE llmo_runs SET ${sql.csv(set)} WHERE run_id = ${runId}`)
      }).pipe(Effect.mapError(failed("updateRun"))),

    requestCancel: (runId, at) =>
      sql.withTransaction(Effect.gen(function*() {
        const updated = yield* sql<{ run_id: string }>`UPDATE llmo_runs SET cancel_requested_at = ${at}, updated_at = ${at}
          WHERE run_id = ${runId} AND cancel_requested_at IS NULL AND status NOT IN ${in_(terminal)} RETURNING run_id`
        if (updated.length > 0) yield* event({ runId, at, type: "CancelRequested", stepId: undefined, data: undefined })
        const run = yield* getRun(runId)
        if (run === undefined) return yield* new RunNotFound({ runId })
        return run
      })).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(failed("requestCancel")(e)))),

    runsToSubmit: () =>
      sql<Record<string, unknown>>`SELECT * FROM llmo_runs WHERE status = 'pending' AND submitted = 0 ORDER BY created_at`.pipe(
        Effect.map((rows) => rows.map(toRun)),
        Effect.mapError(failed("runsToSubmit"))
      ),

    unfinishedRuns: () =>
      sql<Record<string, unknown>>`SELECT * FROM llmo_runs WHERE status NOT IN ${in_(terminal)} ORDER BY created_at`.pipe(
        Effect.map((rows) => rows.map(toRun)),
        Effect.mapError(failed("unfinishedRuns"))
      ),

    cancelRequested: () =>
      sql<Record<string, unknown>>`SELECT * FROM llmo_runs WHERE cancel_requested_at IS NOT NULL AND status NOT IN ${in_(terminal)}`.pipe(
        Effect.map((rows) => rows.map(toRun)),
        Effect.mapError(failed("cancelRequested"))
      ),

    stepStarted: ({ at, kind, name, runId, stepId }) =>
      group.write((events) => Effect.gen(function*() {
        yield* sql`INSERT INTO llmo_steps (run_id, name, step_id, kind, status, attempts, executions, started_at)
          VALUES (${runId}, ${name}, ${stepId}, ${kind}, 'running', 0, 1, ${at})
          ON CONFLICT (run_id, name) DO UPDATE SET status = 'running', attempts = 0, executions = llmo_steps.executions + 1,
            finished_at = NULL, output = NULL, error = NULL, usage = NULL, cost_usd = NULL`
        events.push(eventRow({ runId, at, type: "StepStarted", stepId: name, data: { kind } }))
      })).pipe(Effect.mapError(failed("stepStarted"))),

    stepFinished: (row) =>
      group.write((events) => Effect.gen(function*() {
        const updated = yield* sql<{ name: string }>`UPDATE llmo_steps SET status = ${row.status}, attempts = ${row.attempts}, finished_at = ${row.at},
            output = ${json(row.output)}, error = ${json(row.error)}, usage = ${json(row.usage)}, cost_usd = ${row.costUsd ?? null}
          WHERE run_id = ${row.runId} AND name = ${row.name} RETURNING name`
        if (updated.length > 0) {
          events.push(eventRow({ runId: row.runId, at: row.at, type: "StepFinished", stepId: row.name, data: { status: row.status, attempts: row.attempts } }))
        }
      })).pipe(Effect.mapError(failed("stepFinished"))),

    steps: (runId) =>
      sql<Record<string, unknown>>`SELECT * FROM llmo_steps WHERE run_id = ${runId} ORDER BY started_at, name`.pipe(
        Effect.map((rows) => rows.map(toStep)),
        Effect.mapError(failed("steps"))
      ),

    appendEvent: (e) => group.write((events) => Effect.sync(() => void events.push(eventRow(e)))).pipe(Effect.mapError(failed("appendEvent"))),

    events: (runId, options) =>
      sql<Record<string, unknown>>`SELECT * FROM llmo_events WHERE run_id = ${runId} AND seq > ${options?.after ?? 0} ORDER BY seq`.pipe(
        Effect.map((rows) => rows.map(toEvent)),
        Effect.mapError(failed("events"))
      ),

    putWait: ({ at, deadlineAt, request, runId, stepId }) =>
      sql.withTransaction(Effect.gen(function*() {
        const changed = yield* sql<{ step_id: string }>`INSERT INTO llmo_waits (run_id, step_id, request, deadline_at, waiting_since)
          VALUES (${runId}, ${stepId}, ${json(request)}, ${deadlineAt ?? null}, ${at})
          ON CONFLICT (run_id, step_id) DO UPDATE SET request = excluded.request, deadline_at = excluded.deadline_at,
            waiting_since = excluded.waiting_since
          WHERE llmo_waits.waiting_since IS NULL RETURNING step_id`
        if (changed.length > 0) {
          yield* event({ runId, at, type: "Waiting", stepId, data: { request: request ?? null, deadlineAt: deadlineAt ?? null } })
        }
      })).pipe(Effect.mapError(failed("putWait"))),

    putSignal: (runId, stepId, value, at) =>
      sql.withTransaction(Effect.gen(function*() {
        const changed = yield* sql<{ step_id: string }>`INSERT INTO llmo_waits (run_id, step_id, signal, signalled_at)
          VALUES (${runId}, ${stepId}, ${json(value)}, ${at})
          ON CONFLICT (run_id, step_id) DO UPDATE SET signal = excluded.signal, signalled_at = excluded.signalled_at
          WHERE llmo_waits.signal IS NULL AND llmo_waits.timed_out = 0 RETURNING step_id`
        if (changed.length === 0) return yield* new AlreadySignalled({ runId, stepId })
        yield* event({ runId, at, type: "Signalled", stepId, data: undefined })
      })).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(failed("putSignal")(e)))),

    waits: (runId) =>
      sql<Record<string, unknown>>`SELECT * FROM llmo_waits WHERE run_id = ${runId} ORDER BY step_id`.pipe(
        Effect.map((rows) => rows.map(toWait)),
        Effect.mapError(failed("waits"))
      ),

    waitsToApply: (now) =>
      sql<Record<string, unknown>>`SELECT * FROM llmo_waits WHERE applied_at IS NULL
        AND (signal IS NOT NULL OR (deadline_at IS NOT NULL AND deadline_at <= ${now}))`.pipe(
        Effect.map((rows) => rows.map(toWait)),
        Effect.mapError(failed("waitsToApply"))
      ),

    markWaitApplied: (runId, stepId, at, timedOut) =>
      sql`INSERT INTO llmo_waits (run_id, step_id, applied_at, timed_out) VALUES (${runId}, ${stepId}, ${at}, ${timedOut ? 1 : 0})
        ON CONFLICT (run_id, step_id) DO UPDATE SET applied_at = excluded.applied_at, timed_out = excluded.timed_out`.pipe(
        Effect.asVoid,
        Effect.mapError(failed("markWaitApplied"))
      ),

    claimTimeout: (runId, stepId, at) =>
      sql.withTransaction(Effect.gen(function*() {
        const claimed = yield* sql<{ step_id: string }>`UPDATE llmo_waits SET applied_at = ${at}, timed_out = 1
          WHERE run_id = ${runId} AND step_id = ${stepId} AND signal IS NULL AND applied_at IS NULL RETURNING step_id`
        if (claimed.length > 0) yield* event({ runId, at, type: "WaitTimedOut", stepId, data: undefined })
        return claimed.length > 0
      })).pipe(Effect.mapError(failed("claimTimeout"))),

    acquireRunner: (owner, now, expiryMillis, isDead) =>
      Effect.gen(function*() {
        const rows = yield* sql<Record<string, unknown>>`SELECT * FROM llmo_runner WHERE id = 1`
        if (rows[0] === undefined) {
          const inserted = yield* sql<{ owner: string }>`INSERT INTO llmo_runner (id, owner, pid, host, started_at, heartbeat_at)
            VALUES (1, ${owner.owner}, ${owner.pid}, ${owner.host}, ${now}, ${now}) ON CONFLICT (id) DO NOTHING RETURNING owner`
          if (inserted.length > 0) return { acquired: true } as const
          const holder = yield* sql<Record<string, unknown>>`SELECT * FROM llmo_runner WHERE id = 1`
          return { acquired: false, holder: toLease(holder[0]!) } as const
        }
        const lease = toLease(rows[0])
        if (lease.owner !== owner.owner && lease.heartbeatAt + expiryMillis >= now && !isDead(lease)) {
          return { acquired: false, holder: lease } as const
        }
        // Compare-and-set on the lease we read: of two processes taking over a dead runner, one wins.
        const taken = yield* sql<{ owner: string }>`UPDATE llmo_runner SET owner = ${owner.owner}, pid = ${owner.pid}, host = ${owner.host},
            started_at = ${lease.owner === owner.owner ? lease.startedAt : now}, heartbeat_at = ${now}
          WHERE id = 1 AND owner = ${lease.owner} AND heartbeat_at = ${lease.heartbeatAt} RETURNING owner`
        if (taken.length > 0) return { acquired: true } as const
        const holder = yield* sql<Record<string, unknown>>`SELECT * FROM llmo_runner WHERE id = 1`
        return { acquired: false, holder: toLease(holder[0]!) } as const
      }).pipe(Effect.mapError(failed("acquireRunner"))),

    heartbeat: (owner, now) =>
      sql<{ owner: string }>`UPDATE llmo_runner SET heartbeat_at = ${now} WHERE id = 1 AND owner = ${owner} RETURNING owner`.pipe(
        Effect.map((rows) => rows.length > 0),
        Effect.mapError(failed("heartbeat"))
      ),

    releaseRunner: (owner) => sql`DELETE FROM llmo_runner WHERE id = 1 AND owner = ${owner}`.pipe(Effect.asVoid, Effect.mapError(failed("releaseRunner"))),

    runner: () =>
      sql<Record<string, unknown>>`SELECT * FROM llmo_runner WHERE id = 1`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toLease(rows[0]))),
        Effect.mapError(failed("runner"))
      ),

    reserveSpend: (key, limits, amount, at) =>
      Effect.gen(function*() {
        yield* sql`INSERT INTO llmo_spend (scope, day, spent_usd, spent_tokens, reserved_usd, reserved_tokens, calls, refused, updated_at)
          VALUES (${key.scope}, ${key.day}, 0, 0, 0, 0, 0, 0, ${at}) ON CONFLICT (scope, day) DO NOTHING`
        // Check and add in one statement: of two processes reserving the last room, one matches the row.
        const fits = [
          limits.usd === undefined ? undefined : sql`spent_usd + reserved_usd + ${amount.usd} <= ${limits.usd + spendEpsilon}`,
          limits.tokens === undefined ? undefined : sql`spent_tokens + reserved_tokens + ${amount.tokens} <= ${limits.tokens}`
        ].filter((c) => c !== undefined)
        const admitted = yield* sql<Record<string, unknown>>`UPDATE llmo_spend SET reserved_usd = reserved_usd + ${amount.usd},
            reserved_tokens = reserved_tokens + ${amount.tokens}, calls = calls + 1, updated_at = ${at}
          WHERE scope = ${key.scope} AND day = ${key.day}${fits.length === 0 ? sql`` : sql` AND ${sql.and(fits)}`} RETURNING *`
        if (admitted[0] !== undefined) return { admitted: true, row: toSpend(admitted[0]) }
        const refused = yield* sql<Record<string, unknown>>`UPDATE llmo_spend SET refused = refused + 1, updated_at = ${at}
          WHERE scope = ${key.scope} AND day = ${key.day} RETURNING *`
        return { admitted: false, row: toSpend(refused[0]!) }
      }).pipe(Effect.mapError(failed("reserveSpend"))),

    settleSpend: (key, reserved, spent, at) =>
      sql`UPDATE llmo_spend SET
          reserved_usd = CASE WHEN reserved_usd > ${reserved.usd} THEN reserved_usd - ${reserved.usd} ELSE 0 END,
          reserved_tokens = CASE WHEN reserved_tokens > ${reserved.tokens} THEN reserved_tokens - ${reserved.tokens} ELSE 0 END,
          spent_usd = spent_usd + ${spent.usd}, spent_tokens = spent_tokens + ${spent.tokens}, updated_at = ${at}
        WHERE scope = ${key.scope} AND day = ${key.day}`.pipe(Effect.asVoid, Effect.mapError(failed("settleSpend"))),

    spend: (key) =>
      sql<Record<string, unknown>>`SELECT * FROM llmo_spend WHERE scope = ${key.scope} AND day = ${key.day}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toSpend(rows[0]))),
        Effect.mapError(failed("spend"))
      ),

    prune: (before, filter) =>
      sql.withTransaction(Effect.gen(function*() {
        const rows = yield* sql<{ run_id: string }>`SELECT run_id FROM llmo_runs WHERE status IN ${in_(terminal)} AND finished_at < ${before}${
          filter?.workflow === undefined ? sql`` : sql` AND workflow = ${filter.workflow}`
        }${filter?.except === undefined || filter.except.length === 0 ? sql`` : sql` AND workflow NOT IN ${in_(filter.except)}`}`
        const ids = rows.map((r) => String(r.run_id))
        // In slices, to stay under the databases' limits on bound parameters.
        for (let i = 0; i < ids.length; i += 500) {
          const slice = ids.slice(i, i + 500)
          yield* sql`DELETE FROM llmo_steps WHERE run_id IN ${in_(slice)}`
          yield* sql`DELETE FROM llmo_events WHERE run_id IN ${in_(slice)}`
          yield* sql`DELETE FROM llmo_waits WHERE run_id IN ${in_(slice)}`
          yield* sql`DELETE FROM llmo_runs WHERE run_id IN ${in_(slice)}`
        }
        return ids
      })).pipe(Effect.mapError(failed("prune")))
  }
  return store
})

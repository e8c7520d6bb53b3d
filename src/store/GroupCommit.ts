/**
 * Group commit for the run index: writes asked for at about the same time (the step boundaries of many runs in
 * flight, a run's end) share one database transaction instead of one transaction each, and the events they log go in
 * as one multi-row `INSERT`. Each caller still waits until its own write is committed, so a write is as durable when
 * its call returns as it was with a transaction of its own; only the number of commits (an fsync or a WAL append on
 * SQLite, a round trip on Postgres) drops.
 *
 * The first caller that finds no batch being written writes the batch (in its own fiber, uninterruptibly, so the
 * callers waiting on it are never left hanging); callers arriving meanwhile queue for the next batch. A write that
 * fails with a database error rolls its batch back, and every write of that batch is then retried in a transaction of
 * its own, so one bad write fails only its own caller. A write that fails with a domain error (a run not found, a
 * transition refused) has written nothing, and leaves the rest of the batch alone.
 *
 * @example
 * ```ts
 * const group = GroupCommit.make(sql, (rows) => sql`INSERT INTO llmo_events ${sql.insert(rows)}`)
 * yield* group.write((events) => Effect.gen(function*() {
 *   yield* sql`UPDATE llmo_steps SET status = 'succeeded' WHERE run_id = ${runId} AND name = ${name}`
 *   events.push({ run_id: runId, at, type: "StepFinished", step_id: name, data: null })
 * }))
 * ```
 */
import { Cause, Deferred, Effect, Exit } from "effect"
import type { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"

/**
 * A write of a batch: its statements, and the event rows it logs (pushed to `events`, written after every write of
 * the batch, in order).
 *
 * @example
 * ```ts
 * const write: GroupCommit.Write<void, never, Row> = (events) => Effect.sync(() => events.push(row))
 * ```
 */
export type Write<A, E, Row> = (events: Array<Row>) => Effect.Effect<A, E | SqlError>

/**
 * What a group commit does.
 *
 * @example
 * ```ts
 * const run = yield* group.write((events) => createRunStatements(events))
 * ```
 */
export interface GroupCommit<Row> {
  /** Runs `write` in the next batch's transaction; completes once that transaction committed. */
  readonly write: <A, E>(write: Write<A, E, Row>) => Effect.Effect<A, E | SqlError>
}

interface Pending<Row> {
  readonly write: Write<unknown, unknown, Row>
  readonly done: Deferred.Deferred<unknown, unknown>
}

/** A failure that is the database's (the transaction may be aborted: the batch is rolled back and retried one by one). */
const isSqlFailure = (exit: Exit.Exit<unknown, unknown>): boolean => {
  if (Exit.isSuccess(exit)) return false
  const error = Cause.findErrorOption(exit.cause)
  return error._tag === "None" || (error.value as { _tag?: unknown } | null)?._tag === "SqlError"
}

class Rollback {
  readonly _tag = "Rollback"
}

/**
 * A group commit on `sql`; `insertEvents` writes the event rows of a batch (never called with none).
 *
 * @example
 * ```ts
 * const group = GroupCommit.make(sql, (rows) => sql`INSERT INTO llmo_events ${sql.insert(rows)}`)
 * ```
 */
export const make = <Row>(
  sql: SqlClient.SqlClient,
  insertEvents: (rows: ReadonlyArray<Row>) => Effect.Effect<unknown, SqlError>
): GroupCommit<Row> => {
  let queue: Array<Pending<Row>> = []
  let writing = false

  /** One transaction for `batch`: the exits of its writes, or `Rollback` when one failed in the database. */
  const transaction = (batch: ReadonlyArray<Pending<Row>>) =>
    sql.withTransaction(Effect.gen(function*() {
      const events: Array<Row> = []
      const exits: Array<Exit.Exit<unknown, unknown>> = []
      for (const pending of batch) {
        const exit = yield* Effect.exit(pending.write(events))
        if (isSqlFailure(exit)) return yield* Effect.fail(new Rollback())
        exits.push(exit)
      }
      if (events.length > 0) yield* insertEvents(events)
      return exits
    }))

  const writeBatch = (batch: ReadonlyArray<Pending<Row>>) =>
    Effect.gen(function*() {
      const together = yield* Effect.exit(transaction(batch))
      if (Exit.isSuccess(together)) {
        batch.forEach((pending, i) => Deferred.doneUnsafe(pending.done, together.value[i]!))
        return
      }
      // One at a time, each in its own transaction: only the write that fails fails.
      for (const pending of batch) {
        const alone = yield* Effect.exit(sql.withTransaction(Effect.gen(function*() {
          const events: Array<Row> = []
          const value = yield* pending.write(events)
          if (events.length > 0) yield* insertEvents(events)
          return value
        })))
        Deferred.doneUnsafe(pending.done, alone)
      }
    })

  /** The next batch, or none: then the writer stops, in the same step (so no write is left queued unseen). */
  const take = Effect.sync(() => {
    if (queue.length === 0) {
      writing = false
      return undefined
    }
    const batch = queue
    queue = []
    return batch
  })

  const drain = Effect.gen(function*() {
    // Lets the fibers that are ready to write join this batch.
    yield* Effect.yieldNow
    while (true) {
      const batch = yield* take
      if (batch === undefined) return
      yield* writeBatch(batch)
    }
  }).pipe(
    Effect.onExit((exit) =>
      Exit.isSuccess(exit) ? Effect.void : Effect.sync(() => {
        // A defect in the writer: the writes queued fail with it rather than wait forever.
        writing = false
        const left = queue
        queue = []
        for (const pending of left) Deferred.doneUnsafe(pending.done, exit)
      })
    ),
    Effect.uninterruptible
  )

  return {
    write: <A, E>(write: Write<A, E, Row>) =>
      Effect.suspend(() => {
        const done = Deferred.makeUnsafe<unknown, unknown>()
        queue.push({ write: write as Write<unknown, unknown, Row>, done })
        if (writing) return Deferred.await(done) as Effect.Effect<A, E | SqlError>
        writing = true
        return Effect.andThen(drain, Deferred.await(done)) as Effect.Effect<A, E | SqlError>
      })
  }
}

/**
 * Group commit: writes asked for together share one transaction and one multi-row event insert; each caller returns
 * once its write is committed; a write that fails in the database fails alone (its batch is retried write by write),
 * and a write's domain failure leaves the others of its batch committed.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { SqlClient } from "effect/sql"
import * as GroupCommit from "../../src/store/GroupCommit.ts"
import * as SqliteClient from "../../src/store/SqliteClient.ts"

class Refused extends Schema.TaggedError<Refused>()("Refused", { message: Schema.String }) {}

const setup = (statements: Array<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`
    yield* sql`CREATE TABLE ev (seq INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL)`
    statements.length = 0
    const group = GroupCommit.make<{ what: string }>(sql, (rows) => sql`INSERT INTO ev ${sql.insert(rows as unknown as [{ what: string }])}`)
    const insert = (id: number, v: string | null) =>
      group.write((events) =>
        Effect.gen(function*() {
          yield* sql`INSERT INTO t (id, v) VALUES (${id}, ${v})`
          events.push({ what: `inserted ${id}` })
          return id
        })
      )
    return { sql, group, insert }
  })

const layer = (statements: Array<string>) => SqliteClient.layer({ filename: ":memory:", onStatement: (s) => void statements.push(s.trim()) })

describe("GroupCommit", () => {
  const statements: Array<string> = []
  it.effect("concurrent writes share one transaction and one event insert; each returns its own value", () =>
    Effect.gen(function*() {
      const { insert, sql } = yield* setup(statements)
      const ids = yield* Effect.all(Array.from({ length: 10 }, (_, i) => insert(i, `v${i}`)), { concurrency: "unbounded" })
      assert.deepStrictEqual(ids, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      assert.strictEqual(statements.filter((s) => s === "BEGIN").length, 1)
      assert.strictEqual(statements.filter((s) => s.startsWith("INSERT INTO ev")).length, 1)
      const events = yield* sql<{ what: string }>`SELECT what FROM ev ORDER BY seq`
      assert.deepStrictEqual(events.map((e) => e.what), ids.map((i) => `inserted ${i}`))
      // One after the other (nothing to share): a transaction each.
      statements.length = 0
      yield* insert(20, "a")
      yield* insert(21, "b")
      assert.strictEqual(statements.filter((s) => s === "BEGIN").length, 2)
    }).pipe(Effect.provide(layer(statements))))

  it.effect("a write that fails in the database fails alone; the others of its batch are committed", () =>
    Effect.gen(function*() {
      const { insert, sql } = yield* setup(statements)
      const exits = yield* Effect.all([insert(1, "one"), insert(2, null), insert(3, "three")].map(Effect.exit), { concurrency: "unbounded" })
      assert.isTrue(Exit.isSuccess(exits[0]!))
      assert.isTrue(Exit.isFailure(exits[1]!))
      assert.isTrue(Exit.isSuccess(exits[2]!))
      const error = Exit.isFailure(exits[1]!) ? (exits[1]!.cause.reasons[0] as { error?: { _tag?: string; message?: string } }).error : undefined
      assert.strictEqual(error?._tag, "SqlError")
      assert.include(error?.message ?? "", "NOT NULL")
      const rows = yield* sql<{ id: number }>`SELECT id FROM t ORDER BY id`
      assert.deepStrictEqual(rows.map((r) => r.id), [1, 3])
      const events = yield* sql<{ what: string }>`SELECT what FROM ev ORDER BY seq`
      assert.deepStrictEqual(events.map((e) => e.what), ["inserted 1", "inserted 3"])
    }).pipe(Effect.provide(layer(statements))))

  it.effect("a write's own failure (no database error) leaves the batch's other writes committed in one transaction", () =>
    Effect.gen(function*() {
      const { group, insert, sql } = yield* setup(statements)
      const refuse = group.write(() => Effect.fail(new Refused({ message: "no" })))
      const exits = yield* Effect.all([insert(1, "one"), refuse, insert(2, "two")].map(Effect.exit), { concurrency: "unbounded" })
      assert.deepStrictEqual(exits.map(Exit.isSuccess), [true, false, true])
      assert.strictEqual(Exit.isFailure(exits[1]!) ? (exits[1]!.cause.reasons[0] as { error?: Refused }).error?.message : undefined, "no")
      assert.strictEqual(statements.filter((s) => s === "BEGIN").length, 1)
      assert.deepStrictEqual((yield* sql<{ id: number }>`SELECT id FROM t ORDER BY id`).map((r) => r.id), [1, 2])
    }).pipe(Effect.provide(layer(statements))))
})

/**
 * The run store contract on every implementation: in memory, SQLite (a fresh file per test) and Postgres (a database
 * of its own for this file, dropped after).
 */
import { afterAll, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { RunStore, SqliteClient } from "../../src/store/index.ts"
import { runStoreContract } from "./contract.ts"
import { createDatabase, dropDatabase, pgLayer, postgresAvailability } from "./postgres.ts"

const dir = mkdtempSync(join(tmpdir(), "llmo-runstore-"))
let files = 0
afterAll(() => rmSync(dir, { recursive: true, force: true }))

runStoreContract("memory", () => RunStore.layerMemory)
runStoreContract("sqlite", () => RunStore.layerSql.pipe(Layer.provide(SqliteClient.layer({ filename: join(dir, `store-${files++}.db`) }))))

const pg = await postgresAvailability()
if (pg.run && pg.reason !== undefined) {
  describe("RunStore contract: postgres", () => {
    it("needs a Postgres server (CI=true)", () => {
      throw new Error(pg.reason)
    })
  })
} else if (pg.run) {
  // One database for the file; each test gets fresh tables by dropping them first (the store recreates them).
  let db: { readonly name: string; readonly url: string } | undefined
  beforeAll(async () => {
    db = await createDatabase()
  })
  afterAll(async () => {
    if (db !== undefined) await dropDatabase(db.name)
  })
  runStoreContract("postgres", () => RunStore.layerSql.pipe(Layer.provide(freshTables(() => db!.name))))
}

/** The SqlClient on the test database, with the store's tables dropped first so each test starts empty. */
function freshTables(name: () => string) {
  return Layer.unwrap(
    Effect.sync(() => {
      const client = pgLayer(name())
      return Layer.effectDiscard(
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          yield* sql.unsafe("DROP TABLE IF EXISTS llmo_steps, llmo_events, llmo_waits, llmo_runner, llmo_runs, llmo_migrations")
        })
      ).pipe(Layer.provideMerge(client))
    })
  )
}

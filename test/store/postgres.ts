/**
 * A Postgres database of its own for a test file: `CREATE DATABASE llmo_test_<random>` on the local server, dropped
 * after the tests (other engineers test against the same server at the same time). When the server is down, the
 * tests fail loudly under CI=true and are skipped with a printed reason elsewhere.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import { randomBytes } from "node:crypto"
import { connect } from "node:net"

export const pgHost = process.env["PGHOST"] ?? "127.0.0.1"
export const pgPort = Number(process.env["PGPORT"] ?? 5432)
export const pgUser = process.env["PGUSER"] ?? "postgres"

/** True when something accepts connections on the Postgres port (checked once, within 1 s). */
export const postgresUp = (): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host: pgHost, port: pgPort })
    const done = (up: boolean) => {
      socket.destroy()
      resolve(up)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

/**
 * Whether the Postgres tests run: under CI=true a missing server is a failure (the returned reason is thrown by the
 * caller's first test), elsewhere the tests are skipped and the reason printed.
 */
export const postgresAvailability = async (): Promise<{ readonly run: boolean; readonly reason: string | undefined }> => {
  if (await postgresUp()) return { run: true, reason: undefined }
  const reason = `Postgres is not reachable on ${pgHost}:${pgPort}`
  if (process.env["CI"] === "true") return { run: true, reason }
  console.warn(`[skip] ${reason}: Postgres tests skipped (they fail under CI=true)`)
  return { run: false, reason }
}

const admin = PgClient.layer({ host: pgHost, port: pgPort, username: pgUser, database: "postgres" })

/** Creates a fresh database and returns its name and URL. */
export const createDatabase = (): Promise<{ readonly name: string; readonly url: string }> => {
  const name = `llmo_test_${process.pid}_${randomBytes(4).toString("hex")}`
  return Effect.runPromise(
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`CREATE DATABASE ${name}`)
      return { name, url: `postgres://${pgUser}@${pgHost}:${pgPort}/${name}` }
    }).pipe(Effect.provide(admin), Effect.scoped)
  )
}

/** Drops a database this test run created (closing the connections still open to it). */
export const dropDatabase = (name: string): Promise<void> =>
  Effect.runPromise(
    Effect.gen(function*() {
      if (!name.startsWith("llmo_test_")) return yield* Effect.die(`refusing to drop ${name}: not created by the tests`)
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }).pipe(Effect.provide(admin), Effect.scoped)
  )

/** A `SqlClient` layer on database `name`. */
export const pgLayer = (name: string): Layer.Layer<SqlClient.SqlClient, unknown> =>
  PgClient.layer({ host: pgHost, port: pgPort, username: pgUser, database: name }) as Layer.Layer<SqlClient.SqlClient, unknown>

/**
 * A throwaway Postgres 15 server of a test's own (initdb in a temp directory, its own port and socket directory), for
 * faults that must not touch the machine's shared server: restarting it under load. As root, the server's commands run
 * as the `postgres` user (initdb refuses root). Stopped (immediate) and deleted by `destroy`.
 *
 * When the binaries are missing the tests are skipped with a printed reason, and fail under CI=true (as for the
 * shared server in `test/store/postgres.ts`).
 */
import { execFileSync } from "node:child_process"
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** Where the server's programs are (`PG_BIN` overrides). */
export const binaries = process.env["PG_BIN"] ?? "/usr/lib/postgresql/15/bin"

/** Whether the tests that need their own server run (see above). */
export const ownPostgresAvailability = (): { readonly run: boolean; readonly reason: string | undefined } => {
  const missing = ["initdb", "pg_ctl"].filter((p) => !existsSync(join(binaries, p)))
  if (missing.length === 0) return { run: true, reason: undefined }
  const reason = `${missing.join(", ")} not found in ${binaries} (set PG_BIN)`
  if (process.env["CI"] === "true") return { run: true, reason }
  console.warn(`[skip] ${reason}: tests with their own Postgres server skipped (they fail under CI=true)`)
  return { run: false, reason }
}

/** A running server of our own. */
export interface OwnPostgres {
  readonly port: number
  readonly dir: string
  /** A URL on database `database` (`postgres` by default), user `postgres`, no password (trust). */
  readonly url: (database?: string) => string
  /**
   * `pg_ctl stop -m fast` (every connection is closed), `downMillis` with no server, then start: the server accepts
   * connections again when this resolves.
   */
  readonly restart: (downMillis?: number) => Promise<{ readonly stopMillis: number; readonly startMillis: number }>
  /** The server's log so far. */
  readonly log: () => string
  /** Stops it (immediate) and deletes its directory. */
  readonly destroy: () => void
}

const asOwner = (command: string, args: ReadonlyArray<string>) => {
  const full = join(binaries, command)
  // initdb and postgres refuse to run as root.
  const [file, argv] = process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", full, ...args]] : [full, args]
  return execFileSync(file, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port })
    socket.setTimeout(500, () => (socket.destroy(), resolve(false)))
    socket.once("connect", () => (socket.destroy(), resolve(true)))
    socket.once("error", () => resolve(false))
  })

/**
 * Creates and starts a server on the first free port from `firstPort` (tried up to 20). `fsync=off`: nothing here
 * needs to survive a power cut, and the test machine's disk is shared.
 */
export const startOwnPostgres = async (firstPort: number): Promise<OwnPostgres> => {
  const dir = mkdtempSync(join(tmpdir(), "own-pg-"))
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim())
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim())
    chownSync(dir, uid, gid)
  }
  const data = join(dir, "data")
  const logFile = join(dir, "server.log")
  try {
    asOwner("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed: ${(e as { stderr?: string }).stderr ?? String(e)}`)
  }
  let port = firstPort
  while (await accepts(port)) port++
  if (port - firstPort > 20) throw new Error(`no free port from ${firstPort}`)
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`
  const start = () => asOwner("pg_ctl", ["-D", data, "-l", logFile, "-o", serverOptions, "-w", "-t", "60", "start"])
  start()
  const stop = (mode: "fast" | "immediate") => asOwner("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"])
  return {
    port,
    dir,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    restart: async (downMillis = 0) => {
      const t0 = Date.now()
      stop("fast")
      const t1 = Date.now()
      await new Promise((r) => setTimeout(r, downMillis))
      const t2 = Date.now()
      start()
      return { stopMillis: t1 - t0, startMillis: Date.now() - t2 }
    },
    log: () => {
      try {
        return readFileSync(logFile, "utf8")
      } catch {
        return ""
      }
    },
    destroy: () => {
      try {
        stop("immediate")
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

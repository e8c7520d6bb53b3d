/**
 * The harness of the cluster tests: a Postgres database of their own (`scale_<tag>_...`, created and dropped), workers
 * as real `llm-orchestrator worker` child processes hosting `workflow.ts`, submitters (`submit.ts`) as client-only
 * members, and the reading of the side-effect log the steps write.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { pgHost, pgPort, pgUser } from "../../store/postgres.ts"
import { steps } from "./workflow.ts"

export const root = join(import.meta.dirname, "..", "..", "..")
const bin = join(root, "src", "cli", "bin.ts")
const module = join(import.meta.dirname, "workflow.ts")
const submitter = join(import.meta.dirname, "submit.ts")

const admin = PgClient.layer({ host: pgHost, port: pgPort, username: pgUser, database: "postgres" })

/** Creates database `scale_<tag>_<pid>_<random>`; returns its name and URL. */
export const createDatabase = (tag: string): Promise<{ readonly name: string; readonly url: string }> => {
  const name = `scale_${tag}_${process.pid}_${randomBytes(3).toString("hex")}`
  return Effect.runPromise(
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`CREATE DATABASE ${name}`)
      return { name, url: `postgres://${pgUser}@${pgHost}:${pgPort}/${name}` }
    }).pipe(Effect.provide(admin), Effect.scoped)
  )
}

/** Drops a database `createDatabase` made (closing the connections still open to it). */
export const dropDatabase = (name: string): Promise<void> =>
  Effect.runPromise(
    Effect.gen(function*() {
      if (!name.startsWith("scale_")) return yield* Effect.die(`refusing to drop ${name}`)
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }).pipe(Effect.provide(admin), Effect.scoped)
  )

/**
 * A free-ish port for a worker: a base per test process, so parallel test files do not collide, below Linux's
 * ephemeral range (32768-60999), where any outgoing connection (a Postgres client, an HTTP call) may hold a port and
 * a worker's listen fails with "Open" (seen twice in the landing runs at 37xxx).
 */
let nextPort = 20000 + (process.pid % 1000) * 10
export const port = () => nextPort++

/** A worker child process and what it printed. */
export interface Worker {
  readonly child: ChildProcess
  readonly port: number
  readonly pid: number
  readonly output: () => string
  readonly exited: Promise<number | null>
}

/** Starts `llm-orchestrator worker` on `store` at 127.0.0.1:`port` and waits until it says it is ready. */
export const startWorker = async (options: {
  readonly store: string
  readonly log: string
  readonly port?: number | undefined
  readonly args?: ReadonlyArray<string> | undefined
  readonly env?: Readonly<Record<string, string>> | undefined
  readonly readyTimeoutMillis?: number | undefined
}): Promise<Worker> => {
  const p = options.port ?? port()
  const child = spawn(process.execPath, [
    "--conditions=source",
    "--import",
    "tsx",
    bin,
    "worker",
    "--store",
    options.store,
    "--address",
    `127.0.0.1:${p}`,
    "--module",
    module,
    ...(options.args ?? [])
  ], { cwd: root, env: { ...process.env, SCALE_LOG: options.log, NO_COLOR: "1", ...options.env }, stdio: ["ignore", "pipe", "pipe"] })
  let text = ""
  child.stdout!.on("data", (d: Buffer) => (text += d.toString("utf8")))
  child.stderr!.on("data", (d: Buffer) => (text += d.toString("utf8")))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker :${p} not ready after ${options.readyTimeoutMillis ?? 150_000} ms:\n${text}`)), options.readyTimeoutMillis ?? 150_000)
    const check = () => {
      if (/worker \S+ ready on/.test(text)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stderr!.on("data", check)
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`worker :${p} exited with ${code} before it was ready:\n${text}`))
    })
  })
  return { child, port: p, pid: child.pid!, output: () => text, exited }
}

/** Stops a worker still running (SIGKILL) and waits for it. */
export const stop = async (worker: Worker): Promise<void> => {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL")
  await worker.exited
}

/** What a submitter printed. */
export interface Submitted {
  readonly started: ReadonlyArray<string>
  readonly results: ReadonlyArray<{ readonly i: number; readonly runId: string; readonly status: string; readonly output: unknown; readonly millis: number }>
  readonly totalMillis: number
}

/** Runs `submit.ts`: `n` runs of the slow workflow, `ms` per step; resolves once every run finished. */
export const submit = (options: {
  readonly store: string
  readonly prefix: string
  readonly n: number
  readonly ms: number
  readonly onStarted?: (() => void) | undefined
  readonly timeoutMillis?: number | undefined
}): Promise<Submitted> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", submitter, options.store, options.prefix, String(options.n), String(options.ms)], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    let started: ReadonlyArray<string> | undefined
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`submitter timed out:\n${out}\n${err}`))
    }, options.timeoutMillis ?? 120_000)
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString("utf8")
      const line = out.split("\n").find((l) => l.startsWith("STARTED "))
      if (line !== undefined && started === undefined) {
        started = JSON.parse(line.slice("STARTED ".length)) as ReadonlyArray<string>
        options.onStarted?.()
      }
    })
    child.stderr!.on("data", (d: Buffer) => (err += d.toString("utf8")))
    child.on("exit", (code) => {
      clearTimeout(timer)
      const line = out.split("\n").find((l) => l.startsWith("DONE "))
      if (code !== 0 || line === undefined) return reject(new Error(`submitter exited ${code}:\n${out}\n${err}`))
      const done = JSON.parse(line.slice("DONE ".length)) as Omit<Submitted, "started">
      resolve({ started: started ?? [], ...done })
    })
  })

/** One line of the side-effect log. */
export interface Entry {
  readonly kind: "start" | "end"
  readonly key: string
  readonly step: string
  readonly pid: number
  readonly at: number
}

/** The side-effect log's lines. */
export const readLog = (file: string): ReadonlyArray<Entry> => {
  let text = ""
  try {
    text = readFileSync(file, "utf8")
  } catch {
    return []
  }
  return text.split("\n").filter((l) => l !== "").map((l) => {
    const [kind, key, step, pid, at] = l.split(" ")
    return { kind: kind as Entry["kind"], key: key!, step: step!, pid: Number(pid), at: Number(at) }
  })
}

/** What the log says about re-executions. */
export interface Analysis {
  /** Starts per `key/step`. */
  readonly starts: ReadonlyMap<string, number>
  /** `key/step`s that started more than once. */
  readonly reRun: ReadonlyArray<string>
  /** `key/step`s that started again after the next step had started (after their output was stored): must be none. */
  readonly finishedReRun: ReadonlyArray<string>
  /** Keys whose last step ended. */
  readonly finished: ReadonlySet<string>
}

export const analyse = (entries: ReadonlyArray<Entry>): Analysis => {
  const starts = new Map<string, number>()
  const firstStart = new Map<string, number>()
  const lastStart = new Map<string, number>()
  const finished = new Set<string>()
  entries.forEach((e, index) => {
    const id = `${e.key}/${e.step}`
    if (e.kind === "start") {
      starts.set(id, (starts.get(id) ?? 0) + 1)
      if (!firstStart.has(id)) firstStart.set(id, index)
      lastStart.set(id, index)
    } else if (e.step === steps[steps.length - 1]) finished.add(e.key)
  })
  const finishedReRun: Array<string> = []
  for (const [id, last] of lastStart) {
    const [key, step] = id.split("/")
    const next = steps[steps.indexOf(step as (typeof steps)[number]) + 1]
    if (next === undefined) continue
    const nextFirst = firstStart.get(`${key}/${next}`)
    if (nextFirst !== undefined && last > nextFirst) finishedReRun.push(id)
  }
  return { starts, reRun: [...starts].filter(([, n]) => n > 1).map(([id]) => id), finishedReRun, finished }
}

/** Waits until `predicate` holds for the log (polled every 50 ms), or fails after `timeoutMillis`. */
export const waitForLog = async (file: string, predicate: (entries: ReadonlyArray<Entry>) => boolean, timeoutMillis = 90_000): Promise<ReadonlyArray<Entry>> => {
  const until = Date.now() + timeoutMillis
  while (Date.now() < until) {
    const entries = readLog(file)
    if (predicate(entries)) return entries
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`the side-effect log never reached the expected state:\n${readFileSync(file, "utf8")}`)
}

/** Keys with a step started and not ended on `pid` (in flight there). */
export const inFlightOn = (entries: ReadonlyArray<Entry>, pid: number): ReadonlyArray<string> => {
  const open = new Map<string, number>()
  for (const e of entries) {
    if (e.pid !== pid) continue
    const id = `${e.key}/${e.step}`
    open.set(id, (open.get(id) ?? 0) + (e.kind === "start" ? 1 : -1))
  }
  return [...open].filter(([, n]) => n > 0).map(([id]) => id)
}

/** What `watchRunner` saw of a worker's row in effect/cluster's `cluster_runners`. */
export interface RunnerSeen {
  /** When it was first seen marked unhealthy (a failed health ping by the health-check singleton). */
  readonly unhealthyAt: number | undefined
  /** Its last heartbeat (renewed every lock refresh): the others drop it once that is older than the lock expiry. */
  readonly lastHeartbeat: number | undefined
}

/** Watches the row of the worker at `address` every 200 ms (psql, so it costs the workers nothing) until stopped. */
export const watchRunner = (url: string, address: string): { readonly stop: () => Promise<RunnerSeen> } => {
  let unhealthyAt: number | undefined
  let lastHeartbeat: number | undefined
  let stopped = false
  const read = () =>
    new Promise<string>((resolve) =>
      execFile("psql", [url, "-Atc", `SELECT healthy, (extract(epoch FROM last_heartbeat) * 1000)::bigint FROM cluster_runners WHERE address = '${address}'`], { encoding: "utf8" }, (error, stdout) =>
        resolve(error === null ? stdout.trim() : ""))
    )
  const loop = (async () => {
    while (!stopped) {
      const [healthy, heartbeat] = (await read()).split("|")
      if (heartbeat !== undefined && heartbeat !== "") lastHeartbeat = Number(heartbeat)
      if (healthy === "f" && unhealthyAt === undefined) unhealthyAt = Date.now()
      await new Promise((r) => setTimeout(r, 200))
    }
  })()
  return {
    stop: async () => {
      stopped = true
      await loop
      return { unhealthyAt, lastHeartbeat }
    }
  }
}

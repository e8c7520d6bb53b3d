/**
 * Durable runs across real processes: two processes on one SQLite file (one runner, one client), SIGTERM during a
 * step (it finishes; nothing runs again after a restart), a second signal (exits at once, resumes later), a suspended
 * run killed with SIGKILL and signalled from another process after the restart, and stores that cannot be used.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { DurableRuns } from "../../src/durable/index.ts"

const root = join(import.meta.dirname, "..", "..")
const worker = join(import.meta.dirname, "support", "worker.ts")
const dir = mkdtempSync(join(tmpdir(), "llmo-process-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const fresh = () => {
  const i = n++
  const log = join(dir, `log-${i}.txt`)
  writeFileSync(log, "")
  return { store: `sqlite:${join(dir, `store-${i}.db`)}`, log }
}

interface Worker {
  readonly child: ChildProcess
  /** Resolves with the first output line starting with `prefix` (from the start of the output). */
  line(prefix: string, timeoutMillis?: number): Promise<string>
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const start = (store: string, log: string, command: string, args: ReadonlyArray<string> = [], env: Record<string, string> = {}): Worker => {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", worker, store, log, command, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", ...env }
  })
  let out = ""
  let err = ""
  const listeners: Array<() => void> = []
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString("utf8")
    for (const l of listeners) l()
  })
  child.stderr!.on("data", (d: Buffer) => (err += d.toString("utf8")))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })))
  return {
    child,
    line: (prefix, timeoutMillis = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = out.split("\n").find((l) => l.startsWith(prefix))
          if (found !== undefined) resolve(found)
        }
        listeners.push(check)
        check()
        setTimeout(() => reject(new Error(`no '${prefix}' line within ${timeoutMillis} ms; stdout: ${out}; stderr: ${err}`)), timeoutMillis)
        void exit.then(() => setTimeout(() => reject(new Error(`exited before '${prefix}'; stdout: ${out}; stderr: ${err}`)), 50))
      }),
    exited: () => exit
  }
}

const lines = (log: string) => readFileSync(log, "utf8").split("\n").filter((l) => l !== "")
const until = async (predicate: () => boolean, what: string, timeoutMillis = 20_000) => {
  const end = Date.now() + timeoutMillis
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe("durable runs across processes", () => {
  it("two processes on one SQLite file: the second is a client; the runner runs what the client started", async () => {
    const { log, store } = fresh()
    const runner = start(store, log, "serve")
    assert.strictEqual(await runner.line("READY"), "READY runner")
    const client = start(store, log, "start", ["slow", `{"text":"x"}`], { STEP_MILLIS: "50" })
    assert.strictEqual(await client.line("READY"), "READY client")
    const runId = (await client.line("RUN ")).slice(4)
    client.child.kill("SIGTERM")
    const awaiting = start(store, log, "await", [runId])
    assert.strictEqual(await awaiting.line("READY"), "READY client")
    const result = await awaiting.line("RESULT ")
    assert.strictEqual(result, `RESULT succeeded {"one":"one(x)","two":"two(one(x))","three":"three(two(one(x)))"}`)
    // Every step ran once, in the runner.
    const started = lines(log).filter((l) => l.startsWith("start "))
    assert.deepStrictEqual(started.map((l) => l.split(" ")[2]), ["one", "two", "three"])
    assert.deepStrictEqual(new Set(started.map((l) => Number(l.split(" ")[3]))), new Set([runner.child.pid]))
    runner.child.kill("SIGTERM")
    await runner.exited()
  }, 60_000)

  it("SIGTERM during a step: the step finishes, the process exits, and after a restart nothing runs again", async () => {
    const { log, store } = fresh()
    const first = start(store, log, "start", ["slow", `{"text":"y"}`])
    const runId = (await first.line("RUN ")).slice(4)
    await until(() => lines(log).some((l) => l.startsWith(`start ${runId} one`)), "step one to start")
    first.child.kill("SIGTERM")
    const exit = await first.exited()
    assert.strictEqual(exit.code, 0)
    // The step in flight finished before the process exited; the next one did not start.
    assert.deepStrictEqual(lines(log).map((l) => l.split(" ").slice(0, 3).join(" ")), [`start ${runId} one`, `end ${runId} one`])
    const second = start(store, log, "await", [runId])
    assert.strictEqual(await second.line("READY"), "READY runner")
    assert.strictEqual(await second.line("RESULT "), `RESULT succeeded {"one":"one(y)","two":"two(one(y))","three":"three(two(one(y)))"}`)
    const started = lines(log).filter((l) => l.startsWith("start ")).map((l) => l.split(" ")[2])
    assert.deepStrictEqual(started, ["one", "two", "three"])
  }, 60_000)

  it("a second signal exits at once; the step that was cut off runs again after a restart, with the same idempotency key", async () => {
    const { log, store } = fresh()
    const first = start(store, log, "start", ["slow", `{"text":"z"}`], { STEP_MILLIS: "4000" })
    const runId = (await first.line("RUN ")).slice(4)
    await until(() => lines(log).some((l) => l.startsWith(`start ${runId} one`)), "step one to start")
    const signalled = Date.now()
    first.child.kill("SIGTERM")
    await new Promise((r) => setTimeout(r, 100))
    first.child.kill("SIGTERM")
    const exit = await first.exited()
    assert.isBelow(Date.now() - signalled, 2000)
    assert.notStrictEqual(exit.code, 0)
    assert.isFalse(lines(log).some((l) => l.startsWith("end ")))
    const second = start(store, log, "await", [runId], { STEP_MILLIS: "20" })
    assert.strictEqual(await second.line("RESULT "), `RESULT succeeded {"one":"one(z)","two":"two(one(z))","three":"three(two(one(z)))"}`)
    const ones = lines(log).filter((l) => l.startsWith(`start ${runId} one`))
    assert.strictEqual(ones.length, 2)
    // The unit's idempotency key is the same across its executions.
    assert.strictEqual(ones[0]!.split(" ")[4], ones[1]!.split(" ")[4])
  }, 60_000)

  it("suspend, kill -9, restart, signal from another process: the run finishes with the value; a wrong-typed one is refused", async () => {
    const { log, store } = fresh()
    const first = start(store, log, "start", ["review", `{"text":"doc"}`])
    const runId = (await first.line("RUN ")).slice(4)
    const peek = Effect.runPromise(Effect.gen(function*() {
      const runs = yield* DurableRuns.DurableRuns
      for (;;) {
        const view = yield* runs.get(runId)
        if (view.run.status === "suspended") return view
        yield* Effect.sleep("20 millis")
      }
    }).pipe(Effect.provide(DurableRuns.layer({ store, role: "client" })), Effect.timeout("20 seconds")))
    const suspended = await peek
    assert.strictEqual(suspended.run.status, "suspended")
    first.child.kill("SIGKILL")
    await first.exited()
    const runner = start(store, log, "serve")
    assert.strictEqual(await runner.line("READY"), "READY runner")
    const wrong = start(store, log, "signal", [runId, "approve", `{"approved":"yes"}`])
    assert.strictEqual(await wrong.line("READY"), "READY client")
    assert.match(await wrong.line("ERROR "), /^ERROR SignalInvalid Signal for 'approve' of run '.*' is invalid: approved: Expected boolean/)
    const good = start(store, log, "signal", [runId, "approve", `{"approved":true}`])
    assert.strictEqual(await good.line("OK"), "OK")
    const awaiting = start(store, log, "await", [runId])
    assert.strictEqual(await awaiting.line("RESULT "), `RESULT succeeded {"draft":"draft(doc)","approve":{"approved":true},"publish":"published draft(doc)"}`)
    // The draft, done before the wait, did not run again after the kill.
    assert.strictEqual(lines(log).filter((l) => l.startsWith(`start ${runId} draft`)).length, 1)
    runner.child.kill("SIGTERM")
    await runner.exited()
  }, 60_000)
})

describe("stores that cannot be used", () => {
  it.live("a file that is not a database: a clear error naming it, and the file is left as it was", () =>
    Effect.gen(function*() {
      const file = join(dir, "garbage.db")
      writeFileSync(file, "definitely not sqlite ".repeat(100))
      const error = yield* Effect.flip(Layer.build(DurableRuns.layer({ store: `sqlite:${file}` })).pipe(Effect.scoped))
      assert.strictEqual(error._tag, "StoreUnavailable")
      assert.include(error.message, file)
      assert.include(error.message, "is not a SQLite database")
      assert.strictEqual(readFileSync(file, "utf8"), "definitely not sqlite ".repeat(100))
    }))

  it.live("a database another process keeps locked: a clear error; what it holds is intact afterwards", () =>
    Effect.gen(function*() {
      const file = join(dir, "locked.db")
      const seed = yield* Effect.gen(function*() {
        const runs = yield* DurableRuns.DurableRuns
        const list = yield* runs.list()
        return list.length
      }).pipe(Effect.provide(DurableRuns.layer({ store: `sqlite:${file}` })))
      assert.strictEqual(seed, 0)
      const other = new DatabaseSync(file)
      other.exec("PRAGMA journal_mode = DELETE")
      other.exec("BEGIN EXCLUSIVE")
      const error = yield* Effect.flip(
        Layer.build(DurableRuns.layer({ store: { _tag: "sqlite", filename: file, busyTimeoutMillis: 100 } })).pipe(Effect.scoped)
      )
      other.exec("ROLLBACK")
      other.close()
      assert.strictEqual(error._tag, "StoreUnavailable")
      assert.include(error.message, "locked")
      const after = yield* Effect.gen(function*() {
        return (yield* (yield* DurableRuns.DurableRuns).list()).length
      }).pipe(Effect.provide(DurableRuns.layer({ store: `sqlite:${file}` })))
      assert.strictEqual(after, 0)
    }))

  it.live("a Postgres server that does not answer: StoreUnavailable after retrying, naming the store (without its password)", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const error = yield* Effect.flip(Layer.build(DurableRuns.layer({ store: "postgres://postgres:secret@127.0.0.1:1/none" })).pipe(Effect.scoped))
      assert.strictEqual(error._tag, "StoreUnavailable")
      assert.include(error.message, "Store postgres://postgres:***@127.0.0.1:1/none does not answer")
      assert.include(error.message, "ECONNREFUSED")
      assert.notInclude(error.message, "secret")
      assert.isAtLeast(Date.now() - started, 1000)
    }), 30_000)

  it.live("asked to be the runner while another process is: refused, naming that process", () =>
    Effect.gen(function*() {
      const store = `sqlite:${join(dir, "runner.db")}`
      yield* Layer.build(DurableRuns.layer({ store }))
      const error = yield* Effect.flip(Layer.build(DurableRuns.layer({ store, role: "runner" })))
      assert.strictEqual(error._tag, "RunnerActive")
      assert.include(error.message, `(pid ${process.pid} on `)
      assert.include(error.message, "this one can only be its client")
    }).pipe(Effect.scoped))
})

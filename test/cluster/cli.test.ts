/**
 * The CLI against a worker: `worker` hosting a YAML workflow with an approval step, and `run --store postgres://...`,
 * `status`, `list`, `signal` and `cancel` as separate processes on the same store. `run` finds the live worker and
 * joins as a client (it says so), the worker runs the steps, and every command sees the run the same way.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import { postgresAvailability } from "../store/postgres.ts"
import { createDatabase, dropDatabase, root, startWorker, stop, type Worker } from "./support/cluster.ts"

const dir = mkdtempSync(join(tmpdir(), "scale-cli-"))
const file = join(dir, "review.yaml")
writeFileSync(file, `name: review
inputs:
  text: string
steps:
  - id: draft
    type: transform
    function: template
    template: "Draft: {{ input.text }}"
    output: draft
  - id: approve
    type: approval
    request: "Publish this? {{ draft }}"
    output: decision
  - id: publish
    type: transform
    function: template
    template: "{{ draft }} (approved={{ decision.approved }})"
    output: published
outputs:
  published: "{{ published }}"
`)
const pg = await postgresAvailability()
let db: { readonly name: string; readonly url: string } | undefined
let worker: Worker | undefined

beforeAll(async () => {
  if (!pg.run) return
  if (pg.reason !== undefined) throw new Error(pg.reason)
  db = await createDatabase("cli")
  worker = await startWorker({ store: db.url, log: join(dir, "steps.log"), args: [file] })
}, 240_000)

afterAll(async () => {
  if (worker !== undefined) await stop(worker)
  if (db !== undefined) await dropDatabase(db.name)
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

const cli = (args: ReadonlyArray<string>): Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", join(root, "src", "cli", "bin.ts"), ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", LLM_ORCHESTRATOR_STORE: "" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
    child.on("exit", (code) => resolve({ code, stdout, stderr }))
  })

/** A command in this process (a process other than the worker's all the same). */
const here = async (args: ReadonlyArray<string>) => {
  const cap = Output.capture({ cwd: root })
  const code = await Effect.runPromise(runWith(args, cap.layer))
  return { code, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") }
}

describe.skipIf(!pg.run)("CLI with a worker on Postgres", () => {
  it("run joins the worker as a client; status, list, signal and cancel see the run from other processes", async () => {
    const store = db!.url
    // run: the worker runs it up to the approval; the command exits 4 (waiting for a signal).
    const started = await cli(["run", file, "--store", store, "--input", JSON.stringify({ text: "hello" }), "--json"])
    assert.strictEqual(started.code, 4, started.stderr)
    const run = JSON.parse(started.stdout) as { runId: string; status: string; waiting: ReadonlyArray<string> }
    assert.strictEqual(run.status, "suspended")
    assert.deepStrictEqual(run.waiting, ["approve"])

    const status = await here(["status", run.runId, "--store", store, "--json"])
    assert.strictEqual(status.code, 0, status.stderr)
    const viewed = JSON.parse(status.stdout) as { status: string; steps: ReadonlyArray<{ stepId: string; status: string }> }
    assert.strictEqual(viewed.status, "suspended")
    assert.strictEqual(viewed.steps.find((s) => s.stepId === "draft")?.status, "succeeded")

    const listed = await here(["list", "--store", store, "--json"])
    assert.strictEqual(listed.code, 0, listed.stderr)
    assert.include(listed.stdout, run.runId)

    // signal: delivered through the store's inbox to the worker; the command follows the run to its end.
    const signalled = await cli(["signal", run.runId, "approve", "--value", JSON.stringify({ approved: true }), "--store", store, "--json"])
    assert.strictEqual(signalled.code, 0, signalled.stderr)
    const finished = JSON.parse(signalled.stdout) as { status: string; outputs: { published: string } }
    assert.strictEqual(finished.status, "succeeded")
    assert.strictEqual(finished.outputs.published, "Draft: hello (approved=true)")

    // A second run, cancelled while it waits.
    const second = await cli(["run", file, "--store", store, "--input", JSON.stringify({ text: "bye" })])
    assert.strictEqual(second.code, 4, second.stderr)
    assert.include(second.stderr, "(run by the workers)")
    const secondId = /run (run-\S+) is waiting/.exec(second.stderr)![1]!
    const cancelled = await cli(["cancel", secondId, "--store", store, "--json"])
    assert.strictEqual(cancelled.code, 0, cancelled.stderr)
    assert.strictEqual((JSON.parse(cancelled.stdout) as { status: string }).status, "cancelled")
    // The worker ran them: it says nothing went wrong.
    assert.notInclude(worker!.output(), "internal error")
  }, 300_000)

  it("serve --client hosts no runs, even before a worker is up: its runs wait in the store, then a worker runs them", async () => {
    // A store of its own with no worker yet: a plain `serve` would take the store's runner lease and run them itself.
    const fresh = await createDatabase("serve")
    const children: Array<ReturnType<typeof spawn>> = []
    let late: Worker | undefined
    try {
      const server = spawn(process.execPath, ["--conditions=source", "--import", "tsx", join(root, "src", "cli", "bin.ts"), "serve", "--port", "0", "--store", fresh.url, "--client", "--workflows", file], {
        cwd: root,
        env: { ...process.env, NO_COLOR: "1", LLM_ORCHESTRATOR_STORE: "" },
        stdio: ["ignore", "pipe", "pipe"]
      })
      children.push(server)
      let stderr = ""
      server.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
      const until = async (check: () => boolean | Promise<boolean>, what: string, millis = 300_000) => {
        const end = Date.now() + millis
        while (!(await check())) {
          if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${stderr}`)
          await new Promise((r) => setTimeout(r, 200))
        }
      }
      await until(() => /serving on \S+/.test(stderr) || server.exitCode !== null, "serve to listen")
      const url = /serving on (\S+)/.exec(stderr)?.[1]
      assert.isDefined(url, stderr)
      assert.include(stderr, "a client: runs go to the workers")
      const admin = /llmo_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/.exec(stderr)![0]
      const headers = { authorization: `Bearer ${admin}`, "content-type": "application/json" }
      const ready = await (await fetch(`${url}/ready`, { headers })).json() as { role: string }
      assert.strictEqual(ready.role, "client")
      const started = await fetch(`${url}/workflows/review/runs`, { method: "POST", headers, body: JSON.stringify({ input: { text: "queued" } }) })
      assert.oneOf(started.status, [200, 202])
      const runId = (await started.json() as { runId: string }).runId
      const status = async () => (await (await fetch(`${url}/runs/${runId}`, { headers })).json() as { status: string }).status
      // Nobody runs it: still pending after several of the server's polls, and no runner lease in the store.
      await new Promise((r) => setTimeout(r, 3_000))
      assert.strictEqual(await status(), "pending")
      const holders = execFileSync("psql", [fresh.url, "-Atc", "SELECT count(*) FROM llmo_runner"], { encoding: "utf8" }).trim()
      assert.strictEqual(holders, "0")
      // A worker that starts later runs it up to its approval step.
      late = await startWorker({ store: fresh.url, log: join(dir, "late.log"), args: [file] })
      await until(async () => (await status()) === "suspended", "the worker to run the run")
      server.kill("SIGTERM")
      await new Promise((r) => server.once("exit", r))
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill("SIGKILL")
      if (late !== undefined) await stop(late)
      await dropDatabase(fresh.name)
    }
  }, 600_000)

  it("worker refuses a store that is not Postgres, a missing address, and settings that cannot work", async () => {
    const sqlite = await here(["worker", "--store", join(dir, "x.db"), "--address", "127.0.0.1:1"])
    assert.strictEqual(sqlite.code, 2)
    assert.include(sqlite.stderr, "the workers need a Postgres store")
    // Every problem at once: no address, a refresh not below the expiry, a duration that is none.
    const bad = await here(["worker", "--store", db!.url, "--lock-expiry", "2s", "--lock-refresh", "3s", "--grace", "soon"])
    assert.strictEqual(bad.code, 2)
    assert.include(bad.stderr, "--address HOST:PORT is required")
    assert.include(bad.stderr, "lock refresh (3s) must be below lock expiry (2s)")
    assert.include(bad.stderr, "--grace 'soon' is not a duration")
  }, 30_000)
})

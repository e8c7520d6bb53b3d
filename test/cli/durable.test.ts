/**
 * The durable CLI as users meet it: child processes in a fresh directory, the default store (.llm-orchestrator/runs.db
 * created on first use), SIGTERM and a second signal during a step, kill -9 and `resume`, an approval step suspended,
 * a wrong-typed signal refused with the field named, `signal` finishing the run in a new process, `cancel` from another
 * process, `rerun --from --value`, `check` after a definition change, `prune`, `list`/`status`, a second process on the
 * same file as the runner's client, and Postgres. Steps log to a side-effect file that survives the kills, so the
 * tests count what ran again.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import { createDatabase, dropDatabase, postgresAvailability } from "../store/postgres.ts"
import { finished, type Finished, root, until } from "./support/cliProcess.ts"

const dir = mkdtempSync(join(tmpdir(), "llmo-durable-cli-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const actions = join(root, "test", "cli", "support", "durableActions.ts")
const loader = join(root, "node_modules", "tsx", "dist", "loader.mjs")

/** A fresh project directory. */
const project = (name: string) => join(dir, name)
const mkdir = (cwd: string) => {
  rmSync(cwd, { recursive: true, force: true })
  mkdirSync(cwd, { recursive: true })
}

const threeSlow = (ms: number) => `name: three
inputs:
  text: string
steps:
  - id: one
    type: action
    action: slow
    name: "one-{{ input.text }}"
    ms: ${ms}
    output: one
  - id: two
    type: action
    action: slow
    name: "two-{{ one }}"
    ms: ${ms}
    output: two
  - id: three
    type: action
    action: slow
    name: "three-{{ two }}"
    ms: ${ms}
    output: three
outputs:
  result: "{{ three }}"
`

const review = (draftId = "draft") => `name: review
inputs:
  text: string
steps:
  - id: ${draftId}
    type: action
    action: slow
    name: "draft-{{ input.text }}"
    ms: 10
    output: draft
  - id: approve
    type: approval
    request: "Publish {{ draft }}?"
    output: decision
  - id: publish
    type: transform
    function: template
    template: "{{ draft }} approved={{ decision.approved }} {{ decision.comment }}"
    output: published
outputs:
  published: "{{ published }}"
`

/** Starts the CLI in `cwd` with the default store (no LLM_ORCHESTRATOR_STORE) unless `env` sets one. */
const cli = (cwd: string, args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}): ChildProcess =>
  spawn(process.execPath, ["--import", loader, join(root, "src", "cli", "bin.ts"), ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", LLM_ORCHESTRATOR_STORE: undefined, DURABLE_LOG: join(cwd, "effects.log"), ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
const spawned = (cwd: string, args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}): Promise<Finished> => finished(cli(cwd, args, env))

/**
 * The CLI in this process (another process than the children), with the default store of `cwd` unless `args` name
 * one: the commands around the child processes, without paying a process start each (the machine is shared).
 */
const run = async (cwd: string, args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}): Promise<Finished> => {
  const saved = { ...process.env }
  delete process.env["LLM_ORCHESTRATOR_STORE"]
  process.env["DURABLE_LOG"] = join(cwd, "effects.log")
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]
  else process.env[k] = v
  try {
    const cap = Output.capture({ cwd })
    const code = await Effect.runPromise(runWith(args.map((a) => (a.endsWith(".yaml") ? join(cwd, a) : a)), cap.layer))
    return { code, signal: null, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") }
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

/** The side-effect log: one `start|end <name> <pid>` line per event. */
const effects = (cwd: string) => (existsSync(join(cwd, "effects.log")) ? readFileSync(join(cwd, "effects.log"), "utf8").split("\n").filter((l) => l !== "") : [])
const count = (cwd: string, line: string) => effects(cwd).filter((l) => l.startsWith(`${line} `)).length

/** Collects a child's output while it runs. */
const collect = (child: ChildProcess) => {
  const out = { stdout: "", stderr: "" }
  child.stdout!.on("data", (d: Buffer) => (out.stdout += d.toString("utf8")))
  child.stderr!.on("data", (d: Buffer) => (out.stderr += d.toString("utf8")))
  return out
}
const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode })
    else child.on("close", (code, signal) => resolve({ code, signal }))
  })
/** The outputs a run printed on stdout (after its progress lines). */
const outputs = (stdout: string) => JSON.parse(stdout.slice(stdout.search(/^\{/m)))
const runIdOf = (stderr: string) => /run (run-[a-z0-9]+-[0-9a-f]{8}) on /.exec(stderr)?.[1]

describe("durable CLI", () => {
  it("run is durable by default: the store is created, the run id printed, list/status read it; --store memory keeps nothing", async () => {
    const cwd = project("default")
    mkdir(cwd)
    writeFileSync(join(cwd, "three.yaml"), threeSlow(10))
    // A real process with no store given: the embedded file under its working directory.
    const r = await spawned(cwd, ["run", "three.yaml", "--actions", actions, "--input", '{"text":"a"}'])
    expect(r.stderr).toMatch(/run run-\S+ on sqlite:.*\.llm-orchestrator\/runs\.db/)
    expect(r.code).toBe(0)
    expect(outputs(r.stdout)).toEqual({ result: "three-two-one-a!!!" })
    expect(existsSync(join(cwd, ".llm-orchestrator", "runs.db"))).toBe(true)
    const id = runIdOf(r.stderr)!

    const list = await run(cwd, ["list"])
    expect(list.code).toBe(0)
    expect(list.stdout.split("\n")[0]).toMatch(/^RUN\s+WORKFLOW\s+STATUS\s+CREATED\s+DURATION$/)
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+three\\s+succeeded`))
    const filtered = JSON.parse((await run(cwd, ["list", "--json", "--status", "failed", "--since", "1h"])).stdout)
    expect(filtered.runs).toEqual([])

    const status = await run(cwd, ["status", id, "--json"])
    const doc = JSON.parse(status.stdout)
    expect(doc.status).toBe("succeeded")
    expect(doc.steps.map((s: { stepId: string }) => s.stepId).filter((s: string) => s !== "_outputs")).toEqual(["one", "two", "three"])
    for (const s of doc.steps) {
      expect(s.attempts).toBe(1)
      expect(typeof s.durationMillis).toBe("number")
    }
    const text = await run(cwd, ["status", id])
    expect(text.stdout).toMatch(/STEP\s+STATUS\s+ATTEMPTS\s+DURATION\s+TOKENS\s+COST/)
    expect(text.stdout).toMatch(/two\s+succeeded\s+1\s+\d+ms/)

    // In memory: the same outputs, no store.
    const memory = join(cwd, "mem")
    mkdir(memory)
    writeFileSync(join(memory, "three.yaml"), threeSlow(10))
    const m = await run(memory, ["run", "three.yaml", "--actions", actions, "--input", '{"text":"a"}', "--store", "memory"])
    expect(m.code).toBe(0)
    expect(outputs(m.stdout)).toEqual({ result: "three-two-one-a!!!" })
    expect(existsSync(join(memory, ".llm-orchestrator"))).toBe(false)

    const bad = await run(cwd, ["run", "three.yaml", "--store", "mysql://x"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("unknown store 'mysql://x': use memory, sqlite:PATH")
  }, 120_000)

  it("an approval suspends the run (exit 4); a wrong-typed signal is refused with the field named; signal (a later command) finishes it without re-running the draft; check names a changed step", async () => {
    const cwd = project("approval")
    mkdir(cwd)
    writeFileSync(join(cwd, "review.yaml"), review())
    const first = await run(cwd, ["run", "review.yaml", "--actions", actions, "--input", '{"text":"post"}'])
    expect(first.code).toBe(4)
    const id = runIdOf(first.stderr)!
    expect(first.stderr).toContain(`run ${id} is waiting at 'approve': llm-orchestrator signal ${id} approve --value '<json>'`)
    const status = JSON.parse((await run(cwd, ["status", id, "--json"])).stdout)
    expect(status.status).toBe("suspended")
    expect(status.waits).toEqual([expect.objectContaining({ stepId: "approve", signalled: false, request: "Publish draft-post!?" })])

    const wrong = await run(cwd, ["signal", id, "approve", "--value", '{"approved":"yes"}'])
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain(`Signal for 'approve' of run '${id}' is invalid: approved: Expected boolean`)
    expect(JSON.parse((await run(cwd, ["status", id, "--json"])).stdout).status).toBe("suspended")
    const unknown = await run(cwd, ["signal", id, "aprove", "--value", "{}"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain(`Run '${id}' has no wait step 'aprove' (its wait steps: approve)`)

    const done = await run(cwd, ["signal", id, "approve", "--value", '{"approved":true,"comment":"ship it"}'])
    expect(done.code).toBe(0)
    expect(JSON.parse(done.stdout)).toEqual({ published: "draft-post! approved=true ship it" })
    expect(count(cwd, "start draft-post")).toBe(1)

    // A changed definition: `check` names the renamed step; the file as it was passes.
    writeFileSync(join(cwd, "review.yaml"), review())
    const second = await run(cwd, ["run", "review.yaml", "--actions", actions, "--input", '{"text":"b"}'])
    expect(second.code).toBe(4)
    const ok = await run(cwd, ["check", "review.yaml"])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(new RegExp(`${runIdOf(second.stderr)}\\s+suspended\\s+ok`))
    writeFileSync(join(cwd, "review-v2.yaml"), review("write"))
    const changed = await run(cwd, ["check", "review-v2.yaml"])
    expect(changed.code).toBe(1)
    expect(changed.stdout).toContain("incompatible: ")
    expect(changed.stdout).toContain("step 'draft' was removed (or renamed)")
  }, 120_000)

  it("SIGTERM during a step: the step finishes, the run is saved (exit 143), resume finishes it without re-running finished steps", async () => {
    const cwd = project("sigterm")
    mkdir(cwd)
    writeFileSync(join(cwd, "three.yaml"), threeSlow(3000))
    const child = cli(cwd, ["run", "three.yaml", "--actions", actions, "--input", '{"text":"t"}'])
    const out = collect(child)
    await until(() => count(cwd, "start two-one-t!") === 1, "step two to start", 60_000)
    child.kill("SIGTERM")
    const { code } = await exited(child)
    expect(code).toBe(143)
    // The step in flight finished before the process left; the next one never started.
    expect(count(cwd, "end two-one-t!")).toBe(1)
    expect(count(cwd, "start three-two-one-t!!")).toBe(0)
    const id = runIdOf(out.stderr)!
    expect(out.stderr).toContain(`continue with: llm-orchestrator resume ${id}`)
    expect(JSON.parse((await run(cwd, ["status", id, "--json"])).stdout).status).toBe("running")

    const resumed = await run(cwd, ["resume", id])
    expect(resumed.code).toBe(0)
    expect(JSON.parse(resumed.stdout)).toEqual({ result: "three-two-one-t!!!" })
    expect(count(cwd, "start one-t")).toBe(1)
    expect(count(cwd, "start two-one-t!")).toBe(1)
    expect(count(cwd, "start three-two-one-t!!")).toBe(1)
  }, 120_000)

  it("a second signal exits at once; kill -9 loses nothing: resume (every unfinished run) finishes it", async () => {
    const cwd = project("kill")
    mkdir(cwd)
    writeFileSync(join(cwd, "hold.yaml"), threeSlow(10_000).replace("name: three", "name: hold"))
    writeFileSync(join(cwd, "three.yaml"), threeSlow(800))
    const child = cli(cwd, ["run", "hold.yaml", "--actions", actions, "--input", '{"text":"k"}'])
    const out = collect(child)
    await until(() => count(cwd, "start one-k") === 1, "step one to start", 60_000)
    child.kill("SIGTERM")
    await new Promise((r) => setTimeout(r, 200))
    child.kill("SIGTERM")
    const { code } = await exited(child)
    expect(code).toBe(143)
    // It did not wait for the step (10 s) to finish.
    expect(count(cwd, "end one-k")).toBe(0)
    // Nobody runs the store now: a cancel takes effect at once, and the run is never resumed.
    const held = runIdOf(out.stderr)!
    const cancelled = await run(cwd, ["cancel", held])
    expect(cancelled.stdout).toBe(`cancelled ${held}`)

    // Another run killed with SIGKILL inside its second step.
    const victim = cli(cwd, ["run", "three.yaml", "--actions", actions, "--input", '{"text":"v"}'])
    const vout = collect(victim)
    await until(() => count(cwd, "start two-one-v!") === 1, "the victim's step two", 60_000)
    victim.kill("SIGKILL")
    await exited(victim)

    const resumed = await run(cwd, ["resume", "--json"])
    expect(resumed.code).toBe(0)
    expect(resumed.stderr).toContain("resuming 1 unfinished run on sqlite:")
    expect(JSON.parse(resumed.stdout)).toEqual([{ runId: runIdOf(vout.stderr), workflow: "three", status: "succeeded" }])
    // At least once: the step in flight at the kill ran again; the finished one never did; the cancelled run stayed.
    expect(count(cwd, "start one-v")).toBe(1)
    expect(count(cwd, "start two-one-v!")).toBe(2)
    expect(count(cwd, "start three-two-one-v!!")).toBe(1)
    expect(count(cwd, "start one-k")).toBe(1)
    const v = JSON.parse((await run(cwd, ["status", runIdOf(vout.stderr)!, "--json"])).stdout)
    expect(v.output).toEqual({ result: "three-two-one-v!!!" })
    expect(JSON.parse((await run(cwd, ["status", held, "--json"])).stdout).status).toBe("cancelled")
  }, 180_000)

  it("cancel from another process stops the run at once (exit 5) and nothing starts after it; rerun --from --value forks a finished run; prune deletes finished runs", async () => {
    const cwd = project("cancel")
    mkdir(cwd)
    writeFileSync(join(cwd, "three.yaml"), threeSlow(10_000))
    const child = cli(cwd, ["run", "three.yaml", "--actions", actions, "--input", '{"text":"c"}'])
    const out = collect(child)
    await until(() => count(cwd, "start one-c") === 1, "step one to start", 60_000)
    const id = runIdOf(out.stderr)!
    // status --watch follows the run live: a document per change, until it ends.
    const watching = run(cwd, ["status", id, "--watch", "--json", "--interval", "100"])
    await new Promise((r) => setTimeout(r, 500))
    const cancel = await run(cwd, ["cancel", id])
    const watched = await watching
    expect(watched.code).toBe(0)
    expect(watched.stdout).toContain('"status": "running"')
    expect(watched.stdout.trimEnd().endsWith("}")).toBe(true)
    expect(watched.stdout).toContain('"status": "cancelled"')
    expect(cancel.code).toBe(0)
    expect(cancel.stdout).toBe(`cancelled ${id}`)
    const { code } = await exited(child)
    expect(code).toBe(5)
    expect(out.stderr).toContain(`run ${id} cancelled`)
    // The step in flight was interrupted, not finished, and no later step started.
    expect(count(cwd, "end one-c")).toBe(0)
    expect(count(cwd, "start two-")).toBe(0)
    const again = await run(cwd, ["cancel", id])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`Run '${id}' already cancelled`)

    writeFileSync(join(cwd, "quick.yaml"), threeSlow(10).replace("name: three", "name: quick"))
    const done = await run(cwd, ["run", "quick.yaml", "--actions", actions, "--input", '{"text":"r"}'])
    expect(done.code).toBe(0)
    const parent = runIdOf(done.stderr)!
    const fork = await run(cwd, ["rerun", parent, "--from", "two", "--value", '"EDITED"'])
    expect(fork.code).toBe(0)
    expect(JSON.parse(fork.stdout)).toEqual({ result: "three-EDITED!" })
    expect(fork.stderr).toMatch(new RegExp(`run run-\\S+ re-runs ${parent} from 'two'`))
    // Step one was reused from the parent's journal, two was given, three ran again.
    expect(count(cwd, "start one-r")).toBe(1)
    expect(count(cwd, "start three-EDITED")).toBe(1)
    const unknownStep = await run(cwd, ["rerun", parent, "--from", "tow"])
    expect(unknownStep.code).toBe(2)
    expect(unknownStep.stderr).toContain(`Run '${parent}' has no step 'tow'`)

    const pruned = await run(cwd, ["prune", "--older-than", "0s", "--json"])
    expect(pruned.code).toBe(0)
    expect(JSON.parse(pruned.stdout).pruned).toHaveLength(3)
    expect((await run(cwd, ["list"])).stdout).toBe("no runs")
    const badPeriod = await run(cwd, ["prune", "--older-than", "a month"])
    expect(badPeriod.code).toBe(2)
    expect(badPeriod.stderr).toContain("--older-than 'a month' is not a period (30d, 12h, 90m)")
  }, 120_000)

  it("resume --worker serves the store; a run started by another process is its client and takes over when the worker stops (exit 0 on SIGTERM)", async () => {
    const cwd = project("two")
    mkdir(cwd)
    writeFileSync(join(cwd, "three.yaml"), threeSlow(3000))
    const worker = cli(cwd, ["resume", "--worker"])
    const wout = collect(worker)
    await until(() => wout.stderr.includes("resuming 0 unfinished runs"), "the worker", 60_000)
    const client = cli(cwd, ["run", "three.yaml", "--actions", actions, "--input", '{"text":"y"}'])
    const cout = collect(client)
    // The worker runs the client's steps (it loads the workflow from the run's YAML source).
    await until(() => count(cwd, "start two-one-y!") === 1, "step two in the worker", 60_000)
    expect(cout.stderr).toContain("(run by another process)")
    const workerPid = String(worker.pid)
    expect(effects(cwd).filter((l) => l.startsWith("start ")).map((l) => l.split(" ")[2])).toEqual([workerPid, workerPid])
    worker.kill("SIGTERM")
    expect((await exited(worker)).code).toBe(0)
    // Step two finished in the worker before it left; the client took over for step three.
    expect(count(cwd, "end two-one-y!")).toBe(1)
    const { code } = await exited(client)
    expect(cout.stderr).toContain("went away: this process goes on with run")
    expect(code).toBe(0)
    expect(outputs(cout.stdout)).toEqual({ result: "three-two-one-y!!!" })
    expect(count(cwd, "start one-y")).toBe(1)
    expect(count(cwd, "start two-one-y!")).toBe(1)
    expect(effects(cwd).find((l) => l.startsWith("start three-"))!.endsWith(` ${client.pid}`)).toBe(true)
  }, 180_000)

  describe("Postgres", async () => {
    const pg = await postgresAvailability()
    it.skipIf(!pg.run)("--store postgres://..., LLM_ORCHESTRATOR_STORE and the config's run_store", async () => {
      if (pg.reason !== undefined) throw new Error(pg.reason)
      const db = await createDatabase()
      try {
        const cwd = project("pg")
        mkdir(cwd)
        writeFileSync(join(cwd, "review.yaml"), review())
        const first = await run(cwd, ["run", "review.yaml", "--actions", actions, "--input", '{"text":"p"}', "--store", db.url])
        expect(first.code).toBe(4)
        expect(first.stderr).toContain("on postgres://")
        const id = runIdOf(first.stderr)!
        const viaEnv = await run(cwd, ["signal", id, "approve", "--value", '{"approved":false}'], { LLM_ORCHESTRATOR_STORE: db.url })
        expect(viaEnv.code).toBe(0)
        expect(JSON.parse(viaEnv.stdout)).toEqual({ published: "draft-p! approved=false " })
        writeFileSync(join(cwd, "llm-orchestrator.yaml"), `run_store:\n  type: postgres\n  url: ${db.url}\n`)
        const viaConfig = await run(cwd, ["list", "--json"])
        expect(JSON.parse(viaConfig.stdout).runs.map((r: { runId: string; status: string }) => [r.runId, r.status])).toEqual([[id, "succeeded"]])
        expect(existsSync(join(cwd, ".llm-orchestrator"))).toBe(false)
      } finally {
        await dropDatabase(db.name)
      }
    }, 120_000)
  })
})

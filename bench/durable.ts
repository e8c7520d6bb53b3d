/**
 * `npm run bench:durable`: what durability costs, beside the in-memory engine and hand-written Effect in the same run.
 *
 * 1. Throughput and latency of a 3-step workflow at concurrency 1, 10 and 100: hand-written Effect, `Workflow.run`
 *    (in memory), and durable runs (`Durable.start` + `Durable.result`) on the memory store, an embedded SQLite file
 *    and PostgreSQL: runs/s, p50/p99 latency (start to result), CPU-ms per run (user + system of this process), and on
 *    SQLite the statements and transactions per run (counted by the client).
 * 2. Crash and resume: 100 runs of a 5-step workflow in a child process killed with SIGKILL at seeded random points
 *    and restarted until all are done, on SQLite and Postgres: runs lost, finished steps re-run, steps re-run while in
 *    flight (allowed), and the resume time (restart to the first step running again). The child runs the built
 *    package (dist/, built first when missing) with plain `node`, as users run it; CRASH_SOURCE=1 also measures the
 *    source through tsx (what the tests run; its boot is about a second longer).
 * 3. CLI: time from starting `run` to its first step starting, on the embedded store and in memory (median of
 *    repeated fresh processes).
 *
 * Figures go to bench/results/durable.json. Knobs: QUICK=1 (fewer runs), NO_PG=1, CLI_RUNS (default 7).
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Schema } from "effect"
import { Durable, DurableRuns } from "../src/durable/index.ts"
import { Workflow } from "../src/index.ts"
import { crashTest } from "../test/durable/support/crash.ts"
import { crashWorkflow } from "../test/durable/support/crashWorkflow.ts"
import { createDatabase, dropDatabase, postgresUp } from "../test/store/postgres.ts"

const root = join(import.meta.dirname, "..")
const quick = process.env["QUICK"] === "1"
const dir = mkdtempSync(join(tmpdir(), "llmo-bench-durable-"))
const results: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg().map((x) => Number(x.toFixed(2))) },
  at: new Date().toISOString()
}

// ---- 1. throughput and latency ----
const three = Workflow.make("bench3", { input: Schema.Struct({ n: Schema.Number }) })
  .step("a", (ctx) => Effect.succeed(ctx.input.n + 1))
  .step("b", { needs: ["a"] }, (ctx) => Effect.succeed(ctx.a * 2))
  .step("c", { needs: ["b"], output: Schema.Number }, (ctx) => Effect.succeed(ctx.b + 3))

const handWritten = (n: number) =>
  Effect.gen(function*() {
    const a = yield* Effect.succeed(n + 1)
    const b = yield* Effect.succeed(a * 2)
    return yield* Effect.succeed(b + 3)
  })

interface Figures {
  readonly runs: number
  readonly runsPerSecond: number
  readonly p50Millis: number
  readonly p99Millis: number
  readonly cpuMillisPerRun: number
  /** SQLite: statements and transactions (BEGIN) per run, counted by the client. */
  readonly statementsPerRun?: number
  readonly transactionsPerRun?: number
}

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
const round = (n: number, digits = 2) => Number(n.toFixed(digits))

/** Runs `count` runs of `one` with at most `concurrency` at once; measures wall time, latencies and CPU. */
const measure = <E, R>(count: number, concurrency: number, one: (i: number) => Effect.Effect<unknown, E, R>) =>
  Effect.gen(function*() {
    const latencies: Array<number> = []
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    yield* Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) =>
      Effect.gen(function*() {
        const s = performance.now()
        yield* one(i)
        latencies.push(performance.now() - s)
      }), { concurrency, discard: true })
    const wall = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    latencies.sort((a, b) => a - b)
    return {
      runs: count,
      runsPerSecond: round((count / wall) * 1000, 1),
      p50Millis: round(percentile(latencies, 0.5)),
      p99Millis: round(percentile(latencies, 0.99)),
      cpuMillisPerRun: round((cpu.user + cpu.system) / 1000 / count, 3)
    } satisfies Figures
  })

const counts = { 1: quick ? 20 : 60, 10: quick ? 60 : 200, 100: quick ? 200 : 600 } as const
const levels = [1, 10, 100] as const

const throughput = async () => {
  const table: Record<string, Record<string, Figures>> = {}
  const inMemory = async (name: string, one: (i: number) => Effect.Effect<unknown, unknown>) => {
    table[name] = {}
    for (const c of levels) {
      // In-memory runs take microseconds: many more of them, for a stable figure.
      table[name]![`c${c}`] = await Effect.runPromise(measure(counts[c] * 20, c, one))
    }
  }
  await inMemory("hand-written Effect", handWritten)
  await inMemory("Workflow.run (memory)", (i) => Workflow.run(three, { n: i }))
  const durable = async (name: string, store: string | DurableRuns.Options["store"], counted?: { statements: number; begins: number }) => {
    table[name] = {}
    const program = Effect.gen(function*() {
      // Warm up: the engine, the tables, the statements.
      yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => i), (i) => Effect.flatMap(Durable.start(three, { n: i }), (r) => Durable.result(three, r.runId)), { concurrency: 10 })
      for (const c of levels) {
        const before = counted === undefined ? undefined : { ...counted }
        const figures = yield* measure(counts[c], c, (i) => Effect.flatMap(Durable.start(three, { n: i }), (r) => Durable.result(three, r.runId)))
        table[name]![`c${c}`] = counted === undefined || before === undefined ? figures : {
          ...figures,
          statementsPerRun: round((counted.statements - before.statements) / counts[c], 1),
          transactionsPerRun: round((counted.begins - before.begins) / counts[c], 1)
        }
        process.stderr.write(`  ${name} c${c}: ${JSON.stringify(table[name]![`c${c}`])}\n`)
      }
    })
    await Effect.runPromise(program.pipe(Effect.provide(Layer.fresh(DurableRuns.layer({ store, role: "runner" })))) as Effect.Effect<void, unknown>)
  }
  await durable("durable, memory store", "memory")
  const counted = { statements: 0, begins: 0 }
  await durable("durable, SQLite", {
    _tag: "sqlite",
    filename: join(dir, "bench.db"),
    onStatement: (sql) => {
      counted.statements++
      if (sql.startsWith("BEGIN")) counted.begins++
    }
  }, counted)
  if (process.env["NO_PG"] !== "1" && await postgresUp()) {
    const db = await createDatabase()
    try {
      await durable("durable, Postgres", db.url)
    } finally {
      await dropDatabase(db.name)
    }
  } else process.stderr.write("  Postgres: skipped (not reachable or NO_PG=1)\n")
  const ratios: Record<string, Record<string, number>> = {}
  for (const [name, row] of Object.entries(table)) {
    ratios[name] = Object.fromEntries(levels.map((c) => [`c${c}`, round(table["Workflow.run (memory)"]![`c${c}`]!.runsPerSecond / row[`c${c}`]!.runsPerSecond, 1)]))
  }
  results["throughput"] = table
  results["slowdownVsWorkflowRun"] = ratios
}

// ---- 2. crash and resume ----
const crashes = async () => {
  const runs = quick ? 30 : 100
  const expected = await Effect.runPromise(Effect.forEach(Array.from({ length: runs }, (_, i) => i), (i) => Workflow.run(crashWorkflow(join(dir, "memory.log"), Workflow), { i })))
  const dist = join(root, "dist")
  if (!existsSync(join(dist, "src", "durable", "index.js"))) spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" })
  const one = async (name: string, store: string, seed: number, source = false) => {
    const r = await crashTest({ store, runs, kills: 5, seed, dist: source ? undefined : dist })
    const figures = {
      worker: source ? "source through tsx (node --import tsx)" : "built package (dist/, plain node)",
      runs,
      steps: runs * 5,
      kills: r.kills,
      incarnations: r.incarnations,
      runsLost: (r.outputs as ReadonlyArray<unknown>).filter((o, i) => JSON.stringify(o) !== JSON.stringify(expected[i])).length + Math.max(0, runs - r.outputs.length),
      finishedStepsReRun: r.finishedReRuns.length,
      inFlightStepsReRun: r.reRuns,
      readyMillis: r.readyMillis,
      resumeMillis: r.resumeMillis,
      bootMillis: r.bootMillis,
      resumeAfterBootMillis: r.resumeAfterBootMillis,
      bootCpuMillis: r.bootCpuMillis,
      resumeCpuMillis: r.resumeCpuMillis,
      totalMillis: r.totalMillis
    }
    process.stderr.write(`  crash ${name}: ${JSON.stringify(figures)}\n`)
    return figures
  }
  const out: Record<string, unknown> = {}
  const source = process.env["CRASH_SOURCE"] === "1"
  out["SQLite"] = await one("SQLite", `sqlite:${join(dir, "crash.db")}`, 101)
  if (source) out["SQLite, source through tsx"] = await one("SQLite, source through tsx", `sqlite:${join(dir, "crash-source.db")}`, 101, true)
  if (process.env["NO_PG"] !== "1" && await postgresUp()) {
    for (const [name, fromSource] of [["Postgres", false], ...(source ? [["Postgres, source through tsx", true] as const] : [])] as const) {
      const db = await createDatabase()
      try {
        out[name] = await one(name, db.url, 102, fromSource)
      } finally {
        await dropDatabase(db.name)
      }
    }
  }
  results["crash"] = out
}

// ---- 3. CLI: run -> first step ----
const cliFirstStep = async () => {
  const n = Number(process.env["CLI_RUNS"] ?? (quick ? 3 : 7))
  // Inside the checkout, so the actions module resolves `effect` as an installed project would.
  const { mkdirSync } = await import("node:fs")
  mkdirSync(join(root, ".scratch"), { recursive: true })
  const cwd = mkdtempSync(join(root, ".scratch", "bench-durable-cli-"))
  writeFileSync(join(cwd, "stamp.ts"), `import { appendFileSync } from "node:fs"
import { Effect, Schema } from "effect"
import { Action } from ${JSON.stringify(join(root, "src", "actions", "index.ts"))}
export const stamp = Action.make({
  description: "Writes the time its step started",
  params: Schema.Struct({ n: Schema.String }),
  run: ({ n }) => Effect.sync(() => { appendFileSync(process.env.STAMP_LOG!, \`\${Date.now()}\\n\`); return n })
})
`)
  writeFileSync(join(cwd, "three.yaml"), `name: three
inputs:
  text: string
steps:
  - { id: a, type: action, action: stamp, n: "{{ input.text }}", output: a }
  - { id: b, type: transform, function: template, template: "b {{ a }}", output: b }
  - { id: c, type: transform, function: template, template: "c {{ b }}", output: c }
`)
  const loader = join(root, "node_modules", "tsx", "dist", "loader.mjs")
  const once = (store: string) =>
    new Promise<number>((resolve, reject) => {
      const log = join(cwd, `stamp-${Math.random().toString(36).slice(2)}.log`)
      writeFileSync(log, "")
      const at = Date.now()
      const child = spawn(process.execPath, ["--import", loader, join(root, "src", "cli", "bin.ts"), "run", "three.yaml", "--actions", "stamp.ts", "--input", '{"text":"x"}', "--store", store, "--json"], {
        cwd,
        env: { ...process.env, STAMP_LOG: log, NO_COLOR: "1" },
        stdio: ["ignore", "ignore", "pipe"]
      })
      let err = ""
      child.stderr.on("data", (d: Buffer) => (err += d.toString()))
      child.on("close", (code) => {
        const stamp = Number(readFileSync(log, "utf8").trim())
        if (code !== 0 || !(stamp > 0)) reject(new Error(`run exited ${code}: ${err}`))
        else resolve(stamp - at)
      })
    })
  const median = (xs: Array<number>) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const memory: Array<number> = []
  const sqlite: Array<number> = []
  // Interleaved, so a change of the machine's load hits both alike; the store exists after the first run.
  for (let i = 0; i < n; i++) {
    memory.push(await once("memory"))
    sqlite.push(await once(`sqlite:${join(cwd, "runs.db")}`))
  }
  rmSync(cwd, { recursive: true, force: true })
  results["cliRunToFirstStep"] = {
    runs: n,
    memoryMedianMillis: median([...memory]),
    sqliteMedianMillis: median([...sqlite]),
    extraMedianMillis: median([...sqlite]) - median([...memory]),
    memoryMillis: memory,
    sqliteMillis: sqlite
  }
  process.stderr.write(`  cli: ${JSON.stringify(results["cliRunToFirstStep"])}\n`)
}

const main = async () => {
  const only = process.argv[2]
  try {
    if (only === undefined || only === "throughput") await throughput()
    if (only === undefined || only === "crash") await crashes()
    if (only === undefined || only === "cli") await cliFirstStep()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  results["loadavgAfter"] = loadavg().map((x) => Number(x.toFixed(2)))
  // Sections run on their own (`bench:durable -- cli`) replace theirs in the results file and keep the others.
  const file = join(root, "bench", "results", "durable.json")
  let previous: Record<string, unknown> = {}
  try {
    previous = only === undefined ? {} : JSON.parse(readFileSync(file, "utf8"))
  } catch {
    previous = {}
  }
  const text = JSON.stringify({ ...previous, ...results }, null, 2)
  writeFileSync(file, `${text}\n`)
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`bench failed: ${e?.stack ?? e}\n`)
  process.exit(1)
})

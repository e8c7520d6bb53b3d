/**
 * `npm run bench:cluster`: durable runs on a cluster of workers (effect/cluster on the local Postgres), beside the
 * single-process durable runner in the same run.
 *
 * 1. Throughput: `RUNS` runs of a 4-step workflow (steps that do nothing: the engine's own cost), `CONCURRENCY` in
 *    flight, from one submitter process (a client-only member), with 1, 2 and 3 worker processes; and the same runs on
 *    the single-process durable runner (the submitter is the runner). Runs/s, p50/p99 latency (start to result) and
 *    CPU-ms per run: user + system of the workers, the submitter and the database's Postgres backends (from /proc).
 * 2. Faults, 3 workers, `FAULT_RUNS` runs of 4 x 500 ms steps, each step logging its start and end to a side-effect
 *    log: kill -9 of a worker with steps in flight (takeover time, re-runs); a rolling restart (SIGTERM each worker in
 *    turn, a replacement started after each); a worker frozen with SIGSTOP for 10 s (longer than the lock expiry) and
 *    thawed; and a Postgres restart during the runs (`pg_ctl stop -m fast`, 2 s down, start) on a server of the bench's
 *    own (initdb in a temp dir, its own port: the machine's shared server is never restarted).
 *
 * Figures go to bench/results/cluster.json. Knobs: RUNS (100), CONCURRENCY (20), FAULT_RUNS (60), QUICK=1.
 * Each phase has its own database `scale_bench_*`, dropped after it.
 */
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { analyse, createDatabase, dropDatabase, inFlightOn, readLog, startWorker, stop, submit, waitForLog, type Worker } from "../test/cluster/support/cluster.ts"
import { ownPostgresAvailability, startOwnPostgres } from "../test/cluster/support/ownPostgres.ts"
import { expected, steps } from "../test/cluster/support/workflow.ts"

const root = join(import.meta.dirname, "..")
const quick = process.env["QUICK"] === "1"
const RUNS = Number(process.env["RUNS"] ?? (quick ? 40 : 100))
const CONCURRENCY = Number(process.env["CONCURRENCY"] ?? 20)
const FAULT_RUNS = Number(process.env["FAULT_RUNS"] ?? (quick ? 20 : 60))
const dir = mkdtempSync(join(tmpdir(), "scale-bench-"))
const results: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg().map((x) => Number(x.toFixed(2))) },
  at: new Date().toISOString(),
  settings: { runs: RUNS, concurrency: CONCURRENCY, faultRuns: FAULT_RUNS }
}
const save = () => writeFileSync(join(root, "bench", "results", "cluster.json"), `${JSON.stringify(results, null, 2)}\n`)

const ticks = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 10 // utime + stime, 100 ticks/s -> ms
  } catch {
    return 0
  }
}
/** A process's peak resident set (VmHWM), MiB. */
const peakRss = (pid: number): number => {
  try {
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0)
    return Math.round(kb / 1024)
  } catch {
    return 0
  }
}
const backends = (db: string): ReadonlyArray<number> =>
  execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-Atc", `SELECT pid FROM pg_stat_activity WHERE datname = '${db}'`], { encoding: "utf8" })
    .split("\n").filter((l) => l !== "").map(Number)

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

interface Done {
  readonly totalMillis: number
  readonly latencies: ReadonlyArray<number>
  readonly failed: number
  readonly cpuMillis: number
}

const submitter = (mode: "cluster" | "single", store: string, prefix: string): Promise<Done> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", join(root, "bench", "cluster", "submitter.ts"), mode, store, prefix, String(RUNS), String(CONCURRENCY), "0"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")))
    child.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")))
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("DONE "))
      if (code !== 0 || line === undefined) reject(new Error(`submitter exited ${code}: ${err}`))
      else resolve(JSON.parse(line.slice(5)) as Done)
    })
  })

// ---- 1. throughput ----
const throughput = async (workersWanted: number) => {
  const db = await createDatabase(`bench${workersWanted}`)
  const log = join(dir, `tp-${workersWanted}.log`)
  const workers: Array<Worker> = []
  try {
    if (workersWanted > 0) workers.push(...await Promise.all(Array.from({ length: workersWanted }, () => startWorker({ store: db.url, log: "/dev/null" }))))
    // A warm-up run, so the figures are not the first messages of a fresh member.
    const label = workersWanted === 0 ? "single process" : `${workersWanted} worker${workersWanted === 1 ? "" : "s"}`
    const before = new Map<number, number>()
    for (const w of workers) before.set(w.pid, ticks(w.pid))
    // The database's backends come and go with their clients (the single-process submitter's go when it exits):
    // sampled every 200 ms, each counted from its first sample (0 for one that appeared during the run).
    const pgFirst = new Map<number, number>()
    const pgLast = new Map<number, number>()
    const sample = (initial: boolean) => {
      for (const pid of backends(db.name)) {
        const t = ticks(pid)
        if (!pgFirst.has(pid)) pgFirst.set(pid, initial ? t : 0)
        if (t > 0) pgLast.set(pid, t)
      }
    }
    sample(true)
    const sampler = setInterval(() => sample(false), 200)
    const done = await submitter(workersWanted === 0 ? "single" : "cluster", db.url, "b").finally(() => clearInterval(sampler))
    sample(false)
    const workersCpu = workers.reduce((sum, w) => sum + ticks(w.pid) - (before.get(w.pid) ?? 0), 0)
    const peakRssMiB = Math.max(0, ...workers.map((w) => peakRss(w.pid)))
    const pgCpu = [...pgLast].reduce((sum, [pid, t]) => sum + t - (pgFirst.get(pid) ?? 0), 0)
    const sorted = [...done.latencies].sort((a, b) => a - b)
    const figures = {
      setup: label,
      runs: RUNS,
      failed: done.failed,
      runsPerSecond: Number((RUNS / (done.totalMillis / 1000)).toFixed(1)),
      p50Millis: Math.round(percentile(sorted, 0.5)),
      p99Millis: Math.round(percentile(sorted, 0.99)),
      cpuMillisPerRun: {
        total: Number(((workersCpu + pgCpu + done.cpuMillis) / RUNS).toFixed(1)),
        workers: Number((workersCpu / RUNS).toFixed(1)),
        submitter: Number((done.cpuMillis / RUNS).toFixed(1)),
        postgres: Number((pgCpu / RUNS).toFixed(1))
      },
      ...(workers.length > 0 ? { workerPeakRssMiB: peakRssMiB } : {}),
      loadavg: loadavg()[0]!
    }
    console.log(`${label.padEnd(16)} ${String(figures.runsPerSecond).padStart(6)} runs/s  p50 ${figures.p50Millis} ms  p99 ${figures.p99Millis} ms  CPU ${figures.cpuMillisPerRun.total} ms/run (workers ${figures.cpuMillisPerRun.workers}, submitter ${figures.cpuMillisPerRun.submitter}, postgres ${figures.cpuMillisPerRun.postgres})  load ${figures.loadavg.toFixed(1)}`)
    return figures
  } finally {
    await Promise.all(workers.map(stop))
    await dropDatabase(db.name)
  }
}

// ---- 2. faults ----
const FAULT_MS = 500

const faultCluster = async (tag: string) => {
  const db = await createDatabase(tag)
  const log = join(dir, `${tag}.log`)
  const workers = await Promise.all([0, 1, 2].map(() => startWorker({ store: db.url, log, args: ["--grace", "30s"] })))
  return { db, log, workers }
}

const outputsOk = (results: Awaited<ReturnType<typeof submit>>["results"]) =>
  results.length === FAULT_RUNS && results.every((r) => r.status === "succeeded" && JSON.stringify({ ...(r.output as object), ...expected(r.i) }) === JSON.stringify(r.output))

const kill9 = async () => {
  const { db, log, workers } = await faultCluster("bench_kill")
  try {
    const done = submit({ store: db.url, prefix: "k", n: FAULT_RUNS, ms: FAULT_MS, timeoutMillis: 300_000 })
    const before = await waitForLog(log, (es) => es.filter((e) => e.kind === "end").length >= FAULT_RUNS && workers.some((w) => inFlightOn(es, w.pid).length > 0), 120_000)
    const victim = workers.find((w) => inFlightOn(before, w.pid).length > 0)!
    const killedAt = Date.now()
    victim.child.kill("SIGKILL")
    const submitted = await done
    const entries = readLog(log)
    const a = analyse(entries)
    const startedThere = new Set(entries.filter((e) => e.kind === "start" && e.pid === victim.pid && e.at <= killedAt).map((e) => `${e.key}/${e.step}`))
    const takeover = Math.min(...entries.filter((e) => e.kind === "start" && e.pid !== victim.pid && e.at >= killedAt && startedThere.has(`${e.key}/${e.step}`)).map((e) => e.at)) - killedAt
    const figures = {
      runs: FAULT_RUNS,
      allSucceeded: outputsOk(submitted.results),
      inFlightAtKill: inFlightOn(before, victim.pid).length,
      stepsRunTwice: a.reRun.length,
      stepsRunMoreThanTwice: [...a.starts.values()].filter((n) => n > 2).length,
      finishedStepsReRun: a.finishedReRun.length,
      reRunsNotStartedOnTheKilledWorker: a.reRun.filter((id) => !startedThere.has(id)).length,
      takeoverMillis: takeover,
      totalMillis: submitted.totalMillis
    }
    console.log(`kill -9          ${JSON.stringify(figures)}`)
    return figures
  } finally {
    await Promise.all(workers.map(stop))
    await dropDatabase(db.name)
  }
}

const rolling = async () => {
  const { db, log, workers } = await faultCluster("bench_roll")
  const all: Array<Worker> = [...workers]
  try {
    const done = submit({ store: db.url, prefix: "r", n: FAULT_RUNS, ms: FAULT_MS, timeoutMillis: 300_000 })
    const exits: Array<number | null> = []
    for (const w of workers) {
      await waitForLog(log, (es) => inFlightOn(es, w.pid).length > 0 || analyse(es).finished.size === FAULT_RUNS, 120_000)
      w.child.kill("SIGTERM")
      exits.push(await w.exited)
      all.push(await startWorker({ store: db.url, log, args: ["--grace", "30s"] }))
    }
    const submitted = await done
    const a = analyse(readLog(log))
    const figures = {
      runs: FAULT_RUNS,
      allSucceeded: outputsOk(submitted.results),
      restarted: workers.length,
      exitCodes: exits,
      stepsRunTwice: a.reRun.length,
      stepStarts: [...a.starts.values()].reduce((x, y) => x + y, 0),
      expectedStepStarts: FAULT_RUNS * steps.length,
      totalMillis: submitted.totalMillis
    }
    console.log(`rolling restart  ${JSON.stringify(figures)}`)
    return figures
  } finally {
    await Promise.all(all.map(stop))
    await dropDatabase(db.name)
  }
}

const frozen = async () => {
  const { db, log, workers } = await faultCluster("bench_stop")
  try {
    const done = submit({ store: db.url, prefix: "s", n: FAULT_RUNS, ms: FAULT_MS, timeoutMillis: 300_000 })
    const before = await waitForLog(log, (es) => es.filter((e) => e.kind === "end").length >= FAULT_RUNS && workers.some((w) => inFlightOn(es, w.pid).length > 0), 120_000)
    const victim = workers.find((w) => inFlightOn(before, w.pid).length > 0)!
    const stoppedAt = Date.now()
    victim.child.kill("SIGSTOP")
    await new Promise((r) => setTimeout(r, 10_000))
    victim.child.kill("SIGCONT")
    const submitted = await done
    const entries = readLog(log)
    const a = analyse(entries)
    // Steps that ran on two workers at once: started on the frozen one before the stop, ended there after the thaw,
    // and started elsewhere in between.
    const concurrent = a.reRun.filter((id) => {
      const es = entries.filter((e) => `${e.key}/${e.step}` === id)
      return es.some((e) => e.pid === victim.pid && e.kind === "start" && e.at < stoppedAt) && es.some((e) => e.pid === victim.pid && e.kind === "end" && e.at > stoppedAt + 10_000) &&
        es.some((e) => e.pid !== victim.pid && e.kind === "start")
    })
    const takeover = Math.min(...entries.filter((e) => e.kind === "start" && e.pid !== victim.pid && e.at >= stoppedAt && a.reRun.includes(`${e.key}/${e.step}`)).map((e) => e.at)) - stoppedAt
    const figures = {
      runs: FAULT_RUNS,
      frozenMillis: 10_000,
      allSucceeded: outputsOk(submitted.results),
      stepsRunTwice: a.reRun.length,
      stepsRunTwiceAtOnce: concurrent.length,
      finishedStepsReRun: a.finishedReRun.length,
      takeoverMillis: Number.isFinite(takeover) ? takeover : null,
      totalMillis: submitted.totalMillis
    }
    console.log(`SIGSTOP 10 s     ${JSON.stringify(figures)}`)
    return figures
  } finally {
    await Promise.all(workers.map(stop))
    await dropDatabase(db.name)
  }
}

const pgRestart = async () => {
  // A server of its own (initdb in a temp dir, its own port): the machine's shared one is never restarted.
  const availability = ownPostgresAvailability()
  if (!availability.run || availability.reason !== undefined) return { skipped: availability.reason }
  const server = await startOwnPostgres(15500 + (process.pid % 500))
  const log = join(dir, "pg.log")
  const workers = await Promise.all([0, 1, 2].map(() => startWorker({ store: server.url(), log, args: ["--grace", "30s"] })))
  try {
    const done = submit({ store: server.url(), prefix: "p", n: FAULT_RUNS, ms: FAULT_MS, timeoutMillis: 300_000 })
    await waitForLog(log, (es) => es.filter((e) => e.kind === "end").length >= FAULT_RUNS, 120_000)
    const at = Date.now()
    const restart = await server.restart(2_000)
    const submitted = await done
    const entries = readLog(log)
    const a = analyse(entries)
    const after = entries.filter((e) => e.kind === "start" && e.at > at + restart.stopMillis + 2_000)
    const figures = {
      runs: FAULT_RUNS,
      stopMillis: restart.stopMillis,
      downMillis: 2_000,
      startMillis: restart.startMillis,
      allSucceeded: outputsOk(submitted.results),
      workersAlive: workers.filter((w) => w.child.exitCode === null).length,
      stepsRunTwice: a.reRun.length,
      finishedStepsReRun: a.finishedReRun.length,
      firstStepStartAfterMillis: after.length === 0 ? null : Math.min(...after.map((e) => e.at)) - at,
      lastStepEndAfterMillis: Math.max(...entries.map((e) => e.at)) - at,
      totalMillis: submitted.totalMillis
    }
    console.log(`Postgres restart ${JSON.stringify(figures)}`)
    return figures
  } finally {
    await Promise.all(workers.map(stop))
    server.destroy()
  }
}

try {
  console.log(`bench:cluster: ${RUNS} runs x 4 no-op steps, ${CONCURRENCY} in flight; faults: ${FAULT_RUNS} runs x 4 x ${FAULT_MS} ms; load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`)
  const tp = []
  for (const w of [0, 1, 2, 3]) {
    tp.push(await throughput(w))
    results["throughput"] = tp
    save()
  }
  results["note"] = "2 cores shared with other jobs: more workers cannot run faster here (they compete for the same 2 cores with Postgres and the submitter); the CPU-ms per run says what a run costs, so a larger machine's ceiling is about (cores x 1000) / CPU-ms per run runs/s, with Postgres as the first shared bottleneck."
  results["kill9"] = await kill9()
  save()
  results["rollingRestart"] = await rolling()
  save()
  results["sigstop"] = await frozen()
  save()
  results["postgresRestart"] = await pgRestart()
  save()
} finally {
  rmSync(dir, { recursive: true, force: true })
}

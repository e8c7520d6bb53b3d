/**
 * Shared rate limits and priorities (issue 15, section 3), against the real Redis on 127.0.0.1:6379:
 *
 * 1. Three worker processes, each with a 60 rpm policy counted in Redis (`burst: 1/60`), 40 calls each, against one
 *    fake provider that itself allows 60 requests per sliding minute (429 beyond): the requests the fake saw in each
 *    minute, the most in any sliding minute, and its 429s. The same with each process counting in memory, for
 *    comparison.
 * 2. Priorities under a saturated limit: three workers at 600 rpm (one call per 100 ms), each sending 60 calls at
 *    once, a third each of priority 1, 0 and -1: the wait of each class (p50, p90, max).
 *
 * 3. Priorities across workers: the same three workers, each sending 60 calls of one class (worker 1: priority 1,
 *    worker 2: 0, worker 3: -1), with the waiting calls queued in Redis (`priorities: "shared"`, the default) and,
 *    for comparison, each worker ordering only its own (`per-worker`).
 *
 * Run: `npm run bench:limits` (options: `--calls 40 --rpm 60 --skip-memory --priorities-only`). Writes
 * bench/results/shared-limits.json (with --priorities-only, the previous minute figures are kept).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { deleteKeys, redisUrl, testPrefix } from "../test/support/redis.ts"
import { runWorkers, startFake } from "../test/shared-state/support/workers.ts"

const { values: args } = parseArgs({
  options: {
    calls: { type: "string", default: "40" },
    rpm: { type: "string", default: "60" },
    "skip-memory": { type: "boolean", default: false },
    "priorities-only": { type: "boolean", default: false }
  }
})
const callsEach = Number(args.calls)
const rpm = Number(args.rpm)

const minuteFigures = (arrivals: ReadonlyArray<number>) => {
  const t = [...arrivals].sort((a, b) => a - b)
  const start = t[0] ?? 0
  const perMinute: Array<number> = []
  for (const x of t) {
    const m = Math.floor((x - start) / 60_000)
    perMinute[m] = (perMinute[m] ?? 0) + 1
  }
  let maxSliding = 0
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[j]! < t[i]! - 60_000 + 1) j++
    maxSliding = Math.max(maxSliding, i - j + 1)
  }
  return { requests: t.length, spanSeconds: ((t.at(-1)! - start) / 1000), perMinute: perMinute.map((n) => n ?? 0), maxInAnySlidingMinute: maxSliding }
}

const limitRun = async (mode: "shared" | "memory") => {
  const fake = await startFake({ rpm })
  const prefix = testPrefix("bench")
  try {
    const started = Date.now()
    const reports = await runWorkers({ mode, workers: 3, callsEach, rpm, burst: 1 / 60, redisUrl, prefix, fakeUrl: fake.url })
    return {
      mode,
      wallSeconds: (Date.now() - started) / 1000,
      ok: reports.reduce((a, r) => a + r.ok, 0),
      failed: reports.reduce((a, r) => a + r.failed, 0),
      rejectedByFake: fake.rejected(),
      ...minuteFigures(fake.arrivals)
    }
  } finally {
    await fake.close()
    await deleteKeys(prefix)
  }
}

const quantile = (xs: ReadonlyArray<number>, q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0
}

const priorityRun = async (perWorker?: { readonly priorities: "shared" | "per-worker" }) => {
  const fake = await startFake()
  const prefix = testPrefix("bench")
  try {
    const reports = await runWorkers({
      mode: perWorker?.priorities === "per-worker" ? "shared-per-worker" : "shared",
      workers: 3,
      callsEach: 60,
      rpm: 600,
      burst: 1 / 600,
      redisUrl,
      prefix,
      fakeUrl: fake.url,
      ...(perWorker === undefined ? { priorities: [1, 0, -1] } : { prioritiesPerWorker: [[1], [0], [-1]] })
    })
    const waits = reports.flatMap((r) => r.waits)
    const classes = [1, 0, -1].map((p) => {
      const w = waits.filter((x) => x.priority === p).map((x) => x.millis)
      return { priority: p, calls: w.length, p50Millis: quantile(w, 0.5), p90Millis: quantile(w, 0.9), maxMillis: Math.max(...w) }
    })
    return { workers: 3, rpm: 600, calls: waits.length, ...(perWorker === undefined ? {} : { queue: perWorker.priorities, classPerWorker: true }), classes }
  } finally {
    await fake.close()
    await deleteKeys(prefix)
  }
}

const file = "bench/results/shared-limits.json"
const results: Record<string, unknown> = {
  ...(args["priorities-only"] && existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {}),
  date: new Date().toISOString()
}
const printClasses = (classes: ReadonlyArray<{ priority: number; calls: number; p50Millis: number; p90Millis: number; maxMillis: number }>) => {
  for (const c of classes) console.log(`   priority ${String(c.priority).padStart(2)}: ${c.calls} calls, wait p50 ${c.p50Millis} ms, p90 ${c.p90Millis} ms, max ${c.maxMillis} ms`)
}
if (!args["priorities-only"]) {
  console.log(`1. three workers x ${callsEach} calls, ${rpm} rpm policy, fake allows ${rpm} per sliding minute`)
  const runs = [await limitRun("shared"), ...(args["skip-memory"] ? [] : [await limitRun("memory")])]
  for (const r of runs) {
    console.log(`   ${r.mode.padEnd(6)}: ${r.ok} ok, ${r.failed} failed, 429s from the fake ${r.rejectedByFake}; per minute ${JSON.stringify(r.perMinute)}; max in any sliding minute ${r.maxInAnySlidingMinute}; span ${r.spanSeconds.toFixed(1)} s`)
  }
  results["limits"] = runs
}
console.log("2. priorities: three workers x 60 calls at once, 600 rpm shared, classes 1 / 0 / -1 in each worker")
const p = await priorityRun()
printClasses(p.classes)
results["priorities"] = p
console.log("3. priorities across workers: worker 1 sends priority 1, worker 2 priority 0, worker 3 priority -1 (60 calls each)")
const across = []
for (const queue of ["shared", "per-worker"] as const) {
  const r = await priorityRun({ priorities: queue })
  console.log(`  queue ${queue}:`)
  printClasses(r.classes)
  across.push(r)
}
results["prioritiesAcrossWorkers"] = across
mkdirSync("bench/results", { recursive: true })
writeFileSync(file, JSON.stringify(results, null, 2) + "\n")
process.exit(0)

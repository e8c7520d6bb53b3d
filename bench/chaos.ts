/**
 * Reliability under chaos, the 1,000-run figures of issue 8: N three-step workflow runs, M in flight, through the
 * official OpenAI and Anthropic SDKs against local wire servers injecting seeded faults (500, 503, 429 with
 * Retry-After, connection reset, answers slower than the adapter timeout) at a given rate, default policy. Each seed
 * runs twice: with no fallback (target >= 99 % of runs succeed) and with one fallback provider that fails as often
 * (target >= 99.9 %). Same harness as test/reliability/Chaos.test.ts (test/support/chaos.ts). Prints a table and
 * writes bench/results/chaos.json.
 *
 * Run: `npm run bench:chaos` (options: `--runs 1000 --in-flight 100 --seeds 1,2,3 --fault-rate 0.3
 * --fallback-fault-rate 0.3 --timeout 2500`).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { parseArgs } from "node:util"
import { Effect } from "effect"
import * as Chaos from "../test/support/chaos.ts"

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "1000" },
    "in-flight": { type: "string", default: "100" },
    seeds: { type: "string", default: "20261124,7,42" },
    "fault-rate": { type: "string", default: "0.3" },
    "fallback-fault-rate": { type: "string", default: "0.3" },
    timeout: { type: "string", default: "2500" }
  }
})
const runs = Number(args.runs)
const inFlight = Number(args["in-flight"])
const seeds = args.seeds.split(",").map(Number)
const faultRate = Number(args["fault-rate"])
const fallbackFaultRate = Number(args["fallback-fault-rate"])
const adapterTimeoutMillis = Number(args.timeout)

const pct = (x: number) => `${(100 * x).toFixed(2)} %`
console.log(
  `chaos bench on ${cpus().length} cores: ${runs} three-step runs, ${inFlight} in flight, fault rate ${faultRate}, ` +
    `adapter timeout ${adapterTimeoutMillis} ms, default policy`
)
console.log(
  `${"setup".padEnd(30)} ${"seed".padStart(9)} ${"ok".padStart(9)} ${"rate".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"wall s".padStart(7)} ${"requests".padStart(9)} ${"faults".padStart(7)}  circuit`
)

const rows: Array<Record<string, unknown>> = []
for (const setup of ["no fallback", "one fallback"] as const) {
  for (const seed of seeds) {
    const r = await Effect.runPromise(Effect.scoped(Chaos.run({
      runs,
      inFlight,
      seed,
      faultRate,
      fallbackFaultRate: setup === "one fallback" ? fallbackFaultRate : undefined,
      adapterTimeoutMillis
    })))
    const requests = r.primary.requests + (r.fallback?.requests ?? 0)
    const faults = [r.primary, ...(r.fallback ? [r.fallback] : [])]
      .reduce((n, s) => n + Object.values(s.faults).reduce((a, b) => a + b, 0), 0)
    const row = {
      setup,
      seed,
      runs: r.runs,
      succeeded: r.succeeded,
      successRate: r.succeeded / r.runs,
      p50Millis: Math.round(Chaos.quantile(r.latencies, 0.5)),
      p99Millis: Math.round(Chaos.quantile(r.latencies, 0.99)),
      wallSeconds: +(r.wallMillis / 1000).toFixed(1),
      primary: r.primary,
      fallback: r.fallback,
      observedFaultRate: +(faults / requests).toFixed(3),
      failures: r.failures,
      events: r.events,
      circuit: r.circuit
    }
    rows.push(row)
    console.log(
      `${setup.padEnd(30)} ${String(seed).padStart(9)} ${`${r.succeeded}/${r.runs}`.padStart(9)} ${pct(row.successRate).padStart(9)} ` +
        `${String(row.p50Millis).padStart(8)} ${String(row.p99Millis).padStart(8)} ${String(row.wallSeconds).padStart(7)} ` +
        `${String(requests).padStart(9)} ${String(faults).padStart(7)}  ${r.circuit.length === 0 ? "never opened" : r.circuit.join(", ")}`
    )
    if (Object.keys(r.failures).length > 0) console.log(`${"".padEnd(30)} failures: ${JSON.stringify(r.failures)}`)
  }
}

const worst = (setup: string) => Math.min(...rows.filter((r) => r["setup"] === setup).map((r) => r["successRate"] as number))
const targets = { "no fallback": 0.99, "one fallback": 0.999 }
for (const [setup, target] of Object.entries(targets)) {
  console.log(`${setup}: worst seed ${pct(worst(setup))} (target >= ${pct(target)}) ${worst(setup) >= target ? "met" : "MISSED"}`)
}
mkdirSync(new URL("./results/", import.meta.url), { recursive: true })
writeFileSync(
  new URL("./results/chaos.json", import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, runs, inFlight, faultRate, fallbackFaultRate, adapterTimeoutMillis, rows }, null, 2) + "\n"
)

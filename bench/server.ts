/**
 * REST server benchmark: requests/s, p50 and p99 latency at 100 concurrent connections (autocannon) for
 * `POST /workflows/echo/runs` (start a run, no wait) and `GET /runs/{id}`, against `llm-orchestrator serve`'s layer on
 * a random loopback port on durable runs in a memory store, plus `GET /health` (the HTTP stack with no auth and no
 * store) and a hand-written `node:http` server answering the same run JSON (the floor: what any Node server costs),
 * with the ratios; then the built CLI's `serve` as a child process on SQLite and on Postgres (when reachable): its
 * resident memory idle and after the start-run load, start-run throughput on that store, and SIGTERM-to-exit time
 * (the figures docs/deploy.md sizes containers with). Writes bench/results/server.json.
 *
 * Run: `npm run bench:server` (options: `--seconds 10 --connections 100`).
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import autocannon from "autocannon"
import { spawnBuilt } from "../test/support/builtCli.ts"
import { startServer, echoWorkflow, call } from "../test/server/support.ts"

const { values: args } = parseArgs({ options: { seconds: { type: "string", default: "10" }, connections: { type: "string", default: "100" } } })
const duration = Number(args.seconds)
const connections = Number(args.connections)

interface Figures {
  readonly requestsPerSecond: number
  readonly p50Millis: number
  readonly p99Millis: number
  readonly non2xx: number
  readonly errors: number
}

const run = (options: autocannon.Options): Promise<Figures> =>
  new Promise((resolve, reject) => {
    autocannon({ duration, connections, ...options }, (err, result) => {
      if (err) return reject(err)
      resolve({
        requestsPerSecond: Math.round(result.requests.average),
        p50Millis: result.latency.p50,
        p99Millis: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors
      })
    })
  })

const mib = (kib: number) => Math.round(kib / 1024)
/** VmRSS and VmHWM (peak) of a process, in MiB (Linux). */
const memoryOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN)
  return { rssMiB: mib(field("VmRSS")), peakMiB: mib(field("VmHWM")) }
}

/**
 * The built CLI's `serve` as a child process on a real store (what a container runs): its memory idle and after the
 * start-run load, start-run throughput on that store, and how long SIGTERM takes to stop it (for the grace periods
 * and resource requests of docs/deploy.md).
 */
const measureProcess = async (store: string, dir: string) => {
  writeFileSync(join(dir, "echo.yaml"), echoWorkflow)
  const child = await spawnBuilt(["serve", "--port", "0", "--store", store, "--workflows", join(dir, "echo.yaml"), "--rate", "100000000", "--max-runs", "100000000"], { cwd: dir })
  let stderr = ""
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
  const deadline = Date.now() + 60_000
  while (!/serving on \S+/.test(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not start: ${stderr}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const url = /serving on (\S+)/.exec(stderr)![1]!
  const admin = /(llmo_[0-9a-f]{12}_\S+)/.exec(stderr)![1]!
  await new Promise((r) => setTimeout(r, 2000))
  const idle = memoryOf(child.pid!)
  const auth = { authorization: `Bearer ${admin}`, "content-type": "application/json" }
  const startRun = await run({ url: `${url}/workflows/echo/runs`, method: "POST", headers: auth, body: JSON.stringify({ input: { text: "bench" } }) })
  const loaded = memoryOf(child.pid!)
  const stopAt = Date.now()
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)))
  child.kill("SIGTERM")
  const code = await exited
  return { store: store.replace(/\/\/[^@]*@/, "//***@"), idle, afterLoad: loaded, startRun, sigtermToExitMillis: Date.now() - stopAt, exitCode: code }
}

const main = async () => {
  const server = await startServer({ limits: { requestsPerWindow: 100_000_000, maxConcurrentRuns: 100_000_000 } })
  await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: echoWorkflow } })
  const started = await call(server, "POST", "/workflows/echo/runs?wait=true", { token: server.keys.runner, body: { input: { text: "bench" } } })
  const runId = started.body.runId as string
  const auth = { authorization: `Bearer ${server.keys.runner}`, "content-type": "application/json" }

  // the floor: a hand-written node:http server answering the same run JSON
  const body = JSON.stringify(started.body)
  const plain = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" })
    res.end(body)
  })
  await new Promise<void>((r) => plain.listen(0, "127.0.0.1", () => r()))
  const plainUrl = `http://127.0.0.1:${(plain.address() as { port: number }).port}`

  const startRun = await run({ url: `${server.url}/workflows/echo/runs`, method: "POST", headers: auth, body: JSON.stringify({ input: { text: "bench" } }) })
  const getRun = await run({ url: `${server.url}/runs/${runId}`, headers: auth })
  const health = await run({ url: `${server.url}/health` })
  const handWritten = await run({ url: `${plainUrl}/runs/${runId}` })
  plain.close()
  await server.close()

  const dir = mkdtempSync(join(tmpdir(), "llmo-bench-server-"))
  const processes: Array<Awaited<ReturnType<typeof measureProcess>>> = []
  try {
    processes.push(await measureProcess(`sqlite:${join(dir, "runs.db")}`, dir))
    const db = `llmo_bench_${process.pid}`
    let pg = true
    try {
      execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", `CREATE DATABASE ${db}`], { stdio: "pipe" })
    } catch {
      pg = false
      console.log("(Postgres unavailable: the serve process is measured on SQLite only)")
    }
    if (pg) {
      try {
        processes.push(await measureProcess(`postgres://postgres@127.0.0.1:5432/${db}`, dir))
      } finally {
        execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`], { stdio: "pipe" })
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }

  const results = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, loadavg: loadavg().map((l) => +l.toFixed(2)) },
    connections,
    seconds: duration,
    startRun,
    getRun,
    health,
    handWrittenNodeHttp: handWritten,
    serveProcess: processes,
    ratios: {
      getRunVsHandWritten: +(handWritten.requestsPerSecond / getRun.requestsPerSecond).toFixed(2),
      healthVsHandWritten: +(handWritten.requestsPerSecond / health.requestsPerSecond).toFixed(2)
    }
  }
  mkdirSync("bench/results", { recursive: true })
  writeFileSync("bench/results/server.json", `${JSON.stringify(results, null, 2)}\n`)
  const row = (name: string, f: Figures) => `${name.padEnd(28)} ${String(f.requestsPerSecond).padStart(7)} req/s   p50 ${String(f.p50Millis).padStart(4)} ms   p99 ${String(f.p99Millis).padStart(4)} ms   non-2xx ${f.non2xx}`
  console.log(`${connections} connections, ${duration} s each, ${cpus().length} cores`)
  console.log(row("POST /workflows/echo/runs", startRun))
  console.log(row("GET /runs/{id}", getRun))
  console.log(row("GET /health", health))
  console.log(row("node:http (hand-written)", handWritten))
  console.log(`hand-written / GET /runs/{id}: ${results.ratios.getRunVsHandWritten}x`)
  for (const p of processes) {
    console.log(`serve process on ${p.store}: RSS idle ${p.idle.rssMiB} MiB, after load ${p.afterLoad.rssMiB} MiB (peak ${p.afterLoad.peakMiB} MiB); ${row("start-run", p.startRun)}; SIGTERM to exit ${p.sigtermToExitMillis} ms (code ${p.exitCode})`)
  }
  process.exit(0)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

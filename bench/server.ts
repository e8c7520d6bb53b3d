/**
 * REST server benchmark: requests/s, p50 and p99 latency at 100 concurrent connections (autocannon) for
 * `POST /workflows/echo/runs` (start a run, no wait) and `GET /runs/{id}`, against `llm-orchestrator serve`'s layer on
 * a random loopback port on durable runs in a memory store, plus `GET /health` (the HTTP stack with no auth and no
 * store) and a hand-written `node:http` server answering the same run JSON (the floor: what any Node server costs),
 * with the ratios. Writes bench/results/server.json.
 *
 * Run: `npm run bench:server` (options: `--seconds 10 --connections 100`).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import { cpus, loadavg } from "node:os"
import { parseArgs } from "node:util"
import autocannon from "autocannon"
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

  const results = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, loadavg: loadavg().map((l) => +l.toFixed(2)) },
    connections,
    seconds: duration,
    startRun,
    getRun,
    health,
    handWrittenNodeHttp: handWritten,
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
  process.exit(0)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

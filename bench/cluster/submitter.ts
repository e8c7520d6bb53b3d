/**
 * The submitter of `npm run bench:cluster` (a child process): `n` runs of the slow workflow (`ms` per step, 0 = as fast
 * as the engine goes), `concurrency` at a time, each started and awaited; prints `DONE <json>` with runs/s, the
 * latency of each run (start to result) and this process's CPU. `mode` is `cluster` (a client-only member of the
 * workers) or `single` (the single-process durable runner on the same kind of store, for comparison).
 *
 * usage: node --import tsx submitter.ts <cluster|single> <store> <prefix> <n> <concurrency> <ms>
 */
import { Effect, type Layer } from "effect"
import { ClusterRuns } from "../../src/cluster/index.ts"
import { DurableRuns } from "../../src/durable/index.ts"
import { slow } from "../../test/cluster/support/workflow.ts"

const [mode, store, prefix, nText, concurrencyText, msText] = process.argv.slice(2)
const n = Number(nText)
const ms = Number(msText)

const layer: Layer.Layer<DurableRuns.DurableRuns, unknown> = mode === "single"
  ? DurableRuns.layer({ store: store!, role: "runner", pollInterval: "250 millis" })
  : mode === "plain"
  ? DurableRuns.layer({ store: store!, role: "client", pollInterval: "250 millis" })
  : mode === "worker"
  ? ClusterRuns.layerWorker({ store: store!, address: `127.0.0.1:${36900 + (process.pid % 90)}` })
  : ClusterRuns.layerClient({ store: store! })

const program = Effect.gen(function*() {
  const runs = yield* DurableRuns.DurableRuns
  if (mode !== "cluster" && mode !== "plain") yield* runs.register(slow)
  const latencies: Array<number> = []
  let failed = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  yield* Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) =>
    Effect.gen(function*() {
      const s = performance.now()
      const run = yield* runs.start(slow, { key: `${prefix}-${i}`, i, ms }, { idempotencyKey: `${prefix}-${i}` })
      const done = yield* runs.await(run.runId)
      if (done.status !== "succeeded") failed++
      latencies.push(performance.now() - s)
    }), { concurrency: Number(concurrencyText), discard: true })
  const totalMillis = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  process.stdout.write(`DONE ${JSON.stringify({ totalMillis, latencies, failed, cpuMillis: (cpu.user + cpu.system) / 1000 })}\n`)
}).pipe(Effect.provide(layer))

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`submitter failed: ${String(error?.message ?? error)}\n`)
    process.exit(1)
  }
)

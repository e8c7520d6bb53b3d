/**
 * A submitter of the cluster tests (a client-only member, the library API): starts `n` runs of the slow workflow with
 * idempotency keys `<prefix>-<i>`, prints `STARTED <json ids>`, waits for every one and prints `DONE <json>` with each
 * run's status and outputs and the submit-to-result latency.
 *
 * usage: node --import tsx submit.ts <store> <prefix> <n> <ms> [concurrency]
 */
import { Effect } from "effect"
import { ClusterRuns } from "../../../src/cluster/index.ts"
import { DurableRuns } from "../../../src/durable/index.ts"
import { slow } from "./workflow.ts"

const [store, prefix, nText, msText, concurrencyText] = process.argv.slice(2)
const n = Number(nText)
const ms = Number(msText)

const program = Effect.gen(function*() {
  const runs = yield* DurableRuns.DurableRuns
  const t0 = Date.now()
  const started = yield* Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) =>
    Effect.map(runs.start(slow, { key: `${prefix}-${i}`, i, ms }, { idempotencyKey: `${prefix}-${i}` }), (run) => ({ i, runId: run.runId, at: Date.now() })), { concurrency: Number(concurrencyText ?? 10) })
  process.stdout.write(`STARTED ${JSON.stringify(started.map((s) => s.runId))}\n`)
  const results = yield* Effect.forEach(started, (s) =>
    Effect.map(runs.await(s.runId), (run) => ({ i: s.i, runId: run.runId, status: run.status, output: run.output, millis: Date.now() - s.at })), { concurrency: "unbounded" })
  process.stdout.write(`DONE ${JSON.stringify({ totalMillis: Date.now() - t0, results })}\n`)
}).pipe(Effect.provide(ClusterRuns.layerClient({ store: store!, onProblem: (m) => process.stderr.write(`${m}\n`) })))

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`submitter failed: ${String(error?.message ?? error)}\n`)
    process.exit(1)
  }
)

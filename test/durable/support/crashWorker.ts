/**
 * A crash-test worker (a child process): starts `runs` durable runs of the crash workflow on `store` (idempotency
 * keys k0..kN, so a restarted worker joins the runs instead of starting new ones), waits for all, prints
 * `DONE <outputs>`. It prints `BOOTED <time>` once its modules are loaded, `READY` once it is the runner. Killed with
 * SIGKILL at random points by the parent.
 *
 * usage: node --import tsx crashWorker.ts <store> <log> <runs>
 */
import { Effect } from "effect"
import { Durable, DurableRuns } from "../../../src/durable/index.ts"
import { crashWorkflow } from "./crashWorkflow.ts"

// Static imports are loaded before this line runs: what comes after is the store, the engine and the resumed runs.
process.stdout.write(`BOOTED ${Date.now()}\n`)
const [store, log, runsText] = process.argv.slice(2)
const runs = Number(runsText)
const wf = crashWorkflow(log!)

const program = Effect.gen(function*() {
  const durable = yield* DurableRuns.DurableRuns
  process.stdout.write(`READY ${durable.role} ${Date.now()}\n`)
  const started = yield* Effect.forEach(Array.from({ length: runs }, (_, i) => i), (i) =>
    Durable.start(wf, { i }, { idempotencyKey: `k${i}` }), { concurrency: 10 })
  const outputs = yield* Effect.forEach(started, (run) => Durable.result(wf, run.runId), { concurrency: "unbounded" })
  process.stdout.write(`DONE ${JSON.stringify(outputs)}\n`)
}).pipe(Effect.provide(DurableRuns.layer({ store: store!, role: "runner", gracePeriod: "1 second", pollInterval: "100 millis" })))

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`worker failed: ${String(error?.message ?? error)}\n`)
    process.exit(1)
  }
)

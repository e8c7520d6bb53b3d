/**
 * A crash-test worker (a child process): starts `runs` durable runs of the crash workflow on `store` (idempotency
 * keys k0..kN, so a restarted worker joins the runs instead of starting new ones), waits for all, prints
 * `DONE <outputs>`. It prints `BOOTED <time>` once its modules are loaded, `READY` once it is the runner. Killed with
 * SIGKILL at random points by the parent.
 *
 * usage: node --import tsx crashWorker.ts <store> <log> <runs>          (the source, through tsx)
 *        LLMO_DIST=<dist dir> node crashWorker.ts <store> <log> <runs>  (the built package, as users run it: Node
 *                                                                         strips this file's types, no tsx)
 */
import { Effect } from "effect"
import type * as DurableModule from "../../../src/durable/index.ts"
import type * as Index from "../../../src/index.ts"
import { crashWorkflow } from "./crashWorkflow.ts"

const dist = process.env["LLMO_DIST"]
const { Durable, DurableRuns } = (await import(dist === undefined ? "../../../src/durable/index.ts" : `${dist}/src/durable/index.js`)) as typeof DurableModule
const { Workflow } = (await import(dist === undefined ? "../../../src/index.ts" : `${dist}/src/index.js`)) as typeof Index

// The modules are loaded: what comes after is the store, the engine and the resumed runs.
const cpu = process.cpuUsage()
process.stdout.write(`BOOTED ${Date.now()} ${Math.round((cpu.user + cpu.system) / 1000)}\n`)
const [store, log, runsText] = process.argv.slice(2)
const runs = Number(runsText)
const wf = crashWorkflow(log!, Workflow)

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

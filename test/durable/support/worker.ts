/**
 * A durable-runs process for the process tests: it opens `store` (as the runner when it can), registers the test
 * workflows, and then does `command`:
 *
 * - `serve`: stays up until SIGTERM/SIGINT (graceful: the units in flight finish within the grace period; a second
 *   signal exits at once);
 * - `start <workflow> <input-json>`: starts a run, prints `RUN <id>`, then serves;
 * - `await <run-id>`: waits for the run and prints `RESULT <status> <output-json>`;
 * - `signal <run-id> <step> <value-json>`, `cancel <run-id>`: as a client or runner, prints `OK` or `ERROR <tag> <message>`.
 *
 * It prints `READY <role>` once the store is open. Steps log `start <run> <step> <pid>` / `end ...` to `log`.
 *
 * usage: node --import tsx worker.ts <store> <log> <command> [args...]
 */
import { Cause, Deferred, type Duration, Effect, Exit, Fiber, Schema } from "effect"
import { appendFileSync } from "node:fs"
import { Durable, DurableRuns } from "../../../src/durable/index.ts"
import { Workflow } from "../../../src/index.ts"
import { StepContext } from "../../../src/durable/StepContext.ts"

const [store, log, command, ...args] = process.argv.slice(2)
const grace = (process.env["GRACE"] ?? "10 seconds") as Duration.Input
const stepMillis = Number(process.env["STEP_MILLIS"] ?? 400)

const logged = <A>(name: string, millis: number, value: () => A) =>
  Effect.gen(function*() {
    const info = yield* StepContext
    appendFileSync(log!, `start ${info?.runId} ${name} ${process.pid} ${info?.idempotencyKey}\n`)
    yield* Effect.sleep(`${millis} millis`)
    appendFileSync(log!, `end ${info?.runId} ${name} ${process.pid}\n`)
    return value()
  })

const Input = Schema.Struct({ text: Schema.String })
export const slow = Workflow.make("slow", { input: Input })
  .step("one", (ctx) => logged("one", stepMillis, () => `one(${ctx.input.text})`))
  .step("two", { needs: ["one"] }, (ctx) => logged("two", stepMillis, () => `two(${ctx.one})`))
  .step("three", { needs: ["two"] }, (ctx) => logged("three", stepMillis, () => `three(${ctx.two})`))
export const review = Workflow.make("review", { input: Input })
  .step("draft", (ctx) => logged("draft", 10, () => `draft(${ctx.input.text})`))
  .wait("approve", { needs: ["draft"], signal: Schema.Struct({ approved: Schema.Boolean }) })
  .step("publish", { needs: ["draft", "approve"] }, (ctx) => logged("publish", 10, () => (ctx.approve.approved ? `published ${ctx.draft}` : "held")))
const workflows: Record<string, Workflow.Any> = { slow, review }

const print = (line: string) => process.stdout.write(`${line}\n`)

const main = Effect.gen(function*() {
  const runs = yield* DurableRuns.DurableRuns
  for (const wf of Object.values(workflows)) yield* runs.register(wf)
  print(`READY ${runs.role}`)
  switch (command) {
    case "start": {
      const run = yield* (Durable.start(workflows[args[0]!]!, JSON.parse(args[1]!)) as Effect.Effect<{ readonly runId: string }, unknown, DurableRuns.DurableRuns>)
      print(`RUN ${run.runId}`)
      return yield* Effect.never
    }
    case "await": {
      const run = yield* runs.await(args[0]!)
      print(`RESULT ${run.status} ${JSON.stringify(run.output ?? run.error ?? null)}`)
      return
    }
    case "signal":
    case "cancel": {
      const exit = yield* Effect.exit(command === "signal" ? runs.signal(args[0]!, args[1]!, JSON.parse(args[2]!)) : runs.cancel(args[0]!))
      if (Exit.isSuccess(exit)) print("OK")
      else {
        const error = Cause.squash(exit.cause) as { _tag?: string; message?: string }
        print(`ERROR ${error._tag} ${error.message}`)
      }
      return
    }
    default:
      return yield* Effect.never
  }
}).pipe(Effect.provide(DurableRuns.layer({ store: store!, gracePeriod: grace, pollInterval: "100 millis" })))

// Graceful shutdown: the first signal interrupts the program (closing the store: the units in flight finish within
// the grace period, the rest is left to be resumed); a second signal exits at once.
const stop = Deferred.makeUnsafe<void>()
let signals = 0
for (const name of ["SIGTERM", "SIGINT"] as const) {
  process.on(name, () => {
    if (++signals > 1) process.exit(137)
    Deferred.doneUnsafe(stop, Exit.void)
  })
}
const fiber = Effect.runFork(main.pipe(Effect.catchCause((cause) => Effect.sync(() => print(`FAILED ${Cause.pretty(cause).split("\n")[0]}`)))))
Effect.runFork(Effect.andThen(Deferred.await(stop), Fiber.interrupt(fiber)))
fiber.addObserver(() => {
  print("EXIT")
  process.exit(0)
})

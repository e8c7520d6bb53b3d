/**
 * One worker process of the shared rate-limit tests and bench: the OpenAI adapter against a fake provider, under a
 * policy whose rate limit counts in Redis (`shared`: with the waiting calls queued in Redis; `shared-per-worker`:
 * each process ordering its own) or in this process only (`memory`). It connects, prints
 * `READY`, waits for a line on stdin (so all workers start together), makes `calls` calls (`concurrency` at a time),
 * each with priority `priorities[i % n]` (after one warm-up call outside the limit, so that no worker's waits include
 * its first call's module loading and connection, which differ between processes on a loaded machine), then prints `DONE <ok> <failed>` and one `WAIT <priority> <millis>` line per
 * call (from arrival at the limiter to its answer).
 *
 * usage: node --import tsx limitWorker.ts <shared|shared-per-worker|memory> <redisUrl> <prefix> <fakeUrl> <calls> <rpm> <burst> <name> [priorities] [concurrency]
 */
import { Effect, Layer, Redacted } from "effect"
import { createInterface } from "node:readline"
import * as Llm from "../../../src/llm/Llm.ts"
import * as OpenAi from "../../../src/providers/OpenAi.ts"
import * as Priority from "../../../src/reliability/Priority.ts"
import * as Reliability from "../../../src/reliability/Reliability.ts"
import * as SharedLimits from "../../../src/shared-state/SharedLimits.ts"

const [mode, redisUrl, prefix, fakeUrl, callsText, rpmText, burstText, name, prioritiesText, concurrencyText] = process.argv.slice(2)
const calls = Number(callsText)
const priorities = (prioritiesText ?? "0").split(",").map(Number)
const concurrency = Number(concurrencyText ?? calls)

const policy = Reliability.policy({
  retry: false,
  circuitBreaker: false,
  rateLimit: { requestsPerMinute: Number(rpmText), burst: Number(burstText) }
})
const provider = Reliability.layerLlm(
  policy,
  "fake",
  OpenAi.layer({ model: "gpt-4o-mini", apiKey: Redacted.make("sk-test"), baseUrl: `${fakeUrl}/v1`, timeout: 120_000 })
).pipe(Layer.provide(
  mode === "memory" ? Layer.empty : SharedLimits.layer({ url: redisUrl!, prefix, priorities: mode === "shared-per-worker" ? "per-worker" : "shared" })
))

// the same adapter, outside the limit, on a path the fake answers without counting
const warmProvider = Llm.layer("warm", OpenAi.layer({ model: "gpt-4o-mini", apiKey: Redacted.make("sk-test"), baseUrl: `${fakeUrl}/warm/v1` }))

const go = new Promise<void>((resolve) => createInterface({ input: process.stdin }).once("line", () => resolve()))

const program = Effect.gen(function*() {
  // the layers (the Redis connection) are built before this runs: READY means connected; the calls start at GO
  yield* Llm.generate({ provider: "warm", model: "gpt-4o-mini", prompt: "warm-up" }).pipe(Effect.provide(warmProvider))
  process.stdout.write("READY\n")
  yield* Effect.promise(() => go)
  const waits: Array<string> = []
  const results = yield* Effect.forEach(
    Array.from({ length: calls }, (_, i) => i),
    (i) => {
      const priority = priorities[i % priorities.length]!
      const started = Date.now()
      return Llm.generate({ provider: "fake", model: "gpt-4o-mini", prompt: `${name} ${i} p${priority}` }).pipe(
        Priority.with(priority),
        Effect.tap(() => Effect.sync(() => waits.push(`WAIT ${priority} ${Date.now() - started}`))),
        Effect.result
      )
    },
    { concurrency }
  )
  const ok = results.filter((r) => r._tag === "Success").length
  process.stdout.write(`DONE ${ok} ${results.length - ok}\n${waits.join("\n")}\n`)
  for (const r of results) if (r._tag === "Failure") process.stderr.write(`${r.failure.message}\n`)
}).pipe(Effect.provide(provider))

Effect.runPromise(program).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`worker failed: ${e}\n`)
    process.exit(1)
  }
)

/**
 * The telemetry section of `npm run bench` (also `tsx bench/telemetry.ts` alone): what observing a run costs per
 * step, beside hand-written Effect in the same process and the same rounds. On W1–W4 (immediate mock), each variant's
 * µs per step:
 *
 * - `effect`: the hand-written Effect program; `run`: `Workflow.run` (no observer);
 * - `execute`: `Workflow.execute` (records), `execute + onEvent` (records and events: the CLI, server, durable path);
 * - `spans`: `Workflow.run` with spans on Effect's native tracer (the span objects, no export);
 * - `spans + OTLP`: `Workflow.execute` with the OTLP exporter installed, exporting to a local HTTP sink;
 * - `metrics`: `Workflow.run` with workflow metrics on (`WorkflowMetrics.Enabled`).
 *
 * Each figure is CPU time of this process per step (less sensitive than wall time to other processes on a loaded
 * machine; it includes the garbage collector's threads). Rounds are interleaved (every variant once per round) so
 * that load hits them alike; medians are reported, ratios as the median of each round's ratio. Options (env): BENCH_QUICK=1, TELEMETRY_ROUNDS=N, TELEMETRY_WORKLOADS=W3.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Workflow } from "../src/index.ts"
import * as Tracing from "../src/telemetry/Tracing.ts"
import * as WorkflowMetrics from "../src/telemetry/WorkflowMetrics.ts"
import { immediate, type MakeWorkload, w1, w2, w3, w4, type Workload } from "./workloads/index.ts"

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** The variants, by name: each makes one run of the workload. */
const variants = (w: Workload): Record<string, () => Effect.Effect<unknown, unknown>> => ({
  "effect": () => w.effect(),
  "run": () => Workflow.run(w.workflow, w.input),
  "execute": () => Workflow.execute(w.workflow, w.input),
  "execute + onEvent": () => Workflow.execute(w.workflow, w.input, { onEvent: () => {} }),
  "spans": () => Workflow.run(w.workflow, w.input, { spans: true }),
  "execute + onEvent + spans": () => Workflow.execute(w.workflow, w.input, { onEvent: () => {}, spans: true }),
  "metrics": () => Effect.provideService(Workflow.run(w.workflow, w.input), WorkflowMetrics.Enabled, true)
})

export interface TelemetryResult {
  /** CPU µs per step by workload and variant (median of rounds). */
  readonly usPerStep: Record<string, Record<string, number>>
  /** Each variant over hand-written Effect, from the same rounds. */
  readonly overEffect: Record<string, Record<string, number>>
  /** µs each observer adds per step over `run`. */
  readonly addedPerStep: Record<string, Record<string, number>>
  readonly rounds: number
}

/** An HTTP sink that accepts OTLP exports and drops them. */
const sink = async () => {
  const server = createServer((req, res) => {
    req.resume()
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/**
 * Measures the variants on `workloads`; `log` gets a line per workload.
 *
 * @example
 * ```ts
 * const result = await telemetryBench({ roundMs: 400, rounds: 7 }, console.log)
 * ```
 */
export const telemetryBench = async (
  options: { readonly roundMs: number; readonly rounds: number; readonly workloads?: ReadonlyArray<string> | undefined },
  log: (line: string) => void
): Promise<TelemetryResult> => {
  const http = await sink()
  // the exporter lives across rounds, as in a server: spans are batched and sent to the sink in the background
  const otlp = ManagedRuntime.make(Layer.orDie(Tracing.layer({ endpoint: http.endpoint, protocol: "http/protobuf" }, {})))
  const usPerStep: Record<string, Record<string, number>> = {}
  const overEffect: Record<string, Record<string, number>> = {}
  const addedPerStep: Record<string, Record<string, number>> = {}
  const all: ReadonlyArray<MakeWorkload> = [w1, w2, w3, w4]
  try {
    for (const make of all) {
      const w = make(immediate)
      if (options.workloads !== undefined && !options.workloads.includes(w.name)) continue
      const runners: Array<readonly [string, (n: number) => Promise<void>]> = Object.entries(variants(w)).map(([name, f]) =>
        [name, (n: number) =>
          Effect.runPromise(Effect.gen(function*() {
            for (let i = 0; i < n; i++) yield* f()
          }) as Effect.Effect<void>)] as const
      )
      const exported = () => Workflow.execute(w.workflow, w.input, { onEvent: () => {} })
      runners.push(["spans + OTLP", (n: number) =>
        otlp.runPromise(Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* exported()
        }) as Effect.Effect<void>)])
      const time = async (run: (n: number) => Promise<void>, n: number) => {
        const started = performance.now()
        await run(n)
        return performance.now() - started
      }
      // CPU milliseconds of this process: far less sensitive than wall time to other processes on a loaded machine
      const cpu = async (run: (n: number) => Promise<void>, n: number) => {
        const started = process.cpuUsage()
        await run(n)
        const used = process.cpuUsage(started)
        return (used.user + used.system) / 1000
      }
      const sizes = new Map<string, number>()
      for (const [name, run] of runners) {
        let n = 1
        for (;;) {
          const ms = await time(run, n)
          if (ms >= options.roundMs / 4) break
          n *= 2
        }
        sizes.set(name, Math.max(1, Math.round((n * options.roundMs) / (await time(run, n)))))
      }
      const scores = new Map<string, Array<number>>()
      const ratios = new Map<string, Array<number>>()
      for (let r = 0; r < options.rounds; r++) {
        const round = new Map<string, number>()
        for (const [name, run] of runners) {
          const n = sizes.get(name)!
          round.set(name, ((await cpu(run, n)) * 1000) / (n * w.steps))
        }
        for (const [name, us] of round) {
          scores.set(name, [...(scores.get(name) ?? []), us])
          ratios.set(name, [...(ratios.get(name) ?? []), us / round.get("effect")!])
        }
      }
      usPerStep[w.name] = Object.fromEntries([...scores].map(([name, xs]) => [name, median(xs)]))
      // the ratio of each round's pair, then the median: load that hits one round hits both sides of its ratio
      overEffect[w.name] = Object.fromEntries([...ratios].map(([name, xs]) => [name, median(xs)]))
      const run = usPerStep[w.name]!["run"]!
      addedPerStep[w.name] = Object.fromEntries(
        Object.entries(usPerStep[w.name]!).filter(([name]) => name !== "effect" && name !== "run").map(([name, us]) => [name, us - run])
      )
      log(`  ${w.name}: ${Object.entries(usPerStep[w.name]!).map(([name, us]) => `${name} ${us.toFixed(2)} µs (${overEffect[w.name]![name]!.toFixed(2)}×)`).join(", ")}`)
    }
  } finally {
    await otlp.dispose()
    await http.close()
  }
  return { usPerStep, overEffect, addedPerStep, rounds: options.rounds }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env["BENCH_QUICK"] === "1"
  const rounds = Number(process.env["TELEMETRY_ROUNDS"] ?? (quick ? 3 : 7))
  const workloads = process.env["TELEMETRY_WORKLOADS"]?.split(",")
  const result = await telemetryBench({ roundMs: quick ? 100 : 400, rounds, workloads }, (line) => process.stdout.write(`${line}\n`))
  process.stdout.write(`${JSON.stringify(result.overEffect, null, 2)}\n`)
}

/**
 * Latency with one process per measurement: each (workload, version) is measured in a fresh Node process, so the JIT
 * of one version cannot be shaped by another (in one process, the engine and the hand-written program share
 * Effect's runtime functions, and whichever runs first leaves them more or less polymorphic for the other).
 *
 * As a child (`tsx bench/isolated.ts W3 ours`): calibrates, measures `ROUNDS` rounds and prints the median µs per step
 * as JSON. As a parent (`isolatedLatency`): spawns the children interleaved (ours, effect, ours, effect, ...) and
 * repeats, so drift and other load affect both alike, and reports the median of the repeats and their ratio.
 */
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Workflow } from "../src/index.ts"
import { immediate, type MakeWorkload, w1, w2, w3, w4, type Workload } from "./workloads/index.ts"

const workloads: Record<string, MakeWorkload> = { W1: w1, W2: w2, W3: w3, W4: w4 }

/**
 * What one process measures: the hand-written Effect program, `Workflow.run` (`ours`), `Workflow.execute` (records)
 * or `Workflow.execute` with `onEvent` (records and events: the CLI, server and durable path).
 */
export type IsolatedVersion = "ours" | "effect" | "execute" | "events"
const runOf = (w: Workload, version: IsolatedVersion): () => Effect.Effect<unknown, unknown> => {
  switch (version) {
    case "ours":
      return w.ours
    case "effect":
      return w.effect
    case "execute":
      return () => Workflow.execute(w.workflow, w.input)
    case "events":
      return () => Workflow.execute(w.workflow, w.input, { onEvent: ignore })
  }
}
const ignore = () => {}

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** µs per step of one version of one workload, measured in this process. */
const measureHere = async (name: string, version: IsolatedVersion, roundMs: number, rounds: number) => {
  const w = workloads[name]!(immediate)
  const make = runOf(w, version)
  const run = (n: number) =>
    Effect.runPromise(Effect.gen(function*() {
      for (let i = 0; i < n; i++) yield* make()
    }) as Effect.Effect<void>)
  const time = async (n: number) => {
    const started = performance.now()
    await run(n)
    return performance.now() - started
  }
  /** CPU milliseconds of this process (all threads) while running n: less sensitive than wall time to other load. */
  const cpu = async (n: number) => {
    const started = process.cpuUsage()
    await run(n)
    const used = process.cpuUsage(started)
    return (used.user + used.system) / 1000
  }
  let n = 1
  for (;;) {
    const ms = await time(n)
    if (ms >= roundMs / 4) break
    n *= 2
  }
  n = Math.max(1, Math.round((n * roundMs) / (await time(n))))
  const wall: Array<number> = []
  const cpuScores: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    wall.push(((await time(n)) * 1000) / (n * w.steps))
    cpuScores.push(((await cpu(n)) * 1000) / (n * w.steps))
  }
  return { us: median(wall), cpuUs: median(cpuScores) }
}

const self = fileURLToPath(import.meta.url)
const tsx = join(dirname(self), "..", "node_modules", ".bin", "tsx")

/**
 * Spawns one process per measurement, `repeats` times for each (workload, version), interleaved; returns per workload
 * the medians (µs per step) and ours/effect.
 */
export const isolatedLatency = (
  options: { readonly repeats: number; readonly roundMs: number; readonly rounds: number; readonly names?: ReadonlyArray<string> },
  log: (line: string) => void
) => {
  const out: Record<string, {
    ours: number
    effect: number
    oursOverEffect: number
    oursCpu: number
    effectCpu: number
    oursOverEffectCpu: number
    repeats: { ours: Array<number>; effect: Array<number> }
  }> = {}
  for (const name of options.names ?? Object.keys(workloads)) {
    const repeats = { ours: [] as Array<number>, effect: [] as Array<number> }
    const cpuRepeats = { ours: [] as Array<number>, effect: [] as Array<number> }
    for (let r = 0; r < options.repeats; r++) {
      for (const version of ["ours", "effect"] as const) {
        const stdout = execFileSync(tsx, [self, name, version, String(options.roundMs), String(options.rounds)], { encoding: "utf8" })
        const measured = JSON.parse(stdout.trim().split("\n").pop()!)
        repeats[version].push(measured.us)
        cpuRepeats[version].push(measured.cpuUs)
      }
    }
    const ours = median(repeats.ours)
    const effect = median(repeats.effect)
    const oursCpu = median(cpuRepeats.ours)
    const effectCpu = median(cpuRepeats.effect)
    out[name] = { ours, effect, oursOverEffect: ours / effect, oursCpu, effectCpu, oursOverEffectCpu: oursCpu / effectCpu, repeats }
    log(`  ${name}: ours ${ours.toFixed(3)} µs/step, effect ${effect.toFixed(3)}, ours/effect ${(ours / effect).toFixed(2)}× wall, ${(oursCpu / effectCpu).toFixed(2)}× CPU (wall repeats: ours ${repeats.ours.map((x) => x.toFixed(3)).join(" ")}; effect ${repeats.effect.map((x) => x.toFixed(3)).join(" ")})`)
  }
  return out
}

if (process.argv[1] === self && process.argv.length >= 4) {
  const [name, version, roundMs, rounds] = process.argv.slice(2)
  const measured = await measureHere(name!, version as IsolatedVersion, Number(roundMs ?? 400), Number(rounds ?? 5))
  process.stdout.write(`${JSON.stringify({ name, version, ...measured })}\n`)
}

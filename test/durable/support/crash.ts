/**
 * The crash harness: runs the crash worker in child processes, kills it with SIGKILL at seeded random points and
 * restarts it until it finishes, then reads the side-effect log to count what ran again.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { seededRandom } from "../../../src/testing/index.ts"
import { needs } from "./crashWorkflow.ts"

const root = join(import.meta.dirname, "..", "..", "..")
const worker = join(import.meta.dirname, "crashWorker.ts")

export interface CrashReport {
  readonly incarnations: number
  readonly kills: number
  /** Outputs per run index, from the last worker. */
  readonly outputs: ReadonlyArray<unknown>
  /** Steps that started more than once (in flight at a kill: allowed, at-least-once). */
  readonly reRuns: number
  /** Steps that started again after a step that needs them had started (so after their output was stored): must be 0. */
  readonly finishedReRuns: ReadonlyArray<string>
  /** Per incarnation: milliseconds from spawn to READY. */
  readonly readyMillis: ReadonlyArray<number>
  /** Per restart (incarnation 2 on): milliseconds from spawn to the first step it ran (resumed work starting). */
  readonly resumeMillis: ReadonlyArray<number>
  /** Per incarnation: milliseconds from spawn to its modules being loaded (`BOOTED`; node + tsx + imports). */
  readonly bootMillis: ReadonlyArray<number>
  /**
   * Per restart: milliseconds from its modules being loaded to the first step it ran (opening the store, taking the
   * runner lease, starting the engine, finding and resuming the unfinished runs).
   */
  readonly resumeAfterBootMillis: ReadonlyArray<number>
  /** Per incarnation: CPU milliseconds (user + system) of the process until its modules were loaded. */
  readonly bootCpuMillis: ReadonlyArray<number>
  /**
   * Per restart: CPU milliseconds of the process until the first step it ran (boot included): what the resume costs,
   * whatever else runs on the machine.
   */
  readonly resumeCpuMillis: ReadonlyArray<number>
  /** Milliseconds from the first spawn to DONE. */
  readonly totalMillis: number
  readonly log: string
}

const waitLine = (child: ChildProcess, prefix: string, timeoutMillis: number): Promise<string | undefined> =>
  new Promise((resolve) => {
    let buffer = ""
    const timer = setTimeout(() => resolve(undefined), timeoutMillis)
    child.stdout!.on("data", (d: Buffer) => {
      buffer += d.toString("utf8")
      const line = buffer.split("\n").find((l) => l.startsWith(prefix))
      if (line !== undefined) {
        clearTimeout(timer)
        resolve(line)
      }
    })
    child.on("exit", () => {
      clearTimeout(timer)
      resolve(buffer.split("\n").find((l) => l.startsWith(prefix)))
    })
  })

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
    else child.on("exit", (code) => resolve(code))
  })

const lineCount = (file: string) => {
  const text = readFileSync(file, "utf8")
  let n = 0
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++
  return n
}

/**
 * Runs `runs` runs on `store` through `kills` SIGKILLs, then one worker that finishes. Each kill lands at a seeded
 * random point of the work: after the worker has written a random number of side-effect lines (1 to 2 x runs), so
 * kills fall inside steps whatever the machine's load.
 */
export const crashTest = async (options: {
  readonly store: string
  readonly runs: number
  readonly kills: number
  readonly seed: number
  /**
   * Run the worker on the built package in this directory (dist/), with Node stripping the worker's types, as users
   * run it; default: the source through tsx.
   */
  readonly dist?: string | undefined
}): Promise<CrashReport> => {
  const dir = mkdtempSync(join(tmpdir(), "llmo-crash-"))
  const log = join(dir, "side-effects.log")
  writeFileSync(log, "")
  const next = seededRandom(options.seed)
  const readyMillis: Array<number> = []
  const bootMillis: Array<number> = []
  const bootCpuMillis: Array<number> = []
  let incarnations = 0
  let kills = 0
  const stderr: Array<string> = []
  const spawns: Array<{ readonly pid: number; readonly at: number; booted?: number }> = []
  const began = Date.now()
  for (;;) {
    incarnations++
    const spawned = Date.now()
    const args = options.dist === undefined ? ["--conditions=source", "--import", "tsx", worker] : [worker]
    const child = spawn(process.execPath, [...args, options.store, log, String(options.runs)], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", ...(options.dist === undefined ? {} : { LLMO_DIST: options.dist }) }
    })
    child.stderr!.on("data", (d: Buffer) => stderr.push(d.toString("utf8")))
    const me: { pid: number; at: number; booted?: number } = { pid: child.pid!, at: spawned }
    spawns.push(me)
    const done = waitLine(child, "DONE ", 120_000)
    void waitLine(child, "BOOTED ", 60_000).then((line) => {
      if (line === undefined) return
      const [at, cpu] = line.slice("BOOTED ".length).split(" ")
      me.booted = Number(at)
      bootMillis.push(me.booted - spawned)
      if (cpu !== undefined) bootCpuMillis.push(Number(cpu))
    })
    const ready = await waitLine(child, "READY", 60_000)
    if (ready === undefined) throw new Error(`worker ${incarnations} never got ready: ${stderr.join("")}`)
    readyMillis.push(Date.now() - spawned)
    if (kills < options.kills) {
      const base = lineCount(log)
      const target = base + 1 + Math.floor(next() * 2 * options.runs)
      while (child.exitCode === null && lineCount(log) < target) await new Promise((r) => setTimeout(r, 2))
      if (child.exitCode === null) {
        child.kill("SIGKILL")
        kills++
        await exited(child)
        continue
      }
    }
    const line = await done
    const code = await exited(child)
    if (line === undefined) throw new Error(`worker ${incarnations} exited ${code} without finishing: ${stderr.join("")}`)
    const text = readFileSync(log, "utf8")
    const firstStep = (pid: number) => {
      const l = text.split("\n").find((x) => x.split(" ")[3] === String(pid))
      return l === undefined ? undefined : Number(l.split(" ")[4])
    }
    const resumeMillis = spawns.slice(1).flatMap((sp) => {
      const at = firstStep(sp.pid)
      return at === undefined ? [] : [at - sp.at]
    })
    const resumeCpuMillis = spawns.slice(1).flatMap((sp) => {
      const l = text.split("\n").find((x) => x.split(" ")[3] === String(sp.pid))
      const cpu = l?.split(" ")[5]
      return cpu === undefined ? [] : [Number(cpu)]
    })
    const resumeAfterBootMillis = spawns.slice(1).flatMap((sp) => {
      const at = firstStep(sp.pid)
      return at === undefined || sp.booted === undefined ? [] : [at - sp.booted]
    })
    return {
      incarnations,
      kills,
      outputs: JSON.parse(line.slice("DONE ".length)),
      ...analyse(text),
      readyMillis,
      resumeMillis,
      bootMillis,
      resumeAfterBootMillis,
      bootCpuMillis,
      resumeCpuMillis,
      totalMillis: Date.now() - began,
      log: text
    }
  }
}

/** Re-runs in the side-effect log, and re-runs of steps whose dependants had already started. */
export const analyse = (text: string) => {
  const lines = text.split("\n").filter((l) => l !== "").map((l) => {
    const [ev, run, step] = l.split(" ")
    return { ev: ev!, run: run!, step: step! }
  })
  const starts = new Map<string, number>()
  for (const l of lines) if (l.ev === "start") starts.set(`${l.run}/${l.step}`, (starts.get(`${l.run}/${l.step}`) ?? 0) + 1)
  const reRuns = [...starts.values()].filter((n) => n > 1).length
  const finishedReRuns: Array<string> = []
  lines.forEach((l, index) => {
    if (l.ev !== "start") return
    // Did a step that needs this one start earlier? Then this one's output had been stored: it must not run again.
    const dependants = Object.entries(needs).filter(([, ns]) => ns.includes(l.step)).map(([s]) => s)
    const before = lines.slice(0, index).some((m) => m.ev === "start" && m.run === l.run && dependants.includes(m.step))
    if (before) finishedReRuns.push(`${l.run}/${l.step}`)
  })
  return { reRuns, finishedReRuns }
}

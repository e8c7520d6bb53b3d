/** Starts consumer.ts as a child process and waits for lines of its output. */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const script = fileURLToPath(new URL("./consumer.ts", import.meta.url))

export interface Consumer {
  readonly child: ChildProcess
  /** Resolves with the first line matching `pattern` (searching what was printed so far too). */
  readonly line: (pattern: RegExp, timeoutMillis?: number) => Promise<RegExpExecArray>
  readonly output: () => string
  readonly exited: Promise<number | null>
}

export const spawnConsumer = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Consumer => {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env }
  })
  let out = ""
  let err = ""
  const waiters: Array<() => void> = []
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString()
    for (const w of waiters.splice(0)) w()
  })
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => {
    for (const w of waiters.splice(0)) w()
    resolve(code)
  }))
  const line = (pattern: RegExp, timeoutMillis = 90_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line ${pattern} within ${timeoutMillis} ms; stdout: ${out}\nstderr: ${err}`)), timeoutMillis)
      const check = () => {
        const m = pattern.exec(out)
        if (m !== null) {
          clearTimeout(timer)
          return resolve(m)
        }
        if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer)
          return reject(new Error(`consumer exited (${child.exitCode ?? child.signalCode}) before ${pattern}; stdout: ${out}\nstderr: ${err}`))
        }
        waiters.push(check)
      }
      check()
    })
  return { child, line, output: () => out + err, exited }
}

/** SIGKILL and wait for the exit. */
export const kill9 = async (c: Consumer): Promise<void> => {
  if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL")
  await c.exited
}

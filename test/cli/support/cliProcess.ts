/**
 * The CLI as users meet it: a real child process (Node running the source through tsx), real pipes, real signals.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { join } from "node:path"

export const root = join(import.meta.dirname, "..", "..", "..")

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Collects a child's output and resolves when it exits. */
export const finished = (child: ChildProcess): Promise<Finished> =>
  new Promise((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString("utf8")))
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

/** The command line that runs the CLI from source, as `npm run cli` does. */
export const cliCommand = (args: ReadonlyArray<string>): ReadonlyArray<string> => [process.execPath, "--import", "tsx", join(root, "src", "cli", "bin.ts"), ...args]

/** Starts the CLI as a child process (cwd: the checkout). */
export const spawnCli = (args: ReadonlyArray<string>, env: Readonly<Record<string, string | undefined>> = {}): ChildProcess => {
  const [cmd, ...rest] = cliCommand(args)
  return spawn(cmd!, rest, { cwd: root, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] })
}

/** Single-quotes `s` for sh. */
export const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/** Resolves when `predicate` holds, polling every 20 ms; rejects after `timeoutMillis`. */
export const until = async (predicate: () => boolean, what: string, timeoutMillis = 15_000): Promise<void> => {
  const end = Date.now() + timeoutMillis
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

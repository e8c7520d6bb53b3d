/**
 * The CLI as the package ships it (esbuild's bundle of `src/cli/bin.ts`, dependencies left as imports), built once
 * into `node_modules/.cache/llmo-built-cli/` so the installed dependencies resolve, for tests and benchmarks that run
 * the built command rather than the TypeScript source (faster to start, and what a container runs).
 */
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { bundleCli } from "../../scripts/build.ts"

const root = join(import.meta.dirname, "..", "..")
const outdir = join(root, "node_modules", ".cache", "llmo-built-cli")

/** Newest modification time under `dir` (the sources the bundle is made from). */
const newest = (dir: string): number => {
  let t = 0
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const s = statSync(p)
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs)
  }
  return t
}

let built: Promise<string> | undefined

/** The bundle's entry file, built when missing or older than `src/`, `dsl/`, `codegen/` or `scripts/` (the build). */
export const builtCli = (): Promise<string> =>
  (built ??= (async () => {
    const entry = join(outdir, "llm-orchestrator.mjs")
    const sources = Math.max(...["src", "dsl", "codegen", "scripts"].map((d) => newest(join(root, d))))
    if (!existsSync(entry) || statSync(entry).mtimeMs < sources) {
      mkdirSync(outdir, { recursive: true })
      await bundleCli(outdir)
    }
    return entry
  })())

/** Spawns the built CLI (`node <bundle> ...args`) with this Node. */
export const spawnBuilt = async (args: ReadonlyArray<string>, options: { readonly env?: Record<string, string | undefined>; readonly cwd?: string } = {}): Promise<ChildProcess> =>
  spawn(process.execPath, [await builtCli(), ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"]
  })

/** Runs the built CLI to its end: exit code, stdout, stderr. */
export const runBuilt = async (args: ReadonlyArray<string>, options: { readonly env?: Record<string, string | undefined>; readonly cwd?: string; readonly timeoutMillis?: number } = {}) => {
  const child = await spawnBuilt(args, options)
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")))
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMillis ?? 120_000)
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

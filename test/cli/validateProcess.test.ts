/**
 * `validate` as users run it: the real bin in a child process. A recursive YAML alias, a device, a FIFO and sub-workflow
 * paths out of the project each get a located error, the good files among them still count as valid, and the process
 * ends (it used to die with exit 70 on the alias and hang on /dev/zero).
 */
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const root = join(import.meta.dirname, "..", "..")
const bin = join(root, "bin", "llm-orchestrator.js")
const dir = mkdtempSync(join(tmpdir(), "llmo-validate-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text)
  return join(dir, name)
}

/** Runs the bin; a process still running after 20 s is killed and reported as hung. */
const cli = (args: ReadonlyArray<string>) =>
  Effect.callback<{ code: number | null; stdout: string; stderr: string; hung: boolean }>((resume) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    let hung = false
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()))
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()))
    const timer = setTimeout(() => {
      hung = true
      child.kill("SIGKILL")
    }, 20_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, stdout, stderr, hung }))
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      child.kill("SIGKILL")
    })
  })

describe("validate in a child process", () => {
  const recursive = file("recursive.yaml", "name: r\nsteps: &s\n  - id: a\n    type: parallel\n    tasks: *s\n")
  const good = file("good.yaml", "name: g\nsteps:\n  - { id: a, type: transform, function: identity, input: \"{{ input.x }}\", output: a }\n")
  const escapes = file("escapes.yaml", "name: e\nsteps:\n  - id: env\n    type: workflow\n    file: ../../../../../../proc/self/environ\n")
  const device = file("device.yaml", "name: d\nsteps:\n  - { id: z, type: workflow, file: /dev/zero }\n")
  const fifo = join(dir, "pipe.yaml")
  spawnSync("mkfifo", [fifo])
  const callsFifo = file("calls-fifo.yaml", "name: f\nsteps:\n  - { id: p, type: workflow, file: ./pipe.yaml }\n")

  it.live("every file gets its located error; the valid one still counts; nothing crashes or hangs", () =>
    Effect.gen(function*() {
      const r = yield* cli(["validate", recursive, good, escapes, "/dev/zero", device, callsFifo, fifo])
      assert.isFalse(r.hung, "validate hung")
      assert.strictEqual(r.code, 1, r.stderr)
      assert.deepStrictEqual(r.stdout.trimEnd().split("\n"), [
        `${recursive}:5:12: YAML: alias *s is inside the value of its own anchor &s (a recursive value); a workflow file must be a tree: repeat the value or move it into a sub-workflow`,
        `${escapes}:5:11: workflow file "../../../../../../proc/self/environ" resolves to /proc/self/environ, outside the workflow's directory ${dir}; sub-workflow files must be inside it`,
        "/dev/zero:1:1: cannot read /dev/zero: not a regular file (a character device)",
        `${device}:3:36: workflow file "/dev/zero" is outside the workflow's directory ${dir}; sub-workflow files must be inside it`,
        `${callsFifo}:3:36: cannot read workflow file "./pipe.yaml": not a regular file (a FIFO)`,
        `${fifo}:1:1: cannot read ${fifo}: not a regular file (a FIFO)`
      ])
      assert.include(r.stderr, "6 of 7 file(s) invalid")
      assert.notInclude(r.stderr, "internal error")
    }))

  it.live("--json: one document with every file's diagnostics", () =>
    Effect.gen(function*() {
      const r = yield* cli(["validate", "--json", recursive, good, "/dev/urandom"])
      assert.isFalse(r.hung, "validate hung")
      assert.strictEqual(r.code, 1)
      const doc = JSON.parse(r.stdout) as { valid: boolean; diagnostics: Array<{ file: string; line: number; column: number }> }
      assert.isFalse(doc.valid)
      assert.deepStrictEqual(doc.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}`), [`${recursive}:5:12`, "/dev/urandom:1:1"])
    }))
})

/**
 * Which files a workflow reads: sub-workflow paths stay inside the entry's directory tree (or allowed directories),
 * links cannot lead out of it, and only regular files up to the size limit are read: a FIFO, a device or a huge file
 * is refused with the reason at the `file:` value, never read (a FIFO would block `validate` for ever).
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { analyzeFile, analyzeSource, formatDiagnostic } from "../../codegen/index.ts"
import { readWorkflowText } from "../../codegen/workflowFileAccess.ts"

const dir = mkdtempSync(join(tmpdir(), "llmo-files-"))
const elsewhere = mkdtempSync(join(tmpdir(), "llmo-elsewhere-"))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
  rmSync(elsewhere, { recursive: true, force: true })
})

const sub = `name: sub\ninputs: { text: string }\noutputs: { upper: "{{ up }}" }\nsteps:\n  - { id: u, type: transform, function: identity, input: "{{ input.text | upper }}", output: up }\n`
const caller = (file: string) => `name: main\nsteps:\n  - { id: call, type: workflow, file: "${file}", input: { text: "hi" }, output: r }\n`
const write = (rel: string, text: string) => {
  const path = join(dir, rel)
  mkdirSync(join(path, ".."), { recursive: true })
  writeFileSync(path, text)
  return path
}
const messages = (path: string, options?: Parameters<typeof analyzeFile>[1]) =>
  analyzeFile(path, options).diagnostics.map((d) => formatDiagnostic(d).replace(`${path}:`, ""))

describe("sub-workflow files", () => {
  write("lib/sub.yaml", sub)
  write("outside/sub.yaml", sub)

  it("inside the tree: read, also through ../ that stays inside (a sub-workflow calling a sibling folder)", () => {
    write("flows/nested.yaml", caller("../lib/sub.yaml"))
    assert.deepStrictEqual(messages(write("main.yaml", caller("./flows/nested.yaml"))), [])
  })

  it("../ out of the tree is refused at the file: value, also for a sub-workflow's own calls (the entry's tree counts)", () => {
    const main = write("app/main.yaml", caller("../outside/sub.yaml"))
    assert.deepStrictEqual(messages(main), [
      `3:39: workflow file "../outside/sub.yaml" resolves to ${join(dir, "outside", "sub.yaml")}, outside the workflow's directory ${join(dir, "app")}; sub-workflow files must be inside it`
    ])
    write("app/flows/inner.yaml", caller("../../outside/sub.yaml"))
    const outer = write("app/outer.yaml", caller("./flows/inner.yaml"))
    assert.match(messages(outer)[0]!, /^3:39: workflow file "\.\/flows\/inner\.yaml" is invalid \(1 error\(s\); first: 3:39: workflow file "\.\.\/\.\.\/outside\/sub\.yaml" resolves to .*, outside the workflow's directory .*\/app;/)
  })

  it("allowedDirs lets a workflow call a shared library outside its tree", () => {
    const main = write("app2/main.yaml", caller("../outside/sub.yaml"))
    assert.deepStrictEqual(messages(main, { allowedDirs: [join(dir, "outside")] }), [])
    assert.match(messages(main, { allowedDirs: [join(dir, "lib")] })[0]!, /outside the workflow's directory .*app2 and the allowed directories .*lib; sub-workflow files must be inside one of them$/)
  })

  it("a symbolic link inside the tree that points outside it is refused", () => {
    symlinkSync("/dev/zero", join(dir, "zero.yaml"))
    writeFileSync(join(elsewhere, "sub.yaml"), sub)
    symlinkSync(join(elsewhere, "sub.yaml"), join(dir, "lib", "link.yaml"))
    assert.deepStrictEqual(messages(write("links.yaml", caller("./zero.yaml"))), [
      `3:39: workflow file "./zero.yaml" links to /dev/zero, outside the workflow's directory ${dir}; sub-workflow files must be inside it`
    ])
    assert.match(messages(write("links2.yaml", caller("lib/link.yaml")))[0]!, /^3:39: workflow file "lib\/link\.yaml" links to .*llmo-elsewhere-.*\/sub\.yaml, outside/)
  })

  it("a FIFO, a device or a directory is not read (validate would block on them); the reason is given", () => {
    const fifo = join(dir, "pipe.yaml")
    assert.strictEqual(spawnSync("mkfifo", [fifo]).status, 0)
    mkdirSync(join(dir, "folder.yaml"))
    assert.deepStrictEqual(messages(write("fifo.yaml", caller("./pipe.yaml"))), [
      `3:39: cannot read workflow file "./pipe.yaml": not a regular file (a FIFO)`
    ])
    assert.deepStrictEqual(messages(write("folder-call.yaml", caller("folder.yaml"))), [
      `3:39: cannot read workflow file "folder.yaml": not a regular file (a directory)`
    ])
    assert.deepStrictEqual(messages(write("dev.yaml", caller("/dev/urandom")), { allowedDirs: ["/dev"] }), [
      `3:39: cannot read workflow file "/dev/urandom": not a regular file (a character device)`
    ])
  })

  it("a file over the size limit is refused without reading it whole", () => {
    write("big.yaml", `name: big\n# ${"x".repeat(2 * 1024 * 1024)}\nsteps: []\n`)
    const main = write("calls-big.yaml", caller("./big.yaml"))
    assert.deepStrictEqual(messages(main), [
      `3:39: cannot read workflow file "./big.yaml": too large (${2 * 1024 * 1024 + 23} bytes; the limit is 1048576 bytes)`
    ])
    assert.deepStrictEqual(messages(main, { maxFileBytes: 150 }), [
      `3:39: cannot read workflow file "./big.yaml": too large (${2 * 1024 * 1024 + 23} bytes; the limit is 150 bytes)`
    ])
  })

  it("the entry file itself: a device, a FIFO or a missing file is a located error, read without blocking", () => {
    assert.deepStrictEqual(messages("/dev/zero"), ["1:1: cannot read /dev/zero: not a regular file (a character device)"])
    assert.deepStrictEqual(messages(join(dir, "pipe.yaml")), [`1:1: cannot read ${join(dir, "pipe.yaml")}: not a regular file (a FIFO)`])
    assert.deepStrictEqual(messages(join(dir, "nope.yaml")), [`1:1: cannot read ${join(dir, "nope.yaml")}: no such file`])
  })

  it("a /proc file that reports size 0 is read only up to the limit", () => {
    const r = readWorkflowText("/proc/self/status", 64)
    assert.deepStrictEqual(r, { error: "too large (more than 64 bytes; the limit is 64 bytes)" })
  })

  it("with a custom readFile (no file system), paths are still confined", () => {
    const files: Record<string, string> = { "/wf/sub.yaml": sub, "/etc/sub.yaml": sub }
    const ok = analyzeSource("/wf/main.yaml", caller("./sub.yaml"), { readFile: (p) => files[p] })
    assert.deepStrictEqual(ok.diagnostics, [])
    const out = analyzeSource("/wf/main.yaml", caller("/etc/sub.yaml"), { readFile: (p) => files[p] })
    assert.deepStrictEqual(out.diagnostics.map(formatDiagnostic), [
      `/wf/main.yaml:3:39: workflow file "/etc/sub.yaml" is outside the workflow's directory /wf; sub-workflow files must be inside it`
    ])
  })
})

/**
 * The compiler's messages, asserted word for word. Each file in `test/types/messages/` is a small program whose
 * mistakes are marked by the message the compiler must print, on the line just before the mistake:
 *
 *     // error TS2322: Type '"serach"' is not assignable to type '"Unknown step 'serach' in needs (...)"'.
 *     export const bad = base.step("answer", { needs: ["serach"] }, ...)
 *
 * (continuation lines of a message follow as `// | ...`). Every other line must compile: passing twins sit beside each
 * mistake. One tsc run checks all the files (they are outside the main project, which must compile without errors).
 */
import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const root = join(import.meta.dirname, "..", "..")
const dir = join(import.meta.dirname, "messages")
const files = readdirSync(dir).filter((f) => f.endsWith(".ts")).sort()

interface Diagnostic {
  readonly line: number
  readonly text: string
}

/** `// error TSxxxx: ...` (+ `// | ...`) comments, keyed by the line of code that follows them. */
const expected = (file: string): Array<Diagnostic> => {
  const lines = readFileSync(join(dir, file), "utf8").split("\n")
  const out: Array<Diagnostic> = []
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*\/\/ (error TS\d+: .*)$/.exec(lines[i]!)
    if (m === null) continue
    const text = [m[1]!]
    let j = i + 1
    for (; j < lines.length; j++) {
      const c = /^\s*\/\/ \| (.*)$/.exec(lines[j]!)
      if (c === null) break
      text.push(`  ${c[1]!}`)
    }
    // The diagnostic is on the next line that is not another comment.
    while (j < lines.length && /^\s*\/\//.test(lines[j]!)) j++
    out.push({ line: j + 1, text: text.join("\n") })
  }
  return out
}

/** tsc's diagnostics per file: `file(line,col): error TSxxxx: message` plus indented continuation lines. */
const actual = (): Map<string, Array<Diagnostic>> => {
  const tsc = join(root, "node_modules", ".bin", "tsc")
  const r = spawnSync(tsc, ["-p", relative(root, join(dir, "tsconfig.json")), "--pretty", "false"], { cwd: root, encoding: "utf8" })
  const out = new Map<string, Array<Diagnostic>>()
  let current: { file: string; line: number; text: Array<string> } | undefined
  const flush = () => {
    if (current === undefined) return
    const list = out.get(current.file) ?? []
    list.push({ line: current.line, text: current.text.join("\n") })
    out.set(current.file, list)
    current = undefined
  }
  for (const line of `${r.stdout}${r.stderr}`.split("\n")) {
    const m = /^(.+?)\((\d+),\d+\): (error TS\d+: .*)$/.exec(line)
    if (m !== null) {
      flush()
      current = { file: relative(dir, join(root, m[1]!)), line: Number(m[2]), text: [m[3]!] }
    } else if (current !== undefined && line.startsWith("  ")) current.text.push(line)
    else flush()
  }
  flush()
  return out
}

describe("compiler messages", () => {
  const diagnostics = actual()

  it("only the fixture files have errors, and only where marked", () => {
    const unexpected = [...diagnostics.keys()].filter((f) => !files.includes(f))
    assert.deepStrictEqual(unexpected, [], `errors outside the fixtures:\n${unexpected.map((f) => diagnostics.get(f)!.map((d) => d.text).join("\n")).join("\n")}`)
  })

  for (const file of files) {
    it(file, () => {
      const want = expected(file)
      assert.isAbove(want.length, 0, "a message fixture asserts at least one message")
      const got = (diagnostics.get(file) ?? []).sort((a, b) => a.line - b.line)
      assert.deepStrictEqual(got, want)
    })
  }
})

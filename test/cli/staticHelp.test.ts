/**
 * The help fast path (src/cli/staticHelp.ts) prints what effect/cli prints: the recorded table covers every command of
 * the tree, each entry equals the live CLI's output for the same arguments with the formatter effect/cli picks itself,
 * the coloured variant is the same text with ANSI styles, and the colour decision is effect/cli's. The built table and
 * the installed bin are checked against the live CLI in test/package/package.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { CliOutput } from "effect/cli"
import { afterEach, beforeAll } from "vitest"
import { cli, runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import { colorsInProcess, lookup, printStatic, type StaticHelp } from "../../src/cli/staticHelp.ts"
import { commandPaths, recordStaticHelp, staticInvocations } from "../../src/cli/staticHelpRecord.ts"

let table: StaticHelp
beforeAll(async () => {
  table = await recordStaticHelp()
}, 60_000)

// The live CLI as the other CLI tests run it: Output.capture, and no formatter installed (effect/cli's default; this
// process's stdout is no TTY, so no colours).
const live = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const cap = Output.capture()
    const exitCode = yield* runWith(args, cap.layer)
    const text = (lines: ReadonlyArray<string>) => (lines.length === 0 ? "" : `${lines.join("\n")}\n`)
    return { stdout: text(cap.stdout), stderr: text(cap.stderr), exitCode }
  })

describe("the static help table", () => {
  it("covers the bare command, --version and --help/-h of every command and subcommand", () => {
    const paths = commandPaths(cli).map((p) => p.join(" "))
    for (const p of ["", "run", "validate", "worker", "serve", "keys", "keys create", "keys revoke", "workflows", "workflows register", "workflows show"]) {
      assert.include(paths, p)
    }
    assert.strictEqual(paths.length, new Set(paths).size)
    assert.deepStrictEqual(Object.keys(table.plain).sort(), staticInvocations().map((a) => a.join("\u0000")).sort())
    assert.deepStrictEqual(Object.keys(table.color).sort(), Object.keys(table.plain).sort())
    assert.isAtLeast(Object.keys(table.plain).length, 3 + 2 * 25)
  })

  it.live("every entry is what the live CLI prints for the same arguments (text, stream, exit code)", () =>
    Effect.gen(function*() {
      for (const args of staticInvocations()) {
        assert.deepStrictEqual(lookup(table, args, false), yield* live(args), args.join(" "))
      }
      const help = lookup(table, ["run", "--help"], false)!
      assert.include(help.stdout, "USAGE\n  llm-orchestrator run")
      assert.strictEqual(help.exitCode, 0)
      assert.strictEqual(lookup(table, ["-v"], false)!.stdout, "llm-orchestrator v0.1.0\n")
      // The bare command: the help on stdout and exit 2 (a usage mistake).
      const bare = lookup(table, [], false)!
      assert.strictEqual(bare.exitCode, 2)
      assert.include(bare.stdout, "SUBCOMMANDS")
      assert.strictEqual(bare.stderr, "")
    }))

  it("the coloured entries are the same text with ANSI styles", () => {
    for (const args of staticInvocations()) {
      const plain = lookup(table, args, false)!
      const color = lookup(table, args, true)!
      // eslint-disable-next-line no-control-regex
      const strip = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "")
      assert.notStrictEqual(color.stdout, plain.stdout, args.join(" "))
      assert.strictEqual(strip(color.stdout), plain.stdout, args.join(" "))
      assert.strictEqual(color.exitCode, plain.exitCode)
    }
  })

  it("an invocation not in the table (arguments, an alias, another flag) is left to the CLI", () => {
    for (const args of [["run", "x.yaml", "--help"], ["--help", "run"], ["run", "--json", "-h"], ["--completions", "bash"], ["nope", "--help"]]) {
      assert.isUndefined(lookup(table, args, false), args.join(" "))
    }
  })
})

describe("the colour decision", () => {
  const saved = { isTTY: process.stdout.isTTY, noColor: process.env["NO_COLOR"] }
  afterEach(() => {
    Object.defineProperty(process.stdout, "isTTY", { value: saved.isTTY, configurable: true, writable: true })
    if (saved.noColor === undefined) delete process.env["NO_COLOR"]
    else process.env["NO_COLOR"] = saved.noColor
  })
  it("is effect/cli's default formatter's: a TTY and NO_COLOR unset or empty", () => {
    for (const isTTY of [false, true]) {
      for (const noColor of [undefined, "", "1"]) {
        Object.defineProperty(process.stdout, "isTTY", { value: isTTY, configurable: true, writable: true })
        if (noColor === undefined) delete process.env["NO_COLOR"]
        else process.env["NO_COLOR"] = noColor
        const effectColors = CliOutput.defaultFormatter().formatVersion("a", "1").includes("\u001b[")
        assert.strictEqual(colorsInProcess(isTTY, process.env), effectColors, `isTTY=${isTTY} NO_COLOR=${noColor}`)
        assert.strictEqual(effectColors, isTTY && noColor !== "1")
      }
    }
  })
})

describe("printStatic", () => {
  let dir = ""
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "llmo-static-help-"))
    return () => rmSync(dir, { recursive: true, force: true })
  })
  it("answers nothing without a table, with an unreadable one, with LLMO_STATIC_HELP=0 or for an unknown invocation", () => {
    const file = join(dir, "static-help.json")
    assert.isFalse(printStatic(new URL(`file://${file}`), ["--help"]))
    writeFileSync(file, "{ not json")
    assert.isFalse(printStatic(new URL(`file://${file}`), ["--help"]))
    writeFileSync(file, JSON.stringify(table))
    assert.isFalse(printStatic(new URL(`file://${file}`), ["run", "x.yaml"]))
    process.env["LLMO_STATIC_HELP"] = "0"
    try {
      assert.isFalse(printStatic(new URL(`file://${file}`), ["--help"]))
    } finally {
      delete process.env["LLMO_STATIC_HELP"]
    }
  })
})

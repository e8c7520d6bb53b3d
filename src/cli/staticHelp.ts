/**
 * The CLI's fast path for help and version: `--help`, `-h`, `<command> [<subcommand>] --help`, `--version`, `-v` and
 * the bare command print what effect/cli printed for the same arguments when the package was built
 * (dist/cli/static-help.json, recorded by staticHelpRecord.ts from the real command tree), without loading effect or
 * any command: Node's start plus a file read instead of ~200 ms of module evaluation. Every other invocation, a
 * checkout running the sources (no table beside them) and `LLMO_STATIC_HELP=0` go through effect/cli.
 *
 * Imports nothing but Node: it runs before anything else is loaded (see bin.ts).
 *
 * @example
 * ```ts
 * const args = process.argv.slice(2)
 * if (!printStatic(new URL("./static-help.json", import.meta.url), args)) void import("./main.ts").then((m) => m.runProcess(args))
 * ```
 */
import { readFileSync } from "node:fs"

/** What one invocation printed: indexes into {@link StaticHelp.texts}, and the exit code. */
export interface StaticOutput {
  readonly stdout: number
  readonly stderr: number
  readonly exitCode: number
}

/** The recorded outputs, by {@link invocationKey} of the arguments, without and with ANSI colours. */
export interface StaticHelp {
  readonly texts: ReadonlyArray<string>
  readonly plain: Readonly<Record<string, StaticOutput>>
  readonly color: Readonly<Record<string, StaticOutput>>
}

/** The table's key of an argument list (NUL never occurs in an argument). */
export const invocationKey = (args: ReadonlyArray<string>): string => args.join("\u0000")

/**
 * Whether effect/cli's default formatter colours its output in this process: stdout is a TTY and NO_COLOR is unset or
 * empty (effect/cli's `Ansi.detectColors`, which the Formatter reference uses when none is installed; FORCE_COLOR
 * plays no part there). test/cli/staticHelp.test.ts checks the two agree.
 */
export const colorsInProcess = (stdoutIsTTY: boolean, env: NodeJS.ProcessEnv): boolean => stdoutIsTTY && !env["NO_COLOR"]

/** The recorded output of `args`, or undefined when the table has none (or no table). */
export const lookup = (table: StaticHelp, args: ReadonlyArray<string>, color: boolean) => {
  const entry = (color ? table.color : table.plain)[invocationKey(args)]
  return entry === undefined ? undefined : { stdout: table.texts[entry.stdout]!, stderr: table.texts[entry.stderr]!, exitCode: entry.exitCode }
}

/**
 * Prints the recorded output of `args` and sets the exit code; false (nothing printed) when the invocation is not in
 * the table at `file`, the file is missing or unreadable, or `LLMO_STATIC_HELP=0`.
 */
export const printStatic = (file: URL, args: ReadonlyArray<string>): boolean => {
  if (process.env["LLMO_STATIC_HELP"] === "0") return false
  let table: StaticHelp
  try {
    table = JSON.parse(readFileSync(file, "utf8")) as StaticHelp
  } catch {
    return false
  }
  const found = lookup(table, args, colorsInProcess(process.stdout.isTTY === true, process.env))
  if (found === undefined) return false
  // As main.ts: a reader that goes away (`--help | head -1`) ends the process quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0)
      throw e
    })
  }
  process.exitCode = found.exitCode
  if (found.stdout !== "") process.stdout.write(found.stdout)
  if (found.stderr !== "") process.stderr.write(found.stderr)
  return true
}

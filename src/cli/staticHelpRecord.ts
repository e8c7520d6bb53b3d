/**
 * Records the table staticHelp.ts prints from: every help and version invocation of the command tree run through the
 * real CLI (`runWith`, effect/cli's parser and formatter), its stdout, stderr and exit code captured, once without and
 * once with colours. `npm run build` writes it to dist/cli/static-help.json; test/cli/staticHelp.test.ts compares it
 * with the live CLI.
 *
 * @example
 * ```ts
 * const table = await recordStaticHelp()
 * writeFileSync("dist/cli/static-help.json", JSON.stringify(table))
 * ```
 */
import { Effect, Layer } from "effect"
import { CliOutput, type Command } from "effect/cli"
import { cli, runWith } from "./main.ts"
import { Output } from "./Output.ts"
import { invocationKey, type StaticHelp, type StaticOutput } from "./staticHelp.ts"

/** The subcommand paths of the tree below `command` (the root is `[]`), by name (aliases go through effect/cli). */
export const commandPaths = (command: Command.Command.Any, prefix: ReadonlyArray<string> = []): Array<ReadonlyArray<string>> => [
  prefix,
  ...command.subcommands.flatMap((group) => group.commands.flatMap((sub) => commandPaths(sub, [...prefix, sub.name])))
]

/** The invocations the fast path answers: the bare command, `--version`/`-v`, and `--help`/`-h` after every command path. */
export const staticInvocations = (): Array<ReadonlyArray<string>> => [
  [],
  ["--version"],
  ["-v"],
  ...commandPaths(cli).flatMap((path) => [[...path, "--help"], [...path, "-h"]])
]

/** What the CLI prints for `args`, as the process would write it (Output.layer adds a newline to each write). */
export const liveOutput = (args: ReadonlyArray<string>, color: boolean) =>
  Effect.gen(function*() {
    let stdout = ""
    let stderr = ""
    let code = 0
    const output = Layer.succeed(Output, {
      out: (t) => void (stdout += `${t}\n`),
      err: (t) => void (stderr += `${t}\n`),
      stream: (t) => void (stderr += t),
      isTTY: color,
      color,
      exit: (c) => void (code = Math.max(code, c)),
      exitCode: () => code,
      cwd: process.cwd()
    })
    const exitCode = yield* runWith(args, output).pipe(Effect.provideService(CliOutput.Formatter, CliOutput.defaultFormatter({ colors: color })))
    return { stdout, stderr, exitCode }
  })

/** Runs every {@link staticInvocations} through the CLI, with and without colours. */
export const recordStaticHelp = (): Promise<StaticHelp> =>
  Effect.runPromise(Effect.gen(function*() {
    const texts: Array<string> = []
    const index = new Map<string, number>()
    const intern = (text: string) => {
      let i = index.get(text)
      if (i === undefined) index.set(text, i = texts.push(text) - 1)
      return i
    }
    const plain: Record<string, StaticOutput> = {}
    const color: Record<string, StaticOutput> = {}
    for (const args of staticInvocations()) {
      for (const [colors, into] of [[false, plain], [true, color]] as const) {
        const o = yield* liveOutput(args, colors)
        into[invocationKey(args)] = { stdout: intern(o.stdout), stderr: intern(o.stderr), exitCode: o.exitCode }
      }
    }
    return { texts, plain, color }
  }))

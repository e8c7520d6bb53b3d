/**
 * The `llm-orchestrator` command line: validate, codegen, run, test, graph, init. `bin/llm-orchestrator.js` launches
 * this file through tsx; from a checkout: `npm run cli -- <command> <args>`.
 *
 * @example
 * ```ts
 * import { runCli } from "./src/cli/main.ts"
 * const code = await runCli(["validate", "examples/parallel-rag.yaml"])
 * ```
 */
import { NodeServices } from "@effect/platform-node"
import { Cause, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { codegenCommand } from "./codegenCommand.ts"
import { graphCommand } from "./graphCommand.ts"
import { initCommand } from "./initCommand.ts"
import { Output } from "./Output.ts"
import { runCommand } from "./runCommand.ts"
import { testCommand } from "./testCommand.ts"
import { validateCommand } from "./validateCommand.ts"

/** The CLI version printed by `--version`. */
export const version = "0.1.0"

/** The command tree. */
export const cli = Command.make("llm-orchestrator").pipe(
  Command.withDescription("Typed LLM workflows: validate, generate, run and test YAML workflows"),
  Command.withSubcommands([validateCommand, codegenCommand, runCommand, testCommand, graphCommand, initCommand])
)

/** Runs the CLI with `args` (without the program name) and the given Output; resolves to the exit code. */
export const runWith = (args: ReadonlyArray<string>, output: Layer.Layer<Output>): Effect.Effect<number> =>
  Effect.gen(function*() {
    const o = yield* Output
    const exit = yield* Effect.exit(Command.runWith(cli, { version })(args))
    // Bad usage (unknown flag, missing argument): effect/cli printed help and the error; that is exit code 2.
    if (exit._tag === "Failure") {
      const failure = Cause.squash(exit.cause)
      const isUsage = failure !== null && typeof failure === "object" && "_tag" in failure &&
        ["ShowHelp", "InvalidValue", "MissingOption", "MissingArgument", "UnrecognizedOption", "DuplicateOption", "UnknownSubcommand"].includes(String(failure._tag))
      if (!isUsage) o.err(`internal error: ${Cause.pretty(exit.cause)}`)
      o.exit(isUsage ? 2 : 70)
    }
    return o.exitCode()
  }).pipe(Effect.provide(Layer.merge(output, NodeServices.layer)))

/** Runs the CLI on the real process streams. */
export const runCli = (args: ReadonlyArray<string>): Promise<number> => Effect.runPromise(runWith(args, Output.layer))

if (import.meta.main) {
  let finished = false
  // A run that can make no progress (nothing left on the event loop) would otherwise end silently with code 0.
  process.on("beforeExit", () => {
    if (!finished) {
      process.stderr.write("internal error: the run stalled (no step can make progress)\n")
      process.exit(70)
    }
  })
  runCli(process.argv.slice(2)).finally(() => (finished = true)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
      process.exit(70)
    }
  )
}

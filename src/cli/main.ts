/**
 * The `llm-orchestrator` command line: validate, codegen, run, test, graph, init. The process entry is `bin.ts`
 * (`bin/llm-orchestrator.js` loads its built form); from a checkout: `npm run cli -- <command> <args>`.
 *
 * @example
 * ```ts
 * import { runCli } from "./src/cli/main.ts"
 * const code = await runCli(["validate", "examples/parallel-rag.yaml"])
 * ```
 */
// How a command is written (keep it so: `--help` and every command start fast, ~1/10 of the CLI's code loaded):
//   one file per command, `<name>Command.ts`, holds its SPEC only: name, flags, arguments, description (effect/cli's
//   `Command.make(name, config, handler)`), importing nothing but `effect`, `effect/cli` and other light spec modules;
//   its handler is one line that loads the implementation, `<name>Handler.ts`, with a dynamic import when the command
//   runs, so esbuild puts the implementation (server, SQL store, codegen, providers, ...) in a chunk of its own:
//
//     const config = { file: Argument.String("file"), json: Flag.Boolean("json").pipe(Flag.withDefault(false)) }
//     export type ListenArgs = Command.Command.Config.Infer<typeof config>
//     export const listenCommand = Command.make("listen", config, (args) =>
//       Effect.flatMap(Effect.promise(() => import("./listenHandler.ts")), (handler) => handler.listen(args))
//     ).pipe(Command.withDescription("..."))
//
//   and `<name>Handler.ts` exports `listen = (args: ListenArgs) => Effect...` (`import type { ListenArgs }` from the
//   spec; workerCommand.ts + workerHandler.ts is a full example). Then add the command to the list below. Never
//   import a handler (or anything heavy) statically from here or from a spec: test/package checks that a command
//   loads its own handler chunk only. Flags shared by several commands live in light modules (remoteFlag.ts,
//   TelemetryFlags.ts). `--help`, `-h` and `--version` of the built CLI do not load this module at all: the build
//   records what they print (staticHelpRecord.ts) and bin.ts prints it (staticHelp.ts); a new command's help is
//   recorded with it, and test/cli/staticHelp.test.ts checks the record against this tree.
// The deep import: the package index also loads cluster, Redis and WebSocket modules the CLI never uses.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Deferred, Effect, Layer } from "effect"
import { CliOutput, Command } from "effect/cli"
import { codegenCommand } from "./codegenCommand.ts"
import { graphCommand } from "./graphCommand.ts"
import { ingestCommand } from "./ingestCommand.ts"
import { initCommand } from "./initCommand.ts"
import { exitCodeOf, Interrupt, shutdownMillis, type Signal, stopsCleanly } from "./Interrupt.ts"
import { keysCommand } from "./keysCommand.ts"
import { listenCommand } from "./listenCommand.ts"
import { listCommand } from "./listCommand.ts"
import { metricsCommand } from "./metricsCommand.ts"
import { Output } from "./Output.ts"
import { Remote } from "./remoteFlag.ts"
import { runCommand } from "./runCommand.ts"
import { cancelCommand, checkCommand, pruneCommand, rerunCommand, resumeCommand, signalCommand } from "./runsCommands.ts"
import { serveCommand } from "./serveCommand.ts"
import { statusCommand } from "./statusCommand.ts"
import { testCommand } from "./testCommand.ts"
import { validateCommand } from "./validateCommand.ts"
import { version } from "./version.ts"
import { workerCommand } from "./workerCommand.ts"
import { workflowsCommand } from "./workflowsCommand.ts"

export { version } from "./version.ts"

/** The command tree. */
export const cli = Command.make("llm-orchestrator").pipe(
  Command.withDescription("Typed LLM workflows: validate, generate, run and test YAML workflows"),
  Command.withSubcommands([validateCommand, codegenCommand, runCommand, testCommand, ingestCommand, graphCommand, initCommand, metricsCommand, serveCommand, keysCommand, workflowsCommand, statusCommand, listCommand, resumeCommand, cancelCommand, signalCommand, rerunCommand, pruneCommand, checkCommand, workerCommand, listenCommand]),
  Command.withGlobalFlags([Remote])
)

/** Runs the CLI with `args` (without the program name) and the given Output; resolves to the exit code. */
export const runWith = (args: ReadonlyArray<string>, output: Layer.Layer<Output>): Effect.Effect<number> =>
  Effect.gen(function*() {
    const o = yield* Output
    // Help and version on stdout; a usage mistake is one line on stderr (and where to find the help), not the help.
    const presenter: CliOutput.Presenter = {
      present: (event) =>
        Effect.gen(function*() {
          const formatter = yield* CliOutput.Formatter
          switch (event._tag) {
            case "Help":
              return o.out(formatter.formatHelpDoc(event.helpDoc))
            case "Version":
              return o.out(formatter.formatVersion(event.name, event.version))
            case "InvalidInvocation":
              for (const e of event.errors) o.err(`error: ${e.message}`)
              o.err(`run "${event.commandPath.join(" ")} --help" for usage`)
          }
        })
    }
    const exit = yield* Effect.exit(Command.runWith(cli, { version })(args).pipe(Effect.provide(CliOutput.layerPresenter(presenter))))
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

/**
 * Runs the CLI as the process: the first SIGINT/SIGTERM interrupts the running command (a run reports what finished and
 * what was interrupted, then exits 130/143), a second one exits at once. stdout and stderr are flushed before the process
 * exits, so output written to a pipe or a file arrives whole.
 *
 * @example
 * ```ts
 * // src/cli/bin.ts, the process entry:
 * runProcess(process.argv.slice(2))
 * ```
 */
export const runProcess = (args: ReadonlyArray<string>): void => {
  // A reader that goes away (`| head`) is not an error of ours: stop writing and exit quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0)
      throw e
    })
  }
  let received: Signal | undefined
  const interrupt = Effect.runSync(Deferred.make<Signal>())
  const onSignal = (signal: Signal) => {
    if (received !== undefined) return exitFlushed(exitCodeOf(received))
    received = signal
    Effect.runSync(Deferred.succeed(interrupt, signal))
  }
  process.on("SIGINT", () => onSignal("SIGINT"))
  process.on("SIGTERM", () => onSignal("SIGTERM"))
  let finished = false
  // A run that can make no progress (nothing left on the event loop) would otherwise end silently with code 0.
  process.on("beforeExit", () => {
    if (!finished) {
      process.stderr.write("internal error: the run stalled (no step can make progress)\n")
      exitFlushed(70)
    }
  })
  const program = runWith(args, Output.layer).pipe(
    Effect.provideService(Interrupt, Deferred.await(interrupt)),
    // A command that does not listen for the signal is interrupted a moment after it (after its grace period when it
    // asked for one: a durable run finishing its steps in flight), with the signal's exit code.
    Effect.raceFirst(Deferred.await(interrupt).pipe(Effect.flatMap((signal) => Effect.as(Effect.sleep(shutdownMillis()), exitCodeOf(signal)))))
  )
  Effect.runPromise(program).finally(() => (finished = true)).then(
    (code) => exitFlushed(received !== undefined && !stopsCleanly() ? Math.max(code, exitCodeOf(received)) : code),
    (e) => {
      process.stderr.write(`internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
      exitFlushed(70)
    }
  )
}

/**
 * Exits once everything written to stdout and stderr has been handed to the OS. `process.exit` alone drops writes still
 * queued on a pipe (a reader slower than us gets the first 64 KiB of a large document and nothing more).
 */
const exitFlushed = (code: number): void => {
  process.exitCode = code
  let pending = 2
  const done = () => {
    if (--pending === 0) process.exit(code)
  }
  process.stdout.write("", done)
  process.stderr.write("", done)
}

/**
 * Where the CLI writes, and the exit code it will end with. The default layer writes to the process streams; tests use
 * {@link Output.capture} to collect lines and the exit code in memory.
 *
 * @example
 * ```ts
 * const { layer, lines, exitCode } = Output.capture()
 * ```
 */
import { Context, Effect, Layer } from "effect"

export interface OutputShape {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Writes `text` to stderr as it is, without a newline (the deltas of a streamed answer). */
  readonly stream: (text: string) => void
  /** Rewrite the last `n` lines of stdout (live progress); only used when `isTTY`. */
  readonly isTTY: boolean
  /** ANSI colours allowed (a TTY and NO_COLOR unset). */
  readonly color: boolean
  /** Raise the exit code (the highest one set wins). */
  readonly exit: (code: number) => void
  readonly exitCode: () => number
  readonly cwd: string
}

export class Output extends Context.Service<Output, OutputShape>()("llm-orchestrator/cli/Output") {
  /** The real process: stdout/stderr, TTY detection, NO_COLOR. */
  static readonly layer = Layer.sync(Output, () => {
    let code = 0
    const isTTY = process.stdout.isTTY === true
    const noColor = process.env["NO_COLOR"] !== undefined && process.env["NO_COLOR"] !== ""
    return {
      out: (t) => void process.stdout.write(`${t}\n`),
      err: (t) => void process.stderr.write(`${t}\n`),
      stream: (t) => void process.stderr.write(t),
      isTTY,
      color: isTTY && !noColor,
      exit: (c) => void (code = Math.max(code, c)),
      exitCode: () => code,
      cwd: process.cwd()
    }
  })

  /** In-memory output for tests. */
  static capture(options: { readonly isTTY?: boolean; readonly color?: boolean; readonly cwd?: string } = {}) {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const streamed: Array<string> = []
    let code = 0
    const shape: OutputShape = {
      out: (t) => void stdout.push(...t.split("\n")),
      err: (t) => void stderr.push(...t.split("\n")),
      stream: (t) => void streamed.push(t),
      isTTY: options.isTTY ?? false,
      color: options.color ?? false,
      exit: (c) => void (code = Math.max(code, c)),
      exitCode: () => code,
      cwd: options.cwd ?? process.cwd()
    }
    return { layer: Layer.succeed(Output, shape), stdout, stderr, streamed, exitCode: () => code }
  }
}

/** ANSI styling that disappears when colours are off. */
export const style = (color: boolean) => {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\u001b[${open}m${s}\u001b[${close}m` : s)
  return { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) }
}

/** Helper for handlers. */
export const out = (text: string) => Output.use((o) => Effect.sync(() => o.out(text)))

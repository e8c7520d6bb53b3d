/**
 * The signal that asks a CLI command to stop. The process entry ({@link runProcess} in main.ts) completes it on the
 * first SIGINT/SIGTERM; commands that run work (`run`, `test`) race their run against it, so the run fiber is
 * interrupted (its finalizers run) and the command still reports what finished and what was interrupted.
 *
 * @example
 * ```ts
 * const signal = yield* Interrupt.Interrupt // Effect<"SIGINT" | "SIGTERM">: never completes when no signal arrives
 * ```
 */
import { Context, Effect } from "effect"

/** A stop signal. */
export type Signal = "SIGINT" | "SIGTERM"

/** The exit code for a run stopped by `signal`: 128 + the signal number (130 for SIGINT, 143 for SIGTERM). */
export const exitCodeOf = (signal: Signal): number => (signal === "SIGINT" ? 130 : 143)

/** Completes with the first stop signal; the default (in tests, in-process use) never completes. */
export const Interrupt = Context.Reference<Effect.Effect<Signal>>("llm-orchestrator/cli/Interrupt", {
  defaultValue: () => Effect.never
})

let graceMillis = 0

/**
 * Gives the running command up to `millis` after the first signal to shut down (a durable run lets its steps in
 * flight finish within its grace period); without it the process ends 2 s after the signal. A second signal still
 * ends the process at once.
 *
 * @example
 * ```ts
 * allowGracefulShutdown(30_000)
 * ```
 */
export const allowGracefulShutdown = (millis: number): void => {
  graceMillis = Math.max(graceMillis, millis)
}

/** How long the process waits after the first signal before it ends the command (2 s, or the grace given). */
export const shutdownMillis = (): number => 2_000 + graceMillis

let cleanStop = false

/**
 * Says the running command serves until stopped (a worker): a first SIGINT/SIGTERM after which it shut down gracefully
 * ends the process with its own exit code (0) instead of 130/143. A second signal still exits at once with 130/143.
 *
 * @example
 * ```ts
 * stopsCleanlyOnSignal()
 * ```
 */
export const stopsCleanlyOnSignal = (): void => {
  cleanStop = true
}

/** Whether the command asked for {@link stopsCleanlyOnSignal}. */
export const stopsCleanly = (): boolean => cleanStop

/**
 * The commands that act on stored runs: `resume`, `cancel`, `signal`, `rerun`, `prune`, `check`. They open the run
 * store (`--store`, else `LLM_ORCHESTRATOR_STORE`, else the config's `run_store`, else `.llm-orchestrator/runs.db`).
 * One process at a time runs the workflows of a store (the runner); `cancel`, `prune` and `check` only write or read
 * the store, so they work beside it; `signal` and `rerun` hand the work to the runner when one is alive, and otherwise
 * become it and follow the run to its end, printing it as `run` does.
 *
 * Exit codes: 0 ok, 1 the run failed (or `check` found an incompatible run), 2 bad usage (unknown run, step or
 * invalid value), 3 store unavailable or another process is the runner, 4 the run is suspended (waiting for a
 * signal), 5 it was cancelled, 130/143 interrupted (the run is saved and resumes later).
 *
 * @example
 * ```sh
 * llm-orchestrator signal run-lx2k-1a2b3c4d approve --value '{"approved":true}'
 * llm-orchestrator rerun run-lx2k-1a2b3c4d --from draft --value '"a better draft"'
 * llm-orchestrator prune --older-than 30d
 * llm-orchestrator check review.yaml
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"

const storeFlag = Flag.String("store").pipe(
  Flag.withDescription("The run store: sqlite:PATH or postgres://... (default: LLM_ORCHESTRATOR_STORE, else the config's run_store, else .llm-orchestrator/runs.db)"),
  Flag.optional
)
const configFlag = Flag.String("config").pipe(Flag.withDescription("Configuration file (default: ./llm-orchestrator.yaml when present)"), Flag.optional)
const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("Print one JSON document"), Flag.withDefault(false))
const graceFlag = Flag.String("grace").pipe(
  Flag.withDescription("On SIGINT/SIGTERM, how long the steps in flight may take to finish (default 30s); the rest resumes later"),
  Flag.withDefault("30s")
)

const resumeConfig = {
  runId: Argument.String("run-id").pipe(Argument.withDescription("The run to continue (default: every unfinished run)"), Argument.optional),
  force: Flag.Boolean("force").pipe(Flag.withDescription("Run it on the current definition even where it changed incompatibly"), Flag.withDefault(false)),
  worker: Flag.Boolean("worker").pipe(Flag.withDescription("Stay up as the store's runner until SIGINT/SIGTERM"), Flag.withDefault(false)),
  json: jsonFlag,
  grace: graceFlag,
  store: storeFlag,
  config: configFlag
}

/** The parsed arguments of `resume`. */
export type ResumeArgs = Command.Command.Config.Infer<typeof resumeConfig>

/**
 * `resume [<run-id>]`: becomes the runner of the store and resumes every unfinished run (they pick up after their
 * last finished step), or just continues `<run-id>` (`--force` runs it on a changed definition). Without an id it
 * returns once no run is left going (each is finished, suspended or blocked); with `--worker` it stays up, taking
 * new runs, until SIGINT/SIGTERM (then it lets the steps in flight finish within `--grace` and exits 0).
 */
export const resumeCommand = Command.make("resume", resumeConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("./runsHandlers.ts")), (handler) => handler.resume(args))
).pipe(Command.withDescription("Resume unfinished runs (all, or one by id) as the store's runner; --worker keeps serving"))

const cancelConfig = {
  runId: Argument.String("run-id"),
  json: jsonFlag,
  store: storeFlag,
  config: configFlag
}

/** The parsed arguments of `cancel`. */
export type CancelArgs = Command.Command.Config.Infer<typeof cancelConfig>

/** `cancel <run-id>`: cancels a run from any process; its steps in flight are interrupted and it never resumes. */
export const cancelCommand = Command.make("cancel", cancelConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("./runsHandlers.ts")), (handler) => handler.cancel(args))
).pipe(Command.withDescription("Cancel a run (from any process); it is not resumed later"))

const signalConfig = {
  runId: Argument.String("run-id"),
  stepId: Argument.String("step-id").pipe(Argument.withDescription("The wait step (its path inside branches: route/safe/approve)")),
  value: Flag.String("value").pipe(Flag.withDescription("The value, as JSON (the step's declared type)")),
  json: jsonFlag,
  grace: graceFlag,
  store: storeFlag,
  config: configFlag
}

/** The parsed arguments of `signal`. */
export type SignalArgs = Command.Command.Config.Infer<typeof signalConfig>

/**
 * `signal <run-id> <step-id> --value JSON`: delivers the value a wait step waits for (checked against its type: a
 * wrong one is refused with the field named, and the run keeps waiting).
 */
export const signalCommand = Command.make("signal", signalConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("./runsHandlers.ts")), (handler) => handler.signal(args))
).pipe(Command.withDescription("Give a waiting step its value; the run goes on (here when no other process runs the store)"))

const rerunConfig = {
  runId: Argument.String("run-id"),
  from: Flag.String("from").pipe(Flag.withDescription("The step to run again (with everything that depends on it)")),
  value: Flag.String("value").pipe(Flag.withDescription("Use this value (JSON) as the step's output instead of running it"), Flag.optional),
  json: jsonFlag,
  grace: graceFlag,
  store: storeFlag,
  config: configFlag
}

/** The parsed arguments of `rerun`. */
export type RerunArgs = Command.Command.Config.Infer<typeof rerunConfig>

/**
 * `rerun <run-id> --from <step-id> [--value JSON]`: a new run, linked to the old one, that reuses the stored outputs
 * of every step before `<step-id>` and runs it and what depends on it again (or takes `--value` as its output).
 */
export const rerunCommand = Command.make("rerun", rerunConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("./runsHandlers.ts")), (handler) => handler.rerun(args))
).pipe(Command.withDescription("Fork a run from a step: earlier outputs reused, that step (or --value) and its dependants run again"))

const pruneConfig = {
  olderThan: Flag.String("older-than").pipe(Flag.withDescription("Finished more than this long ago: 30d, 12h, 90m")),
  json: jsonFlag,
  store: storeFlag,
  config: configFlag
}

/** The parsed arguments of `prune`. */
export type PruneArgs = Command.Command.Config.Infer<typeof pruneConfig>

/** `prune --older-than 30d`: deletes finished runs older than that, with their journals. */
export const pruneCommand = Command.make("prune", pruneConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("./runsHandlers.ts")), (handler) => handler.prune(args))
).pipe(Command.withDescription("Delete finished runs older than a period (with their journals)"))

const checkConfig = {
  file: Argument.String("file").pipe(Argument.withDescription("The workflow file as it will be deployed")),
  all: Flag.Boolean("all").pipe(Flag.withDescription("Check finished runs too (for reruns)"), Flag.withDefault(false)),
  json: jsonFlag,
  store: storeFlag,
  config: configFlag
}

/** The parsed arguments of `check`. */
export type CheckArgs = Command.Command.Config.Infer<typeof checkConfig>

/**
 * `check <file>`: replays the stored journal of each unfinished run of the workflow (every run with `--all`) against
 * the definition in `<file>`: exit 1 when one could not resume on it (the changed steps named), so a deploy can be
 * checked before it happens.
 */
export const checkCommand = Command.make("check", checkConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("./runsHandlers.ts")), (handler) => handler.check(args))
).pipe(Command.withDescription("Check stored runs of a workflow against its new definition before deploying it"))

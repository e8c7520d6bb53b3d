/**
 * What the commands that act on stored runs: `resume`, `cancel`, `signal`, `rerun`, `prune`, `check`. Their specs are in `runsCommands.ts`; this module, loaded when one runs, opens the run
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
import { Duration, Effect, Option } from "effect"
import type * as DurableRuns from "../durable/DurableRuns.ts"
import { isTerminal } from "../store/RunStatus.ts"
import * as Pipeline from "../pipeline/Pipeline.ts"
import * as Project from "../config/Project.ts"
import type { Graph } from "../../dsl/Node.ts"
import { followAndPrint } from "./durableRun.ts"
import { allowGracefulShutdown, exitCodeOf, Interrupt, stopsCleanlyOnSignal } from "./Interrupt.ts"
import { parseData } from "./loadData.ts"
import { Output, style } from "./Output.ts"
import * as RunStoreCli from "./RunStoreCli.ts"
import type { ResumeArgs, CancelArgs, SignalArgs, RerunArgs, PruneArgs, CheckArgs } from "./runsCommands.ts"


/** The exit code and message of a failure of the durable runs service. */
const failureOf = (e: unknown): { readonly code: number; readonly message: string } => {
  const x = e as { _tag?: string; message?: string }
  switch (x?._tag) {
    case "RunNotFound":
      return { code: 2, message: `no run '${(e as { runId: string }).runId}' in the store` }
    case "UnknownStep":
    case "NotAWait":
    case "SignalInvalid":
    case "AlreadySignalled":
    case "WorkflowInputError":
    case "NotDurable":
      return { code: 2, message: x.message ?? String(e) }
    case "RunFinished":
      return { code: 1, message: x.message ?? String(e) }
    case "RunnerActive":
    case "StoreUnavailable":
    case "RunStoreError":
      return { code: 3, message: x.message ?? String(e) }
    default:
      return { code: 1, message: x?.message ?? String(e) }
  }
}

/**
 * Opens the store named by the flags and runs `body` with the durable runs on it; failures print one line and set
 * the exit code.
 */
const withRuns = (
  flags: { readonly store: Option.Option<string>; readonly config: Option.Option<string>; readonly grace?: string | undefined },
  role: "auto" | "client" | "runner",
  body: (runs: DurableRuns.DurableRunsShape) => Effect.Effect<void, unknown, Output>
) =>
  Effect.gen(function*() {
    const o = yield* Output
    const s = style(o.color)
    let grace: Duration.Duration = RunStoreCli.defaultGrace
    if (flags.grace !== undefined) {
      const millis = RunStoreCli.durationMillis(flags.grace)
      if (millis === undefined) {
        o.err(`error: --grace '${flags.grace}' is not a duration (30s, 2m)`)
        return o.exit(2)
      }
      grace = Duration.millis(millis)
    }
    const choice = yield* RunStoreCli.storeOfCommand(flags.store, flags.config, o.cwd)
    if (choice._tag === "Error") {
      o.err(`error: ${choice.message}`)
      return o.exit(2)
    }
    if (choice.spec._tag === "memory") {
      o.err("error: the memory store keeps runs only inside one process: use sqlite:PATH or postgres://...")
      return o.exit(2)
    }
    if (role !== "client") allowGracefulShutdown(Duration.toMillis(grace))
    const result = yield* Effect.result(
      Effect.gen(function*() {
        const runs = yield* RunStoreCli.open(choice.spec, { role, gracePeriod: grace, onProblem: (m) => o.err(s.dim(`llm-orchestrator: ${m}`)) })
        return yield* body(runs)
      }).pipe(Effect.scoped)
    )
    if (result._tag === "Failure") {
      const f = failureOf(result.failure)
      o.err(`${s.red("error:")} ${f.message}`)
      o.exit(f.code)
    }
  })

/** Parses a `--value` (JSON, or YAML for convenience). */
const valueOf = (text: string): { readonly _tag: "Ok"; readonly value: unknown } | { readonly _tag: "Error"; readonly message: string } => {
  const parsed = parseData(text, "--value")
  return parsed._tag === "Error" ? parsed : { _tag: "Ok", value: parsed.value }
}

/** After handing work to a run: follow it here when this process runs it, else say who does. */
const followHere = (runs: DurableRuns.DurableRunsShape, runId: string, json: boolean) =>
  Effect.gen(function*() {
    const o = yield* Output
    // A client of workers follows the run as its runner would (the workers take over each other's runs).
    if (runs.role === "runner" || runs.cluster !== undefined) {
      return yield* followAndPrint(runs, runId, { json, interrupt: yield* Interrupt })
    }
    const lease = yield* runs.runStore.runner()
    if (json) o.out(JSON.stringify({ runId, status: "accepted", runner: lease === undefined ? null : { pid: lease.pid, host: lease.host } }, null, 2))
    else o.err(`run ${runId} goes on in the runner of ${runs.store} (pid ${lease?.pid ?? "?"} on ${lease?.host ?? "?"}); follow it with: llm-orchestrator status ${runId} --watch`)
  })

/** Runs `resume` (loaded by `runsCommands.ts` when the command runs). */
export const resume = (args: ResumeArgs) =>
  withRuns({ store: args.store, config: args.config, grace: args.grace }, "runner", (runs) =>
    Effect.gen(function*() {
      const o = yield* Output
      const interrupt = yield* Interrupt
      if (Option.isSome(args.runId)) {
        const before = yield* runs.get(args.runId.value)
        if (!isTerminal(before.run.status)) yield* runs.resume(args.runId.value, { force: args.force })
        return yield* followAndPrint(runs, args.runId.value, { json: args.json, interrupt })
      }
      if (args.worker) stopsCleanlyOnSignal()
      const unfinished = yield* runs.runStore.unfinishedRuns()
      o.err(`resuming ${unfinished.length} unfinished run${unfinished.length === 1 ? "" : "s"} on ${runs.store}`)
      for (const run of unfinished) if (run.blocked !== undefined && args.force) yield* runs.resume(run.runId, { force: true })
      const settled = Effect.gen(function*() {
        while (true) {
          const going = []
          for (const run of yield* runs.runStore.unfinishedRuns()) {
            if (run.blocked !== undefined) continue
            if (run.status === "suspended" && (yield* runs.runStore.waits(run.runId)).some((w) => w.signal === undefined)) continue
            going.push(run.runId)
          }
          if (going.length === 0 && !args.worker) return
          yield* Effect.sleep("200 millis")
        }
      })
      const raced = yield* Effect.raceFirst(Effect.as(settled, undefined), interrupt)
      const runsNow = yield* Effect.forEach(unfinished, (r) => Effect.map(runs.get(r.runId), (v) => v.run))
      if (args.json) o.out(JSON.stringify(runsNow.map((r) => ({ runId: r.runId, workflow: r.workflow, status: r.status, ...(r.blocked !== undefined ? { blocked: r.blocked } : {}) })), null, 2))
      else for (const r of runsNow) o.out(`${r.runId}  ${r.workflow}  ${r.status}${r.blocked !== undefined ? `  (blocked: ${r.blocked})` : ""}`)
      // A worker stopped by a signal has done its job: what is left resumes on the next start.
      if (raced !== undefined && !args.worker) o.exit(exitCodeOf(raced))
      if (runsNow.some((r) => r.status === "failed")) o.exit(1)
    })
  )

/** Runs `cancel` (loaded by `runsCommands.ts` when the command runs). */
export const cancel = (args: CancelArgs) =>
  withRuns(args, "client", (runs) =>
    Effect.gen(function*() {
      const o = yield* Output
      const requested = yield* runs.cancel(args.runId)
      // The runner stops it within a poll or two; a loaded machine may take longer than the service waits.
      const run = isTerminal(requested.status)
        ? requested
        : yield* Effect.map(RunStoreCli.follow(runs, args.runId).pipe(Effect.timeoutOption("10 seconds")), (stopped) => stopped._tag === "Some" ? stopped.value.run : requested)
      if (args.json) o.out(JSON.stringify({ runId: run.runId, status: run.status }, null, 2))
      else o.out(run.status === "cancelled" ? `cancelled ${run.runId}` : `cancel of ${run.runId} requested (the runner stops it at once; status: ${run.status})`)
    })
  )

/** Runs `signal` (loaded by `runsCommands.ts` when the command runs). */
export const signal = (args: SignalArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const value = valueOf(args.value)
    if (value._tag === "Error") {
      o.err(`error: ${value.message}`)
      return o.exit(2)
    }
    return yield* withRuns(args, "auto", (runs) =>
      Effect.gen(function*() {
        yield* runs.signal(args.runId, args.stepId, value.value)
        if (!args.json) o.err(`signalled ${args.stepId} of ${args.runId}`)
        return yield* followHere(runs, args.runId, args.json)
      }))
  })

/** Runs `rerun` (loaded by `runsCommands.ts` when the command runs). */
export const rerun = (args: RerunArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const value = Option.isSome(args.value) ? valueOf(args.value.value) : undefined
    if (value?._tag === "Error") {
      o.err(`error: ${value.message}`)
      return o.exit(2)
    }
    return yield* withRuns(args, "auto", (runs) =>
      Effect.gen(function*() {
        const fork = yield* runs.rerun(args.runId, { from: args.from, ...(value !== undefined ? { value: value.value } : {}) })
        if (!args.json) o.err(`run ${fork.runId} re-runs ${args.runId} from '${args.from}'`)
        return yield* followHere(runs, fork.runId, args.json)
      }))
  })

/** Runs `prune` (loaded by `runsCommands.ts` when the command runs). */
export const prune = (args: PruneArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const millis = RunStoreCli.durationMillis(args.olderThan)
    if (millis === undefined) {
      o.err(`error: --older-than '${args.olderThan}' is not a period (30d, 12h, 90m)`)
      return o.exit(2)
    }
    return yield* withRuns(args, "client", (runs) =>
      Effect.gen(function*() {
        const pruned = yield* runs.prune({ olderThan: Duration.millis(millis) })
        if (args.json) o.out(JSON.stringify({ pruned }, null, 2))
        else o.out(`pruned ${pruned.length} run${pruned.length === 1 ? "" : "s"} finished more than ${args.olderThan} ago`)
      }))
  })

/** Runs `check` (loaded by `runsCommands.ts` when the command runs). */
export const check = (args: CheckArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const s = style(o.color && !args.json)
    // The graph only: no provider is called, so no key is needed.
    const graph = yield* Effect.result(Effect.gen(function*() {
      const project = yield* Project.load({ cwd: o.cwd, config: Option.getOrUndefined(args.config) })
      const analysis = yield* Pipeline.load(args.file, { providers: Pipeline.providerNames(Project.runOptions(project)) })
      const interpreted = yield* Pipeline.prepare(analysis, { unmocked: "fail", actions: Project.runOptions(project).actions })
      return interpreted.workflow as unknown as Graph
    }))
    if (graph._tag === "Failure") {
      for (const m of RunStoreCli.problemsOf(graph.failure)) o.err(`${s.red("error:")} ${m}`)
      return o.exit(2)
    }
    return yield* withRuns(args, "client", (runs) =>
      Effect.gen(function*() {
        const results = yield* runs.check(graph.success, { all: args.all })
        if (args.json) o.out(JSON.stringify({ workflow: graph.success.name, runs: results }, null, 2))
        else {
          if (results.length === 0) o.out(`no ${args.all ? "" : "unfinished "}runs of '${graph.success.name}' in ${runs.store}`)
          for (const r of results) {
            o.out(r.compatible ? `${r.runId}  ${r.status}  ${s.green("ok")}` : `${r.runId}  ${r.status}  ${s.red("incompatible")}: ${r.problems.join("; ")}`)
          }
        }
        if (results.some((r) => !r.compatible)) o.exit(1)
      }))
  })

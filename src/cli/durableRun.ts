/**
 * `run` on a durable store (the default: the embedded `.llm-orchestrator/runs.db`): the run is stored before its
 * first step starts and its id printed, each step's output is checkpointed, and the command follows the run here
 * until it ends. It prints what the in-memory `run` prints (outputs on stdout, progress and the summary on stderr;
 * one document with `--json`, with `runId`), and ends with:
 *
 * - 0 succeeded, 1 failed, 2 invalid definition or input;
 * - 4 suspended: a wait step waits for `signal <run-id> <step> --value ...`;
 * - 5 cancelled (by `cancel <run-id>` from any process);
 * - 130/143 interrupted by SIGINT/SIGTERM: the steps in flight finish within `--grace` (30 s), the rest is left to
 *   `resume <run-id>` (or the next durable command on the store). A second signal exits at once.
 *
 * When another process is the runner of the store (`serve`, a `resume` worker), this one only starts the run and
 * follows it.
 */
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { Duration, Effect, Fiber } from "effect"
import type { WorkflowEvent } from "../engine/events.ts"
import { DurableRuns } from "../durable/DurableRuns.ts"
import type * as Store from "../durable/Store.ts"
import type * as Project from "../config/Project.ts"
import * as DurableRunService from "../server/DurableRunService.ts"
import * as TraceContext from "../telemetry/TraceContext.ts"
import type * as Model from "../server/Model.ts"
import type { Budget } from "../budget/Budget.ts"
import { allowGracefulShutdown, exitCodeOf, type Signal } from "./Interrupt.ts"
import { Output, style } from "./Output.ts"
import * as RunStoreCli from "./RunStoreCli.ts"
import { usd } from "./runsView.ts"

/** A `TRACEPARENT` value when it names a span (`00-<trace id>-<span id>-<flags>`), in its canonical form; else undefined. */
const callerTrace = (raw: string | undefined): string | undefined => {
  const parent = TraceContext.extract(raw)
  return parent._tag === "Some" ? TraceContext.format(parent.value) : undefined
}

/** What the run command hands over. */
export interface DurableRunArgs {
  readonly spec: Store.Spec
  readonly source: RunStoreCli.YamlSource
  readonly project: Project.Project
  readonly input: unknown
  readonly json: boolean
  readonly stream: boolean
  readonly concurrency: number | undefined
  /** The run's priority (kept with the run). */
  readonly priority?: number | undefined
  readonly budget: Budget | undefined
  readonly grace: Duration.Duration
  readonly interrupt: Effect.Effect<Signal>
  readonly onEvent: (event: WorkflowEvent) => void
  readonly onLog: (line: string) => void
  readonly addSecrets: (secrets: ReadonlyArray<string>) => void
  readonly invalid: (messages: ReadonlyArray<string>) => void
  readonly writeOutput: (text: string) => void
}

/** The exit code of a run that ended `status`. */
export const exitCodeOfStatus = (status: string): number =>
  status === "succeeded" ? 0 : status === "suspended" ? 4 : status === "cancelled" ? 5 : 1

/** Prints a finished (or suspended) run as `run` does. */
export const printOutcome = (o: Output["Service"], run: Model.Run, options: { readonly json: boolean; readonly waits?: ReadonlyArray<string> | undefined; readonly writeOutput?: ((text: string) => void) | undefined }) => {
  const s = style(o.color && !options.json)
  const steps = run.steps.filter((x) => x.stepId !== "_outputs")
  if (options.json) {
    o.out(JSON.stringify({
      status: run.status,
      runId: run.runId,
      ...(run.output !== undefined ? { outputs: run.output } : {}),
      ...(run.error !== undefined ? { error: run.error } : {}),
      ...(options.waits !== undefined ? { waiting: options.waits } : {}),
      steps,
      ...(run.durationMillis !== undefined ? { durationMillis: run.durationMillis } : {}),
      usage: run.usage,
      costUsd: run.costUsd
    }, null, 2))
  } else if (run.status === "succeeded") {
    const text = JSON.stringify(run.output ?? {}, null, 2)
    o.out(text)
    const parts = [`done in ${run.durationMillis ?? 0}ms`]
    if (run.usage.calls > 0) {
      parts.push(`${run.usage.calls} call${run.usage.calls === 1 ? "" : "s"}`, `${run.usage.inputTokens} in / ${run.usage.outputTokens} out tokens`, usd(run.costUsd))
    }
    o.err(s.green(`${parts.join(" · ")} · run ${run.runId}`))
  } else if (run.status === "suspended") {
    for (const w of options.waits ?? []) {
      o.err(s.yellow(`run ${run.runId} is waiting at '${w}': llm-orchestrator signal ${run.runId} ${w} --value '<json>'`))
    }
  } else if (run.status === "cancelled") {
    o.err(s.yellow(`run ${run.runId} cancelled`))
  } else {
    const e = (run.error ?? {}) as { _tag?: string; message?: string; error?: { _tag?: string; message?: string } }
    const inner = e._tag === "StepFailed" && e.error !== undefined ? e.error : e
    o.err(`${s.red("failed:")} ${inner._tag ?? "Error"}: ${inner.message ?? e.message ?? JSON.stringify(run.error)} (run ${run.runId})`)
  }
  if (run.status === "succeeded" && run.output !== undefined) options.writeOutput?.(JSON.stringify(run.output, null, 2))
  o.exit(exitCodeOfStatus(run.status))
}

/** Follows `runId` to its end or suspension, printing it; an interrupt leaves it to be resumed. */
export const followAndPrint = (
  runs: DurableRuns["Service"],
  runId: string,
  options: {
    readonly json: boolean
    readonly interrupt: Effect.Effect<Signal>
    readonly stream?: boolean | undefined
    readonly writeOutput?: ((text: string) => void) | undefined
  }
) =>
  Effect.gen(function*() {
    const o = yield* Output
    const s = style(o.color && !options.json)
    // Deltas of streaming steps, from the run's event log.
    const streaming = options.stream === true
      ? yield* Effect.forkChild(Effect.gen(function*() {
        let after = 0
        while (true) {
          for (const e of yield* runs.events(runId, after)) {
            after = e.seq
            if (e.type === "StepDelta") o.stream(String((e.data as { text?: unknown } | undefined)?.text ?? ""))
          }
          yield* Effect.sleep("50 millis")
        }
      }))
      : undefined
    const raced = yield* Effect.raceFirst(
      Effect.map(RunStoreCli.follow(runs, runId), (stopped) => ({ _tag: "Stopped", stopped }) as const),
      Effect.map(options.interrupt, (signal) => ({ _tag: "Interrupted", signal }) as const)
    )
    if (streaming !== undefined) {
      yield* Fiber.interrupt(streaming)
      o.stream("\n")
    }
    if (raced._tag === "Interrupted") {
      const view = yield* runs.get(runId)
      const done = view.steps.filter((x) => x.status === "succeeded" && x.stepId !== "_outputs").map((x) => x.stepId)
      const inFlight = view.steps.filter((x) => x.status === "running").map((x) => x.stepId)
      if (options.json) {
        o.out(JSON.stringify({ status: "interrupted", runId, signal: raced.signal, finished: done, inFlight }, null, 2))
      } else {
        o.err(s.yellow(`interrupted by ${raced.signal}: run ${runId} is saved; steps in flight finish before exit`))
        o.err(`  finished:  ${done.join(", ") || "none"}`)
        o.err(`  in flight: ${inFlight.join(", ") || "none"}`)
        o.err(`  continue with: llm-orchestrator resume ${runId}`)
      }
      o.exit(exitCodeOf(raced.signal))
      return
    }
    const stopped = raced.stopped
    if (stopped._tag === "Blocked") {
      o.err(`${s.red("blocked:")} run ${runId}: ${stopped.reason}`)
      o.exit(1)
      return
    }
    const service = yield* DurableRunService.make.pipe(Effect.provideService(DurableRuns, runs))
    const run = yield* service.get(runId)
    printOutcome(o, run, { json: options.json, waits: stopped._tag === "Suspended" ? stopped.waits : undefined, writeOutput: options.writeOutput })
  })

/** Completes with "runner-gone" once the store's runner lease is released, expired, or held by a dead process here. */
const runnerGone = (runs: DurableRuns["Service"]) =>
  Effect.gen(function*() {
    while (true) {
      yield* Effect.sleep("300 millis")
      const lease = yield* Effect.orElseSucceed(runs.runStore.runner(), () => null)
      if (lease === null) continue
      if (lease === undefined || lease.heartbeatAt + 10_000 < Date.now() || (lease.host === hostname() && !alive(lease.pid))) return "runner-gone" as const
    }
  })

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as { code?: string }).code !== "ESRCH"
  }
}

/** The durable `run`. */
export const durableRun = (args: DurableRunArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const s = style(o.color && !args.json)
    allowGracefulShutdown(Duration.toMillis(args.grace))
    // The id is chosen here so the progress view sees the run's first events (the engine may start it before `start` returns).
    const current = `run-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`
    const prepared = yield* Effect.result(RunStoreCli.prepare(args.source, { project: args.project, onLog: args.onLog }))
    if (prepared._tag === "Failure") return args.invalid(RunStoreCli.problemsOf(prepared.failure))
    args.addSecrets(prepared.success.secrets)
    // A client (another process is the runner) takes over when that runner goes away before the run is done.
    let first = true
    while (true) {
      const outcome = yield* Effect.scoped(Effect.gen(function*() {
        const opened = yield* Effect.result(RunStoreCli.open(args.spec, {
          gracePeriod: args.grace,
          onEvent: (runId, event) => {
            // An interrupted step is the run suspending (a wait) or this process shutting down: said once, below.
            if (runId === current && !(event._tag === "StepFailed" && event.interrupted)) args.onEvent(event)
          },
          onProblem: (message) => o.err(s.dim(`llm-orchestrator: ${message}`))
        }))
        if (opened._tag === "Failure") {
          const e = opened.failure as { message?: string }
          o.err(`${s.red("error:")} ${e.message ?? String(e)}`)
          return o.exit(3)
        }
        const runs = opened.success
        const registered = yield* Effect.result(runs.register(prepared.success.graph, { source: args.source as never, context: prepared.success.context }))
        if (registered._tag === "Failure") return args.invalid(registered.failure.problems.map((p) => `step '${p.stepId}': ${p.message}`))
        if (first) {
          // The caller's trace: this process's span when it traces (itself a child of TRACEPARENT), else TRACEPARENT as
          // given (the CI/CD convention), so a traced runner of the store (a worker, a server) continues it.
          const traceparent = (yield* TraceContext.inject) ?? callerTrace(args.project.env["TRACEPARENT"])
          const started = yield* Effect.result(runs.start(prepared.success.graph, args.input, {
            runId: current,
            source: args.source as never,
            ...(traceparent === undefined ? {} : { traceparent }),
            ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
            ...(args.priority !== undefined ? { priority: args.priority } : {}),
            ...(args.budget !== undefined ? { budget: args.budget } : {})
          }))
          if (started._tag === "Failure") {
            const e = started.failure
            if (e._tag === "WorkflowInputError") return args.invalid(e.issues.map((i) => `input${i.path === "" ? "" : `.${i.path}`}: ${i.message}`))
            if (e._tag === "NotDurable") return args.invalid(e.problems.map((p) => `step '${p.stepId}': ${p.message}`))
            o.err(`${s.red("error:")} ${e.message}`)
            return o.exit(3)
          }
          first = false
          if (!args.json) o.err(s.dim(`run ${current} on ${runs.store}${runs.cluster === "client" ? " (run by the workers)" : runs.role === "client" ? " (run by another process)" : ""}`))
        } else if (!args.json) o.err(s.dim(`the runner of ${runs.store} went away: ${runs.role === "runner" ? "this process goes on with" : "following"} run ${current}`))
        const follow = followAndPrint(runs, current, { json: args.json, interrupt: args.interrupt, stream: args.stream, writeOutput: args.writeOutput })
        // A runner, or a client of workers (which take over each other's runs), follows the run to its end.
        if (runs.role === "runner" || runs.cluster !== undefined) return yield* follow
        return yield* Effect.raceFirst(Effect.as(follow, undefined), runnerGone(runs))
      }))
      if (outcome !== "runner-gone") return outcome
    }
  }).pipe(Effect.scoped)


/**
 * A run service in this process, without a durable store: runs go through the engine in a fiber, their index and
 * event log live in memory, and nothing survives the process. It has no waits (signal and resume answer `Conflict`).
 * It backs the server until the durable engine is wired in (`DurableRunService.ts`), and tests of the HTTP layer.
 *
 * @example
 * ```ts
 * const runs = yield* LocalRunService.make()
 * ```
 */
import { Cause, Clock, Deferred, Duration, Effect, Exit, Fiber, Layer, Scope } from "effect"
import type { WorkflowEvent } from "../engine/events.ts"
import type { RunResult } from "../engine/RunResult.ts"
import { decodeInput, execute } from "../engine/run.ts"
import { randomUUID, createHash } from "node:crypto"
import * as ApiError from "./ApiError.ts"
import type * as Model from "./Model.ts"
import { decodeCursor, encodeCursor, RunService, type RunServiceShape } from "./RunService.ts"

interface LocalRun {
  summary: Mutable<Model.RunSummary>
  input: unknown
  output?: unknown
  error?: unknown
  steps: Map<string, Mutable<Model.Step>>
  usage: Mutable<Model.Usage>
  costUsd: number
  events: Array<Model.RunEvent>
  done: Deferred.Deferred<void>
  fiber?: Fiber.Fiber<unknown, unknown>
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const isTerminal = (s: Model.RunStatus) => s === "succeeded" || s === "failed" || s === "cancelled"

/**
 * Builds the service; runs are forked into `scope` (closing it interrupts the runs still going).
 *
 * @example
 * ```ts
 * const runs = yield* LocalRunService.make()
 * ```
 */
export const make = (): Effect.Effect<RunServiceShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Scope.Scope
    const runs = new Map<string, LocalRun>()
    let seq = 0
    const push = (run: LocalRun, type: string, at: number, stepId?: string, data?: unknown) => {
      run.events.push({ id: ++seq, runId: run.summary.runId, type, at, ...(stepId !== undefined ? { stepId } : {}), ...(data !== undefined ? { data } : {}) })
    }
    const setStatus = (run: LocalRun, status: Model.RunStatus, at: number) => {
      if (run.summary.status === status) return
      run.summary.status = status
      if (status === "running") run.summary.startedAt = at
      if (isTerminal(status)) {
        run.summary.finishedAt = at
        run.summary.durationMillis = at - (run.summary.startedAt ?? run.summary.createdAt)
      }
      push(run, "run", at, undefined, { status })
    }
    const onEvent = (run: LocalRun) => (e: WorkflowEvent) => {
      switch (e._tag) {
        case "StepStarted":
          run.steps.set(e.stepId, { name: e.stepId, stepId: e.stepId, kind: e.kind, status: "running", attempts: 1, startedAt: e.at })
          push(run, "step.started", e.at, e.stepId, { kind: e.kind })
          break
        case "StepRetrying": {
          const s = run.steps.get(e.stepId)
          if (s !== undefined) s.attempts = e.attempt
          push(run, "step.retrying", e.at, e.stepId, { attempt: e.attempt, error: e.error })
          break
        }
        case "StepSucceeded":
        case "StepFailed": {
          const s = run.steps.get(e.stepId)
          const status = e._tag === "StepSucceeded" ? "succeeded" : e.interrupted ? "interrupted" : "failed"
          if (s !== undefined) {
            s.status = status
            s.attempts = e.attempts
            s.finishedAt = e.at
            s.durationMillis = e.durationMillis
            if (e._tag === "StepFailed" && !e.interrupted) s.error = e.error
          }
          push(run, "step.finished", e.at, e.stepId, { status, attempts: e.attempts, durationMillis: e.durationMillis, ...(e._tag === "StepFailed" ? { error: e.error } : {}) })
          break
        }
        case "StepSkipped":
          run.steps.set(e.stepId, { name: e.stepId, stepId: e.stepId, kind: "skipped", status: "skipped", attempts: 0 })
          push(run, "step.skipped", e.at, e.stepId, { reason: e.reason })
          break
        case "StepDelta":
          push(run, "step.delta", e.at, e.stepId, { text: e.text })
          break
        default:
          break
      }
    }

    const find = (runId: string) =>
      Effect.suspend(() => {
        const run = runs.get(runId)
        return run === undefined ? Effect.fail(new ApiError.NotFound({ code: "run_not_found", message: `No run '${runId}'` })) : Effect.succeed(run)
      })

    const view = (run: LocalRun): Model.Run => ({
      ...run.summary,
      input: run.input,
      ...(run.output !== undefined ? { output: run.output } : {}),
      ...(run.error !== undefined ? { error: run.error } : {}),
      steps: [...run.steps.values()].map((s) => ({ ...s })),
      waits: [],
      usage: { ...run.usage },
      costUsd: run.costUsd
    })

    const service: RunServiceShape = {
      store: "memory (this process)",
      role: "runner",
      ready: Effect.void,
      start: ({ entry, input, context, idempotencyKey }) =>
        Effect.gen(function*() {
          const decoded = yield* decodeInput(entry.graph, input).pipe(
            Effect.mapError((e) =>
              new ApiError.BadRequest({
                code: "invalid_input",
                message: `The input does not match workflow '${entry.name}': ${e.issues.map((i) => `input${i.path === "" ? "" : `.${i.path}`}: ${i.message}`).join("; ")}`,
                errors: e.issues.map((i) => ({ path: i.path === "" ? "input" : `input.${i.path}`, message: i.message }))
              })
            )
          )
          const runId = idempotencyKey !== undefined
            ? `run-${createHash("sha256").update(`${entry.name}\u0000${idempotencyKey}`).digest("hex").slice(0, 24)}`
            : `run-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`
          const existing = runs.get(runId)
          if (existing !== undefined) return { run: { ...existing.summary }, created: false }
          const at = yield* Clock.currentTimeMillis
          const run: LocalRun = {
            summary: { runId, workflow: entry.name, status: "pending", createdAt: at },
            input,
            steps: new Map(),
            usage: { inputTokens: 0, outputTokens: 0, calls: 0 },
            costUsd: 0,
            events: [],
            done: Deferred.makeUnsafe<void>()
          }
          runs.set(runId, run)
          push(run, "run", at, undefined, { status: "pending" })
          setStatus(run, "running", at)
          const body = (execute(entry.graph as never, decoded as never, { runId, onEvent: onEvent(run) }) as Effect.Effect<RunResult<Record<string, unknown>>, unknown>).pipe(
            Effect.provideContext(context),
            Effect.onExit((exit) =>
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.sync(() => {
                  if (Exit.isSuccess(exit)) {
                    const result = exit.value
                    run.output = result.outputs["_outputs"] ?? {}
                    run.usage = { ...result.usage }
                    run.costUsd = result.costUsd
                    for (const [id, record] of Object.entries(result.steps)) {
                      const s = run.steps.get(id)
                      if (s === undefined) continue
                      if (record.usage !== undefined) s.usage = { inputTokens: record.usage.inputTokens, outputTokens: record.usage.outputTokens, calls: record.usage.calls }
                      if (record.costUsd !== undefined) s.costUsd = record.costUsd
                    }
                    setStatus(run, "succeeded", now)
                  } else if (Cause.hasInterruptsOnly(exit.cause)) {
                    run.error = { _tag: "RunCancelled", message: `Run '${runId}' was cancelled` }
                    setStatus(run, "cancelled", now)
                  } else {
                    const e = Cause.squash(exit.cause) as { _tag?: string; message?: string; stepId?: string }
                    run.error = { _tag: e?._tag ?? "Defect", message: e?.message ?? String(e), ...(e?.stepId !== undefined ? { stepId: e.stepId } : {}) }
                    setStatus(run, "failed", now)
                  }
                  Deferred.doneUnsafe(run.done, Exit.void)
                })
              )
            )
          )
          run.fiber = yield* Effect.forkIn(Effect.exit(body), scope)
          return { run: { ...run.summary }, created: true }
        }),
      get: (runId) => Effect.map(find(runId), view),
      list: (filter) =>
        Effect.gen(function*() {
          const cursor = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor)
          if (filter.cursor !== undefined && cursor === undefined) return yield* new ApiError.BadRequest({ code: "invalid_request", message: "query.cursor: not a cursor of this server", errors: [{ path: "query.cursor", message: "not a cursor of this server" }] })
          const all = [...runs.values()].map((r) => r.summary).filter((r) =>
            (filter.workflow === undefined || r.workflow === filter.workflow) &&
            (filter.workflows === undefined || filter.workflows.includes(r.workflow)) &&
            (filter.status === undefined || r.status === filter.status) &&
            (filter.since === undefined || r.createdAt >= filter.since)
          ).sort((a, b) => b.createdAt - a.createdAt || b.runId.localeCompare(a.runId))
          const until = cursor?.until ?? all[0]?.createdAt ?? 0
          const pinned = all.filter((r) => r.createdAt <= until)
          const offset = cursor?.offset ?? 0
          const page = pinned.slice(offset, offset + filter.limit).map((r) => ({ ...r }))
          return offset + filter.limit < pinned.length ? { runs: page, next: encodeCursor({ offset: offset + filter.limit, until }) } : { runs: page }
        }),
      await: (runId, timeout) =>
        Effect.flatMap(find(runId), (run) =>
          Deferred.await(run.done).pipe(Effect.timeoutOption(Duration.fromInputUnsafe(timeout)), Effect.map((o) => o._tag === "Some"))),
      cancel: (runId) =>
        Effect.gen(function*() {
          const run = yield* find(runId)
          if (isTerminal(run.summary.status)) return yield* new ApiError.Conflict({ code: "run_finished", message: `Run '${runId}' already ${run.summary.status}` })
          if (run.fiber !== undefined) yield* Fiber.interrupt(run.fiber)
          return { ...run.summary }
        }),
      signal: (runId) =>
        Effect.flatMap(find(runId), () => Effect.fail(new ApiError.Conflict({ code: "not_a_wait", message: `Run '${runId}' has no wait steps (this server keeps no durable store)` }))),
      resume: (runId) =>
        Effect.flatMap(find(runId), (run) =>
          Effect.fail(new ApiError.Conflict({ code: "run_finished", message: `Run '${runId}' is ${run.summary.status}; only durable runs can be resumed` }))),
      prune: (olderThanMillis) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const deleted: Array<string> = []
          for (const [id, run] of runs) {
            if (isTerminal(run.summary.status) && (run.summary.finishedAt ?? now) < now - olderThanMillis) {
              runs.delete(id)
              deleted.push(id)
            }
          }
          return deleted
        }),
      events: (runId, after) =>
        Effect.sync(() => {
          const run = runs.get(runId)
          if (run === undefined) return []
          return after === undefined ? [...run.events] : run.events.filter((e) => e.id > after)
        })
    }
    return service
  })

/**
 * {@link make} as a layer.
 *
 * @example
 * ```ts
 * Server.layer(options).pipe(Layer.provide(LocalRunService.layer))
 * ```
 */
export const layer: Layer.Layer<RunService> = Layer.effect(RunService, make())



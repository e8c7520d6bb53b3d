/**
 * The run service on durable runs (`DurableRuns`, on memory, SQLite or Postgres): what the REST API starts is a
 * durable run in the same store the CLI reads (`llm-orchestrator status`, `list`, `resume`), checkpointed per step,
 * resumed after a restart, with waits, signals and cancel from any process. The store's event log is the source of the
 * SSE stream: its event ids are strictly increasing and never reused, and it holds the deltas of streaming LLM steps.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { DurableRuns } from "llm-orchestrator/durable"
 * import { DurableRunService } from "llm-orchestrator/server"
 * const runs = DurableRunService.layer.pipe(Layer.provide(DurableRuns.layer({ store: "sqlite:.llm-orchestrator/runs.db" })))
 * ```
 */
import { createHash } from "node:crypto"
import { Clock, Duration, Effect, Layer } from "effect"
import * as DailyBudget from "../budget/DailyBudget.ts"
import { DurableRuns, type DurableRunsShape } from "../durable/DurableRuns.ts"
import type { RunEvent as StoredEvent, RunRecord, StepRow, WaitRow } from "../store/RunStoreShape.ts"
import * as ApiError from "./ApiError.ts"
import type * as Model from "./Model.ts"
import { decodeCursor, encodeCursor, RunService, type RunServiceShape } from "./RunService.ts"

const unavailable = (e: { readonly message: string }) => new ApiError.Unavailable({ code: "store_unavailable", message: `Run store: ${e.message}` })
const notFound = (runId: string) => new ApiError.NotFound({ code: "run_not_found", message: `No run '${runId}'` })

const summaryOf = (run: RunRecord): Model.RunSummary => ({
  runId: run.runId,
  workflow: run.workflow,
  status: run.status,
  createdAt: run.createdAt,
  ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
  ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt, durationMillis: run.finishedAt - (run.startedAt ?? run.createdAt) } : {}),
  ...(run.blocked !== undefined ? { blocked: run.blocked } : {})
})

const usageOf = (json: unknown): Model.Usage | undefined => {
  const u = json as { inputTokens?: unknown; outputTokens?: unknown; calls?: unknown } | null | undefined
  return u === null || u === undefined || typeof u !== "object"
    ? undefined
    : { inputTokens: Number(u.inputTokens ?? 0), outputTokens: Number(u.outputTokens ?? 0), calls: Number(u.calls ?? 0) }
}

const stepOf = (s: StepRow): Model.Step => {
  const usage = usageOf(s.usage)
  return {
    name: s.name,
    stepId: s.stepId,
    kind: s.kind,
    status: s.status,
    attempts: s.attempts,
    startedAt: s.startedAt,
    ...(s.finishedAt !== undefined ? { finishedAt: s.finishedAt, durationMillis: s.finishedAt - s.startedAt } : {}),
    ...(usage !== undefined ? { usage } : {}),
    ...(s.costUsd !== undefined ? { costUsd: s.costUsd } : {}),
    ...(s.error !== undefined ? { error: s.error } : {})
  }
}

const waitOf = (w: WaitRow): Model.Wait => ({
  stepId: w.stepId,
  ...(w.request !== undefined ? { request: w.request } : {}),
  ...(w.waitingSince !== undefined ? { waitingSince: w.waitingSince } : {}),
  ...(w.deadlineAt !== undefined ? { deadlineAt: w.deadlineAt } : {}),
  signalled: w.signal !== undefined,
  timedOut: w.timedOut
})

/** The outputs of a run: a YAML workflow's `outputs:` (its `_outputs` step), else every step's output. */
const outputOf = (output: unknown): unknown =>
  output !== null && typeof output === "object" && "_outputs" in output ? (output as { _outputs: unknown })._outputs : output

/** The store's event types as the API names them. */
const typeOf: Readonly<Record<string, string>> = {
  RunStatus: "run",
  StepStarted: "step.started",
  StepFinished: "step.finished",
  StepDelta: "step.delta",
  Waiting: "wait",
  Signalled: "signal",
  WaitTimedOut: "wait.timed_out",
  CancelRequested: "cancel"
}

const eventOf = (e: StoredEvent): Model.RunEvent => ({
  id: e.seq,
  runId: e.runId,
  type: typeOf[e.type] ?? e.type,
  at: e.at,
  ...(e.stepId !== undefined ? { stepId: e.stepId } : {}),
  ...(e.data !== undefined && e.data !== null ? { data: e.data } : {})
})

/**
 * The service on the `DurableRuns` in context.
 *
 * @example
 * ```ts
 * const runs = yield* DurableRunService.make
 * ```
 */
export const make: Effect.Effect<RunServiceShape, never, DurableRuns> = Effect.gen(function*() {
  const durable: DurableRunsShape = yield* DurableRuns
  const store = durable.runStore
  const configured = yield* DailyBudget.Configured
  const clock = yield* Clock.Clock

  // Registered once per registry entry (a re-registration is a new entry): checking a definition is not free.
  const registered = new WeakSet<object>()

  const view = (runId: string) =>
    durable.get(runId).pipe(
      Effect.catchTag("RunNotFound", () => Effect.fail(notFound(runId))),
      Effect.catchTag("RunStoreError", (e) => Effect.fail(unavailable(e)))
    )

  const service: RunServiceShape = {
    store: durable.store,
    role: durable.role,
    ready: Effect.asVoid(store.listRuns({ limit: 1 })).pipe(Effect.mapError(unavailable)),
    start: ({ entry, input, context, idempotencyKey, traceparent }) =>
      Effect.gen(function*() {
        // The same id DurableRuns derives from the key: known before, it is an existing run.
        const expected = idempotencyKey === undefined
          ? undefined
          : `run-${createHash("sha256").update(`${entry.name}\u0000${idempotencyKey}`).digest("hex").slice(0, 24)}`
        const existed = expected === undefined ? false : (yield* Effect.mapError(store.getRun(expected), unavailable)) !== undefined
        if (!registered.has(entry)) {
          yield* durable.register(entry.graph, { context, source: entry.source === undefined ? undefined : { kind: "server", workflow: entry.name } }).pipe(
            Effect.catchTag("NotDurable", (e) => Effect.fail(new ApiError.Unprocessable({ code: "not_durable", message: e.message, problems: e.problems.map((p) => `${p.stepId}: ${p.message}`) })))
          )
          registered.add(entry)
        }
        const limits = configured[entry.name]
        const daily = limits === undefined ? undefined : { workflow: entry.name, ...limits }
        const run = yield* durable.start(entry.graph, input, { idempotencyKey, traceparent, daily }).pipe(
          Effect.catchTags({
            WorkflowInputError: (e) =>
              Effect.fail(new ApiError.BadRequest({
                code: "invalid_input",
                message: `The input does not match workflow '${entry.name}': ${e.issues.map((i) => `input${i.path === "" ? "" : `.${i.path}`}: ${i.message}`).join("; ")}`,
                errors: e.issues.map((i) => ({ path: i.path === "" ? "input" : `input.${i.path}`, message: i.message }))
              })),
            NotDurable: (e) => Effect.fail(new ApiError.Unprocessable({ code: "not_durable", message: e.message, problems: e.problems.map((p) => `${p.stepId}: ${p.message}`) })),
            RunStoreError: (e) => Effect.fail(unavailable(e))
          })
        )
        return { run: summaryOf(run), created: !existed }
      }),
    get: (runId) =>
      Effect.flatMap(view(runId), ({ run, steps, waits }) => Effect.gen(function*() {
        const limits = configured[run.workflow]
        const dailyBudget = limits === undefined
          ? undefined
          : yield* Effect.mapError(DailyBudget.status(store, { workflow: run.workflow, ...limits }, clock), unavailable)
        const rows = steps.map(stepOf)
        const usage = rows.reduce((sum, s) => ({
          inputTokens: sum.inputTokens + (s.usage?.inputTokens ?? 0),
          outputTokens: sum.outputTokens + (s.usage?.outputTokens ?? 0),
          calls: sum.calls + (s.usage?.calls ?? 0)
        }), { inputTokens: 0, outputTokens: 0, calls: 0 })
        return {
          ...summaryOf(run),
          input: run.input,
          ...(run.output !== undefined ? { output: outputOf(run.output) } : {}),
          ...(run.error !== undefined ? { error: run.error } : {}),
          steps: rows,
          waits: waits.map(waitOf),
          usage,
          costUsd: rows.reduce((sum, s) => sum + (s.costUsd ?? 0), 0),
          ...(dailyBudget === undefined ? {} : { dailyBudget })
        }
      })),
    list: (filter) =>
      Effect.gen(function*() {
        const cursor = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor)
        if (filter.cursor !== undefined && cursor === undefined) {
          return yield* new ApiError.BadRequest({ code: "invalid_request", message: "query.cursor: not a cursor of this server", errors: [{ path: "query.cursor", message: "not a cursor of this server" }] })
        }
        const offset = cursor?.offset ?? 0
        // Newest first from the store; the allow list and the pinned end of the first page are applied here.
        const fetched = yield* store.listRuns({
          status: filter.status,
          workflow: filter.workflow,
          since: filter.since,
          limit: filter.workflows === undefined && cursor === undefined ? offset + filter.limit + 1 : undefined
        }).pipe(Effect.mapError(unavailable))
        const allowed = fetched.filter((r) => filter.workflows === undefined || filter.workflows.includes(r.workflow))
        const until = cursor?.until ?? allowed[0]?.createdAt ?? 0
        const pinned = allowed.filter((r) => r.createdAt <= until)
        const page = pinned.slice(offset, offset + filter.limit).map(summaryOf)
        return offset + filter.limit < pinned.length ? { runs: page, next: encodeCursor({ offset: offset + filter.limit, until }) } : { runs: page }
      }),
    await: (runId, timeout) =>
      durable.await(runId).pipe(
        Effect.timeoutOption(Duration.fromInputUnsafe(timeout)),
        Effect.map((o) => o._tag === "Some"),
        Effect.catchTag("RunNotFound", () => Effect.fail(notFound(runId))),
        Effect.catchTag("RunStoreError", (e) => Effect.fail(unavailable(e)))
      ),
    cancel: (runId) =>
      durable.cancel(runId).pipe(
        Effect.map(summaryOf),
        Effect.catchTags({
          RunNotFound: () => Effect.fail(notFound(runId)),
          RunFinished: (e) => Effect.fail(new ApiError.Conflict({ code: "run_finished", message: e.message })),
          RunStoreError: (e) => Effect.fail(unavailable(e))
        })
      ),
    signal: (runId, stepId, value) =>
      durable.signal(runId, stepId, value).pipe(
        Effect.andThen(Effect.flatMap(view(runId), ({ run }) => Effect.succeed(summaryOf(run)))),
        Effect.catchTags({
          RunNotFound: () => Effect.fail(notFound(runId)),
          RunFinished: (e) => Effect.fail(new ApiError.Conflict({ code: "run_finished", message: e.message })),
          NotAWait: (e) => Effect.fail(new ApiError.Conflict({ code: "not_a_wait", message: e.message })),
          AlreadySignalled: (e) => Effect.fail(new ApiError.Conflict({ code: "already_signalled", message: e.message })),
          SignalInvalid: (e) =>
            Effect.fail(new ApiError.BadRequest({
              code: "invalid_input",
              message: e.message,
              errors: e.issues.map((i) => ({ path: i.path === "" ? "value" : `value.${i.path}`, message: i.message }))
            })),
          WorkflowNotRegistered: (e) => Effect.fail(new ApiError.Conflict({ code: "runner_active", message: e.message })),
          RunStoreError: (e) => Effect.fail(unavailable(e))
        })
      ),
    resume: (runId, force) =>
      durable.resume(runId, { force }).pipe(
        Effect.map(summaryOf),
        Effect.catchTags({
          RunNotFound: () => Effect.fail(notFound(runId)),
          RunFinished: (e) => Effect.fail(new ApiError.Conflict({ code: "run_finished", message: e.message })),
          RunnerActive: (e) => Effect.fail(new ApiError.Conflict({ code: "runner_active", message: e.message })),
          RunStoreError: (e) => Effect.fail(unavailable(e))
        })
      ),
    prune: (olderThanMillis) => durable.prune({ olderThan: Duration.millis(olderThanMillis) }).pipe(Effect.mapError(unavailable)),
    active: store.listRuns({ status: ["pending", "running", "suspended"] }).pipe(
      Effect.map((runs) => {
        const counts = { pending: 0, running: 0, suspended: 0 }
        for (const r of runs) if (r.status === "pending" || r.status === "running" || r.status === "suspended") counts[r.status]++
        return counts
      }),
      Effect.mapError(unavailable)
    ),
    events: (runId, after) => durable.events(runId, after).pipe(Effect.map((events) => events.map(eventOf)), Effect.mapError(unavailable))
  }
  return service
})

/**
 * {@link make} as a layer.
 *
 * @example
 * ```ts
 * DurableRunService.layer.pipe(Layer.provide(DurableRuns.layerMemory))
 * ```
 */
export const layer: Layer.Layer<RunService, never, DurableRuns> = Layer.effect(RunService, make)

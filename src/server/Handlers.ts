/**
 * The handlers of every group of the API, on the services the server is built from: the workflow registry, the run
 * service (durable runs), the key store, the audit log. Handlers check what the role check in the middleware cannot:
 * the caller's workflow allow list (a key for workflow `a` gets 403 on runs of `b`), and the runs a key may have
 * going at once.
 *
 * @example
 * ```ts
 * const routes = HttpApiBuilder.layer(Api.Api).pipe(Layer.provide(Handlers.layer(options)))
 * ```
 */
import { Duration, Effect, Layer, Metric, Redacted, Scope, Stream } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { KeyStore } from "../auth/KeyStore.ts"
import { allows, CurrentPrincipal, type Principal } from "../auth/Principal.ts"
import { version } from "../cli/version.ts"
import * as Prometheus from "../telemetry/Prometheus.ts"
import * as TraceContext from "../telemetry/TraceContext.ts"
import { Api } from "./Api.ts"
import * as ApiError from "./ApiError.ts"
import { AuditLog } from "./AuditLog.ts"
import * as EventStream from "./EventStream.ts"
import type { Limits } from "./Limits.ts"
import type * as Model from "./Model.ts"
import { RunService, type RunServiceShape } from "./RunService.ts"
import { AuditNote } from "./Security.ts"
import * as ServerMetrics from "./ServerMetrics.ts"
import * as VersionHandlers from "./VersionHandlers.ts"
import { detailOf, summaryOf } from "./VersionHandlers.ts"
import { WorkflowRegistry } from "./WorkflowRegistry.ts"
import { WorkflowServices } from "./WorkflowServices.ts"

/**
 * What the handlers need besides their services.
 *
 * @example
 * ```ts
 * Handlers.layer({ limits, stop: Deferred.await(shutdown) })
 * ```
 */
export interface Options {
  readonly limits: Limits
  /** Completes when the server shuts down (event streams end). */
  readonly stop: Effect.Effect<void>
  /** How often event streams read the store (default 100 ms). */
  readonly pollInterval?: Duration.Input | undefined
}

const notAllowed = (who: Principal, workflow: string) =>
  new ApiError.Forbidden({
    code: "workflow_not_allowed",
    message: `This ${who.kind === "key" ? "key" : "token"} may not act on workflow '${workflow}' (allowed: ${who.workflows === "*" ? "all" : who.workflows.join(", ") || "none"})`,
    workflow
  })

const checkWorkflow = (workflow: string) =>
  Effect.flatMap(CurrentPrincipal, (who) => (allows(who, workflow) ? Effect.void : Effect.fail(notAllowed(who, workflow))))

/** A 202 body: the run's summary fields only (a full `Run` would be answered as 200 by the success union). */
const accepted = (run: Model.RunSummary): Model.RunAccepted => ({
  runId: run.runId,
  workflow: run.workflow,
  status: run.status,
  createdAt: run.createdAt,
  ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
  ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
  ...(run.durationMillis !== undefined ? { durationMillis: run.durationMillis } : {}),
  ...(run.blocked !== undefined ? { blocked: run.blocked } : {}),
  links: { self: `/runs/${run.runId}`, events: `/runs/${run.runId}/events` }
})

const principalName = (who: Principal) => `${who.kind}:${who.id}`

/**
 * Runs going at once per caller, and the audit entry of each run's end. A run started here is watched until it
 * finishes: its slot is freed and `run.finished` (by the system, with the run's final status) is appended.
 */
const makeRunSlots = (runs: RunServiceShape, audit: AuditLog["Service"], scope: Scope.Scope, limit: number) => {
  // Reserved synchronously before a run starts, so concurrent requests cannot overshoot the limit.
  const reserved = new Map<string, number>()
  const release = (owner: string) => reserved.set(owner, Math.max(0, (reserved.get(owner) ?? 1) - 1))
  const watch = (owner: string, runId: string, requestId: string, holdsSlot = true) =>
    Effect.gen(function*() {
      while (!(yield* runs.await(runId, "1 hour").pipe(Effect.orElseSucceed(() => true)))) {
        // a long run: keep waiting
      }
      if (holdsSlot) release(owner)
      const final = yield* Effect.result(runs.get(runId))
      const status = final._tag === "Success" ? final.success.status : "unknown"
      // Watched twice (started here, and unfinished when this process started): recorded once.
      const recorded = yield* audit.list({ action: "run.finished", target: `run:${runId}`, limit: 1 }).pipe(Effect.orElseSucceed(() => []))
      if (recorded.length > 0) return
      yield* audit.append({
        actor: { kind: "system", id: "server", name: "server" },
        action: "run.finished",
        target: `run:${runId}`,
        requestId,
        outcome: status === "succeeded" ? "ok" : status === "cancelled" ? "denied" : "error",
        status: status === "succeeded" ? 200 : 500,
        detail: `status=${status}; started by ${owner}`
      }).pipe(Effect.ignore)
    }).pipe(Effect.forkIn(scope), Effect.asVoid)
  return {
    /** Takes a slot; false when the owner has `limit` runs going. */
    reserve: (owner: string): boolean => {
      const n = reserved.get(owner) ?? 0
      if (n >= limit) return false
      reserved.set(owner, n + 1)
      return true
    },
    release,
    /** The reserved slot now belongs to run `runId`, freed when it finishes. */
    watch
  }
}

/**
 * Every group's handlers (they need the services named in the type, plus `Authentication` for the security check).
 *
 * @example
 * ```ts
 * Layer.provide(Handlers.layer(options))
 * ```
 */
export const layer = (options: Options) => {
  const pollInterval = options.pollInterval ?? "100 millis"

  const system = HttpApiBuilder.group(Api, "system", Effect.fn(function*(handlers) {
    const runs = yield* RunService
    return handlers.handleAll({
      health: () => Effect.succeed({ status: "ok" as const, version }),
      ready: () => Effect.as(runs.ready, { status: "ready" as const, store: runs.store, role: runs.role }),
      metrics: () =>
        Effect.gen(function*() {
          // Read at scrape time from the store: the runs of every process on it, not only this one's.
          const active = yield* runs.active.pipe(Effect.orElseSucceed(() => undefined))
          if (active !== undefined) {
            for (const status of ServerMetrics.activeStatuses) yield* Metric.update(Metric.withAttributes(ServerMetrics.runsActive, { status }), active[status])
          }
          return yield* Prometheus.format
        })
    })
  }))

  const workflows = HttpApiBuilder.group(Api, "workflows", Effect.fn(function*(handlers) {
    const registry = yield* WorkflowRegistry
    const registryFailure = (e: { readonly message: string }) => new ApiError.Unavailable({ code: "store_unavailable", message: `Workflow registry: ${e.message}` })
    return handlers.handleAll({
      list: () =>
        Effect.gen(function*() {
          const who = yield* CurrentPrincipal
          const all = yield* registry.list()
          return { workflows: all.filter((e) => allows(who, e.name)).map(summaryOf) }
        }),
      register: ({ payload }) =>
        Effect.gen(function*() {
          const who = yield* CurrentPrincipal
          const definition = typeof payload === "string" ? { source: payload, format: "yaml" as const } : payload
          const entry = yield* registry.register({ source: definition.source, format: definition.format, by: principalName(who) }).pipe(
            Effect.catchTag("RegistryError", (e) => Effect.fail(registryFailure(e)))
          )
          const note = yield* AuditNote
          note.target = `workflow:${entry.name}`
          return detailOf(entry)
        }),
      get: ({ params }) =>
        Effect.gen(function*() {
          yield* checkWorkflow(params.name)
          return detailOf(yield* registry.get(params.name))
        }),
      remove: ({ params }) =>
        Effect.gen(function*() {
          yield* checkWorkflow(params.name)
          yield* registry.remove(params.name).pipe(Effect.catchTag("RegistryError", (e) => Effect.fail(registryFailure(e))))
        })
    })
  }))

  const runsGroup = HttpApiBuilder.group(Api, "runs", Effect.fn(function*(handlers) {
    const registry = yield* WorkflowRegistry
    const runs = yield* RunService
    const audit = yield* AuditLog
    const scope = yield* Scope.Scope
    const slots = makeRunSlots(runs, audit, scope, options.limits.maxConcurrentRuns)
    // Runs that were going when this process started (resumed here after a restart, or run by another process on the
    // store) get their end in the audit log too. The owner is unknown: no slot is held for them.
    const going = yield* runs.list({ status: undefined, limit: 100_000 }).pipe(
      Effect.map((page) => page.runs.filter((r) => r.status === "pending" || r.status === "running" || r.status === "suspended")),
      Effect.orElseSucceed(() => [])
    )
    for (const run of going) yield* slots.watch(`unknown (running when the server started)`, run.runId, "startup", false)
    const services = yield* WorkflowServices
    const runOf = (runId: string) =>
      Effect.gen(function*() {
        const run = yield* runs.get(runId)
        yield* checkWorkflow(run.workflow)
        return run
      })
    return handlers.handleAll({
      start: ({ params, query, headers, payload, request }) =>
        Effect.gen(function*() {
          const who = yield* CurrentPrincipal
          yield* checkWorkflow(params.name)
          // A versioned registry answers the deployed version (or query.version) and refuses what this caller may not start.
          const entry = yield* (registry.forStart === undefined ? registry.get(params.name) : registry.forStart(params.name, { version: query.version, role: who.role }))
          const owner = principalName(who)
          if (!slots.reserve(owner)) {
            return yield* new ApiError.TooManyRequests({
              code: "too_many_runs",
              message: `This ${who.kind === "key" ? "key" : "subject"} already has ${options.limits.maxConcurrentRuns} runs going (the limit); wait for one to finish`
            })
          }
          const started = yield* Effect.exit(Effect.gen(function*() {
            const context = yield* services.contextOf(entry)
            // The run continues the request's span (itself a child of the caller's `traceparent`); with tracing off
            // here, the caller's header is passed on as it is, so a runner that traces still joins the caller's trace.
            const traceparent = (yield* TraceContext.inject) ?? request.headers["traceparent"]
            return yield* runs.start({ entry, input: payload.input ?? {}, context, idempotencyKey: headers["idempotency-key"], traceparent })
          }))
          if (started._tag === "Failure" || !started.value.created) slots.release(owner)
          if (started._tag === "Failure") return yield* Effect.failCause(started.cause)
          const { run, created } = started.value
          const note = yield* AuditNote
          note.target = `run:${run.runId}`
          note.detail = `workflow=${entry.name}${entry.version !== undefined ? `@${entry.version}` : ""}${created ? "" : "; existing run (idempotency key)"}`
          if (created) yield* slots.watch(owner, run.runId, request.headers["x-request-id"] ?? "unknown")
          if (query.wait !== "true") return accepted(run)
          const limit = Math.min(Duration.toMillis(options.limits.maxWait), (query.timeout ?? Infinity) * 1000)
          const finished = yield* runs.await(run.runId, Duration.millis(limit))
          if (!finished) return accepted((yield* runs.get(run.runId)))
          return yield* runs.get(run.runId)
        }),
      list: ({ query }) =>
        Effect.gen(function*() {
          const who = yield* CurrentPrincipal
          if (query.workflow !== undefined) yield* checkWorkflow(query.workflow)
          return yield* runs.list({
            workflow: query.workflow,
            workflows: who.workflows === "*" ? undefined : who.workflows,
            status: query.status,
            since: query.since,
            limit: query.limit ?? 50,
            cursor: query.cursor
          })
        }),
      get: ({ params }) => runOf(params.id),
      events: ({ params, query, headers }) =>
        Effect.gen(function*() {
          yield* runOf(params.id)
          const lastEventId = headers["last-event-id"]
          let after = query.after
          if (lastEventId !== undefined && lastEventId.trim() !== "") {
            const n = Number(lastEventId)
            if (!Number.isInteger(n) || n < 0) {
              return yield* new ApiError.BadRequest({ code: "invalid_request", message: `Last-Event-ID must be an event id of this run (a non-negative integer), got '${lastEventId}'`, errors: [{ path: "headers.last-event-id", message: "not an event id" }] })
            }
            after = Math.max(after ?? 0, n)
          }
          return EventStream.follow(runs, params.id, {
            after,
            filter: EventStream.parseFilter(query.types, query.steps),
            pollInterval,
            stop: options.stop
          }).pipe(Stream.orDie)
        }),
      cancel: ({ params }) => Effect.flatMap(runOf(params.id), () => runs.cancel(params.id)),
      signal: ({ params, payload }) => Effect.flatMap(runOf(params.id), () => runs.signal(params.id, payload.step, payload.value ?? null)),
      resume: ({ params, payload }) => Effect.flatMap(runOf(params.id), () => runs.resume(params.id, payload.force ?? false)),
      prune: ({ payload }) =>
        Effect.map(runs.prune(payload.olderThanDays * 86_400_000), (deleted) => ({ deleted })).pipe(Effect.orDie)
    })
  }))

  const keysGroup = HttpApiBuilder.group(Api, "keys", Effect.fn(function*(handlers) {
    const keys = yield* KeyStore
    return handlers.handleAll({
      list: () => Effect.map(keys.list(), (list) => ({ keys: list })).pipe(Effect.orDie),
      create: ({ payload }) =>
        Effect.gen(function*() {
          const { token, key } = yield* keys.create({ name: payload.name, role: payload.role, workflows: payload.workflows ?? "*", expiresAt: payload.expiresAt }).pipe(Effect.orDie)
          const note = yield* AuditNote
          note.target = `key:${key.id}`
          note.detail = `role=${key.role}; workflows=${key.workflows === "*" ? "*" : key.workflows.join(",")}`
          // The token is shown here, once; it is never logged or audited.
          return { token: Redacted.value(token), key }
        }),
      revoke: ({ params }) =>
        keys.revoke(params.id).pipe(
          Effect.catchTag("KeyNotFound", (e) => Effect.fail(new ApiError.NotFound({ code: "key_not_found", message: e.message }))),
          Effect.catchTag("KeyStoreError", (e) => Effect.die(e))
        )
    })
  }))

  const auditGroup = HttpApiBuilder.group(Api, "audit", Effect.fn(function*(handlers) {
    const log = yield* AuditLog
    return handlers.handleAll({
      list: ({ query }) =>
        Effect.gen(function*() {
          const limit = query.limit ?? 100
          const after = query.cursor === undefined ? undefined : Number(query.cursor)
          const entries = yield* log.list({ action: query.action, actor: query.actor, since: query.since, after: Number.isFinite(after) ? after : undefined, limit: limit + 1 }).pipe(Effect.orDie)
          const page = entries.slice(0, limit)
          return entries.length > limit ? { entries: page, next: String(page[page.length - 1]!.seq) } : { entries: page }
        })
    })
  }))

  return Layer.mergeAll(system, workflows, VersionHandlers.layer, runsGroup, keysGroup, auditGroup)
}



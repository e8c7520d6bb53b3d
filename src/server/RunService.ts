/**
 * What the REST API needs from durable runs, as one small interface: start, read, list, wait for, cancel, signal,
 * resume and prune runs, and read a run's event log after a given event id. The server speaks only to this port; the
 * durable engine (`DurableRuns`, on memory, SQLite or Postgres) implements it (`DurableRunService.ts`), and the CLI
 * uses the same store, so a run started over REST is seen by `llm-orchestrator status` and the other way round.
 *
 * Failures are the API's own errors (`ApiError`), so each implementation decides once how its errors map to HTTP.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RunService } from "llm-orchestrator/server"
 * const view = Effect.flatMap(RunService.RunService, (runs) => runs.get("run-1"))
 * ```
 */
import { Context, type Duration, type Effect } from "effect"
import type * as ApiError from "./ApiError.ts"
import type * as Model from "./Model.ts"
import type { Entry } from "./WorkflowRegistry.ts"

/**
 * A start request: the registered workflow, its input (JSON), the services its steps run with, the idempotency key.
 *
 * @example
 * ```ts
 * runs.start({ entry, input: { query: "hi" }, context, idempotencyKey: "order-42" })
 * ```
 */
export interface StartRequest {
  readonly entry: Entry
  readonly input: unknown
  readonly context: Context.Context<never>
  readonly idempotencyKey?: string | undefined
  /** The W3C `traceparent` the run continues (the request's span, else the caller's header): its spans join that trace. */
  readonly traceparent?: string | undefined
}

/**
 * Filters of `list`; `workflows` narrows to an allow list (the caller's).
 *
 * @example
 * ```ts
 * runs.list({ status: "failed", limit: 20 })
 * ```
 */
export interface ListFilter {
  readonly workflow?: string | undefined
  readonly workflows?: ReadonlyArray<string> | undefined
  readonly status?: Model.RunStatus | undefined
  readonly since?: number | undefined
  readonly limit: number
  readonly cursor?: string | undefined
}

/**
 * The port.
 *
 * @example
 * ```ts
 * const runs = yield* RunService.RunService
 * const started = yield* runs.start(request)
 * ```
 */
export interface RunServiceShape {
  /** The store as it may be printed (`sqlite:.llm-orchestrator/runs.db`, `postgres://u:***@h/db`). */
  readonly store: string
  /** `runner` (this process runs the workflows) or `client`. */
  readonly role: string
  /** Fails when the store does not answer. */
  readonly ready: Effect.Effect<void, ApiError.Unavailable>
  /** Starts a run (durable once this returns); the same idempotency key for the same workflow starts one run. */
  readonly start: (request: StartRequest) => Effect.Effect<
    { readonly run: Model.RunSummary; readonly created: boolean },
    ApiError.BadRequest | ApiError.Unprocessable | ApiError.Conflict | ApiError.Unavailable
  >
  readonly get: (runId: string) => Effect.Effect<Model.Run, ApiError.NotFound | ApiError.Unavailable>
  readonly list: (filter: ListFilter) => Effect.Effect<Model.RunPage, ApiError.BadRequest | ApiError.Unavailable>
  /** Waits until the run has finished or `timeout` passed; true when it finished. */
  readonly await: (runId: string, timeout: Duration.Input) => Effect.Effect<boolean, ApiError.NotFound | ApiError.Unavailable>
  readonly cancel: (runId: string) => Effect.Effect<Model.RunSummary, ApiError.NotFound | ApiError.Conflict | ApiError.Unavailable>
  /** Delivers the value (JSON) of wait step `stepId`. */
  readonly signal: (
    runId: string,
    stepId: string,
    value: unknown
  ) => Effect.Effect<Model.RunSummary, ApiError.NotFound | ApiError.Conflict | ApiError.BadRequest | ApiError.Unavailable>
  readonly resume: (runId: string, force: boolean) => Effect.Effect<Model.RunSummary, ApiError.NotFound | ApiError.Conflict | ApiError.Unprocessable | ApiError.Unavailable>
  /** Deletes finished runs older than `olderThanMillis`; their ids. */
  readonly prune: (olderThanMillis: number) => Effect.Effect<ReadonlyArray<string>, ApiError.Unavailable>
  /** The run's events after event id `after` (all when undefined), in order; ids strictly increase and never repeat. */
  /** How many runs of the store are pending (queued), running and suspended. */
  readonly active: Effect.Effect<Readonly<Record<"pending" | "running" | "suspended", number>>, ApiError.Unavailable>
  readonly events: (runId: string, after: number | undefined) => Effect.Effect<ReadonlyArray<Model.RunEvent>, ApiError.Unavailable>
}

/**
 * The service.
 *
 * @example
 * ```ts
 * Layer.succeed(RunService.RunService, myRuns)
 * ```
 */
export class RunService extends Context.Service<RunService, RunServiceShape>()("llm-orchestrator/server/RunService") {}

/**
 * A page cursor: the offset into the listing, pinned to the newest creation time of the first page so runs created
 * meanwhile do not shift later pages.
 *
 * @example
 * ```ts
 * const c = RunService.encodeCursor({ offset: 50, until: 1760000000000 })
 * RunService.decodeCursor(c) // { offset: 50, until: 1760000000000 }
 * ```
 */
export const encodeCursor = (c: { readonly offset: number; readonly until: number }): string =>
  Buffer.from(JSON.stringify([c.offset, c.until])).toString("base64url")

/**
 * Reads a cursor; undefined when it is not one.
 *
 * @example
 * ```ts
 * RunService.decodeCursor("garbage") // undefined
 * ```
 */
export const decodeCursor = (cursor: string): { readonly offset: number; readonly until: number } | undefined => {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown
    if (Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && v[0] >= 0 && typeof v[1] === "number") return { offset: v[0], until: v[1] }
  } catch {
    // not a cursor
  }
  return undefined
}

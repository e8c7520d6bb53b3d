/**
 * Retention: how long finished runs and audit entries are kept, per workflow, enforced by a scheduled prune. A
 * pruned run goes whole: its input, outputs and errors, its steps, waits and events, the engine's journal of it and
 * its vault of originals (the run store's `prune`, `DurableRuns.prune`, `StoredData`). Unfinished runs (running,
 * suspended) are never pruned, whatever their age.
 *
 * @example
 * ```ts
 * import { Retention } from "llm-orchestrator/governance"
 * const policy: Retention.Policy = { runs: "30 days", workflows: { payments: "400 days" }, audit: "365 days", every: "1 hour" }
 * ```
 */
import { Clock, Duration, Effect, Schedule } from "effect"
import type { DurableRunsShape } from "../durable/DurableRuns.ts"
import type { RunStoreError } from "../store/RunStoreShape.ts"

/**
 * The retention settings.
 *
 * @example
 * ```ts
 * const keepAMonth: Retention.Policy = { runs: "30 days" }
 * ```
 */
export interface Policy {
  /** How long a finished run is kept after it finished, unless its workflow says otherwise (default: forever). */
  readonly runs?: Duration.Input | undefined
  /** Per workflow name: how long its finished runs are kept. */
  readonly workflows?: Readonly<Record<string, Duration.Input>> | undefined
  /** How long audit entries are kept (default 365 days). */
  readonly audit?: Duration.Input | undefined
  /** How often the scheduled prune runs (default 1 hour). */
  readonly every?: Duration.Input | undefined
}

/**
 * What one prune deleted.
 *
 * @example
 * ```ts
 * const report: Retention.Report = { runs: ["run-1"], auditEntries: 12 }
 * ```
 */
export interface Report {
  readonly runs: ReadonlyArray<string>
  readonly auditEntries: number
}

/**
 * Prunes once: each workflow with its own retention, the others with `runs`, audit entries older than `audit`
 * (through `expireAudit`, when the log can expire entries).
 *
 * @example
 * ```ts
 * const report = yield* Retention.prune({ runs: "30 days" }, runs)
 * ```
 */
export const prune = <E = never>(
  policy: Policy,
  runs: DurableRunsShape,
  expireAudit?: ((before: number) => Effect.Effect<number, E>) | undefined
): Effect.Effect<Report, RunStoreError | E> =>
  Effect.gen(function*() {
    const own = Object.entries(policy.workflows ?? {})
    const deleted: Array<string> = []
    for (const [workflow, keep] of own) deleted.push(...(yield* runs.prune({ olderThan: keep, workflow })))
    if (policy.runs !== undefined) deleted.push(...(yield* runs.prune({ olderThan: policy.runs, except: own.map(([w]) => w) })))
    let auditEntries = 0
    if (expireAudit !== undefined) {
      const now = yield* Clock.currentTimeMillis
      auditEntries = yield* expireAudit(now - Duration.toMillis(Duration.fromInputUnsafe(policy.audit ?? "365 days")))
    }
    return { runs: deleted, auditEntries }
  })

/**
 * Prunes now and then every `policy.every`, for as long as it runs (fork it in a scope); a prune that fails is
 * reported through `onProblem` and the schedule goes on.
 *
 * @example
 * ```ts
 * yield* Effect.forkScoped(Retention.schedule(policy, runs))
 * ```
 */
export const schedule = <E = never>(
  policy: Policy,
  runs: DurableRunsShape,
  options: {
    readonly expireAudit?: ((before: number) => Effect.Effect<number, E>) | undefined
    readonly onPrune?: ((report: Report) => void) | undefined
    readonly onProblem?: ((message: string) => void) | undefined
  } = {}
): Effect.Effect<void> =>
  prune(policy, runs, options.expireAudit).pipe(
    Effect.tap((report) => Effect.sync(() => options.onPrune?.(report))),
    Effect.catchCause((cause) => Effect.sync(() => options.onProblem?.(`retention prune failed: ${String((cause as { message?: unknown }).message ?? cause)}`))),
    Effect.repeat(Schedule.spaced(Duration.fromInputUnsafe(policy.every ?? "1 hour"))),
    Effect.asVoid
  )

/**
 * `llm-orchestrator metrics`: the current metrics of a running process (`--url`, its Prometheus `/metrics`), or a
 * summary of the run store's runs over a period (`RunSummary`: per workflow, runs by status, p50/p99 duration, tokens,
 * calls and cost). Spec and flags in `metricsCommand.ts`.
 *
 * @example
 * ```sh
 * llm-orchestrator metrics --url http://localhost:9464/metrics
 * llm-orchestrator metrics --store sqlite:runs.db --since 7d --json
 * ```
 */
import { existsSync } from "node:fs"
import { Effect, Layer, Option } from "effect"
import * as Store from "../durable/Store.ts"
import { RunStore } from "../store/RunStore.ts"
import type { StepRow } from "../store/RunStoreShape.ts"
import * as PrometheusText from "../telemetry/PrometheusText.ts"
import * as RunSummary from "../telemetry/RunSummary.ts"
import { Output } from "./Output.ts"
import { durationMillis, storeOfCommand } from "./RunStoreCli.ts"
import type { MetricsArgs } from "./metricsCommand.ts"

/** Runs `metrics` (loaded by `metricsCommand.ts` when the command runs). */
export const metrics = (args: MetricsArgs) => Option.isSome(args.url) ? scrape(args.url.value, args.raw) : summary(args)

const scrape = (url: string, raw: boolean) =>
  Effect.gen(function*() {
    const o = yield* Output
    const target = /^https?:\/\//.test(url) ? url : `http://${url}`
    const full = new URL(target).pathname === "/" ? new URL("/metrics", target).toString() : target
    const text = yield* Effect.tryPromise({
      try: async (signal) => {
        const res = await fetch(full, { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) })
        if (!res.ok) throw new Error(`HTTP ${res.status} from ${full}`)
        return res.text()
      },
      catch: (e) => (e instanceof Error ? e.message : String(e))
    }).pipe(Effect.result)
    if (text._tag === "Failure") {
      o.err(`error: cannot read metrics from ${full}: ${text.failure}`)
      o.exit(1)
      return
    }
    o.out(raw ? text.success.trimEnd() : PrometheusText.summary(text.success))
  })

/** The summary of the store's runs created since `--since` (24h by default), per workflow. */
const summary = (args: MetricsArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    if (args.raw) {
      o.err("error: --raw needs --url (it prints a running process's exposition)")
      return o.exit(2)
    }
    const sinceText = Option.getOrElse(args.since, () => "24h")
    const period = durationMillis(sinceText)
    const date = Date.parse(sinceText)
    const now = Date.now()
    const since = period !== undefined ? now - period : Number.isNaN(date) ? undefined : date
    if (since === undefined) {
      o.err(`error: --since '${sinceText}' is neither a period (30m, 12h, 7d) nor a date (2026-01-31)`)
      return o.exit(2)
    }
    const choice = yield* storeOfCommand(args.store, args.config, o.cwd)
    if (choice._tag === "Error") {
      o.err(`error: ${choice.message}`)
      return o.exit(2)
    }
    const spec = choice.spec
    if (spec._tag === "memory") {
      o.err("error: a memory store keeps nothing to summarise: name a sqlite:PATH or postgres://... store (or use --url)")
      return o.exit(2)
    }
    // Summarising must not create an empty database where the user mistyped a path.
    if (spec._tag === "sqlite" && !existsSync(spec.filename)) {
      o.err(`error: no run store at ${spec.filename}`)
      return o.exit(1)
    }
    const workflow = Option.getOrUndefined(args.workflow)
    const read = Effect.gen(function*() {
      const store = yield* RunStore
      const runs = yield* store.listRuns({ since, workflow })
      const steps = new Map<string, ReadonlyArray<StepRow>>()
      // One query per run: a summary is read by a person now and then, and the store has no aggregate query.
      yield* Effect.forEach(runs, (run) => Effect.map(store.steps(run.runId), (rows) => void steps.set(run.runId, rows)), { concurrency: 4, discard: true })
      return RunSummary.summarize(runs, (runId) => steps.get(runId) ?? [])
    }).pipe(Effect.provide(RunStore.layerSql.pipe(Layer.provide(Store.sqlLayer(spec)))), Effect.scoped, Effect.result)
    const result = yield* read
    if (result._tag === "Failure") {
      const e = result.failure as { message?: string }
      o.err(`error: cannot read the run store ${Store.show(spec)}: ${e.message ?? String(e)}`)
      return o.exit(1)
    }
    const label = period !== undefined ? `last ${sinceText.trim()}` : `since ${sinceText.trim()}`
    if (args.json) {
      o.out(JSON.stringify({
        store: Store.show(spec),
        since: new Date(since).toISOString(),
        until: new Date(now).toISOString(),
        ...(workflow === undefined ? {} : { workflow }),
        ...result.success
      }, null, 2))
      return
    }
    o.out(RunSummary.render(result.success, workflow === undefined ? label : `${workflow}, ${label}`))
  })

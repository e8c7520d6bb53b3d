/**
 * `--remote URL`: the CLI as a client of a running `llm-orchestrator serve`, through the typed client of the API
 * (`status`, `list`, `run`). Without it, `status` and `list` read the local run store (the server's too, when it runs
 * on the same one). The key is read from `LLM_ORCHESTRATOR_API_KEY` (never a flag value, which would land
 * in the shell history and in `ps`).
 *
 * @example
 * ```sh
 * export LLM_ORCHESTRATOR_API_KEY=llmo_...
 * llm-orchestrator --remote http://127.0.0.1:8080 run greet --input '{"who":"Ada"}' --stream
 * llm-orchestrator --remote http://127.0.0.1:8080 list --status failed
 * llm-orchestrator --remote http://127.0.0.1:8080 status run-123
 * ```
 */
import { Effect, Option, Stream } from "effect"
import * as DurableRuns from "../durable/DurableRuns.ts"
import * as Store from "../durable/Store.ts"
import * as Client from "../server/Client.ts"
import * as DurableRunService from "../server/DurableRunService.ts"
import type { RunServiceShape } from "../server/RunService.ts"
import type * as Model from "../server/Model.ts"
import { parseData } from "./loadData.ts"
import { Output } from "./Output.ts"
import { durationMillis, storeOfCommand } from "./RunStoreCli.ts"
import { Remote } from "./remoteFlag.ts"
import { printPage, printRun } from "./runsView.ts"
import type { StatusArgs } from "./statusCommand.ts"
import type { ListArgs } from "./listCommand.ts"

export { Remote } from "./remoteFlag.ts"

const describeError = (e: unknown): string => {
  const x = e as { _tag?: string; code?: string; message?: string; errors?: ReadonlyArray<{ path: string; message: string }>; reason?: { _tag?: string; description?: string } }
  if (x?._tag === "HttpClientError") return `cannot reach the server: ${x.reason?.description ?? x.message ?? x.reason?._tag ?? "connection failed"}`
  if (typeof x?.code === "string") return `${x.code}: ${x.message ?? ""}${x.errors?.length ? ` (${x.errors.map((i) => `${i.path}: ${i.message}`).join("; ")})` : ""}`
  return x?.message ?? String(e)
}

const exitCodeOf = (e: unknown): number => {
  const tag = (e as { _tag?: string })?._tag
  return tag === "BadRequest" || tag === "NotFound" ? 2 : tag === "Unauthorized" || tag === "Forbidden" ? 3 : 1
}

/** Runs `body` with a client of `url`; prints a failure and sets the exit code. */
export const withClient = <A>(url: string, body: (client: Client.ApiClient) => Effect.Effect<A, unknown, Output>) =>
  Effect.gen(function*() {
    const o = yield* Output
    const result = yield* Effect.result(
      Effect.flatMap(Client.make(url.replace(/\/$/, ""), { token: process.env["LLM_ORCHESTRATOR_API_KEY"] }), body).pipe(Effect.provide(Client.layerHttp))
    )
    if (result._tag === "Failure") {
      o.err(`error: ${describeError(result.failure)}`)
      o.exit(exitCodeOf(result.failure))
    }
  })

/** `status <run-id>` on the server. */
export const remoteStatus = (url: string, runId: string, json: boolean) =>
  withClient(url, (client) =>
    Effect.gen(function*() {
      const o = yield* Output
      printRun(o, yield* client.runs.get({ params: { id: runId } }), json)
    }))

/** `list` on the server. */
export const remoteList = (url: string, filter: { readonly workflow?: string | undefined; readonly status?: Model.RunStatus | undefined; readonly limit?: number | undefined; readonly since?: number | undefined }, json: boolean) =>
  withClient(url, (client) =>
    Effect.gen(function*() {
      const o = yield* Output
      const page = yield* client.runs.list({ query: { ...(filter.workflow ? { workflow: filter.workflow } : {}), ...(filter.status ? { status: filter.status } : {}), ...(filter.limit ? { limit: filter.limit } : {}), ...(filter.since !== undefined ? { since: filter.since } : {}) } })
      printPage(o, page, json)
    }))

/**
 * `run <workflow> --remote`: starts a run of a registered workflow; with `stream`, prints the deltas of streaming
 * steps as they arrive (from the run's SSE), then the outputs.
 */
export const remoteRun = (url: string, name: string, input: unknown, options: { readonly stream: boolean; readonly json: boolean; readonly write: (text: string) => void }) =>
  withClient(url, (client) =>
    Effect.gen(function*() {
      const o = yield* Output
      const started = yield* client.runs.start({ params: { name }, query: options.stream ? {} : { wait: "true" }, headers: {}, payload: { input } })
      let runId = started.runId
      if (options.stream) {
        yield* Client.follow(client, runId, { types: "step.delta,run" }).pipe(
          Stream.runForEach((e) => Effect.sync(() => {
            if (e.type === "step.delta") options.write((e.data as { text: string }).text)
          }))
        )
        options.write("\n")
      } else if (!("steps" in started)) {
        // the wait timed out on the server: follow until the end
        yield* Client.follow(client, runId, { types: "run" }).pipe(Stream.runDrain)
      }
      runId = started.runId
      const run = yield* client.runs.get({ params: { id: runId } })
      if (options.json) o.out(JSON.stringify(run, null, 2))
      else if (run.output !== undefined) o.out(JSON.stringify(run.output, null, 2))
      if (run.status !== "succeeded") {
        o.err(`run ${run.runId} ${run.status}${run.error !== undefined ? `: ${JSON.stringify(run.error)}` : ""}`)
        o.exit(1)
      }
    }))


/** The run service of a local store (as a client: it never runs workflows), for `status` and `list` without `--remote`. */
const withLocal = <A>(store: Option.Option<string>, config: Option.Option<string>, body: (runs: RunServiceShape) => Effect.Effect<A, unknown, Output>) =>
  Effect.gen(function*() {
    const o = yield* Output
    const choice = yield* storeOfCommand(store, config, o.cwd)
    if (choice._tag === "Error") {
      o.err(`error: ${choice.message}`)
      return o.exit(2)
    }
    const result = yield* Effect.result(
      Effect.flatMap(DurableRunService.make, body).pipe(
        Effect.provide(DurableRuns.layer({ store: choice.spec, role: "client", onProblem: () => {} })),
        Effect.scoped
      )
    )
    if (result._tag === "Failure") {
      o.err(`error: ${describeError(result.failure)}`)
      o.exit(exitCodeOf(result.failure))
    }
  })

const terminal = new Set(["succeeded", "failed", "cancelled"])

/**
 * `status <run-id> [--watch] [--json]`: a run's state, steps (attempts, durations, tokens, cost) and outputs, from the
 * store or `--remote`. `--watch` prints it again whenever it changes, until it finishes (or suspends, with `--json`:
 * one document per change).
 */
export const status = (args: StatusArgs) =>
  Effect.gen(function*() {
    const remote = yield* Remote
    const watch = (get: Effect.Effect<Model.Run, unknown>) =>
      Effect.gen(function*() {
        const o = yield* Output
        let last = ""
        while (true) {
          const run = yield* get
          const key = JSON.stringify({ ...run, steps: run.steps.map((x) => ({ ...x, startedAt: 0 })) })
          if (key !== last) {
            if (last !== "" && !args.json) o.out("")
            printRun(o, run, args.json)
            last = key
          }
          if (!args.watch || terminal.has(run.status)) return
          if (run.status === "suspended" && run.waits.some((w) => !w.signalled && !w.timedOut) && !o.isTTY && args.json) return
          yield* Effect.sleep(`${Math.max(50, args.interval)} millis`)
        }
      })
    if (Option.isSome(remote)) {
      return yield* withClient(remote.value, (client) => watch(client.runs.get({ params: { id: args.runId } })))
    }
    return yield* withLocal(args.store, args.config, (runs) => watch(runs.get(args.runId)))
  })

/** `list`: runs, newest first, as a table (or `--json`), from the store or `--remote`. */
export const list = (args: ListArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const remote = yield* Remote
    let since: number | undefined
    if (Option.isSome(args.since)) {
      const period = durationMillis(args.since.value)
      const date = Date.parse(args.since.value)
      since = period !== undefined ? Date.now() - period : Number.isNaN(date) ? undefined : date
      if (since === undefined) {
        o.err(`error: --since '${args.since.value}' is neither a period (30m, 12h, 7d) nor a date (2026-01-31)`)
        return o.exit(2)
      }
    }
    if (Option.isSome(args.limit) && args.limit.value < 1) {
      o.err("error: --limit must be at least 1")
      return o.exit(2)
    }
    const filter = { workflow: Option.getOrUndefined(args.workflow), status: Option.getOrUndefined(args.status), limit: Option.getOrUndefined(args.limit), since }
    if (Option.isSome(remote)) return yield* remoteList(remote.value, filter, args.json)
    return yield* withLocal(args.store, args.config, (runs) =>
      Effect.gen(function*() {
        const page = yield* runs.list({ workflow: filter.workflow, status: filter.status, since: filter.since, limit: filter.limit ?? 50 })
        printPage(o, page, args.json)
      }))
  })

/** Parses `--input` for a remote run. */
export const remoteInput = (text: string | undefined): { readonly _tag: "Ok"; readonly value: unknown } | { readonly _tag: "Error"; readonly message: string } =>
  text === undefined ? { _tag: "Ok", value: {} } : parseData(text, "--input")

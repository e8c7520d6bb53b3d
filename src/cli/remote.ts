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
import { Argument, Command, Flag, GlobalFlag } from "effect/cli"
import * as DurableRuns from "../durable/DurableRuns.ts"
import * as Store from "../durable/Store.ts"
import * as Client from "../server/Client.ts"
import * as DurableRunService from "../server/DurableRunService.ts"
import type { RunServiceShape } from "../server/RunService.ts"
import type * as Model from "../server/Model.ts"
import { parseData } from "./loadData.ts"
import { Output, style } from "./Output.ts"

/**
 * The global `--remote URL` flag.
 *
 * @example
 * ```ts
 * const remote = yield* Remote // Option<string>
 * ```
 */
export const Remote = GlobalFlag.Setting("remote")({
  flag: Flag.String("remote").pipe(Flag.withDescription("Act on the server at this URL (key from LLM_ORCHESTRATOR_API_KEY)"), Flag.optional)
})

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

const printRun = (o: Output["Service"], run: Model.Run, json: boolean) => {
  if (json) return o.out(JSON.stringify(run, null, 2))
  const s = style(o.color)
  o.out(`${run.runId}  ${run.workflow}  ${run.status}${run.durationMillis !== undefined ? `  ${run.durationMillis}ms` : ""}${run.costUsd > 0 ? `  $${run.costUsd.toFixed(4)}` : ""}`)
  for (const step of run.steps) {
    const mark = step.status === "succeeded" ? s.green("ok") : step.status === "failed" ? s.red("failed") : step.status
    o.out(`  ${step.stepId.padEnd(24)} ${mark}  attempts ${step.attempts}${step.durationMillis !== undefined ? `  ${step.durationMillis}ms` : ""}${step.usage ? `  tokens ${step.usage.inputTokens}/${step.usage.outputTokens}` : ""}`)
  }
  for (const w of run.waits.filter((w) => !w.signalled)) o.out(`  waiting at ${w.stepId}`)
  if (run.output !== undefined) o.out(JSON.stringify(run.output, null, 2))
  if (run.error !== undefined) o.err(`error: ${JSON.stringify(run.error)}`)
}

const printPage = (o: Output["Service"], page: Model.RunPage, json: boolean) => {
  if (json) return o.out(JSON.stringify(page, null, 2))
  if (page.runs.length === 0) return o.out("no runs")
  for (const r of page.runs) o.out(`${r.runId}  ${r.workflow.padEnd(20)} ${r.status.padEnd(10)} ${new Date(r.createdAt).toISOString()}${r.durationMillis !== undefined ? `  ${r.durationMillis}ms` : ""}`)
}

/** `status <run-id>` on the server. */
export const remoteStatus = (url: string, runId: string, json: boolean) =>
  withClient(url, (client) =>
    Effect.gen(function*() {
      const o = yield* Output
      printRun(o, yield* client.runs.get({ params: { id: runId } }), json)
    }))

/** `list` on the server. */
export const remoteList = (url: string, filter: { readonly workflow?: string | undefined; readonly status?: Model.RunStatus | undefined; readonly limit?: number | undefined }, json: boolean) =>
  withClient(url, (client) =>
    Effect.gen(function*() {
      const o = yield* Output
      const page = yield* client.runs.list({ query: { ...(filter.workflow ? { workflow: filter.workflow } : {}), ...(filter.status ? { status: filter.status } : {}), ...(filter.limit ? { limit: filter.limit } : {}) } })
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

const storeFlag = Flag.String("store").pipe(
  Flag.withDescription("The run store (without --remote): sqlite:PATH or postgres://... (default: LLM_ORCHESTRATOR_STORE, else .llm-orchestrator/runs.db)"),
  Flag.optional
)

/** The run service of a local store (as a client: it never runs workflows), for `status` and `list` without `--remote`. */
const withLocal = <A>(store: Option.Option<string>, body: (runs: RunServiceShape) => Effect.Effect<A, unknown, Output>) =>
  Effect.gen(function*() {
    const o = yield* Output
    const text = Option.getOrUndefined(store) ?? process.env["LLM_ORCHESTRATOR_STORE"]
    const spec = text === undefined ? Store.defaultSpec(o.cwd) : Store.parse(text)
    if (spec === undefined) {
      o.err(`error: unknown store '${text}': use sqlite:PATH (or a .db file) or postgres://user@host:port/db`)
      return o.exit(2)
    }
    const result = yield* Effect.result(
      Effect.flatMap(DurableRunService.make, body).pipe(
        Effect.provide(DurableRuns.layer({ store: spec, role: "client", onProblem: () => {} })),
        Effect.scoped
      )
    )
    if (result._tag === "Failure") {
      o.err(`error: ${describeError(result.failure)}`)
      o.exit(exitCodeOf(result.failure))
    }
  })

/** `status <run-id>`: a run's state, steps (attempts, durations, tokens) and outputs, from the store or `--remote`. */
export const statusCommand = Command.make("status", {
  runId: Argument.String("run-id"),
  json: Flag.Boolean("json").pipe(Flag.withDefault(false)),
  store: storeFlag
}, (args) =>
  Effect.gen(function*() {
    const remote = yield* Remote
    if (Option.isSome(remote)) return yield* remoteStatus(remote.value, args.runId, args.json)
    return yield* withLocal(args.store, (runs) => Effect.flatMap(Output, (o) => Effect.map(runs.get(args.runId), (run) => printRun(o, run, args.json))))
  })).pipe(Command.withDescription("Show a run: status, steps (attempts, durations, tokens, cost), waits, outputs"))

/** `list`: runs, newest first, from the store or `--remote`. */
export const listCommand = Command.make("list", {
  workflow: Flag.String("workflow").pipe(Flag.optional),
  status: Flag.Literals("status", ["pending", "running", "suspended", "succeeded", "failed", "cancelled"]).pipe(Flag.optional),
  limit: Flag.Int("limit").pipe(Flag.optional),
  json: Flag.Boolean("json").pipe(Flag.withDefault(false)),
  store: storeFlag
}, (args) =>
  Effect.gen(function*() {
    const remote = yield* Remote
    const filter = { workflow: Option.getOrUndefined(args.workflow), status: Option.getOrUndefined(args.status), limit: Option.getOrUndefined(args.limit) }
    if (Option.isSome(remote)) return yield* remoteList(remote.value, filter, args.json)
    return yield* withLocal(args.store, (runs) =>
      Effect.gen(function*() {
        const o = yield* Output
        const page = yield* runs.list({ workflow: filter.workflow, status: filter.status, limit: filter.limit ?? 50 })
        printPage(o, page, args.json)
      }))
  })).pipe(Command.withDescription("List runs, newest first"))

/** Parses `--input` for a remote run. */
export const remoteInput = (text: string | undefined): { readonly _tag: "Ok"; readonly value: unknown } | { readonly _tag: "Error"; readonly message: string } =>
  text === undefined ? { _tag: "Ok", value: {} } : parseData(text, "--input")

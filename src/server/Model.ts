/**
 * The JSON bodies of the REST API: workflows, runs with their steps and waits, run events, API keys and audit
 * entries. Times are epoch milliseconds.
 *
 * @example
 * ```ts
 * import { Model } from "llm-orchestrator/server"
 * const run: Model.Run = yield* client.runs.get({ params: { id: "run-1" } })
 * run.steps.map((s) => `${s.stepId}: ${s.status} (${s.attempts} attempts)`)
 * ```
 */
import { Schema } from "effect"
import { KeyInfo } from "../auth/KeyStore.ts"
import { Role } from "../auth/Role.ts"
import { State } from "./Lifecycle.ts"

/**
 * How a workflow was registered.
 *
 * @example
 * ```ts
 * const f: Model.WorkflowFormat = "yaml"
 * ```
 */
export const WorkflowFormat = Schema.Literals(["yaml", "json", "typescript"])
/** The type of {@link WorkflowFormat}. */
export type WorkflowFormat = typeof WorkflowFormat.Type

/**
 * A registered workflow, as listed.
 *
 * @example
 * ```ts
 * const names = (yield* client.workflows.list()).workflows.map((w: Model.WorkflowSummary) => w.name)
 * ```
 */
export const WorkflowSummary = Schema.Struct({
  name: Schema.String,
  description: Schema.optionalKey(Schema.String),
  format: WorkflowFormat,
  /** The names of its inputs. */
  inputs: Schema.Array(Schema.String),
  /** The ids of its top-level steps. */
  steps: Schema.Array(Schema.String),
  registeredAt: Schema.Number,
  registeredBy: Schema.String,
  /** The version number (YAML/JSON workflows; each registration of a changed text adds one). */
  version: Schema.optionalKey(Schema.Number),
  /** The definition's own `version:` field, else `v<number>`. */
  label: Schema.optionalKey(Schema.String),
  /** SHA-256 of the definition's text. */
  hash: Schema.optionalKey(Schema.String),
  /** Where the version is in its lifecycle. */
  state: Schema.optionalKey(State)
}).annotate({ identifier: "WorkflowSummary" })
/** The type of {@link WorkflowSummary}. */
export type WorkflowSummary = typeof WorkflowSummary.Type

/**
 * A registered workflow with its graph (Mermaid), input JSON Schema and source text (YAML/JSON workflows).
 *
 * @example
 * ```ts
 * const wf = yield* client.workflows.get({ params: { name: "rag" } })
 * console.log(wf.mermaid)
 * ```
 */
export const WorkflowDetail = Schema.Struct({
  ...WorkflowSummary.fields,
  mermaid: Schema.String,
  /** JSON Schema (draft 2020-12) of the run input. */
  inputSchema: Schema.Unknown,
  source: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "WorkflowDetail" })
/** The type of {@link WorkflowDetail}. */
export type WorkflowDetail = typeof WorkflowDetail.Type

/**
 * A registration: the workflow's YAML or JSON text. `format` defaults to what the text looks like.
 *
 * @example
 * ```ts
 * yield* client.workflows.register({ payload: { source: readFileSync("rag.yaml", "utf8") } })
 * ```
 */
export const RegisterWorkflow = Schema.Struct({
  source: Schema.String,
  format: Schema.optionalKey(Schema.Literals(["yaml", "json"]))
}).annotate({ identifier: "RegisterWorkflow" })

/**
 * The status of a run.
 *
 * @example
 * ```ts
 * const s: Model.RunStatus = "suspended"
 * ```
 */
export const RunStatus = Schema.Literals(["pending", "running", "suspended", "succeeded", "failed", "cancelled"])
/** The type of {@link RunStatus}. */
export type RunStatus = typeof RunStatus.Type

/**
 * Tokens and model calls.
 *
 * @example
 * ```ts
 * const u: Model.Usage = { inputTokens: 120, outputTokens: 40, calls: 2 }
 * ```
 */
export const Usage = Schema.Struct({ inputTokens: Schema.Number, outputTokens: Schema.Number, calls: Schema.Number })
/** The type of {@link Usage}. */
export type Usage = typeof Usage.Type

/**
 * One unit of work of a run: a step, a map item (`path#i`) or a loop iteration (`path@n`).
 *
 * @example
 * ```ts
 * run.steps.filter((s: Model.Step) => s.status === "failed")
 * ```
 */
export const Step = Schema.Struct({
  name: Schema.String,
  stepId: Schema.String,
  kind: Schema.String,
  status: Schema.Literals(["running", "succeeded", "failed", "interrupted", "skipped"]),
  attempts: Schema.Number,
  startedAt: Schema.optionalKey(Schema.Number),
  finishedAt: Schema.optionalKey(Schema.Number),
  durationMillis: Schema.optionalKey(Schema.Number),
  usage: Schema.optionalKey(Usage),
  costUsd: Schema.optionalKey(Schema.Number),
  error: Schema.optionalKey(Schema.Unknown)
}).annotate({ identifier: "Step" })
/** The type of {@link Step}. */
export type Step = typeof Step.Type

/**
 * A wait step of a run (human in the loop) and whether its signal arrived.
 *
 * @example
 * ```ts
 * const open = run.waits.filter((w: Model.Wait) => !w.signalled)
 * ```
 */
export const Wait = Schema.Struct({
  stepId: Schema.String,
  request: Schema.optionalKey(Schema.Unknown),
  waitingSince: Schema.optionalKey(Schema.Number),
  deadlineAt: Schema.optionalKey(Schema.Number),
  signalled: Schema.Boolean,
  timedOut: Schema.Boolean
}).annotate({ identifier: "Wait" })
/** The type of {@link Wait}. */
export type Wait = typeof Wait.Type

/**
 * A run as listed.
 *
 * @example
 * ```ts
 * const page = yield* client.runs.list({ query: { status: "failed" } })
 * page.runs.map((r: Model.RunSummary) => r.runId)
 * ```
 */
export const RunSummary = Schema.Struct({
  runId: Schema.String,
  workflow: Schema.String,
  status: RunStatus,
  createdAt: Schema.Number,
  startedAt: Schema.optionalKey(Schema.Number),
  finishedAt: Schema.optionalKey(Schema.Number),
  durationMillis: Schema.optionalKey(Schema.Number),
  /** Why the run cannot go on in this process, when it cannot. */
  blocked: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "RunSummary" })
/** The type of {@link RunSummary}. */
export type RunSummary = typeof RunSummary.Type

/**
 * A run started and not (yet) finished: what `POST /workflows/{name}/runs` answers with 202 (without `wait`, or when
 * the wait timed out).
 *
 * @example
 * ```ts
 * const started = yield* client.runs.start({ params: { name: "rag" }, payload: { input: { query: "hi" } }, query: {}, headers: {} })
 * ```
 */
export const RunAccepted = Schema.Struct({
  ...RunSummary.fields,
  /** Where to read the run and its events. */
  links: Schema.Struct({ self: Schema.String, events: Schema.String })
}).annotate({ identifier: "RunAccepted" })
/** The type of {@link RunAccepted}. */
export type RunAccepted = typeof RunAccepted.Type

/**
 * Where a workflow's daily budget stands today (UTC): its limits, what finished calls spent and calls in flight
 * reserved, the calls it admitted and refused.
 *
 * @example
 * ```ts
 * const run = yield* client.runs.get({ params: { id } })
 * if (run.dailyBudget !== undefined) console.log(run.dailyBudget.spentUsd, "of", run.dailyBudget.limitUsd)
 * ```
 */
export const DailyBudget = Schema.Struct({
  workflow: Schema.String,
  day: Schema.String,
  limitUsd: Schema.optionalKey(Schema.Number),
  limitTokens: Schema.optionalKey(Schema.Number),
  spentUsd: Schema.Number,
  spentTokens: Schema.Number,
  reservedUsd: Schema.Number,
  reservedTokens: Schema.Number,
  calls: Schema.Number,
  refused: Schema.Number
}).annotate({ identifier: "DailyBudget" })
/** The type of {@link DailyBudget}. */
export type DailyBudget = typeof DailyBudget.Type

/**
 * A run with its input, outputs or error, steps (attempts, durations, tokens, cost), waits, and totals.
 *
 * @example
 * ```ts
 * const run = yield* client.runs.get({ params: { id } })
 * console.log(run.status, run.usage.outputTokens, run.costUsd)
 * ```
 */
export const Run = Schema.Struct({
  ...RunSummary.fields,
  input: Schema.Unknown,
  output: Schema.optionalKey(Schema.Unknown),
  error: Schema.optionalKey(Schema.Unknown),
  steps: Schema.Array(Step),
  waits: Schema.Array(Wait),
  usage: Usage,
  costUsd: Schema.Number,
  /** The workflow's daily budget today, when the server gives it one (`dailyBudgets`). */
  dailyBudget: Schema.optionalKey(DailyBudget)
}).annotate({ identifier: "Run" })
/** The type of {@link Run}. */
export type Run = typeof Run.Type

/**
 * A page of runs; `next` is the cursor of the next page (absent on the last).
 *
 * @example
 * ```ts
 * let page = yield* client.runs.list({ query: { limit: 50 } })
 * while (page.next !== undefined) page = yield* client.runs.list({ query: { limit: 50, cursor: page.next } })
 * ```
 */
export const RunPage = Schema.Struct({ runs: Schema.Array(RunSummary), next: Schema.optionalKey(Schema.String) }).annotate({ identifier: "RunPage" })
/** The type of {@link RunPage}. */
export type RunPage = typeof RunPage.Type

/**
 * One event of a run, as SSE sends it (`id:` is `id`, `event:` is `type`, `data:` this object as JSON). `id` is
 * strictly increasing within a run and never repeats.
 *
 * Types: `run` (status changed: `data.status`), `step.started`, `step.finished` (`data.status`, `attempts`, `error`),
 * `step.delta` (`data.text`: the next piece of a streaming LLM step's answer), `wait` (`data.request`), `signal`,
 * `cancel`.
 *
 * @example
 * ```ts
 * if (event.type === "step.delta") process.stdout.write((event.data as { text: string }).text)
 * ```
 */
export const RunEvent = Schema.Struct({
  id: Schema.Number,
  runId: Schema.String,
  type: Schema.String,
  at: Schema.Number,
  stepId: Schema.optionalKey(Schema.String),
  data: Schema.optionalKey(Schema.Unknown)
}).annotate({ identifier: "RunEvent" })
/** The type of {@link RunEvent}. */
export type RunEvent = typeof RunEvent.Type

/**
 * Who did something, as the audit log records it (never a credential).
 *
 * @example
 * ```ts
 * const a: Model.Actor = { kind: "key", id: "0123456789ab", name: "ci", role: "runner" }
 * ```
 */
export const Actor = Schema.Struct({
  kind: Schema.Literals(["key", "jwt", "anonymous", "system"]),
  id: Schema.String,
  name: Schema.String,
  role: Schema.optionalKey(Role)
})
/** The type of {@link Actor}. */
export type Actor = typeof Actor.Type

/**
 * One entry of the audit log: who (with role), what (`action`, e.g. `runs.start`, `run.finished`), on what
 * (`target`: `workflow:rag`, `run:run-1`, `key:0123456789ab`), the request id, the outcome and HTTP status, when.
 *
 * @example
 * ```ts
 * const page = yield* client.audit.list({ query: { action: "runs.start" } })
 * ```
 */
export const AuditEntry = Schema.Struct({
  seq: Schema.Number,
  at: Schema.Number,
  actor: Actor,
  action: Schema.String,
  target: Schema.optionalKey(Schema.String),
  requestId: Schema.String,
  outcome: Schema.Literals(["ok", "denied", "error"]),
  status: Schema.Number,
  detail: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "AuditEntry" })
/** The type of {@link AuditEntry}. */
export type AuditEntry = typeof AuditEntry.Type

/**
 * A page of audit entries, oldest first; `next` continues after the last one.
 *
 * @example
 * ```ts
 * const { entries, next } = yield* client.audit.list({ query: {} })
 * ```
 */
export const AuditPage = Schema.Struct({ entries: Schema.Array(AuditEntry), next: Schema.optionalKey(Schema.String) }).annotate({ identifier: "AuditPage" })
/** The type of {@link AuditPage}. */
export type AuditPage = typeof AuditPage.Type

/**
 * A new API key: its token, shown this once, and its record.
 *
 * @example
 * ```ts
 * const { token, key } = yield* client.keys.create({ payload: { name: "ci", role: "runner" } })
 * ```
 */
export const CreatedKey = Schema.Struct({ token: Schema.String, key: KeyInfo }).annotate({ identifier: "CreatedKey" })
/** The type of {@link CreatedKey}. */
export type CreatedKey = typeof CreatedKey.Type

export { KeyInfo }

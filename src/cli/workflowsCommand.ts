/**
 * `llm-orchestrator --remote URL workflows ...`: the versioned registry of a running server, through its REST API
 * (key from `LLM_ORCHESTRATOR_API_KEY`): list workflows, register a YAML/JSON file (a changed text is a new version),
 * list and show versions, and move a version through its lifecycle (submit, approve, reject, deploy, deprecate).
 *
 * @example
 * ```sh
 * export LLM_ORCHESTRATOR_API_KEY=llmo_...
 * llm-orchestrator --remote http://127.0.0.1:8080 workflows register review.yaml   # version 3 (draft)
 * llm-orchestrator --remote http://127.0.0.1:8080 workflows submit review 3
 * LLM_ORCHESTRATOR_API_KEY=llmo_<another admin> llm-orchestrator --remote http://127.0.0.1:8080 workflows approve review 3
 * llm-orchestrator --remote http://127.0.0.1:8080 workflows deploy review 3
 * llm-orchestrator --remote http://127.0.0.1:8080 workflows versions review
 * ```
 */
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type * as Model from "../server/Model.ts"
import { Output } from "./Output.ts"
import { Remote, withClient } from "./remote.ts"

const json = Flag.Boolean("json").pipe(Flag.withDescription("Print JSON"), Flag.withDefault(false))
const name = Argument.String("name").pipe(Argument.withDescription("The workflow's name"))
const version = Argument.Int("version").pipe(Argument.withDescription("The version number"))

const line = (w: Model.WorkflowSummary) =>
  `${w.name}${w.version !== undefined ? `  v${w.version}` : ""}${w.label !== undefined && w.label !== `v${w.version}` ? ` (${w.label})` : ""}  ${w.state ?? w.format}  ${w.hash?.slice(0, 12) ?? ""}  by ${w.registeredBy} ${new Date(w.registeredAt).toISOString()}`

/** Runs `body` against the server of `--remote`; without it, says so (exit 2). */
const remote = <A>(body: (url: string) => Effect.Effect<A, unknown, Output>) =>
  Effect.gen(function*() {
    const o = yield* Output
    const url = yield* Remote
    if (Option.isNone(url)) {
      o.err("error: workflows acts on a server: give --remote URL (and the key in LLM_ORCHESTRATOR_API_KEY)")
      o.exit(2)
      return
    }
    yield* body(url.value)
  })

const list = Command.make("list", { json }, (args) =>
  remote((url) =>
    withClient(url, (client) =>
      Effect.gen(function*() {
        const o = yield* Output
        const { workflows } = yield* client.workflows.list()
        if (args.json) return o.out(JSON.stringify(workflows, null, 2))
        if (workflows.length === 0) return o.out("no workflows")
        for (const w of workflows) o.out(line(w))
      })))).pipe(Command.withDescription("List the server's workflows (the deployed version of each, else the newest)"))

const register = Command.make("register", { file: Argument.String("file").pipe(Argument.withDescription("A YAML or JSON workflow file")), json }, (args) =>
  remote((url) =>
    withClient(url, (client) =>
      Effect.gen(function*() {
        const o = yield* Output
        const source = readFileSync(resolve(o.cwd, args.file), "utf8")
        const entry = yield* client.workflows.register({ payload: { source, ...(/\.json$/i.test(args.file) ? { format: "json" as const } : {}) } })
        if (args.json) return o.out(JSON.stringify(entry, null, 2))
        o.out(line(entry))
      })))).pipe(Command.withDescription("Register a workflow file (a changed text adds a version; the same text is the same version)"))

const versions = Command.make("versions", { name, json }, (args) =>
  remote((url) =>
    withClient(url, (client) =>
      Effect.gen(function*() {
        const o = yield* Output
        const result = yield* client.versions.list({ params: { name: args.name } })
        if (args.json) return o.out(JSON.stringify(result.versions, null, 2))
        for (const v of result.versions) o.out(line(v))
      })))).pipe(Command.withDescription("List every version of a workflow with its state"))

const show = Command.make("show", { name, version, json }, (args) =>
  remote((url) =>
    withClient(url, (client) =>
      Effect.gen(function*() {
        const o = yield* Output
        const v = yield* client.versions.get({ params: { name: args.name, version: args.version } })
        if (args.json) return o.out(JSON.stringify(v, null, 2))
        o.out(line(v))
        if (v.source !== undefined) o.out(v.source)
      })))).pipe(Command.withDescription("Show one version (its state and source)"))

const transition = (t: "submit" | "approve" | "reject" | "deploy" | "deprecate", description: string) =>
  Command.make(t, { name, version, json }, (args) =>
    remote((url) =>
      withClient(url, (client) =>
        Effect.gen(function*() {
          const o = yield* Output
          const v = yield* client.versions[t]({ params: { name: args.name, version: args.version } })
          if (args.json) return o.out(JSON.stringify(v, null, 2))
          o.out(line(v))
        })))).pipe(Command.withDescription(description))

/** `workflows`. */
export const workflowsCommand = Command.make("workflows").pipe(
  Command.withDescription("The server's versioned workflows and their approval lifecycle (with --remote)"),
  Command.withSubcommands([
    list,
    register,
    versions,
    show,
    transition("submit", "Submit a draft version for approval"),
    transition("approve", "Approve a version pending approval (an admin other than its author)"),
    transition("reject", "Send a version pending approval back to draft"),
    transition("deploy", "Deploy an approved version (the version deployed before is deprecated)"),
    transition("deprecate", "Deprecate a version: it starts no new runs; its runs going finish on it")
  ])
)

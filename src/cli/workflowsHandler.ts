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
import type * as Model from "../server/Model.ts"
import { Output } from "./Output.ts"
import { Remote, withClient } from "./remote.ts"
import type { WorkflowsArgs, WorkflowsFileArgs, WorkflowsNameArgs, WorkflowsVersionArgs } from "./workflowsCommand.ts"

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

/** Runs `workflows list`. */
export const list = (args: WorkflowsArgs) =>
  remote((url) =>
    withClient(url, (client) =>
      Effect.gen(function*() {
        const o = yield* Output
        const { workflows } = yield* client.workflows.list()
        if (args.json) return o.out(JSON.stringify(workflows, null, 2))
        if (workflows.length === 0) return o.out("no workflows")
        for (const w of workflows) o.out(line(w))
      })))

/** Runs `workflows register`. */
export const register = (args: WorkflowsFileArgs) =>
  remote((url) =>
    withClient(url, (client) =>
      Effect.gen(function*() {
        const o = yield* Output
        const source = readFileSync(resolve(o.cwd, args.file), "utf8")
        const entry = yield* client.workflows.register({ payload: { source, ...(/\.json$/i.test(args.file) ? { format: "json" as const } : {}) } })
        if (args.json) return o.out(JSON.stringify(entry, null, 2))
        o.out(line(entry))
      })))

/** Runs `workflows versions`. */
export const versions = (args: WorkflowsNameArgs) =>
  remote((url) =>
    withClient(url, (client) =>
      Effect.gen(function*() {
        const o = yield* Output
        const result = yield* client.versions.list({ params: { name: args.name } })
        if (args.json) return o.out(JSON.stringify(result.versions, null, 2))
        for (const v of result.versions) o.out(line(v))
      })))

/** Runs `workflows show`. */
export const show = (args: WorkflowsVersionArgs) =>
  remote((url) =>
    withClient(url, (client) =>
      Effect.gen(function*() {
        const o = yield* Output
        const v = yield* client.versions.get({ params: { name: args.name, version: args.version } })
        if (args.json) return o.out(JSON.stringify(v, null, 2))
        o.out(line(v))
        if (v.source !== undefined) o.out(v.source)
      })))

/** Runs `workflows submit|approve|reject|deploy|deprecate`. */
export const transition = (t: "submit" | "approve" | "reject" | "deploy" | "deprecate", args: WorkflowsVersionArgs) =>
  remote((url) =>
    withClient(url, (client) =>
      Effect.gen(function*() {
        const o = yield* Output
        const v = yield* client.versions[t]({ params: { name: args.name, version: args.version } })
        if (args.json) return o.out(JSON.stringify(v, null, 2))
        o.out(line(v))
      })))

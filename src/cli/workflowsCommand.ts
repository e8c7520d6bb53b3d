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
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"

const json = Flag.Boolean("json").pipe(Flag.withDescription("Print JSON"), Flag.withDefault(false))
const name = Argument.String("name").pipe(Argument.withDescription("The workflow's name"))
const version = Argument.Int("version").pipe(Argument.withDescription("The version number"))

const listConfig = { json }
const fileConfig = { file: Argument.String("file").pipe(Argument.withDescription("A YAML or JSON workflow file")), json }
const nameConfig = { name, json }
const versionConfig = { name, version, json }
/** The parsed arguments of `workflows list`. */
export type WorkflowsArgs = Command.Command.Config.Infer<typeof listConfig>
/** The parsed arguments of `workflows register`. */
export type WorkflowsFileArgs = Command.Command.Config.Infer<typeof fileConfig>
/** The parsed arguments of `workflows versions`. */
export type WorkflowsNameArgs = Command.Command.Config.Infer<typeof nameConfig>
/** The parsed arguments of `workflows show` and of the lifecycle transitions. */
export type WorkflowsVersionArgs = Command.Command.Config.Infer<typeof versionConfig>

const handler = () => import("./workflowsHandler.ts")

const list = Command.make("list", listConfig, (args) => Effect.flatMap(Effect.promise(handler), (h) => h.list(args))).pipe(
  Command.withDescription("List the server's workflows (the deployed version of each, else the newest)")
)
const register = Command.make("register", fileConfig, (args) => Effect.flatMap(Effect.promise(handler), (h) => h.register(args))).pipe(
  Command.withDescription("Register a workflow file (a changed text adds a version; the same text is the same version)")
)
const versions = Command.make("versions", nameConfig, (args) => Effect.flatMap(Effect.promise(handler), (h) => h.versions(args))).pipe(
  Command.withDescription("List every version of a workflow with its state")
)
const show = Command.make("show", versionConfig, (args) => Effect.flatMap(Effect.promise(handler), (h) => h.show(args))).pipe(
  Command.withDescription("Show one version (its state and source)")
)
const transition = (t: "submit" | "approve" | "reject" | "deploy" | "deprecate", description: string) =>
  Command.make(t, versionConfig, (args) => Effect.flatMap(Effect.promise(handler), (h) => h.transition(t, args))).pipe(
    Command.withDescription(description)
  )

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

/**
 * `llm-orchestrator keys create|list|revoke`: API keys of the REST API, in the store the server uses. A key is
 * printed once, when it is created; the store keeps only its salted hash.
 *
 * @example
 * ```sh
 * llm-orchestrator keys create --name ci --role runner --workflows nightly,weekly
 * llm-orchestrator keys list --store postgres://postgres@127.0.0.1:5432/app
 * llm-orchestrator keys revoke 0123456789ab
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { Role } from "../auth/Role.ts"

// The roles of auth/Role.ts, written out: that module's Schema is not needed to parse the flag.
const roles = ["viewer", "runner", "admin"] as const satisfies ReadonlyArray<Role>

const storeFlag = Flag.String("store").pipe(Flag.withDescription("The server's store: sqlite:PATH or postgres://..., or a secret reference holding one (file:/run/secrets/store-url) (default: LLM_ORCHESTRATOR_STORE, else .llm-orchestrator/runs.db)"), Flag.optional)

const handler = () => import("./keysHandler.ts")

const createConfig = {
  name: Flag.String("name").pipe(Flag.withDescription("What the key is for (shown in the audit log)")),
  role: Flag.Literals("role", roles).pipe(Flag.withDescription("viewer, runner or admin")),
  workflows: Flag.String("workflows").pipe(Flag.withDescription("Comma-separated workflows the key may act on (default: all)"), Flag.optional),
  expiresDays: Flag.Int("expires-days").pipe(Flag.withDescription("The key stops working after this many days"), Flag.optional),
  json: Flag.Boolean("json").pipe(Flag.withDefault(false)),
  store: storeFlag
}
/** The parsed arguments of `keys create`. */
export type KeysCreateArgs = Command.Command.Config.Infer<typeof createConfig>
const create = Command.make("create", createConfig, (args) => Effect.flatMap(Effect.promise(handler), (h) => h.create(args))).pipe(
  Command.withDescription("Create an API key (printed once)")
)

const listConfig = { json: Flag.Boolean("json").pipe(Flag.withDefault(false)), store: storeFlag }
/** The parsed arguments of `keys list`. */
export type KeysListArgs = Command.Command.Config.Infer<typeof listConfig>
const list = Command.make("list", listConfig, (args) => Effect.flatMap(Effect.promise(handler), (h) => h.list(args))).pipe(
  Command.withDescription("List API keys (never their secrets)")
)

const revokeConfig = { id: Argument.String("id").pipe(Argument.withDescription("The key id (the 12 characters after llmo_)")), store: storeFlag }
/** The parsed arguments of `keys revoke`. */
export type KeysRevokeArgs = Command.Command.Config.Infer<typeof revokeConfig>
const revoke = Command.make("revoke", revokeConfig, (args) => Effect.flatMap(Effect.promise(handler), (h) => h.revoke(args))).pipe(
  Command.withDescription("Revoke an API key: it never authenticates again")
)

/** `keys`. */
export const keysCommand = Command.make("keys").pipe(
  Command.withDescription("Manage the REST API's keys"),
  Command.withSubcommands([create, list, revoke])
)

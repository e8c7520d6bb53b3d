/**
 * `listen <workflow.yaml...>`: starts a durable run for each message of a Redis Stream (`--redis-stream`, a consumer
 * group) or a RabbitMQ queue (`--amqp URL --queue NAME`). A message is acknowledged once its run is in the run store
 * (`--store`, as `run`); a redelivered one finds its run instead of starting another; one that cannot start a run
 * goes to the dead-letter stream or queue with the reason (see docs/triggers.md). This process is also the store's
 * runner when no other is, so it runs what it starts. Runs until SIGINT/SIGTERM (the steps in flight finish within
 * `--grace`); exits 3 when the store or the broker cannot be reached or the connection is lost (nothing is lost:
 * what was not acknowledged is delivered again).
 *
 * @example
 * ```sh
 * llm-orchestrator listen summarise.yaml --store postgres://app@db/runs --redis-stream jobs --redis redis://cache:6379
 * llm-orchestrator listen a.yaml b.yaml --store sqlite:runs.db --amqp amqp://guest:guest@127.0.0.1:5672 --queue jobs
 * redis-cli XADD jobs '*' body '{"workflow":"summarise","input":{"text":"..."}}'
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"

const optional = (name: string, description: string) => Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)

const config = {
  files: Argument.String("workflow").pipe(Argument.withDescription("YAML workflow files a message may start (by their name)"), Argument.variadic({ min: 1 })),
  store: optional("store", "The run store: sqlite:PATH or postgres://... (default: LLM_ORCHESTRATOR_STORE, else the config's run_store, else .llm-orchestrator/runs.db)"),
  config: optional("config", "Configuration file (default: ./llm-orchestrator.yaml when present)"),
  envFile: optional("env-file", "Read KEY=value lines into the environment of the workflows"),
  mock: optional("mock", "Mock responses for the workflow's LLM steps (one workflow only)"),
  actions: optional("actions", "A module exporting the actions the workflows use"),
  redisStream: optional("redis-stream", "Consume this Redis Stream with a consumer group"),
  redis: optional("redis", "Redis URL (default: REDIS_URL, else redis://127.0.0.1:6379)"),
  group: Flag.String("group").pipe(Flag.withDescription("The consumer group (created when missing)"), Flag.withDefault("llm-orchestrator")),
  consumer: optional("consumer", "This consumer's name in the group, stable across restarts (default: the host name)"),
  claimIdle: Flag.String("claim-idle").pipe(Flag.withDescription("Claim other consumers' pending entries idle this long"), Flag.withDefault("60s")),
  amqp: optional("amqp", "Consume a RabbitMQ queue at this URL (default for the password: AMQP_URL)"),
  queue: optional("queue", "The RabbitMQ queue (declared durable when missing)"),
  deadLetter: optional("dead-letter", "Where rejected messages go (default: <stream>:dead or <queue>.dead)"),
  grace: Flag.String("grace").pipe(Flag.withDescription("On SIGINT/SIGTERM, how long the steps in flight may take to finish"), Flag.withDefault("30s"))
}

/** The parsed flags of `listen`. */
export type ListenArgs = Command.Command.Config.Infer<typeof config>

/** The `listen` command (its implementation, `listenHandler.ts`, is loaded when it runs). */
export const listenCommand = Command.make("listen", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./listenHandler.ts")), (handler) => handler.listen(args))
).pipe(Command.withDescription("Start durable runs from a Redis Stream or a RabbitMQ queue"))

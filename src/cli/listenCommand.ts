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
import { hostname } from "node:os"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { Graph } from "../../dsl/Node.ts"
import * as DurableRuns from "../durable/DurableRuns.ts"
import { allowGracefulShutdown, Interrupt, stopsCleanlyOnSignal } from "./Interrupt.ts"
import { Output, style } from "./Output.ts"
import * as RunStoreCli from "./RunStoreCli.ts"

const optional = (name: string, description: string) => Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)

/** The `listen` command. */
export const listenCommand = Command.make("listen", {
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
}).pipe(
  Command.withDescription("Start durable runs from a Redis Stream or a RabbitMQ queue"),
  Command.withHandler((flags) =>
    Effect.gen(function*() {
      const o = yield* Output
      const s = style(o.color)
      const usage = (message: string) => {
        o.err(`error: ${message}`)
        o.exit(2)
      }
      const stream = Option.getOrUndefined(flags.redisStream)
      const amqpUrl = Option.getOrUndefined(flags.amqp) ?? (Option.isSome(flags.queue) ? process.env["AMQP_URL"] : undefined)
      if ((stream === undefined) === (amqpUrl === undefined)) return usage("give one source: --redis-stream NAME, or --amqp URL --queue NAME")
      if (amqpUrl !== undefined && Option.isNone(flags.queue)) return usage("--amqp needs --queue NAME")
      if (flags.files.length > 1 && Option.isSome(flags.mock)) return usage("--mock works with one workflow file")
      const graceMillis = RunStoreCli.durationMillis(flags.grace)
      if (graceMillis === undefined) return usage(`--grace '${flags.grace}' is not a duration (30s, 2m)`)
      const claimIdle = RunStoreCli.durationMillis(flags.claimIdle)
      if (claimIdle === undefined) return usage(`--claim-idle '${flags.claimIdle}' is not a duration (30s, 2m)`)
      const choice = yield* RunStoreCli.storeOfCommand(flags.store, flags.config, o.cwd)
      if (choice._tag === "Error") return usage(choice.message)
      if (choice.spec._tag === "memory") return usage("the memory store keeps runs only inside one process: use sqlite:PATH or postgres://...")
      allowGracefulShutdown(graceMillis)
      // SIGINT/SIGTERM is how a listener is meant to stop: exit 0 once the steps in flight are done
      stopsCleanlyOnSignal()

      const result = yield* Effect.result(Effect.gen(function*() {
        const runs = yield* RunStoreCli.open(choice.spec, { gracePeriod: Duration.millis(graceMillis), onProblem: (m) => o.err(s.dim(`llm-orchestrator: ${m}`)) })
        const graphs: Array<Graph> = []
        for (const file of flags.files) {
          const source = RunStoreCli.yamlSource(o.cwd, file, {
            mock: Option.getOrUndefined(flags.mock),
            config: Option.getOrUndefined(flags.config),
            envFile: Option.getOrUndefined(flags.envFile),
            actions: Option.getOrUndefined(flags.actions)
          })
          const prepared = yield* Effect.result(RunStoreCli.prepare(source))
          if (prepared._tag === "Failure") {
            for (const p of RunStoreCli.problemsOf(prepared.failure)) o.err(`${file}: ${p}`)
            return yield* Effect.fail({ code: 2, message: `cannot load ${file}` })
          }
          const registered = yield* Effect.result(runs.register(prepared.success.graph, { source: source as never, context: prepared.success.context }))
          if (registered._tag === "Failure") {
            for (const p of registered.failure.problems) o.err(`${file}: step '${p.stepId}': ${p.message}`)
            return yield* Effect.fail({ code: 2, message: `${file} cannot run durably` })
          }
          graphs.push(prepared.success.graph)
        }
        // loaded lazily: the other commands never load the broker clients
        const { Listener, AmqpSource, RedisStreamSource } = yield* Effect.promise(() => import("../triggers/index.ts"))
        const { RedisConnection } = yield* Effect.promise(() => import("../shared-state/index.ts"))
        const listen = Effect.gen(function*() {
          const source = stream !== undefined
            ? yield* Effect.flatMap(
              // the connection lives as long as the listener (this scope)
              Layer.build(RedisConnection.layer({ url: Redacted.make(Option.getOrUndefined(flags.redis) ?? process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379") })),
              (redis) => Effect.provide(RedisStreamSource.make({
              stream,
              group: flags.group,
              consumer: Option.getOrUndefined(flags.consumer) ?? hostname(),
              claimIdle: Duration.millis(claimIdle),
              deadLetter: Option.getOrUndefined(flags.deadLetter)
            }), redis)
            )
            : yield* AmqpSource.make({ url: Redacted.make(amqpUrl!), queue: Option.getOrThrow(flags.queue), deadLetter: Option.getOrUndefined(flags.deadLetter) })
          o.err(s.dim(`listening on ${source.name} for ${graphs.map((g) => g.name).join(", ")}; runs on ${runs.store}${runs.role === "client" ? " (run by another process)" : ""}`))
          return yield* Listener.run({
            source,
            workflows: graphs,
            onAccepted: ({ message, runId }) =>
              Effect.sync(() => o.err(`accepted ${runId}${message.id === undefined ? "" : ` (message ${message.id})`}${message.redelivered === true ? " redelivered" : ""}`)),
            onRejected: ({ message, reason }) => Effect.sync(() => o.err(`${s.yellow("dead-lettered")}${message.id === undefined ? "" : ` message ${message.id}`}: ${reason}`))
          })
        }).pipe(
          Effect.provideService(DurableRuns.DurableRuns, runs)
        )
        const interrupt = yield* Interrupt
        const raced = yield* Effect.raceFirst(Effect.map(listen, () => undefined), Effect.map(interrupt, (signal) => signal))
        if (raced !== undefined) {
          o.err(s.dim(`stopped by ${raced}: the steps in flight finish before exit; unacknowledged messages are delivered again`))
        }
      }).pipe(Effect.scoped))
      if (result._tag === "Failure") {
        const e = result.failure as { code?: number; message?: string }
        o.err(`${s.red("error:")} ${e.message ?? String(e)}`)
        o.exit(e.code ?? 3)
      }
    })
  )
)

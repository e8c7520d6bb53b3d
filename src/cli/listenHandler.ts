/**
 * The implementation of `listen` (see `listenCommand.ts`): loads the workflow files, opens the run store, connects
 * to the broker and runs a `Listener` until SIGINT/SIGTERM.
 */
import { hostname } from "node:os"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import type { Graph } from "../../dsl/Node.ts"
import * as DurableRuns from "../durable/DurableRuns.ts"
import { allowGracefulShutdown, Interrupt, stopsCleanlyOnSignal } from "./Interrupt.ts"
import { Output, style } from "./Output.ts"
import * as RunStoreCli from "./RunStoreCli.ts"

import type { ListenArgs } from "./listenCommand.ts"

/** Runs `listen` with its parsed flags. */
export const listen = (flags: ListenArgs) =>
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

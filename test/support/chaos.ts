/**
 * Chaos over real sockets: wire servers speaking the OpenAI / Anthropic formats that inject seeded faults (500, 503,
 * 429 with Retry-After, connection reset, an answer slower than the adapter's timeout), and a driver running many
 * three-step workflows through the official SDKs against them, N runs in flight. Shared by
 * `test/reliability/Chaos.test.ts` (small, in CI) and `bench/chaos.ts` (`npm run bench:chaos`, the 1,000-run figures).
 */
import { Effect, Layer, Redacted, Schema, type Scope } from "effect"
import { Workflow } from "../../src/index.ts"
import { isLlmError, Llm } from "../../src/llm/index.ts"
import type { LlmProvider } from "../../src/llm/LlmProvider.ts"
import { Anthropic, OpenAi } from "../../src/providers/index.ts"
import { Failover, Reliability, ReliabilityEvent } from "../../src/reliability/index.ts"
import { seededRandom } from "../../src/testing/index.ts"
import * as AnthropicWire from "./wire/anthropic.ts"
import * as OpenAiWire from "./wire/openai.ts"
import * as WireServer from "./wire/WireServer.ts"

/** The faults a chaos server injects. */
export type FaultKind = "500" | "503" | "429" | "reset" | "slow"

/** All fault kinds, drawn with equal probability. */
export const allFaults: ReadonlyArray<FaultKind> = ["500", "503", "429", "reset", "slow"]

export interface ServerOptions {
  readonly seed: number
  /** Probability that a request gets a fault. */
  readonly faultRate: number
  readonly faults?: ReadonlyArray<FaultKind> | undefined
  /** Latency of a good answer, uniformly drawn (default 5–30 ms: faults answer faster than successes, as in life). */
  readonly latencyMillis?: readonly [number, number] | undefined
  /** How long a "slow" answer takes (must exceed the adapter timeout). */
  readonly slowMillis: number
}

/** What a chaos server saw. */
export interface ServerStats {
  requests: number
  faults: Record<FaultKind, number>
}

/** A request handler injecting faults as `options` says, counting into `stats`. */
export const handler = (flavor: "openai" | "anthropic", options: ServerOptions, stats: ServerStats): WireServer.Handler => {
  const random = seededRandom(options.seed)
  const faults = options.faults ?? allFaults
  const [lo, hi] = options.latencyMillis ?? [5, 30]
  return (request) => {
    stats.requests++
    const draw = random()
    const latency = Math.round(lo + random() * (hi - lo))
    if (draw < options.faultRate) {
      const kind = faults[Math.min(faults.length - 1, Math.floor((draw / options.faultRate) * faults.length))]!
      stats.faults[kind]++
      switch (kind) {
        case "reset":
          return { kind: "destroy" }
        case "slow":
          return flavor === "openai"
            ? OpenAiWire.chat("too late", { delayMillis: options.slowMillis })
            : { ...(AnthropicWire.text("too late") as Extract<WireServer.Reply, { kind: "json" }>), delayMillis: options.slowMillis }
        case "429":
          return withDelay(
            flavor === "openai"
              ? OpenAiWire.error(429, "Rate limit reached", { headers: { "retry-after-ms": "100" } })
              : AnthropicWire.error(429, "rate_limit_error", "Rate limited", { "retry-after-ms": "100" }),
            1
          )
        default: {
          const status = Number(kind)
          return withDelay(
            flavor === "openai" ? OpenAiWire.error(status, `upstream ${status}`) : AnthropicWire.error(status, "api_error", `upstream ${status}`),
            1
          )
        }
      }
    }
    return withDelay(flavor === "openai" ? OpenAiWire.echo(request) : AnthropicWire.echo(request), latency)
  }
}

const withDelay = (reply: WireServer.Reply, delayMillis: number): WireServer.Reply =>
  reply.kind === "json" ? { ...reply, delayMillis } : reply

const emptyStats = (): ServerStats => ({ requests: 0, faults: { "500": 0, "503": 0, "429": 0, reset: 0, slow: 0 } })

/** Starts a chaos server for the scope. */
export const startServer = (flavor: "openai" | "anthropic", options: ServerOptions) =>
  Effect.gen(function*() {
    const stats = emptyStats()
    const server = yield* WireServer.start(handler(flavor, options, stats))
    return { server, stats }
  })

/** The workflow every chaos run executes: three dependent LLM steps on provider "main". */
export const workflow = Workflow.make("chaos", { input: Schema.Struct({ n: Schema.Number }) })
  .step("classify", (ctx) => Llm.generate({ provider: "main", model: "m", prompt: `classify ${ctx.input.n}` }))
  .step("answer", { needs: ["classify"] }, (ctx) => Llm.generate({ provider: "main", model: "m", prompt: `answer ${ctx.input.n}` }))
  .step("summary", { needs: ["answer"] }, (ctx) => Llm.generate({ provider: "main", model: "m", prompt: `sum ${ctx.input.n}` }))

export interface ChaosOptions {
  readonly runs: number
  readonly inFlight: number
  readonly seed: number
  /** Fault rate of the primary (OpenAI wire). */
  readonly faultRate: number
  readonly faults?: ReadonlyArray<FaultKind> | undefined
  /** A fallback provider (Anthropic wire) with this fault rate; none when undefined. */
  readonly fallbackFaultRate?: number | undefined
  /** The adapters' timeout (a "slow" answer takes twice as long). */
  readonly adapterTimeoutMillis: number
  readonly latencyMillis?: readonly [number, number] | undefined
  readonly policy?: Reliability.Policy | undefined
}

export interface ChaosReport {
  readonly runs: number
  readonly succeeded: number
  readonly failures: Record<string, number>
  readonly primary: ServerStats
  readonly fallback: ServerStats | undefined
  readonly latencies: ReadonlyArray<number>
  readonly wallMillis: number
  /** Reliability events by tag (retries, failovers, circuit changes, ...). */
  readonly events: Record<string, number>
  /** Circuit state changes in order, with the time since the start. */
  readonly circuit: ReadonlyArray<string>
}

const key = Redacted.make("sk-chaos")

/** The provider "main": the primary under the policy, or a failover list of primary then fallback. */
const mainProvider = (
  options: ChaosOptions,
  primaryUrl: string,
  fallbackUrl: string | undefined
): Layer.Layer<LlmProvider<"main">> => {
  const policy = options.policy ?? Reliability.defaultPolicy
  const openai = OpenAi.layer({ model: "gpt-4o-mini", provider: "openai", apiKey: key, baseUrl: `${primaryUrl}/v1`, timeout: options.adapterTimeoutMillis })
  if (fallbackUrl === undefined) return Reliability.layerLlm(policy, "main", openai)
  return Failover.layer("main", [
    { provider: "openai", layer: openai, policy },
    {
      provider: "anthropic",
      layer: Anthropic.layer({ model: "claude-haiku-4-5", provider: "anthropic", apiKey: key, baseUrl: fallbackUrl, timeout: options.adapterTimeoutMillis }),
      model: "claude-haiku-4-5",
      policy
    }
  ])
}

/** Runs `options.runs` chaos workflows, `options.inFlight` at a time, and reports. */
export const run = (options: ChaosOptions): Effect.Effect<ChaosReport, never, Scope.Scope> =>
  Effect.gen(function*() {
    const server = { seed: options.seed, slowMillis: options.adapterTimeoutMillis * 2, faults: options.faults, latencyMillis: options.latencyMillis }
    const primary = yield* startServer("openai", { ...server, faultRate: options.faultRate })
    const fallback = options.fallbackFaultRate === undefined
      ? undefined
      : yield* startServer("anthropic", { ...server, seed: options.seed + 1, faultRate: options.fallbackFaultRate })
    const failures: Record<string, number> = {}
    const latencies: Array<number> = []
    const events: Record<string, number> = {}
    const circuit: Array<string> = []
    const start = performance.now()
    const onEvent = (e: ReliabilityEvent.ReliabilityEvent) =>
      Effect.sync(() => {
        events[e._tag] = (events[e._tag] ?? 0) + 1
        if (e._tag === "CircuitStateChanged") circuit.push(`${Math.round(performance.now() - start)}ms ${e.provider} ${e.from}->${e.to}`)
      })
    const results = yield* Effect.forEach(
      Array.from({ length: options.runs }, (_, n) => n),
      (n) =>
        Effect.suspend(() => {
          const t = performance.now()
          return Workflow.run(workflow, { n }).pipe(
            Effect.tap(() => Effect.sync(() => void latencies.push(performance.now() - t))),
            Effect.tapError((e) =>
              Effect.sync(() => {
                const cause = "error" in e && isLlmError(e.error) ? `${e.error._tag}: ${e.error.message.slice(0, 80)}` : String(e._tag)
                failures[cause] = (failures[cause] ?? 0) + 1
              })
            ),
            Effect.result
          )
        }),
      { concurrency: options.inFlight }
    ).pipe(
      Effect.provide(mainProvider(options, primary.server.url, fallback?.server.url).pipe(Layer.provide(ReliabilityEvent.layer(onEvent))))
    )
    return {
      runs: options.runs,
      succeeded: results.filter((r) => r._tag === "Success").length,
      failures,
      primary: primary.stats,
      fallback: fallback?.stats,
      latencies,
      wallMillis: performance.now() - start,
      events,
      circuit
    }
  })

/** p-quantile of `samples` (0 when empty). */
export const quantile = (samples: ReadonlyArray<number>, p: number): number => {
  if (samples.length === 0) return 0
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

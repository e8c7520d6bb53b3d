/**
 * Chaos over real sockets (CI size): the official SDKs talk to local wire servers injecting seeded faults (500, 503,
 * 429 with Retry-After, connection reset, answers slower than the adapter timeout), 100 workflow runs in flight,
 * default policy. Assertions are on outcomes and counts, never on timings. The 1,000-run figures come from
 * `npm run bench:chaos` (same harness, test/support/chaos.ts).
 *
 * The adapter timeout is 2.5 s: on a loaded 2-core box, 100 concurrent SDK calls in one process take up to ~1.5 s
 * each on their own (a cold first wave), and a timeout below that times out healthy calls (see docs/reliability.md).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Llm } from "../../src/llm/index.ts"
import { Anthropic, OpenAi } from "../../src/providers/index.ts"
import { Failover, Reliability, ReliabilityEvent } from "../../src/reliability/index.ts"
import { seededRandom } from "../../src/testing/index.ts"
import * as Chaos from "../support/chaos.ts"
import * as AnthropicWire from "../support/wire/anthropic.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"
import { collect } from "./support.ts"

const seed = Number(process.env["CHAOS_SEED"] ?? 20261124)
// `npm run coverage` raises it: instrumented code is slower, and a timeout below the process's own latency times out healthy calls
const adapterTimeoutMillis = Number(process.env["CHAOS_ADAPTER_TIMEOUT_MILLIS"] ?? 2500)
const key = Redacted.make("sk-chaos")

const report = (name: string, r: Chaos.ChaosReport) => {
  if (process.env["CHAOS_REPORT"]) {
    console.log(name, JSON.stringify({ ok: r.succeeded, runs: r.runs, failures: r.failures, primary: r.primary, fallback: r.fallback, events: r.events, circuit: r.circuit }))
  }
}

const assertNamed = (r: Chaos.ChaosReport) => {
  for (const cause of Object.keys(r.failures)) {
    assert.match(cause, /^(ProviderUnavailable|ProviderTimeout|RateLimited):/, "every failure is a provider error with its tag")
  }
}

describe("Chaos over real sockets", () => {
  it.live("100 concurrent calls, 30 % of answers later than the adapter timeout: the breaker stays closed, all succeed", () =>
    Effect.gen(function*() {
      const random = seededRandom(seed)
      const server = yield* WireServer.start((req) => random() < 0.3 ? Wire.chat("late", { delayMillis: 2 * adapterTimeoutMillis }) : Wire.echo(req))
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const provider = Reliability.layerLlm(
        Reliability.defaultPolicy,
        "openai",
        OpenAi.layer({ model: "gpt-4o-mini", apiKey: key, baseUrl: `${server.url}/v1`, timeout: adapterTimeoutMillis })
      ).pipe(Layer.provide(ReliabilityEvent.layer(collect(events))))
      const results = yield* Effect.forEach(
        Array.from({ length: 100 }, (_, i) => i),
        (i) => Effect.result(Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt: `q${i}` })),
        { concurrency: "unbounded" }
      ).pipe(Effect.provide(provider))
      const failed = results.filter((r) => r._tag === "Failure")
      assert.deepStrictEqual(failed.map((f) => f._tag === "Failure" && f.failure.message), [], "no call failed (the old breaker failed 30 of them)")
      assert.deepStrictEqual(events.filter((e) => e._tag === "CircuitStateChanged"), [], "the circuit never opened")
      assert.isAbove(events.filter((e) => e._tag === "Retrying").length, 15, "the late answers were really retried")
    }), 60_000)

  it.live("200 three-step runs, 100 in flight, 30 % faults, no fallback: >= 99 % succeed", () =>
    Effect.gen(function*() {
      const r = yield* Chaos.run({ runs: 200, inFlight: 100, seed, faultRate: 0.3, adapterTimeoutMillis })
      report("no fallback", r)
      assert.isAtLeast(r.succeeded / r.runs, 0.99, JSON.stringify(r.failures))
      const faults = Object.values(r.primary.faults).reduce((a, b) => a + b, 0)
      assert.isAbove(faults / r.primary.requests, 0.22, "faults were really injected")
      assert.isBelow(faults / r.primary.requests, 0.38)
      for (const kind of Chaos.allFaults) assert.isAbove(r.primary.faults[kind], 0, `${kind} faults were injected`)
      assertNamed(r)
    }), 120_000)

  it.live("200 three-step runs, 100 in flight, 30 % faults on both providers, one fallback: >= 99.9 % succeed", () =>
    Effect.gen(function*() {
      const r = yield* Chaos.run({ runs: 200, inFlight: 100, seed, faultRate: 0.3, fallbackFaultRate: 0.3, adapterTimeoutMillis })
      report("fallback", r)
      assert.isAtLeast(r.succeeded / r.runs, 0.999, JSON.stringify(r.failures))
      assertNamed(r)
    }), 120_000)

  it.live("a dead primary, 20 concurrent callers: at most minimumCalls + 20 requests reach it before its circuit opens, the fallback serves every call", () =>
    Effect.gen(function*() {
      const dead = yield* WireServer.start(() => Wire.error(503, "down"))
      const healthy = yield* WireServer.start(AnthropicWire.echo)
      const window = 40
      const policy = Reliability.policy({ retry: { base: "10 millis", maxDelay: "100 millis" }, circuitBreaker: { failureRate: 0.6, window, openFor: "1 minute" } })
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const main = Failover.layer("main", [
        { provider: "openai", layer: OpenAi.layer({ model: "gpt-4o-mini", apiKey: key, baseUrl: `${dead.url}/v1` }), policy },
        { provider: "anthropic", layer: Anthropic.layer({ model: "claude-haiku-4-5", apiKey: key, baseUrl: healthy.url }), model: "claude-haiku-4-5", policy }
      ]).pipe(Layer.provide(ReliabilityEvent.layer(collect(events))))
      const answers = yield* Effect.forEach(
        Array.from({ length: 20 }, (_, caller) => caller),
        (caller) =>
          Effect.forEach(Array.from({ length: 10 }, (_, i) => i), (i) => Llm.generate({ provider: "main", model: "gpt-4o-mini", prompt: `${caller}.${i}` })),
        { concurrency: "unbounded" }
      ).pipe(Effect.provide(main))
      assert.strictEqual(answers.flat().length, 200)
      assert.isTrue(answers.flat().every((a) => a.startsWith("echo: ")), "the fallback answered")
      assert.isAtLeast(dead.requests.length, window, "the circuit needs `window` recorded calls")
      assert.isAtMost(dead.requests.length, window + 20, "then at most the calls in flight when it opened")
      assert.include(events.flatMap((e) => (e._tag === "CircuitStateChanged" ? [`${e.provider} ${e.to}`] : [])), "openai Open")
      assert.strictEqual(healthy.requests[0]?.body?.model, "claude-haiku-4-5", "the entry's model id goes to the fallback")
    }), 60_000)
})

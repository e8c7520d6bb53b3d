/**
 * Policies over real sockets: the SDKs (maxRetries 0) talk to the in-process wire servers; our policy does the
 * retrying. Real clock with small durations.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Logger, Redacted } from "effect"
import { LanguageModel } from "effect/ai"
import { Llm } from "../../src/llm/index.ts"
import { Anthropic, ErrorMapping, OpenAi } from "../../src/providers/index.ts"
import { Failover, Reliability, ReliabilityEvent } from "../../src/reliability/index.ts"
import * as AnthropicWire from "../support/wire/anthropic.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"
import { collect } from "./support.ts"

const key = Redacted.make("sk-test-NEVER-LOG-ME")
const fast = { base: "10 millis", jitter: false } as const

const guarded = (handler: WireServer.Handler, policy: Partial<Reliability.Policy>, options: Partial<OpenAi.Options> = {}) =>
  Effect.gen(function*() {
    const server = yield* WireServer.start(handler)
    const raw = yield* OpenAi.make({ model: "gpt-4o-mini", apiKey: key, baseUrl: `${server.url}/v1`, ...options })
    const guard = yield* Reliability.make(Reliability.policy(policy))
    return { server, model: guard.wrapLanguageModel("openai", raw), guard }
  })

describe("Policies over the wire", () => {
  it.live("429 with Retry-After: the SDK does not retry, our policy waits the Retry-After then succeeds", () =>
    Effect.gen(function*() {
      const { model, server } = yield* guarded(
        (_, i) => (i === 0 ? Wire.error(429, "slow down", { headers: { "retry-after-ms": "300" } }) : Wire.chat("done")),
        { retry: fast }
      )
      const start = Date.now()
      const res = yield* model.generateText({ prompt: "x" })
      const waited = Date.now() - start
      assert.strictEqual(res.text, "done")
      assert.strictEqual(server.requests.length, 2)
      assert.isAtLeast(waited, 290, "Retry-After honoured instead of the 10 ms backoff")
      assert.strictEqual(server.requests[1]!.headers["x-stainless-retry-count"], "0", "each request is a first SDK attempt")
    }))

  it.live("500, 503, then 200: three requests, one success", () =>
    Effect.gen(function*() {
      const { model, server } = yield* guarded((_, i) => (i === 0 ? Wire.error(500, "a") : i === 1 ? Wire.error(503, "b") : Wire.chat("ok")), { retry: fast })
      assert.strictEqual((yield* model.generateText({ prompt: "x" })).text, "ok")
      assert.strictEqual(server.requests.length, 3)
    }))

  it.live("a slow response past the adapter timeout is retried", () =>
    Effect.gen(function*() {
      const { model, server } = yield* guarded((_, i) => (i === 0 ? Wire.chat("late", { delayMillis: 1000 }) : Wire.chat("fast")), { retry: fast }, { timeout: "150 millis" })
      assert.strictEqual((yield* model.generateText({ prompt: "x" })).text, "fast")
      assert.strictEqual(server.requests.length, 2)
    }))

  it.live("malformed JSON and a dropped stream are retryable; bad requests are not retried", () =>
    Effect.gen(function*() {
      const a = yield* guarded((_, i) => (i === 0 ? { kind: "raw", body: "{oops" } : Wire.chat("ok")), { retry: fast })
      assert.strictEqual((yield* a.model.generateText({ prompt: "x" })).text, "ok")
      const b = yield* guarded(() => Wire.error(400, "bad parameter"), { retry: fast })
      yield* b.model.generateText({ prompt: "x" }).pipe(Effect.flip)
      assert.strictEqual(b.server.requests.length, 1)
    }))

  it.live("breaker over real sockets: after 3 failures the server sees no more requests", () =>
    Effect.gen(function*() {
      const { guard, model, server } = yield* guarded(() => Wire.error(503, "down"), {
        retry: false,
        circuitBreaker: { consecutiveFailures: 3, openFor: "1 minute", whenOpen: "fail" }
      })
      for (let i = 0; i < 6; i++) yield* model.generateText({ prompt: "x" }).pipe(Effect.flip)
      assert.strictEqual(server.requests.length, 3)
      assert.strictEqual(yield* guard.circuitState("openai"), "Open")
    }))

  it.live("failover from a refused OpenAI endpoint to Anthropic", () =>
    Effect.gen(function*() {
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const claudeServer = yield* WireServer.start(AnthropicWire.echo)
      const openai = yield* OpenAi.make({ model: "gpt-4o", apiKey: key, baseUrl: "http://127.0.0.1:9/v1" })
      const claude = yield* Anthropic.make({ model: "claude-sonnet-4-5", apiKey: key, baseUrl: claudeServer.url })
      const served = yield* Failover.run([
        { name: "openai", provide: Context.make(LanguageModel.LanguageModel, openai) },
        { name: "anthropic", provide: Context.make(LanguageModel.LanguageModel, claude) }
      ], LanguageModel.generateText({ prompt: "hello" })).pipe(ReliabilityEvent.withSink(collect(events)))
      assert.strictEqual(served.value.text, "echo: hello")
      assert.strictEqual(served.servedBy, "anthropic")
      assert.strictEqual(served.failovers[0]?.error?._tag, "ProviderUnavailable")
      assert.deepStrictEqual(events.map((e) => e._tag), ["Failover"])
    }))

  it.live("no key in logs, events or errors while a policy retries a provider that echoes it", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const capture = Logger.layer([Logger.make((o) => void lines.push(JSON.stringify([o.message, String(o.cause)])))])
      const server = yield* WireServer.start((req, i) =>
        i < 2 ? Wire.error(503, `upstream rejected ${req.headers.authorization}`) : Wire.error(401, `bad key ${req.headers.authorization}`)
      )
      const provider = Reliability.layerLlm(
        Reliability.policy({ retry: fast }),
        "openai",
        OpenAi.layer({ model: "gpt-4o", apiKey: key, baseUrl: `${server.url}/v1` })
      )
      const error = yield* Llm.generate({ provider: "openai", model: "gpt-4o", prompt: "x" }).pipe(
        Effect.tapError((e) => Effect.logError("call failed", e)),
        Effect.flip,
        ReliabilityEvent.withSink(collect(events)),
        Effect.provide(Layer.merge(provider, capture))
      )
      assert.strictEqual(server.requests.length, 3)
      assert.strictEqual(server.requests[0]!.headers.authorization, "Bearer sk-test-NEVER-LOG-ME", "the key does go to the provider")
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.isAbove(lines.length, 0)
      for (const text of [...lines, JSON.stringify(events), JSON.stringify(error), String(error), error.message]) {
        assert.notInclude(text, "NEVER-LOG-ME")
      }
      assert.strictEqual(events.filter((e) => e._tag === "Retrying").length, 2)
      assert.strictEqual(ErrorMapping.toLlmError("openai", error)._tag, "InvalidRequest")
    }))
})

describe("Embeddings under a policy (wire)", () => {
  it.live("a 503 on the batch request is retried; concurrent embeds still share one request per attempt", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start((req, i) => (i === 0 ? Wire.error(503, "busy") : Wire.echo(req)))
      const raw = yield* OpenAi.makeEmbeddings({ model: "m", apiKey: key, baseUrl: `${server.url}/v1` })
      const guard = yield* Reliability.make(Reliability.policy({ retry: fast }))
      const model = guard.wrapEmbeddingModel("openai", raw)
      const res = yield* model.embedMany(["a", "bb", "ccc"])
      assert.deepStrictEqual(res.embeddings.map((e) => e.vector[0]), [1, 2, 3])
      assert.strictEqual(server.requests.length, 2)
      assert.strictEqual(server.requests[1]!.body.input.length, 3)
    }))
})

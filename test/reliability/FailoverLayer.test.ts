/**
 * `Failover.layer`: one named provider served by an ordered list of providers, over real sockets (official SDKs,
 * wire servers) and with entries taken from context (mocks).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema, Stream } from "effect"
import { Llm } from "../../src/llm/index.ts"
import { Anthropic, OpenAi } from "../../src/providers/index.ts"
import { Failover, Reliability, ReliabilityEvent } from "../../src/reliability/index.ts"
import { MockLlm, MockRecorder } from "../../src/testing/index.ts"
import { Workflow } from "../../src/index.ts"
import * as AnthropicWire from "../support/wire/anthropic.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"
import { collect } from "./support.ts"

const key = Redacted.make("sk-test")
const quick = Reliability.policy({ retry: { times: 1, base: "5 millis" } })

const servers = (primary: WireServer.Handler) =>
  Effect.gen(function*() {
    const openai = yield* WireServer.start(primary)
    const anthropic = yield* WireServer.start(AnthropicWire.echo)
    const main = Failover.layer("main", [
      { provider: "openai", layer: OpenAi.layer({ model: "gpt-4o-mini", apiKey: key, baseUrl: `${openai.url}/v1` }), policy: quick },
      { provider: "anthropic", layer: Anthropic.layer({ model: "claude-haiku-4-5", apiKey: key, baseUrl: anthropic.url }), model: "claude-haiku-4-5", policy: quick }
    ])
    return { openai, anthropic, main }
  })

describe("Failover.layer", () => {
  it.live("text: the primary's retries, then the fallback with its own model id; the step records the failover", () =>
    Effect.gen(function*() {
      const { anthropic, main, openai } = yield* servers(() => Wire.error(503, "down"))
      const wf = Workflow.make("fo", { input: Schema.String })
        .step("answer", (ctx) => Llm.generate({ provider: "main", model: "gpt-4o-mini", prompt: ctx.input }))
      const result = yield* Workflow.execute(wf, "hello").pipe(Effect.provide(main))
      assert.strictEqual(result.outputs.answer, "echo: hello")
      assert.strictEqual(openai.requests.length, 2, "1 + 1 retry on the primary")
      assert.strictEqual(anthropic.requests.length, 1)
      assert.strictEqual(anthropic.requests[0]!.body.model, "claude-haiku-4-5")
      assert.strictEqual(openai.requests[0]!.body.model, "gpt-4o-mini", "no entry model: the call's model")
      assert.deepStrictEqual(result.steps["answer"]?.failovers?.map((f) => [f.from, f.to]), [["openai", "anthropic"]])
      assert.match(result.steps["answer"]!.failovers![0]!.error ?? "", /^ProviderUnavailable/)
    }))

  it.live("a bad request does not fail over", () =>
    Effect.gen(function*() {
      const { anthropic, main } = yield* servers(() => Wire.error(400, "bad parameter"))
      const error = yield* Llm.generate({ provider: "main", model: "gpt-4o-mini", prompt: "x" }).pipe(Effect.flip, Effect.provide(main))
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.strictEqual(anthropic.requests.length, 0)
    }))

  it.live("objects fail over too", () =>
    Effect.gen(function*() {
      const openai = yield* WireServer.start(() => ({ kind: "destroy" }))
      const anthropic = yield* WireServer.start((req) =>
        AnthropicWire.message([{ type: "tool_use", id: "t1", name: req.body.tools?.[0]?.name ?? "?", input: { score: 7 } }])
      )
      const main = Failover.layer("main", [
        { provider: "openai", layer: OpenAi.layer({ model: "m", apiKey: key, baseUrl: `${openai.url}/v1` }), policy: quick },
        { provider: "anthropic", layer: Anthropic.layer({ model: "c", apiKey: key, baseUrl: anthropic.url }), policy: false }
      ])
      const value = yield* Llm.generateObject({ provider: "main", model: "m", prompt: "score", schema: Schema.Struct({ score: Schema.Number }) }).pipe(
        Effect.provide(main)
      )
      assert.deepStrictEqual(value, { score: 7 })
      assert.strictEqual(openai.requests.length, 2)
    }))

  it.live("streams fail over before their first part, not after", () =>
    Effect.gen(function*() {
      const events: Array<ReliabilityEvent.ReliabilityEvent> = []
      const before = yield* servers(() => Wire.error(503, "down"))
      const text = yield* Llm.stream({ provider: "main", model: "gpt-4o-mini", prompt: "stream me" }).pipe(
        Stream.mkString,
        ReliabilityEvent.withSink(collect(events)),
        Effect.provide(before.main)
      )
      assert.strictEqual(text, "echo: stream me")
      assert.deepStrictEqual(events.filter((e) => e._tag === "Failover").map((e) => e._tag === "Failover" && `${e.from}->${e.to}`), ["openai->anthropic"])
      // dropped mid-stream: the fallback is not asked (parts already went to the consumer)
      const after = yield* servers(() => Wire.chatStream(["one ", "two ", "three"], { dropAfter: 3, delayMillis: 30 }))
      const parts: Array<string> = []
      const error = yield* Llm.stream({ provider: "main", model: "gpt-4o-mini", prompt: "x" }).pipe(
        Stream.runForEach((p) => Effect.sync(() => void parts.push(p))),
        Effect.flip,
        Effect.provide(after.main)
      )
      assert.strictEqual(parts[0], "one ", "a part reached the consumer before the drop")
      assert.strictEqual(error._tag, "ProviderUnavailable")
      assert.strictEqual(after.anthropic.requests.length, 0)
    }))

  it.effect("entries without a layer use the named providers in context (mocks)", () =>
    Effect.gen(function*() {
      const main = Failover.layer("main", [{ provider: "cheap" }, { provider: "premium", model: "big" }])
      const mocks = Layer.mergeAll(
        MockLlm.layer("cheap", { failures: { firstN: 10, error: "server-error" } }),
        MockLlm.layer("premium", { responses: (req) => `premium ${req.model}: ${req.prompt}` })
      )
      const answer = yield* Llm.generate({ provider: "main", model: "small", prompt: "q" }).pipe(
        Effect.provide(main.pipe(Layer.provide(mocks), Layer.provide(MockRecorder.layer)))
      )
      assert.strictEqual(answer, "premium big: q")
    }))
})

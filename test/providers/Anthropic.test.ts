import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Schema, Stream } from "effect"
import { Prompt, Tool, Toolkit } from "effect/ai"
import { GenerationOptions, Llm } from "../../src/llm/index.ts"
import { Anthropic, ErrorMapping } from "../../src/providers/index.ts"
import * as Wire from "../support/wire/anthropic.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const key = Redacted.make("sk-ant-SECRET-5678")

const setup = (handler: WireServer.Handler, options: Partial<Anthropic.Options> = {}) =>
  Effect.gen(function*() {
    const server = yield* WireServer.start(handler)
    const model = yield* Anthropic.make({ model: "claude-sonnet-4-5", apiKey: key, baseUrl: server.url, ...options })
    return { server, model }
  })

const failure = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  self.pipe(Effect.flip, Effect.map(ErrorMapping.toLlmError("anthropic")))

describe("Anthropic adapter (wire)", () => {
  it.live("messages: text, system prompt, stop sequences, key header, usage", () =>
    Effect.gen(function*() {
      const { model, server } = yield* setup(Wire.echo)
      const prompt = Prompt.make([
        { role: "system", content: "be terse" },
        { role: "user", content: [{ type: "text", text: "hello" }] }
      ])
      const res = yield* model.generateText({ prompt }).pipe(
        Effect.provideService(GenerationOptions, { provider: "anthropic", model: "claude-haiku-4-5", maxTokens: 100, stopSequences: ["###"], temperature: 0.2 })
      )
      assert.strictEqual(res.text, "echo: hello")
      assert.strictEqual(res.finishReason, "stop")
      assert.strictEqual(res.usage.inputTokens.total, 12)
      const req = server.requests[0]!
      assert.strictEqual(req.path, "/v1/messages")
      // this SDK version sends the key as a bearer token (older ones used x-api-key)
      assert.strictEqual(req.headers["x-api-key"] ?? req.headers.authorization?.replace(/^Bearer /, ""), "sk-ant-SECRET-5678")
      assert.strictEqual(req.body.system, "be terse")
      assert.strictEqual(req.body.model, "claude-haiku-4-5")
      assert.strictEqual(req.body.max_tokens, 100)
      assert.deepStrictEqual(req.body.stop_sequences, ["###"])
      assert.strictEqual(req.body.temperature, 0.2)
      assert.deepStrictEqual(req.body.messages, [{ role: "user", content: [{ type: "text", text: "hello" }] }])
    }))

  it.live("structured output through a forced tool with the Schema as input_schema", () =>
    Effect.gen(function*() {
      const { model, server } = yield* setup(() => Wire.message([{ type: "tool_use", id: "tu_1", name: "city", input: { name: "Oslo", population: 700000 } }]))
      const City = Schema.Struct({ name: Schema.String, population: Schema.Number })
      const res = yield* model.generateObject({ prompt: "biggest city in Norway", schema: City, objectName: "city" })
      assert.deepStrictEqual(res.value, { name: "Oslo", population: 700000 })
      const req = server.requests[0]!.body
      assert.deepStrictEqual(req.tool_choice, { type: "tool", name: "city" })
      assert.strictEqual(req.tools[0].name, "city")
      assert.deepStrictEqual(Object.keys(req.tools[0].input_schema.properties).sort(), ["name", "population"])
    }))

  it.live("invalid structured output -> InvalidOutput with the raw JSON", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => Wire.message([{ type: "tool_use", id: "tu_1", name: "city", input: { name: 1 } }]))
      const e = yield* failure(model.generateObject({ prompt: "x", schema: Schema.Struct({ name: Schema.String }), objectName: "city" }))
      assert.strictEqual(e._tag, "InvalidOutput")
      assert.strictEqual(e._tag === "InvalidOutput" && e.raw, `{"name":1}`)
    }))

  it.live("a model that answers in text instead of the tool -> InvalidOutput carrying that text", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => Wire.text("I think it is Oslo"))
      const e = yield* failure(model.generateObject({ prompt: "x", schema: Schema.Struct({ name: Schema.String }), objectName: "city" }))
      assert.strictEqual(e._tag, "InvalidOutput")
      assert.strictEqual(e._tag === "InvalidOutput" && e.raw, "I think it is Oslo")
    }))

  it.live("streaming over SSE", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => Wire.stream(["The ", "answer ", "is 42"]))
      const parts = yield* Stream.runCollect(model.streamText({ prompt: "q" }))
      assert.strictEqual(parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join(""), "The answer is 42")
      const finish = parts.find((p) => p.type === "finish")
      assert.strictEqual(finish?.type === "finish" && finish.usage.inputTokens.total, 9)
      assert.strictEqual(finish?.type === "finish" && finish.usage.outputTokens.total, 3)
    }))

  it.live("an error event or a dropped connection mid-stream -> ProviderUnavailable", () =>
    Effect.gen(function*() {
      const a = yield* setup(() => Wire.stream(["a", "b", "c"], { errorAfter: 3 }))
      const e1 = yield* failure(Stream.runCollect(a.model.streamText({ prompt: "q" })))
      assert.strictEqual(e1._tag, "ProviderUnavailable")
      const b = yield* setup(() => Wire.stream(["a", "b", "c"], { dropAfter: 3 }))
      const e2 = yield* failure(Stream.runCollect(b.model.streamText({ prompt: "q" })))
      assert.strictEqual(e2._tag, "ProviderUnavailable")
    }))

  it.live("tool calls passed through", () =>
    Effect.gen(function*() {
      const Lookup = Tool.make("Lookup", { parameters: Schema.Struct({ q: Schema.String }), success: Schema.String })
      const { model, server } = yield* setup(() => Wire.message([{ type: "text", text: "let me look" }, { type: "tool_use", id: "tu_7", name: "Lookup", input: { q: "effect" } }]))
      const res = yield* model.generateText({ prompt: "x", toolkit: Toolkit.make(Lookup), disableToolCallResolution: true })
      assert.strictEqual(res.finishReason, "tool-calls")
      assert.deepStrictEqual(res.toolCalls.map((c) => [c.id, c.name, c.params]), [["tu_7", "Lookup", { q: "effect" }]])
      assert.strictEqual(server.requests[0]!.body.tools[0].name, "Lookup")
    }))

  it.live("errors: 429 Retry-After, 529 overloaded, 400 prompt too long, 400 invalid, refusal", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<[WireServer.Reply, string]> = [
        [Wire.error(429, "rate_limit_error", "slow", { "retry-after": "4" }), "RateLimited"],
        [Wire.error(529, "overloaded_error", "Overloaded"), "ProviderUnavailable"],
        [Wire.error(400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"), "ContextLengthExceeded"],
        [Wire.error(400, "invalid_request_error", "max_tokens: must be positive"), "InvalidRequest"],
        [Wire.text("", { stopReason: "refusal" }), "ContentFiltered"]
      ]
      for (const [reply, tag] of cases) {
        const { model } = yield* setup(() => reply)
        const e = yield* failure(model.generateText({ prompt: "x" }))
        assert.strictEqual(e._tag, tag)
        if (e._tag === "RateLimited") assert.strictEqual(e.retryAfterMillis, 4000)
      }
    }))

  it.live("timeout and echoed key", () =>
    Effect.gen(function*() {
      const slow = yield* setup(() => ({ kind: "hang" }), { timeout: "150 millis" })
      assert.strictEqual((yield* failure(slow.model.generateText({ prompt: "x" })))._tag, "ProviderTimeout")
      const echoKey = yield* setup((req) => Wire.error(401, "authentication_error", `invalid key ${req.headers["x-api-key"] ?? req.headers.authorization}`))
      const e = yield* failure(echoKey.model.generateText({ prompt: "x" }))
      assert.notInclude(e.message, "SECRET")
      assert.notInclude(JSON.stringify(e), "SECRET")
    }))

  it.live("no key: neither x-api-key nor Authorization is sent", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const model = yield* Anthropic.make({ model: "m", baseUrl: server.url })
      assert.strictEqual((yield* model.generateText({ prompt: "hi" })).text, "echo: hi")
      assert.strictEqual(server.requests[0]!.headers["x-api-key"], undefined)
      assert.strictEqual(server.requests[0]!.headers.authorization, undefined)
    }))

  it.live("as a named Llm provider", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const text = yield* Llm.generate({ provider: "claude", model: "claude-haiku-4-5", prompt: "yo", system: "sys" }).pipe(
        Effect.provide(Anthropic.layerLlm("claude", { model: "x", apiKey: key, baseUrl: server.url }))
      )
      assert.strictEqual(text, "echo: yo")
      assert.strictEqual(server.requests[0]!.body.system, "sys")
    }))
})

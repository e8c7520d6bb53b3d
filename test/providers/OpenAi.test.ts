import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Schema, Stream } from "effect"
import { EmbeddingModel, LanguageModel, Prompt, Tool, Toolkit } from "effect/ai"
import { Llm, trackUsage, GenerationOptions, fromAiError } from "../../src/llm/index.ts"
import { ErrorMapping, OpenAi, Pricing } from "../../src/providers/index.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const key = Redacted.make("sk-test-SECRET-1234")

const setup = (handler: WireServer.Handler, options: Partial<OpenAi.Options> = {}) =>
  Effect.gen(function*() {
    const server = yield* WireServer.start(handler)
    const model = yield* OpenAi.make({ model: "gpt-4o-mini", apiKey: key, baseUrl: `${server.url}/v1`, ...options })
    return { server, model }
  })

const failure = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  self.pipe(Effect.flip, Effect.map(ErrorMapping.toLlmError("openai")))

describe("OpenAi adapter (wire)", () => {
  it.live("generateText: text, usage, request shape, bearer key", () =>
    Effect.gen(function*() {
      const { model, server } = yield* setup(Wire.echo)
      const prompt = Prompt.make([
        { role: "system", content: "be brief" },
        { role: "user", content: [{ type: "text", text: "hello" }] }
      ])
      const res = yield* model.generateText({ prompt }).pipe(
        Effect.provideService(GenerationOptions, { provider: "openai", model: "gpt-4.1", temperature: 0, maxTokens: 32, stopSequences: ["END"] })
      )
      assert.strictEqual(res.text, "echo: hello")
      assert.strictEqual(res.finishReason, "stop")
      assert.strictEqual(res.usage.inputTokens.total, 10)
      assert.strictEqual(res.usage.outputTokens.total, 5)
      const req = server.requests[0]!
      assert.strictEqual(req.path, "/v1/chat/completions")
      assert.strictEqual(req.headers.authorization, "Bearer sk-test-SECRET-1234")
      assert.deepStrictEqual(req.body.messages, [{ role: "system", content: "be brief" }, { role: "user", content: "hello" }])
      assert.strictEqual(req.body.model, "gpt-4.1", "per-call model from GenerationOptions")
      assert.strictEqual(req.body.temperature, 0)
      assert.strictEqual(req.body.max_completion_tokens, 32)
      assert.deepStrictEqual(req.body.stop, ["END"])
      assert.strictEqual(server.requests.length, 1, "SDK retries are off")
    }))

  it.live("without a key no Authorization header is sent (local servers)", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const model = yield* OpenAi.make({ model: "llama3.2", provider: "ollama", baseUrl: `${server.url}/v1` })
      const res = yield* model.generateText({ prompt: "hi" })
      assert.strictEqual(res.text, "echo: hi")
      assert.strictEqual(server.requests[0]!.headers.authorization, undefined)
    }))

  it.live("structured output via json_schema response format", () =>
    Effect.gen(function*() {
      const { model, server } = yield* setup(() => Wire.chat(JSON.stringify({ name: "Ada", age: 36 })))
      const Person = Schema.Struct({ name: Schema.String, age: Schema.Number })
      const res = yield* model.generateObject({ prompt: "who?", schema: Person, objectName: "person" })
      assert.deepStrictEqual(res.value, { name: "Ada", age: 36 })
      const format = server.requests[0]!.body.response_format
      assert.strictEqual(format.type, "json_schema")
      assert.strictEqual(format.json_schema.name, "person")
      assert.strictEqual(format.json_schema.strict, true)
      assert.deepStrictEqual(Object.keys(format.json_schema.schema.properties).sort(), ["age", "name"])
    }))

  it.live("invalid structured output -> InvalidOutput carrying the raw text", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => Wire.chat(`{"name": 42}`))
      const Person = Schema.Struct({ name: Schema.String })
      const e = yield* failure(model.generateObject({ prompt: "who?", schema: Person }))
      assert.strictEqual(e._tag, "InvalidOutput")
      assert.strictEqual(e.retryable, true)
      assert.strictEqual(e._tag === "InvalidOutput" && e.raw, `{"name": 42}`)
    }))

  it.live("streaming over SSE: deltas in order, finish with usage", () =>
    Effect.gen(function*() {
      const { model, server } = yield* setup(() => Wire.chatStream(["Hel", "lo", " world"]))
      const parts = yield* Stream.runCollect(model.streamText({ prompt: "hi" }))
      const text = parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("")
      assert.strictEqual(text, "Hello world")
      const finish = parts.find((p) => p.type === "finish")
      assert.strictEqual(finish?.type === "finish" && finish.usage.inputTokens.total, 7)
      assert.strictEqual(finish?.type === "finish" && finish.usage.outputTokens.total, 3)
      assert.strictEqual(server.requests[0]!.body.stream, true)
      assert.deepStrictEqual(server.requests[0]!.body.stream_options, { include_usage: true })
    }))

  it.live("connection dropped mid-stream -> ProviderUnavailable (retryable)", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => Wire.chatStream(["a", "b", "c", "d"], { dropAfter: 2 }))
      const e = yield* failure(Stream.runCollect(model.streamText({ prompt: "hi" })))
      assert.strictEqual(e._tag, "ProviderUnavailable")
      assert.isTrue(e.retryable)
    }))

  const GetWeather = Tool.make("GetWeather", {
    description: "Weather for a city",
    parameters: Schema.Struct({ city: Schema.String }),
    success: Schema.String
  })
  const toolkit = Toolkit.make(GetWeather)

  it.live("tool calls are passed through (definitions out, calls back)", () =>
    Effect.gen(function*() {
      const { model, server } = yield* setup(() =>
        Wire.chat(null, { toolCalls: [{ id: "call_9", name: "GetWeather", arguments: `{"city":"Oslo"}` }] })
      )
      const res = yield* model.generateText({ prompt: "weather?", toolkit, disableToolCallResolution: true })
      assert.strictEqual(res.finishReason, "tool-calls")
      assert.strictEqual(res.toolCalls.length, 1)
      assert.strictEqual(res.toolCalls[0]!.name, "GetWeather")
      assert.deepStrictEqual(res.toolCalls[0]!.params, { city: "Oslo" })
      const tools = server.requests[0]!.body.tools
      assert.strictEqual(tools[0].function.name, "GetWeather")
      assert.strictEqual(tools[0].function.description, "Weather for a city")
      assert.strictEqual(tools[0].function.parameters.properties.city.type, "string")
    }))

  it.live("streamed tool call arguments are assembled", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => Wire.toolCallStream("GetWeather", [`{"ci`, `ty":"Rome"}`]))
      const parts = yield* Stream.runCollect(model.streamText({ prompt: "w", toolkit, disableToolCallResolution: true }))
      const call = parts.find((p) => p.type === "tool-call")
      assert.deepStrictEqual(call?.type === "tool-call" && call.params, { city: "Rome" })
    }))

  it.live("through Llm (src/llm): usage per scope and its estimated cost; errors keep our tags", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start((req) =>
        req.body.messages.at(-1).content === "fail"
          ? Wire.error(429, "slow", { headers: { "retry-after": "1" } })
          : Wire.chat("x", { model: req.body.model, usage: { prompt_tokens: 1_000_000, completion_tokens: 1_000_000 } })
      )
      const layer = OpenAi.layerLlm("openai", { model: "unused-default", apiKey: key, baseUrl: `${server.url}/v1` })
      const [, totals] = yield* trackUsage(Effect.all([
        Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt: "a" }),
        Llm.generate({ provider: "openai", model: "gpt-4o", prompt: "b" })
      ])).pipe(Effect.provide(layer))
      assert.deepStrictEqual(server.requests.map((r) => r.body.model), ["gpt-4o-mini", "gpt-4o"])
      assert.strictEqual(totals.inputTokens, 2_000_000)
      const cost = Pricing.costOf(Pricing.table(), totals.entries)
      assert.closeTo(cost.usd, (0.15 + 0.6) + (2.5 + 10), 1e-9)
      const e = yield* Llm.generate({ provider: "openai", model: "gpt-4o", prompt: "fail" }).pipe(Effect.flip, Effect.provide(layer))
      assert.strictEqual(e._tag, "RateLimited")
      assert.strictEqual(e._tag === "RateLimited" && e.retryAfterMillis, 1000)
    }))
})

describe("OpenAi adapter errors (wire)", () => {
  it.live("429 with Retry-After -> RateLimited{retryAfterMillis}", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => Wire.error(429, "slow down", { headers: { "retry-after": "2" } }))
      const e = yield* failure(model.generateText({ prompt: "x" }))
      assert.strictEqual(e._tag, "RateLimited")
      assert.strictEqual(e._tag === "RateLimited" && e.retryAfterMillis, 2000)
      assert.strictEqual(e.provider, "openai")
    }))

  it.live("500 and 503 -> ProviderUnavailable{status}", () =>
    Effect.gen(function*() {
      for (const status of [500, 503]) {
        const { model } = yield* setup(() => Wire.error(status, "boom"))
        const e = yield* failure(model.generateText({ prompt: "x" }))
        assert.strictEqual(e._tag, "ProviderUnavailable")
        assert.strictEqual(e._tag === "ProviderUnavailable" && e.status, status)
      }
    }))

  it.live("400 -> InvalidRequest (not retryable); context_length_exceeded -> ContextLengthExceeded", () =>
    Effect.gen(function*() {
      const bad = yield* setup(() => Wire.error(400, "unknown parameter foo"))
      const e1 = yield* failure(bad.model.generateText({ prompt: "x" }))
      assert.strictEqual(e1._tag, "InvalidRequest")
      assert.isFalse(e1.retryable)
      const long = yield* setup(() => Wire.error(400, "This model's maximum context length is 128000 tokens", { code: "context_length_exceeded" }))
      const e2 = yield* failure(long.model.generateText({ prompt: "x" }))
      assert.strictEqual(e2._tag, "ContextLengthExceeded")
    }))

  it.live("finish_reason content_filter -> ContentFiltered", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => Wire.chat(null, { finishReason: "content_filter" }))
      const e = yield* failure(model.generateText({ prompt: "x" }))
      assert.strictEqual(e._tag, "ContentFiltered")
    }))

  it.live("slow response past the timeout -> ProviderTimeout", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => ({ kind: "hang" }), { timeout: "150 millis" })
      const e = yield* failure(model.generateText({ prompt: "x" }))
      assert.strictEqual(e._tag, "ProviderTimeout")
    }))

  it.live("malformed JSON body -> ProviderUnavailable", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => ({ kind: "raw", body: "{not json" }))
      const e = yield* failure(model.generateText({ prompt: "x" }))
      assert.strictEqual(e._tag, "ProviderUnavailable")
      assert.match(e.message, /malformed|JSON/i)
    }))

  it.live("connection refused -> ProviderUnavailable", () =>
    Effect.gen(function*() {
      const model = yield* OpenAi.make({ model: "m", apiKey: key, baseUrl: "http://127.0.0.1:9/v1" })
      const e = yield* failure(model.generateText({ prompt: "x" }))
      assert.strictEqual(e._tag, "ProviderUnavailable")
    }))

  it.live("a key echoed by the provider never reaches the error", () =>
    Effect.gen(function*() {
      const { model } = yield* setup((req) => Wire.error(401, `Incorrect API key provided: ${req.headers.authorization?.slice(7)}`))
      const e = yield* failure(model.generateText({ prompt: "x" }))
      assert.strictEqual(e._tag, "InvalidRequest")
      assert.notInclude(e.message, "sk-test-SECRET-1234")
      assert.include(e.message, "<redacted>")
      assert.notInclude(JSON.stringify(e), "SECRET")
      assert.notInclude(String(e), "SECRET")
    }))
})

describe("OpenAi embeddings (wire)", () => {
  it.live("embedMany batches up to maxBatchSize texts per request and keeps order", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const model = yield* OpenAi.makeEmbeddings({ model: "m", apiKey: key, baseUrl: `${server.url}/v1`, maxBatchSize: 2 })
      const res = yield* model.embedMany(["a", "bb", "ccc", "dddd", "eeeee"])
      assert.deepStrictEqual(res.embeddings.map((e) => e.vector[0]), [1, 2, 3, 4, 5])
      assert.strictEqual(server.requests.length, 3)
      assert.deepStrictEqual(server.requests.map((r) => r.body.input.length), [2, 2, 1])
      assert.strictEqual(res.usage.inputTokens, 10)
    }))

  it.live("concurrent embed calls share one HTTP request", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const model = yield* OpenAi.makeEmbeddings({ model: "m", apiKey: key, baseUrl: `${server.url}/v1` })
      const vectors = yield* Effect.forEach(["x", "yy", "zzz"], (t) => model.embed(t), { concurrency: "unbounded" })
      assert.deepStrictEqual(vectors.map((v) => v.vector[0]), [1, 2, 3])
      assert.strictEqual(server.requests.length, 1)
    }))

  it.live("layer via EmbeddingModel service", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const res = yield* EmbeddingModel.EmbeddingModel.use((m) => m.embed("four")).pipe(
        Effect.provide(OpenAi.layerEmbeddings({ model: "m", apiKey: key, baseUrl: `${server.url}/v1` }))
      )
      assert.deepStrictEqual(res.vector, [4, 0])
      const text = yield* LanguageModel.generateText({ prompt: "q" }).pipe(
        Effect.provide(OpenAi.layer({ model: "m", apiKey: key, baseUrl: `${server.url}/v1` }))
      )
      assert.strictEqual(text.text, "echo: q")
    }))
})

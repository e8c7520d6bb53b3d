// The Cohere adapter against a local server speaking Cohere's v2 wire format, with the official SDK talking.
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Logger, Redacted, Schema, Stream } from "effect"
import { Prompt, Tool, Toolkit } from "effect/ai"
import { Embeddings, GenerationOptions, Llm } from "../../src/llm/index.ts"
import { Cohere, ErrorMapping } from "../../src/providers/index.ts"
import * as Reranker from "../../src/rag/Reranker.ts"
import * as Wire from "../support/wire/cohere.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const secret = "co-SECRET-key-1234"
const key = Redacted.make(secret)

const setup = (handler: WireServer.Handler, options: Partial<Cohere.Options> = {}) =>
  Effect.gen(function*() {
    const server = yield* WireServer.start(handler)
    const model = yield* Cohere.make({ model: "command-r-plus", apiKey: key, baseUrl: server.url, ...options })
    return { server, model }
  })

const failure = <A, E, R>(self: Effect.Effect<A, E, R>) => self.pipe(Effect.flip, Effect.map(ErrorMapping.toLlmError("cohere")))

describe("Cohere adapter (wire)", () => {
  it.live("chat: messages, system prompt, sampling settings, bearer key, usage", () =>
    Effect.gen(function*() {
      const { model, server } = yield* setup(Wire.echo)
      const prompt = Prompt.make([
        { role: "system", content: "be terse" },
        { role: "user", content: [{ type: "text", text: "hello" }] }
      ])
      const res = yield* model.generateText({ prompt }).pipe(
        Effect.provideService(GenerationOptions, { provider: "cohere", model: "command-r", maxTokens: 100, stopSequences: ["###"], temperature: 0.2 })
      )
      assert.strictEqual(res.text, "echo: hello")
      assert.strictEqual(res.finishReason, "stop")
      assert.strictEqual(res.usage.inputTokens.total, 13, "tokens (not billed units) when both are present")
      const req = server.requests[0]!
      assert.strictEqual(`${req.method} ${req.path}`, "POST /v2/chat")
      assert.strictEqual(req.headers.authorization, `Bearer ${secret}`)
      assert.deepStrictEqual(req.body, {
        model: "command-r",
        messages: [{ role: "system", content: "be terse" }, { role: "user", content: "hello" }],
        stream: false,
        temperature: 0.2,
        max_tokens: 100,
        stop_sequences: ["###"]
      })
    }))

  it.live("structured output through response_format json_object with the output's JSON schema", () =>
    Effect.gen(function*() {
      const { model, server } = yield* setup(() => Wire.chat(JSON.stringify({ name: "Oslo", population: 700000 })))
      const City = Schema.Struct({ name: Schema.String, population: Schema.Number })
      const res = yield* model.generateObject({ prompt: "biggest city in Norway", schema: City, objectName: "city" })
      assert.deepStrictEqual(res.value, { name: "Oslo", population: 700000 })
      const format = server.requests[0]!.body.response_format
      assert.strictEqual(format.type, "json_object")
      assert.deepStrictEqual(Object.keys(format.json_schema.properties).sort(), ["name", "population"])
      const bad = yield* setup(() => Wire.chat("{\"name\": 1}"))
      const e = yield* failure(bad.model.generateObject({ prompt: "x", schema: City, objectName: "city" }))
      assert.strictEqual(e._tag, "InvalidOutput")
    }))

  it.live("tool calls: tools sent as functions, calls parsed back; bad arguments are InvalidOutput", () =>
    Effect.gen(function*() {
      const Weather = Tool.make("weather", { description: "Weather of a city", parameters: Schema.Struct({ city: Schema.String }), success: Schema.String })
      const toolkit = Toolkit.make(Weather)
      const { model, server } = yield* setup(() => Wire.chat(null, { toolCalls: [{ id: "call_1", name: "weather", arguments: "{\"city\":\"Oslo\"}" }] }))
      const res = yield* model.generateText({ prompt: "weather in Oslo?", toolkit, disableToolCallResolution: true })
      assert.deepStrictEqual(res.toolCalls.map((c) => [c.id, c.name, c.params]), [["call_1", "weather", { city: "Oslo" }]])
      assert.strictEqual(res.finishReason, "tool-calls")
      const tools = server.requests[0]!.body.tools
      assert.strictEqual(tools[0].type, "function")
      assert.strictEqual(tools[0].function.name, "weather")
      assert.strictEqual(tools[0].function.description, "Weather of a city")
      const broken = yield* setup(() => Wire.chat(null, { toolCalls: [{ id: "c", name: "weather", arguments: "{nope" }] }))
      const e = yield* failure(broken.model.generateText({ prompt: "x", toolkit, disableToolCallResolution: true }))
      assert.strictEqual(e._tag, "InvalidOutput")
    }))

  it.live("streaming over SSE: text deltas, tool calls assembled from pieces, usage at the end", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => Wire.chatStream(["The ", "answer ", "is 42"]))
      const parts = yield* Stream.runCollect(model.streamText({ prompt: "q" }))
      assert.strictEqual(parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join(""), "The answer is 42")
      const finish = parts.find((p) => p.type === "finish")
      assert.strictEqual(finish?.type === "finish" && finish.reason, "stop")
      assert.strictEqual(finish?.type === "finish" && finish.usage.inputTokens.total, 10)
      const Weather = Tool.make("weather", { parameters: Schema.Struct({ city: Schema.String }), success: Schema.String })
      const tool = yield* setup(() => Wire.chatStream([], { toolCall: { id: "call_9", name: "weather", pieces: ["{\"ci", "ty\":\"Oslo\"}"] } }))
      const toolParts = yield* Stream.runCollect(tool.model.streamText({ prompt: "q", toolkit: Toolkit.make(Weather), disableToolCallResolution: true }))
      const call = toolParts.find((p) => p.type === "tool-call")
      assert.deepStrictEqual(call?.type === "tool-call" && [call.id, call.name, call.params], ["call_9", "weather", { city: "Oslo" }])
    }))

  it.live("a stream dropped mid-way fails with ProviderUnavailable", () =>
    Effect.gen(function*() {
      const { model } = yield* setup(() => Wire.chatStream(["a ", "b ", "c"], { dropAfter: 3 }))
      const e = yield* failure(Stream.runCollect(model.streamText({ prompt: "q" })))
      assert.strictEqual(e._tag, "ProviderUnavailable")
    }))

  it.live("errors: 429 with Retry-After is RateLimited, 5xx ProviderUnavailable, 400 InvalidRequest, 401 with the key scrubbed", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [WireServer.Handler, string]> = [
        [() => Wire.error(429, "too many requests", { "retry-after": "2" }), "RateLimited"],
        [() => Wire.error(503, "overloaded"), "ProviderUnavailable"],
        [() => Wire.error(400, "invalid request: bad model"), "InvalidRequest"],
        [() => Wire.error(401, `invalid api token ${secret}`), "InvalidRequest"],
        [() => Wire.error(400, "too many tokens: the context length is 128000"), "ContextLengthExceeded"]
      ]
      for (const [handler, tag] of cases) {
        const { model } = yield* setup(handler)
        const e = yield* failure(model.generateText({ prompt: "x" }))
        assert.strictEqual(e._tag, tag, e.message)
        assert.notInclude(JSON.stringify(e), secret)
        if (e._tag === "RateLimited") assert.strictEqual(e.retryAfterMillis, 2000)
        if (e._tag === "InvalidRequest") assert.include([400, 401], e.status)
      }
      const slow = yield* setup(() => ({ kind: "hang" }), { timeout: "200 millis" })
      const t = yield* failure(slow.model.generateText({ prompt: "x" }))
      assert.strictEqual(t._tag, "ProviderTimeout")
    }))

  it.live("as a named Llm provider", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const text = yield* Llm.generate({ provider: "cohere", model: "command-r", prompt: "ping" }).pipe(
        Effect.provide(Cohere.layerLlm("cohere", { model: "command-r-plus", apiKey: key, baseUrl: server.url }))
      )
      assert.strictEqual(text, "echo: ping")
      assert.strictEqual(server.requests[0]!.body.model, "command-r")
    }))
})

describe("Cohere embeddings (wire)", () => {
  it.live("embedMany sends /v2/embed with input_type and float embeddings, in batches of 96, vectors in input order", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const inputs = Array.from({ length: 200 }, (_, i) => "x".repeat(i + 1))
      const vectors = yield* Embeddings.embedMany({ provider: "cohere", model: "embed-v4.0", inputs }).pipe(
        Effect.provide(Cohere.layerEmbeddingsProvider("cohere", { model: "command-r", apiKey: key, baseUrl: server.url, embeddingModel: "embed-english-v3.0" }))
      )
      assert.strictEqual(vectors.length, 200)
      assert.deepStrictEqual(vectors.map((v) => v[0]), inputs.map((t) => t.length))
      assert.deepStrictEqual(server.requests.map((r) => r.body.texts.length), [96, 96, 8])
      assert.deepStrictEqual(
        { ...server.requests[0]!.body, texts: undefined },
        { model: "embed-english-v3.0", texts: undefined, input_type: "search_document", embedding_types: ["float"] }
      )
      assert.strictEqual(server.requests[0]!.path, "/v2/embed")
    }))

  it.live("a reply with fewer vectors than texts is InvalidOutput", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => ({ kind: "json", body: { id: "e", response_type: "embeddings_by_type", embeddings: { float: [[1]] } } }))
      const e = yield* Effect.flip(Embeddings.embedMany({ provider: "cohere", model: "m", inputs: ["a", "b"] }).pipe(
        Effect.provide(Cohere.layerEmbeddingsProvider("cohere", { model: "command-r", apiKey: key, baseUrl: server.url }))
      ))
      assert.strictEqual(e._tag, "InvalidOutput")
    }))
})

describe("Cohere reranker (wire)", () => {
  it.live("rerank sends /v2/rerank with top_n and max_tokens_per_doc; results map back to the request's documents", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const documents = ["billing and invoices", "reset your password", "password rules", "shipping"].map((text, i) => ({ id: `d${i}`, text }))
      const ranked = yield* Reranker.rerank({ reranker: "cohere", query: "reset password", documents, topN: 2 }).pipe(
        Effect.provide(Cohere.layerReranker("cohere", { model: "command-r", apiKey: key, baseUrl: server.url }))
      )
      assert.deepStrictEqual(ranked, [{ index: 1, id: "d1", score: 1 }, { index: 2, id: "d2", score: 0.5 }])
      assert.deepStrictEqual(server.requests[0]!.body, {
        model: "rerank-v3.5",
        query: "reset password",
        documents: documents.map((d) => d.text),
        top_n: 2,
        max_tokens_per_doc: 4096
      })
    }))

  it.live("more than 1,000 documents: split into requests, merged by relevance, topN kept", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const documents = Array.from({ length: 2300 }, (_, i) => ({ id: i, text: i === 1700 ? "reset password" : i === 40 ? "password" : `doc ${i}` }))
      const ranked = yield* Reranker.rerank({ reranker: "cohere", query: "reset password", documents, topN: 2 }).pipe(
        Effect.provide(Cohere.layerReranker("cohere", { model: "command-r", apiKey: key, baseUrl: server.url }))
      )
      assert.deepStrictEqual(ranked.map((r) => r.id), [1700, 40])
      assert.deepStrictEqual(server.requests.map((r) => r.body.documents.length), [1000, 1000, 300])
    }))

  it.live("documents longer than maxTokensPerDoc are reported, not truncated silently; errors map like chat", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const logs: Array<string> = []
      const capture = Logger.layer([Logger.make((o) => void logs.push(String(o.message)))])
      yield* Reranker.rerank({ reranker: "cohere", query: "q", documents: [{ id: 1, text: "word ".repeat(200) }, { id: 2, text: "short" }] }).pipe(
        Effect.provide(Layer.merge(Cohere.layerReranker("cohere", { model: "command-r", apiKey: key, baseUrl: server.url, maxTokensPerDoc: 50 }), capture))
      )
      assert.isTrue(logs.some((l) => l.includes("1 of 2 documents may exceed 50 tokens")), logs.join("\n"))
      const failing = yield* WireServer.start(() => Wire.error(429, "slow down"))
      const e = yield* Effect.flip(Reranker.rerank({ reranker: "cohere", query: "q", documents: [{ id: 1, text: "a" }] }).pipe(
        Effect.provide(Cohere.layerReranker("cohere", { model: "command-r", apiKey: key, baseUrl: failing.url }))
      ))
      assert.strictEqual(e._tag, "RateLimited")
    }))
})

describe("Cohere.config", () => {
  it.effect("reads COHERE_API_KEY, COHERE_BASE_URL, COHERE_MODEL, COHERE_RERANK_MODEL", () =>
    Effect.gen(function*() {
      const options = yield* Cohere.config().pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({ COHERE_API_KEY: secret, COHERE_BASE_URL: "http://127.0.0.1:1", COHERE_RERANK_MODEL: "rerank-english-v3.0" })))
      )
      assert.strictEqual(options.model, "command-r-plus")
      assert.strictEqual(options.baseUrl, "http://127.0.0.1:1")
      assert.strictEqual(options.rerankModel, "rerank-english-v3.0")
      assert.strictEqual(Redacted.value(options.apiKey!), secret)
    }))
})

// The live Layer of the parallel-RAG example, against local servers speaking the OpenAI and Anthropic wire formats
// (no real API is reachable here): the same workflow, the real SDK adapters from src/providers.
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import * as AnthropicWire from "../test/support/wire/anthropic.ts"
import * as OpenAiWire from "../test/support/wire/openai.ts"
import * as WireServer from "../test/support/wire/WireServer.ts"
import { Workflow } from "../src/index.ts"
import { embeddingModel, isLive, liveLayer, parallelRag } from "./parallel-rag.ts"

describe("examples/parallel-rag live layer", () => {
  it("live mode needs both keys (or --live); --offline wins", () => {
    assert.isFalse(isLive([], {}))
    assert.isFalse(isLive([], { OPENAI_API_KEY: "k" }))
    assert.isTrue(isLive([], { OPENAI_API_KEY: "k", ANTHROPIC_API_KEY: "k" }))
    assert.isFalse(isLive(["--offline"], { OPENAI_API_KEY: "k", ANTHROPIC_API_KEY: "k" }))
    assert.isTrue(isLive(["--live"], {}))
  })

  it.live("runs against OpenAI embeddings and the Anthropic Messages API", () =>
    Effect.gen(function*() {
      const openai = yield* WireServer.start(OpenAiWire.embeddings)
      const anthropic = yield* WireServer.start(() => AnthropicWire.text("Use a retry schedule.", { usage: { input_tokens: 321, output_tokens: 5 } }))
      const config = ConfigProvider.layer(ConfigProvider.fromEnvRecord({
        OPENAI_API_KEY: "sk-openai-test",
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: "sk-ant-test",
        ANTHROPIC_BASE_URL: anthropic.url
      }))
      const result = yield* Workflow.execute(parallelRag, { query: "How do I retry?" }).pipe(
        Effect.provide(liveLayer().pipe(Layer.provide(config)))
      )
      assert.strictEqual(result.outputs.generate_answer, "Use a retry schedule.")
      // store seeding (one batch per collection) + the query embedding
      const embedRequests = openai.requests.filter((r) => r.path.endsWith("/embeddings"))
      assert.deepStrictEqual(embedRequests.map((r) => [r.body.model, r.body.input.length]), [
        [embeddingModel, 6],
        [embeddingModel, 4],
        [embeddingModel, 1]
      ])
      assert.deepStrictEqual(embedRequests[2]!.body.input, ["How do I retry?"])
      const [message] = anthropic.requests
      assert.strictEqual(message?.body.model, "claude-3-5-sonnet-20241022")
      assert.include(JSON.stringify(message?.body.messages), "Question: How do I retry?")
      // the configured keys reach the providers (as headers), never the run result
      assert.include(JSON.stringify(message?.headers), "sk-ant-test")
      assert.include(JSON.stringify(embedRequests[0]?.headers), "sk-openai-test")
      assert.notInclude(JSON.stringify(result), "sk-")
      // usage reported by the providers reaches the run result
      assert.strictEqual(result.steps["generate_answer"]?.usage?.inputTokens, 321)
      assert.strictEqual(result.steps["embed_query"]?.usage?.inputTokens, 2)
    }).pipe(Effect.scoped))
})

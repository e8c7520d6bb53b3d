import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { HttpServer } from "effect/http"
import { Embeddings, Llm } from "../../src/index.ts"
import { Prometheus, PrometheusText, Semconv } from "../../src/telemetry/index.ts"
import * as Mock from "../../src/testing/Mock.ts"

const mocks = Mock.layer({
  llm: { openai: { responses: "ok", whenExhausted: "repeat-last", usage: { inputTokens: 12, outputTokens: 7 } } },
  embeddings: { openai: {} }
})

const calls = Effect.gen(function*() {
  yield* Llm.generate({ provider: "openai", model: "gpt-4o", prompt: "hi" })
  yield* Llm.generate({ provider: "openai", model: "gpt-4o", prompt: "again" })
  yield* Embeddings.embed({ provider: "openai", model: "text-embedding-3-small", input: "hello" })
})

/** Runs `calls` with a fresh metric registry in semconv `version` and returns the exposition. */
const exposition = (version: Semconv.Version) =>
  Effect.gen(function*() {
    yield* calls
    return yield* Prometheus.format
  }).pipe(
    Effect.provide(mocks),
    Effect.provideService(Semconv.CurrentVersion, version),
    Effect.provideService(Metric.MetricRegistry, new Map())
  )

const familiesOf = (text: string) => [...PrometheusText.types(text).keys()]

describe("Prometheus metrics", () => {
  it.effect("v1.41: operation duration and token usage histograms, labelled by operation, provider and model", () =>
    Effect.gen(function*() {
      const text = yield* exposition("v1.41")
      const samples = PrometheusText.parse(text)
      const tokens = (type: string) =>
        samples.find((s) =>
          s.name === "gen_ai_client_token_usage_sum" && s.labels["gen_ai_token_type"] === type && s.labels["gen_ai_request_model"] === "gpt-4o"
        )?.value
      assert.strictEqual(tokens("input"), 24)
      assert.strictEqual(tokens("output"), 14)
      const chatCount = samples.find((s) =>
        s.name === "gen_ai_client_operation_duration_seconds_count" && s.labels["gen_ai_operation_name"] === "chat"
      )
      assert.deepStrictEqual(chatCount?.labels, {
        gen_ai_operation_name: "chat",
        gen_ai_provider_name: "openai",
        gen_ai_request_model: "gpt-4o"
      })
      assert.strictEqual(chatCount?.value, 2)
      assert.isDefined(samples.find((s) => s.name === "gen_ai_client_operation_duration_seconds_count" && s.labels["gen_ai_operation_name"] === "embeddings"))
      // the exported GenAI families are exactly the pinned version's
      const genAi = familiesOf(text).filter((f) => f.startsWith("gen_ai_"))
      assert.sameMembers(genAi, [Semconv.v1_41.metrics.operationDuration.prometheus, Semconv.v1_41.metrics.tokenUsage!.prometheus])
      assert.deepStrictEqual(
        genAi.map((f) => PrometheusText.types(text).get(f)),
        ["histogram", "histogram"]
      )
    }))

  it.effect("latest (gen_ai_latest_experimental): inference duration and token counters with a modality", () =>
    Effect.gen(function*() {
      const text = yield* exposition("latest")
      const samples = PrometheusText.parse(text)
      const input = samples.find((s) => s.name === "gen_ai_client_inference_usage_input_tokens_total")
      assert.deepStrictEqual(input, {
        name: "gen_ai_client_inference_usage_input_tokens_total",
        labels: { gen_ai_operation_name: "chat", gen_ai_provider_name: "openai", gen_ai_request_model: "gpt-4o", gen_ai_token_modality: "text" },
        value: 24
      })
      const genAi = familiesOf(text).filter((f) => f.startsWith("gen_ai_"))
      const m = Semconv.latest.metrics
      assert.sameMembers(genAi, [m.inferenceDuration.prometheus, m.operationDuration.prometheus, m.inputTokens!.prometheus, m.outputTokens!.prometheus])
      assert.notInclude(text, "gen_ai_client_token_usage")
    }))

  it("the convention tables: v1.41 and latest names, Prometheus translation, the opt-in switch", () => {
    assert.strictEqual(Semconv.fromEnv(undefined), "v1.41")
    assert.strictEqual(Semconv.fromEnv("http,gen_ai_latest_experimental"), "latest")
    assert.strictEqual(Semconv.fromEnv("http"), "v1.41")
    assert.deepStrictEqual(
      [Semconv.v1_41.metrics.inferenceDuration.name, Semconv.v1_41.metrics.tokenUsage?.name],
      ["gen_ai.client.operation.duration", "gen_ai.client.token.usage"]
    )
    assert.deepStrictEqual(
      [Semconv.latest.metrics.inferenceDuration.name, Semconv.latest.metrics.inputTokens?.name, Semconv.latest.metrics.workflowDuration?.name],
      ["gen_ai.client.inference.duration", "gen_ai.client.inference.usage.input_tokens", "gen_ai.invoke_workflow.duration"]
    )
    assert.strictEqual(Semconv.v1_41.attributes.usageCacheWriteInputTokens, "gen_ai.usage.cache_creation.input_tokens")
    assert.strictEqual(Semconv.latest.attributes.usageCacheWriteInputTokens, "gen_ai.usage.cache_write.input_tokens")
    assert.strictEqual(Semconv.prometheusName("gen_ai.client.operation.duration", "s", "histogram"), "gen_ai_client_operation_duration_seconds")
    assert.strictEqual(Semconv.prometheusName("gen_ai.client.inference.usage.output_tokens", "{token}", "counter"), "gen_ai_client_inference_usage_output_tokens_total")
  })

  it.effect("every exported family follows the Prometheus naming rules and has no unbounded label", () =>
    Effect.gen(function*() {
      const text = yield* exposition("v1.41")
      const types = PrometheusText.types(text)
      assert.isAbove(types.size, 0)
      for (const [name, type] of types) {
        assert.match(name, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/)
        if (type === "counter") assert.match(name, /_total$/, `${name} is a counter`)
        assert.notMatch(name, /_millis|_ms$/, `${name} must use base units`)
      }
      for (const s of PrometheusText.parse(text)) {
        for (const label of Object.keys(s.labels)) assert.notInclude(["run_id", "runId", "trace_id", "span_id", "prompt"], label)
      }
    }))

  it.live("layerServer serves GET /metrics on a real port with the exposition content type", () =>
    Effect.gen(function*() {
      yield* Effect.provide(calls, mocks)
      const address = yield* HttpServer.HttpServer.pipe(Effect.map((s) => s.address))
      assert.strictEqual(address._tag, "InetAddressV4")
      const port = address._tag === "InetAddressV4" ? address.port : 0
      const res = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`))
      assert.strictEqual(res.status, 200)
      assert.strictEqual(res.headers.get("content-type"), Prometheus.contentType)
      const body = yield* Effect.promise(() => res.text())
      assert.include(body, "# TYPE gen_ai_client_operation_duration_seconds histogram")
      const other = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/other`))
      assert.strictEqual(other.status, 404)
    }).pipe(Effect.provide(Prometheus.layerServer({ port: 0, host: "127.0.0.1" }))))

  it("the summary reads runs, percentiles, calls and reliability back from an exposition", () => {
    const text = [
      `workflow_run_duration_seconds_bucket{workflow="rag",status="succeeded",le="0.5"} 1`,
      `workflow_run_duration_seconds_bucket{workflow="rag",status="succeeded",le="1"} 4`,
      `workflow_run_duration_seconds_bucket{workflow="rag",status="succeeded",le="+Inf"} 4`,
      `workflow_runs_in_flight{workflow="rag"} 2`,
      `workflow_cost_usd_total{workflow="rag"} 0.0125`,
      `gen_ai_client_operation_duration_seconds_bucket{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o",le="+Inf"} 3`,
      `gen_ai_client_token_usage_sum{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o",gen_ai_token_type="input"} 300`,
      `llm_retries_total{provider="openai"} 2`,
      `llm_circuit_state{provider="anthropic"} 2`
    ].join("\n")
    const out = PrometheusText.summary(text)
    assert.include(out, "rag succeeded: 4 (p50 667ms, p99 993ms)")
    assert.include(out, "rag in flight: 2")
    assert.include(out, "rag cost: $0.0125")
    assert.include(out, "openai gpt-4o: 3")
    assert.include(out, "tokens 300 in / 0 out")
    assert.include(out, "retries 2")
    assert.include(out, "open circuits: anthropic")
  })
})



import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema, Tracer } from "effect"
import { Llm, Workflow } from "../../src/index.ts"
import { GenAiSpan, Semconv, SpanRecorder, Telemetry, Tracing } from "../../src/telemetry/index.ts"
import * as Mock from "../../src/testing/Mock.ts"
import { type ReceivedSpan, startOtlpReceiver } from "../support/otlpReceiver.ts"

const wf = Workflow.make("answer-flow", { input: Schema.Struct({ question: Schema.String }) })
  .step("draft", (ctx) =>
    Llm.generate({ provider: "openai", model: "gpt-4o", prompt: ctx.input.question, temperature: 0.2, maxTokens: 64 }))
  .step("polish", { needs: ["draft"] }, (ctx) => Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt: ctx.draft }))

const mocks = Mock.layer({ llm: { openai: { responses: ["a draft", "polished"], usage: { inputTokens: 12, outputTokens: 7 } } } })

/** Runs `wf` with spans exported to a fresh receiver over `protocol`, and returns what the receiver decoded. */
const exportRun = (protocol: "http/json" | "http/protobuf", extra: Layer.Layer<never> = Layer.empty) =>
  Effect.gen(function*() {
    const receiver = yield* Effect.promise(() => startOtlpReceiver())
    yield* Effect.addFinalizer(() => Effect.promise(() => receiver.close()))
    const tracing = Tracing.layer({ endpoint: receiver.endpoint, protocol }, { OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test" })
    // releasing the tracing layer flushes the batch to the receiver
    yield* Workflow.execute(wf, { question: "why?" }).pipe(Effect.provide(Layer.mergeAll(mocks, extra)), Effect.provide(tracing))
    return receiver.spans()
  })

const byName = (spans: ReadonlyArray<ReceivedSpan>, name: string): ReceivedSpan => {
  const span = spans.find((s) => s.name === name)
  assert.isDefined(span, `no span named '${name}' in ${spans.map((s) => s.name).join(", ")}`)
  return span!
}

describe("Tracing over OTLP/HTTP", () => {
  it("the configuration comes from the OTEL_* variables, with overrides; off when nothing is set", () => {
    assert.isUndefined(Tracing.fromEnv({}))
    const base = Tracing.fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/", OTEL_SERVICE_NAME: "rag-api" })
    assert.deepInclude(base, { url: "http://collector:4318/v1/traces", protocol: "http/protobuf", serviceName: "rag-api" })
    const traces = Tracing.fromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://ignored:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://tempo:4318/v1/traces",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20abc,x-team=ml",
      OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attrs,deployment.environment=prod",
      OTEL_BSP_SCHEDULE_DELAY: "250"
    })
    assert.strictEqual(traces?.url, "http://tempo:4318/v1/traces")
    assert.strictEqual(traces?.protocol, "http/json")
    assert.deepStrictEqual(traces?.headers, { authorization: "Bearer abc", "x-team": "ml" })
    assert.strictEqual(traces?.serviceName, "from-attrs")
    assert.strictEqual(traces?.attributes?.["deployment.environment"], "prod")
    // the flag wins over the environment; none/disabled turn export off unless a flag asks for it
    assert.strictEqual(Tracing.fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318" }, { endpoint: "http://b:4318" })?.url, "http://b:4318/v1/traces")
    assert.isUndefined(Tracing.fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_TRACES_EXPORTER: "none" }))
    assert.isUndefined(Tracing.fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_SDK_DISABLED: "true" }))
    assert.strictEqual(Tracing.fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318" })?.serviceName, "llm-orchestrator")
  })

  it.effect("off when not configured: Effect's native tracer stays, so the engine makes no spans", () =>
    Effect.gen(function*() {
      const current = yield* Effect.withFiber((fiber) => Effect.succeed(fiber.getRef(Tracer.Tracer)))
      assert.strictEqual(current, Tracer.nativeTracer)
    }).pipe(Effect.provide(Tracing.layer({}, {}))))

  for (const protocol of ["http/protobuf", "http/json"] as const) {
    it.live(`${protocol}: one span tree per run, LLM spans with the GenAI attributes, resource from the environment`, () =>
      Effect.gen(function*() {
        const spans = yield* exportRun(protocol)
        const run = byName(spans, "invoke_workflow answer-flow")
        const draft = byName(spans, "workflow.step draft")
        const polish = byName(spans, "workflow.step polish")
        const chat = byName(spans, "chat gpt-4o")
        const mini = byName(spans, "chat gpt-4o-mini")
        // one trace, parent links: run -> step -> call
        assert.strictEqual(new Set(spans.map((s) => s.traceId)).size, 1)
        assert.strictEqual(run.parentSpanId, "")
        assert.strictEqual(draft.parentSpanId, run.spanId)
        assert.strictEqual(polish.parentSpanId, run.spanId)
        assert.strictEqual(chat.parentSpanId, draft.spanId)
        assert.strictEqual(mini.parentSpanId, polish.spanId)
        assert.strictEqual(chat.kind, 3) // CLIENT
        assert.deepInclude(chat.attributes, {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "openai",
          "gen_ai.request.model": "gpt-4o",
          "gen_ai.request.temperature": 0.2,
          "gen_ai.request.max_tokens": 64,
          "gen_ai.usage.input_tokens": 12,
          "gen_ai.usage.output_tokens": 7,
          "gen_ai.response.finish_reasons": ["stop"]
        })
        // privacy by default: no prompt or completion text
        assert.notProperty(chat.attributes, "gen_ai.input.messages")
        assert.notProperty(chat.attributes, "gen_ai.output.messages")
        // every gen_ai.* / error.* name is one of the pinned version's
        const pinned = Semconv.allNames(Semconv.v1_41)
        for (const s of spans) {
          for (const key of Object.keys(s.attributes)) {
            if (key.startsWith("gen_ai.") || key.startsWith("error.")) assert.isTrue(pinned.has(key), `${key} is not a v1.41 name`)
          }
        }
        assert.isTrue(chat.startNanos >= draft.startNanos && chat.endNanos <= draft.endNanos, "the call lies inside its step")
        assert.strictEqual(run.status.code, 1)
        assert.strictEqual(run.resource["service.name"], "llm-orchestrator")
        assert.strictEqual(run.resource["deployment.environment"], "test")
      }))
  }

  it.live("prompt and completion text are recorded only on opt-in", () =>
    Effect.gen(function*() {
      const spans = yield* exportRun("http/json", Layer.succeed(GenAiSpan.CaptureContent, true))
      const chat = byName(spans, "chat gpt-4o")
      assert.strictEqual(
        chat.attributes["gen_ai.input.messages"],
        JSON.stringify([{ role: "user", parts: [{ type: "text", content: "why?" }] }])
      )
      assert.include(String(chat.attributes["gen_ai.output.messages"]), "a draft")
    }))

  it.live("a failed call carries error.type and an error status", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => startOtlpReceiver())
      yield* Effect.addFinalizer(() => Effect.promise(() => receiver.close()))
      const failing = Mock.layer({ llm: { openai: { failures: { firstN: 1, error: "rate-limited" } } } })
      yield* Llm.generate({ provider: "openai", model: "gpt-4o", prompt: "hi" }).pipe(
        Effect.exit,
        Effect.provide(failing),
        Effect.provide(Tracing.layer({ endpoint: receiver.endpoint, protocol: "http/json" }, {}))
      )
      const chat = byName(receiver.spans(), "chat gpt-4o")
      assert.strictEqual(chat.attributes["error.type"], "RateLimited")
      assert.strictEqual(chat.status.code, 2)
    }))

  it.live("Telemetry.layer: the recorder sees the same spans the exporter sends; settings sections map onto options", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => startOtlpReceiver())
      yield* Effect.addFinalizer(() => Effect.promise(() => receiver.close()))
      const recorder = SpanRecorder.make()
      yield* Workflow.execute(wf, { question: "why?" }).pipe(
        Effect.provide(mocks),
        Effect.provide(Telemetry.layer({ otlpEndpoint: receiver.endpoint, recorder, env: { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" } }))
      )
      const exported = receiver.spans().map((s) => s.spanId).sort()
      assert.strictEqual(exported.length, 5)
      assert.deepStrictEqual(recorder.spans().map((s) => s.spanId).sort(), exported)
      assert.deepStrictEqual(
        Telemetry.fromSettings({ otlp_endpoint: "http://c:4318", metrics_port: 9464, semconv: "latest" }, { format: "json", level: "debug" }),
        { otlpEndpoint: "http://c:4318", metricsPort: 9464, semconv: "latest", log: { format: "json", level: "Debug" } }
      )
    }))
})

// The snippets quoted by docs/observability.md (between `#region name` / `#endregion` markers), run as tests: traces
// exported to a local OTLP/HTTP receiver, a traceparent continued, Prometheus text, a waterfall, a budget that stops a
// run. The last test checks that the document quotes them verbatim.
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect, Layer, Schema, Tracer } from "effect"
import { BudgetExceeded, Llm, StepFailed, Workflow } from "../../src/index.ts"
import { Pricing } from "../../src/providers/index.ts"
import { Prometheus, SpanRecorder, TraceContext, Tracing, Waterfall } from "../../src/telemetry/index.ts"
import { Mock } from "../../src/testing/index.ts"
import { startOtlpReceiver } from "../support/otlpReceiver.ts"

// #region workflow
const answer = Workflow.make("answer", { input: Schema.Struct({ question: Schema.String }) })
  .step("draft", (ctx) => Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt: ctx.input.question, maxTokens: 200 }))
  .step("polish", { needs: ["draft"] }, (ctx) => Llm.generate({ provider: "openai", model: "gpt-4o", prompt: ctx.draft, maxTokens: 200 }))
// #endregion workflow

const mocks = Mock.layer({ llm: { openai: { responses: "ok", whenExhausted: "repeat-last", usage: { inputTokens: 100, outputTokens: 50 } } } })

describe("docs/observability.md snippets", () => {
  it.live("traces over OTLP/HTTP", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => startOtlpReceiver())
      yield* Effect.addFinalizer(() => Effect.promise(() => receiver.close()))
      const endpoint = receiver.endpoint
      // #region tracing
      // OTEL_EXPORTER_OTLP_ENDPOINT in the environment does the same; without either, nothing is exported (or made)
      const traced = Workflow.execute(answer, { question: "What is a span?" }).pipe(
        Effect.provide(Tracing.layer({ endpoint })) // spans are batched, and flushed when the layer is released
      )
      // #endregion tracing
      yield* traced.pipe(Effect.provide(mocks))
      const names = receiver.spans().map((s) => s.name).sort()
      assert.deepStrictEqual(names, ["chat gpt-4o", "chat gpt-4o-mini", "invoke_workflow answer", "workflow.step draft", "workflow.step polish"])
    }))

  it.effect("a traceparent continued", () =>
    Effect.gen(function*() {
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({ span: (options) => (spans.push(new Tracer.NativeSpan(options)), spans.at(-1)!) })
      // #region traceparent
      // a worker: the job carries the producer's `traceparent` (TraceContext.inject wrote it)
      const job = { input: { question: "hi" }, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }
      const continued = Workflow.run(answer, job.input).pipe(TraceContext.withParent(job.traceparent))
      // #endregion traceparent
      yield* continued.pipe(Effect.provide(mocks), Effect.provideService(Tracer.Tracer, tracer))
      assert.isTrue(spans.every((s) => s.traceId === "4bf92f3577b34da6a3ce929d0e0e4736"))
      const run = spans.find((s) => s.name === "invoke_workflow answer")!
      assert.strictEqual(run.parent._tag === "Some" && run.parent.value.spanId, "00f067aa0ba902b7")
    }))

  it.effect("Prometheus text of a run's metrics", () =>
    Effect.gen(function*() {
      // #region metrics
      const text = yield* Workflow.run(answer, { question: "hi" }).pipe(
        Effect.andThen(Prometheus.format), // what GET /metrics serves
        Effect.provide(Prometheus.layerEnabled) // record workflow metrics (serve and --metrics-port turn this on)
      )
      // workflow_runs_finished_total{status="succeeded",workflow="answer"} 1
      // gen_ai_client_token_usage_bucket{gen_ai_operation_name="chat",gen_ai_provider_name="openai",...}
      // #endregion metrics
        .pipe(Effect.provide(mocks))
      const finished = text.split("\n").find((l) => l.startsWith("workflow_runs_finished_total{") && l.includes(`workflow="answer"`))
      assert.isDefined(finished, text)
      assert.include(finished, `status="succeeded"`)
      assert.match(text, /workflow_step_duration_seconds_count\{[^}]*step="polish"/)
      assert.include(text, "gen_ai_client_token_usage_bucket{")
    }))

  it.effect("the waterfall of a run", () =>
    Effect.gen(function*() {
      // #region waterfall
      const recorder = SpanRecorder.make()
      yield* Workflow.run(answer, { question: "hi" }).pipe(Effect.provide(SpanRecorder.layer(recorder)), Effect.provide(mocks))
      const waterfall = Waterfall.render(recorder.spans()) // what `run --trace` prints
      // #endregion waterfall
      assert.include(waterfall, "invoke_workflow answer")
      assert.include(waterfall, "workflow.step polish")
      assert.include(waterfall, "chat gpt-4o")
    }).pipe(Effect.provideService(Tracer.Tracer, Tracer.make({ span: (options) => new Tracer.NativeSpan(options) }))))

  it.effect("a budget stops the run before the call that would pass it", () =>
    Effect.gen(function*() {
      // #region budget
      // gpt-4o at $2.50 / $10 per million tokens: polish may cost up to 100 × 2.5e-6 + 200 × 10e-6 = $0.00225
      const capped = Workflow.execute(answer, { question: "hi" }, { budget: { usd: 0.002 } })
      const error = yield* Effect.flip(capped.pipe(Effect.provide(Layer.merge(mocks, Pricing.layer({ "gpt-4o": { input: 2.5, output: 10 } })))))
      // StepFailed { stepId: "polish", error: BudgetExceeded { limit: "usd", spentUsd: 0.000045, ... } }: polish was never sent
      // #endregion budget
      assert.instanceOf(error, StepFailed)
      const failed = error as StepFailed
      assert.strictEqual(failed.stepId, "polish")
      assert.instanceOf(failed.error, BudgetExceeded)
      assert.include((failed.error as BudgetExceeded).message, "Budget exceeded in step 'polish'")
    }))

  it("docs/observability.md quotes these snippets verbatim", () => {
    const source = readFileSync(new URL(import.meta.url), "utf8")
    const doc = readFileSync(new URL("../../docs/observability.md", import.meta.url), "utf8")
    const regions = new Map<string, string>()
    for (const m of source.matchAll(/\/\/ #region ([\w-]+)\n([\s\S]*?)\n\s*\/\/ #endregion \1/g)) {
      const lines = m[2]!.split("\n")
      const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length))
      regions.set(m[1]!, lines.map((l) => l.slice(indent)).join("\n"))
    }
    const quoted = [...doc.matchAll(/<!-- snippet: ([\w-]+) -->\n```ts\n([\s\S]*?)\n```/g)]
    assert.strictEqual(quoted.length, regions.size)
    for (const [, name, body] of quoted) {
      assert.isTrue(regions.has(name!), `unknown snippet ${name}`)
      assert.strictEqual(body, regions.get(name!), `docs/observability.md snippet "${name}" differs from the test file`)
    }
  })
})

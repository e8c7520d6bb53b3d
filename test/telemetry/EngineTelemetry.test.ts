/**
 * The engine's telemetry and budget observers: a run's budget over its steps, map items and sub-workflows; run and
 * step metrics; the span tree below steps (map items, loop iterations, branch cases, sub-workflows, reliability events);
 * step correlation for log lines.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Metric, Schema, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { BudgetExceeded, Llm, StepFailed, Workflow, type WorkflowEvent } from "../../src/index.ts"
import { Pricing } from "../../src/providers/index.ts"
import * as ReliabilityEvent from "../../src/reliability/ReliabilityEvent.ts"
import { Correlation, Prometheus, PrometheusText } from "../../src/telemetry/index.ts"
import * as Mock from "../../src/testing/Mock.ts"
import { MockRecorder } from "../../src/testing/MockRecorder.ts"

const Input = Schema.Struct({ topic: Schema.String })
// $0.001 per token; a call estimated at 10 tokens in with maxTokens 10 reserves $0.02 and costs $0.015 (10 in, 5 out)
const prices = Pricing.layer({ "m": { input: 1000, output: 1000 } })
const ask = (prompt: string = "x".repeat(30)) => Llm.generate({ provider: "openai", model: "m", prompt, maxTokens: 10 })
const mocks = (latency?: "1 second") =>
  Layer.mergeAll(
    Mock.layer({ llm: { openai: { responses: "ok", whenExhausted: "repeat-last", usage: { inputTokens: 10, outputTokens: 5 }, ...(latency ? { latency } : {}) } } }),
    prices
  )

const stepError = <A, E>(exit: Exit.Exit<A, E>): StepFailed => {
  assert.isTrue(Exit.isFailure(exit))
  const reason = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
  const error = (reason as { error: unknown } | undefined)?.error
  assert.instanceOf(error, StepFailed)
  return error as StepFailed
}

describe("a run's budget", () => {
  it.effect("stops a runaway loop at the call that would pass it, naming the step and the spend; retries do not retry it", () =>
    Effect.gen(function*() {
      const recorder = yield* MockRecorder
      const events: Array<WorkflowEvent> = []
      const wf = Workflow.make("runaway", { input: Input })
        .loop("refine", { needs: [], initial: () => 0, until: () => false, maxIterations: 1000, retry: { times: 3 } }, (n) =>
          Effect.as(ask(), n + 1))
      const exit = yield* Effect.exit(Workflow.execute(wf, { topic: "t" }, { budget: { usd: 0.1 }, onEvent: (e) => events.push(e) }))
      const failed = stepError(exit)
      assert.strictEqual(failed.stepId, "refine")
      assert.strictEqual(failed.attempt, 1)
      const budget = failed.error as BudgetExceeded
      assert.instanceOf(budget, BudgetExceeded)
      assert.strictEqual(budget.stepId, "refine")
      assert.closeTo(budget.spentUsd, 0.09, 1e-9)
      assert.include(budget.message, "Budget exceeded in step 'refine'")
      // 6 calls fit ($0.015 each, the 7th's worst case of $0.02 would pass $0.10); never one more
      assert.strictEqual(recorder.count("openai"), 6)
      const provider = events.filter((e) => e._tag === "ProviderEvent")
      assert.deepStrictEqual(provider.map((e) => e._tag === "ProviderEvent" && [e.stepId, e.event._tag]), [["refine", "BudgetExceeded"]])
      const finished = events.at(-1)
      assert.strictEqual(finished?._tag === "RunFinished" && finished.status, "failed")
    }).pipe(Effect.provide(mocks())))

  it.effect("is shared by parallel map items and sub-workflows: a fan-out of 20 concurrent calls sends only the 5 that fit", () =>
    Effect.gen(function*() {
      const recorder = yield* MockRecorder
      const sub = Workflow.make("sub", { input: Input }).step("one", () => ask())
      const wf = Workflow.make("fanout", { input: Input })
        .step("first", () => ask())
        .call("nested", { needs: ["first"], input: (ctx) => ({ topic: ctx.input.topic }) }, sub)
        .map("items", { needs: ["nested"], over: () => Array.from({ length: 20 }, (_, i) => i), concurrency: "unbounded" }, () => ask())
      const fiber = yield* Effect.forkChild(Effect.exit(Workflow.execute(wf, { topic: "t" }, { budget: { usd: 0.12 } })))
      yield* TestClock.adjust("3 seconds")
      const failed = stepError(yield* Fiber.join(fiber))
      assert.strictEqual(failed.stepId, "items")
      // first + nested/one spend $0.03; $0.09 left holds 4 reservations of $0.02 while all 20 items are in flight
      assert.strictEqual(recorder.count("openai"), 2 + 4)
      assert.strictEqual((failed.error as BudgetExceeded).stepId, "items")
    }).pipe(Effect.provide(mocks("1 second"))))

  it.effect("a run within its budget reports the spend, and the cost per step and per run", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("cheap", { input: Input })
        .step("a", () => ask())
        .step("b", { needs: ["a"] }, () => Effect.andThen(ask(), ask()))
        .step("plain", () => Effect.succeed(1))
      const result = yield* Workflow.execute(wf, { topic: "t" }, { budget: { usd: 1, tokens: 1000 } })
      assert.closeTo(result.steps["a"]!.costUsd!, 0.015, 1e-12)
      assert.closeTo(result.steps["b"]!.costUsd!, 0.03, 1e-12)
      assert.isUndefined(result.steps["plain"]!.costUsd)
      assert.closeTo(result.costUsd, 0.045, 1e-12)
      assert.closeTo(result.budget!.usd, 0.045, 1e-12)
      assert.deepInclude(result.budget!, { tokens: 45, calls: 3, refused: 0, reservedTokens: 0 })
      assert.isUndefined(result.unpricedModels)
    }).pipe(Effect.provide(mocks())))
})

describe("run and step metrics", () => {
  const metricsOf = <R>(effect: Effect.Effect<unknown, unknown, R>) =>
    Effect.gen(function*() {
      yield* Effect.exit(effect)
      return PrometheusText.parse(yield* Prometheus.format)
    }).pipe(Effect.provide(Prometheus.layerEnabled), Effect.provideService(Metric.MetricRegistry, new Map()))

  it.effect("runs started / finished by status, in flight back to 0, step durations by step and kind, retries, tokens and cost by workflow", () =>
    Effect.gen(function*() {
      let attempts = 0
      const wf = Workflow.make("measured", { input: Input })
        .step("call", () => Effect.andThen(Effect.sleep("2 seconds"), ask()))
        .step("flaky", { retry: { times: 2 } }, () => Effect.suspend(() => (++attempts < 3 ? Effect.fail("again") : Effect.succeed(1))))
        .map("items", { needs: [], over: () => [1, 2], concurrency: 2 }, (n) => Effect.succeed(n))
      const run = Workflow.run(wf, { topic: "t" })
      const fiber = yield* Effect.forkChild(metricsOf(Effect.andThen(run, Effect.andThen(Effect.sync(() => (attempts = 0)), run))))
      yield* TestClock.adjust("10 seconds")
      const samples = yield* Fiber.join(fiber)
      const value = (name: string, labels: Record<string, string>) =>
        samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
      assert.strictEqual(value("workflow_runs_started_total", { workflow: "measured" }), 2)
      assert.strictEqual(value("workflow_runs_finished_total", { workflow: "measured", status: "succeeded" }), 2)
      assert.strictEqual(value("workflow_runs_in_flight", { workflow: "measured" }), 0)
      assert.strictEqual(value("workflow_run_duration_seconds_sum", { workflow: "measured", status: "succeeded" }), 4)
      assert.strictEqual(value("workflow_step_duration_seconds_count", { workflow: "measured", step: "call", kind: "step", status: "succeeded" }), 2)
      assert.strictEqual(value("workflow_step_duration_seconds_sum", { workflow: "measured", step: "call" }), 4)
      assert.strictEqual(value("workflow_step_duration_seconds_count", { step: "items", kind: "map" }), 2)
      assert.strictEqual(value("workflow_step_retries_total", { workflow: "measured", step: "flaky" }), 4)
      assert.strictEqual(value("workflow_tokens_total", { workflow: "measured", direction: "input" }), 20)
      assert.closeTo(value("workflow_cost_usd_total", { workflow: "measured" })!, 0.03, 1e-12)
      for (const s of samples) assert.notProperty(s.labels, "run_id")
    }).pipe(Effect.provide(mocks())))

  it.effect("a failed run counts as failed; a budget refusal counts by limit", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("capped", { input: Input }).step("a", () => Effect.andThen(ask(), ask()))
      const samples = yield* metricsOf(Workflow.run(wf, { topic: "t" }, { budget: { usd: 0.03 } }))
      const value = (name: string, labels: Record<string, string>) =>
        samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
      assert.strictEqual(value("workflow_runs_finished_total", { workflow: "capped", status: "failed" }), 1)
      assert.strictEqual(value("workflow_budget_exceeded_total", { workflow: "capped", limit: "usd" }), 1)
      assert.strictEqual(value("workflow_step_duration_seconds_count", { step: "a", status: "failed" }), 1)
    }).pipe(Effect.provide(mocks())))
})

/** A tracer keeping every span it makes. */
const recordingTracer = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  const parentOf = (s: Tracer.NativeSpan) => {
    const parent = s.parent
    return parent._tag === "Some" ? spans.find((p) => p.spanId === parent.value.spanId)?.name : undefined
  }
  return { tracer, spans, parentOf }
}

describe("the span tree below steps", () => {
  it.effect("map items, loop iterations, branch cases and sub-workflows get spans; reliability events land on the innermost span", () =>
    Effect.gen(function*() {
      const { tracer, spans, parentOf } = recordingTracer()
      const sub = Workflow.make("sub", { input: Input }).step("inner", () => Effect.succeed(1))
      const wf = Workflow.make("tree", { input: Input })
        .map("items", { needs: [], over: () => ["a", "b"], concurrency: 2 }, (item) => Effect.succeed(item))
        .loop("refine", { needs: [], initial: () => 0, until: (n) => n >= 2, maxIterations: 5 }, (n) => Effect.succeed(n + 1))
        .branch("route", { needs: [], on: (): "left" | "right" => "left" }, {
          left: (b) => b.step("l", () => ReliabilityEvent.emit({ _tag: "CacheHit", cache: "answers", key: "k1" })),
          right: (b) => b.step("r", () => Effect.void)
        })
        .call("nested", { needs: [], input: (ctx) => ({ topic: ctx.input.topic }) }, sub)
      yield* Workflow.execute(wf, { topic: "t" }).pipe(Effect.provideService(Tracer.Tracer, tracer))
      const byName = (name: string) => spans.find((s) => s.name === name)!
      assert.strictEqual(parentOf(byName("workflow.map.item items[0]")), "workflow.step items")
      assert.strictEqual(parentOf(byName("workflow.map.item items[1]")), "workflow.step items")
      assert.strictEqual(parentOf(byName("workflow.loop.iteration refine#1")), "workflow.step refine")
      assert.isUndefined(spans.find((s) => s.name === "workflow.loop.iteration refine#2"))
      assert.strictEqual(byName("workflow.step route").attributes.get("workflow.branch.case"), "left")
      assert.strictEqual(parentOf(byName("workflow.step route/left/l")), "workflow.step route")
      assert.strictEqual(byName("workflow.step nested").attributes.get("workflow.call.workflow"), "sub")
      assert.strictEqual(parentOf(byName("workflow.step nested/inner")), "workflow.step nested")
      const hit = byName("workflow.step route/left/l").events.find(([name]) => name === "CacheHit")
      assert.deepStrictEqual(hit?.[2], { cache: "answers", key: "k1" })
      const run = byName("invoke_workflow tree")
      assert.strictEqual(run.attributes.get("gen_ai.operation.name"), "invoke_workflow")
      assert.strictEqual(run.attributes.get("gen_ai.workflow.name"), "tree")
    }))
})

describe("spans without records or events", () => {
  it.effect("Workflow.run with a tracer: the steps have no sinks of their own, and a call's reliability event still lands on its step's span", () =>
    Effect.gen(function*() {
      const { tracer, spans, parentOf } = recordingTracer()
      const wf = Workflow.make("plain", { input: Input })
        .step("a", () => Effect.as(ReliabilityEvent.emit({ _tag: "CacheHit", cache: "answers", key: "k2" }), 1))
        .step("b", { needs: ["a"] }, (ctx) => Effect.succeed(ctx.a + 1))
      const seen: Array<string> = []
      const outer = { publish: (event: ReliabilityEvent.ReliabilityEvent) => Effect.sync(() => void seen.push(event._tag)) }
      const outputs = yield* Workflow.run(wf, { topic: "t" }).pipe(
        Effect.provideService(Tracer.Tracer, tracer),
        Effect.provideService(ReliabilityEvent.ReliabilityEvents, outer)
      )
      assert.deepStrictEqual(outputs, { a: 1, b: 2 })
      const a = spans.find((s) => s.name === "workflow.step a")!
      assert.deepStrictEqual(a.events.find(([name]) => name === "CacheHit")?.[2], { cache: "answers", key: "k2" })
      assert.deepStrictEqual(a.attributes.get("workflow.kind"), "step")
      assert.strictEqual(parentOf(spans.find((s) => s.name === "workflow.step b")!), "invoke_workflow plain")
      // the run's own sink still receives the event
      assert.deepStrictEqual(seen, ["CacheHit"])
      // a second run reuses the step's span name and attributes and gets spans of its own
      yield* Workflow.run(wf, { topic: "t" }).pipe(Effect.provideService(Tracer.Tracer, tracer))
      assert.strictEqual(spans.filter((s) => s.name === "workflow.step a").length, 2)
      assert.isTrue(spans.filter((s) => s.name === "workflow.step a").every((s) => s.status._tag === "Ended"))
    }))
})

describe("step correlation", () => {
  it.effect("with correlation on, each step's fiber knows its run and step path (sub-workflows included)", () =>
    Effect.gen(function*() {
      const where = Effect.withFiber((fiber) => Effect.succeed(fiber.getRef(Correlation.CurrentStep)))
      const sub = Workflow.make("sub", { input: Input }).step("inner", () => where)
      const wf = Workflow.make("corr", { input: Input })
        .step("a", () => where)
        .call("nested", { needs: [], input: (ctx) => ({ topic: ctx.input.topic }) }, sub)
      const outputs = yield* Workflow.run(wf, { topic: "t" }, { runId: "run-7" }).pipe(Effect.provideService(Correlation.Enabled, true))
      assert.deepStrictEqual([outputs.a?.runId, outputs.a?.workflow, outputs.a?.stepId], ["run-7", "corr", "a"])
      assert.strictEqual(outputs.nested.inner?.stepId, "nested/inner")
      // off by default: nothing recorded, and the fast path stays
      const plain = yield* Workflow.run(wf, { topic: "t" })
      assert.isUndefined(plain.a)
    }))
})

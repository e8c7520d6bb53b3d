import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber, Ref, Schedule, Schema, Stream, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { ProviderUnavailable, Workflow, type WorkflowEvent } from "../../src/index.ts"
import { Failover } from "../../src/reliability/index.ts"
import { reportUsage, trackUsage } from "../../src/llm/Usage.ts"
import { joinDone } from "../support/fibers.ts"

class Flaky extends Schema.TaggedError<Flaky>()("Flaky", { attempt: Schema.Number }) {}
class Fatal extends Schema.TaggedError<Fatal>()("Fatal", {}) {}

const Input = Schema.Struct({ text: Schema.String })

/** Collects events and exposes "<tag> <stepId>" lines. */
const recorder = () => {
  const events: Array<WorkflowEvent> = []
  return {
    events,
    onEvent: (e: WorkflowEvent) => {
      events.push(e)
    },
    lines: () => events.map((e) => ("stepId" in e ? `${e._tag} ${e.stepId}` : e._tag))
  }
}

describe("engine", () => {
  it.effect("independent steps run in parallel: two 1 s steps after a root finish at t = 1 s", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("par", { input: Input })
        .step("root", () => Effect.succeed(1))
        .step("left", { needs: ["root"] }, () => Effect.as(Effect.sleep("1 second"), "L"))
        .step("right", { needs: ["root"] }, () => Effect.as(Effect.sleep("1 second"), "R"))
        .step("join", { needs: ["left", "right"] }, (ctx) => Effect.succeed(ctx.left + ctx.right))
      const rec = recorder()
      const fiber = yield* Effect.forkChild(Workflow.execute(wf, { text: "x" }, { onEvent: rec.onEvent }))
      yield* TestClock.adjust("1 second")
      const result = yield* joinDone(fiber)
      assert.strictEqual(result.outputs.join, "LR")
      assert.strictEqual(result.durationMillis, 1000)
      assert.strictEqual(result.steps["left"]!.startedAt, result.steps["right"]!.startedAt)
      assert.strictEqual(result.steps["left"]!.durationMillis, 1000)
      // Both started before either finished.
      const lines = rec.lines()
      assert.isBelow(lines.indexOf("StepStarted right"), lines.indexOf("StepSucceeded left"))
      assert.isBelow(lines.indexOf("StepStarted left"), lines.indexOf("StepSucceeded right"))
    }))

  it.effect("a step starts only after all its needs succeeded", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("needs", { input: Input })
        .step("a", () => Effect.as(Effect.sleep("3 seconds"), 1))
        .step("b", () => Effect.as(Effect.sleep("1 second"), 2))
        .step("c", { needs: ["a", "b"] }, (ctx) => Effect.succeed(ctx.a + ctx.b))
      const rec = recorder()
      const fiber = yield* Effect.forkChild(Workflow.execute(wf, { text: "x" }, { onEvent: rec.onEvent }))
      yield* TestClock.adjust("3 seconds")
      const result = yield* joinDone(fiber)
      assert.strictEqual(result.outputs.c, 3)
      assert.strictEqual(result.steps["c"]!.startedAt, 3000)
      const lines = rec.lines()
      assert.deepStrictEqual(lines.slice(-3), ["StepStarted c", "StepSucceeded c", "RunFinished"])
    }))

  it.effect("the workflow-wide concurrency limit bounds the steps running at once", () =>
    Effect.gen(function*() {
      const running = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const work = Effect.gen(function*() {
        const now = yield* Ref.updateAndGet(running, (n) => n + 1)
        yield* Ref.update(peak, (p) => Math.max(p, now))
        yield* Effect.sleep("1 second")
        yield* Ref.update(running, (n) => n - 1)
        return now
      })
      const wf = Workflow.make("limit", { input: Input })
        .step("a", () => work)
        .step("b", () => work)
        .step("c", () => work)
        .step("d", () => work)
      const fiber = yield* Effect.forkChild(Workflow.execute(wf, { text: "x" }, { concurrency: 2 }))
      yield* TestClock.adjust("2 seconds")
      const result = yield* joinDone(fiber)
      assert.strictEqual(yield* Ref.get(peak), 2)
      assert.strictEqual(result.durationMillis, 2000)
    }))

  it.effect("branch runs only the chosen case and reports the others as skipped", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const wf = Workflow.make("route", { input: Input })
        .step("label", (ctx) => Effect.succeed(ctx.input.text.includes("!") ? "block" as const : "safe" as const))
        .branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
          safe: (b) => b.step("publish", (ctx) => Effect.sync(() => { calls.push("publish"); return ctx.input.text })),
          block: (b) =>
            b.step("explain", { needs: ["label"] }, (ctx) => Effect.sync(() => { calls.push("explain"); return `${ctx.label}: no` }))
              .step("notify", { needs: ["explain"] }, (ctx) => Effect.sync(() => { calls.push("notify"); return ctx.explain.length }))
        })
      const rec = recorder()
      const result = yield* Workflow.execute(wf, { text: "hey!" }, { onEvent: rec.onEvent })
      assert.deepStrictEqual(result.outputs.route, { case: "block", value: { explain: "block: no", notify: 9 } })
      assert.deepStrictEqual(calls, ["explain", "notify"])
      assert.include(rec.lines(), "StepSkipped route/safe/publish")
      assert.strictEqual(result.steps["route/safe/publish"]!.status, "skipped")
      assert.strictEqual(result.steps["route/block/notify"]!.status, "succeeded")
      const safe = yield* Workflow.run(wf, { text: "hello" })
      assert.deepStrictEqual(safe.route, { case: "safe", value: { publish: "hello" } })
    }))

  it.effect("map keeps input order and honours its concurrency", () =>
    Effect.gen(function*() {
      const running = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const wf = Workflow.make("map", { input: Schema.Struct({ n: Schema.Number }) })
        .step("items", (ctx) => Effect.succeed(Array.from({ length: ctx.input.n }, (_, i) => i)))
        .map("squares", { needs: ["items"], over: (ctx) => ctx.items, concurrency: 3 }, (item, _ctx, index) =>
          Effect.gen(function*() {
            const now = yield* Ref.updateAndGet(running, (n) => n + 1)
            yield* Ref.update(peak, (p) => Math.max(p, now))
            // Later items finish first, so order comes from the engine, not from completion.
            yield* Effect.sleep(`${10 - item} seconds`)
            yield* Ref.update(running, (n) => n - 1)
            return item * item + index * 0
          }))
      const fiber = yield* Effect.forkChild(Workflow.run(wf, { n: 10 }))
      yield* TestClock.adjust("60 seconds")
      const out = yield* joinDone(fiber)
      assert.deepStrictEqual(out.squares, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81])
      assert.strictEqual(yield* Ref.get(peak), 3)
    }))

  it.effect("loop stops when until holds, and at maxIterations fails or returns as declared", () =>
    Effect.gen(function*() {
      let bodies = 0
      const wf = Workflow.make("loop", { input: Schema.Struct({ start: Schema.Number }) })
        .loop("up", { needs: [], initial: (ctx) => ctx.input.start, until: (n) => n >= 10, maxIterations: 5 }, (n) =>
          Effect.sync(() => {
            bodies++
            return n + 3
          }))
      const out = yield* Workflow.run(wf, { start: 2 })
      assert.strictEqual(out.up, 11)
      assert.strictEqual(bodies, 3)
      const failed = yield* Effect.flip(Workflow.run(wf, { start: -100 }))
      assert.strictEqual(failed._tag, "StepFailed")
      if (failed._tag === "StepFailed") {
        assert.strictEqual(failed.stepId, "up")
        assert.strictEqual(failed.error._tag, "LoopMaxIterations")
        assert.match(failed.message, /Loop 'up' reached maxIterations \(5\)/)
      }
      const lenient = Workflow.make("loop2", { input: Schema.Struct({}) })
        .loop("up", { needs: [], initial: () => 0, until: (n) => n >= 10, maxIterations: 4, onMaxIterations: "return" }, (n) =>
          Effect.succeed(n + 1))
      assert.strictEqual((yield* Workflow.run(lenient, {})).up, 4)
    }))

  it.effect("retries follow the Schedule and the predicate", () =>
    Effect.gen(function*() {
      let attempts = 0
      const wf = Workflow.make("retry", { input: Input })
        .step("flaky", {
          retry: { schedule: Schedule.exponential("1 second"), times: 5, while: (e: Flaky | Fatal) => e._tag === "Flaky" }
        }, () =>
          Effect.suspend(() => {
            attempts++
            return attempts < 4 ? Effect.fail(new Flaky({ attempt: attempts })) : Effect.succeed(`ok after ${attempts}`)
          }))
      const rec = recorder()
      const fiber = yield* Effect.forkChild(Workflow.execute(wf, { text: "x" }, { onEvent: rec.onEvent }))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(attempts, 2)
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(attempts, 3)
      yield* TestClock.adjust("4 seconds")
      const result = yield* joinDone(fiber)
      assert.strictEqual(result.outputs.flaky, "ok after 4")
      assert.strictEqual(result.steps["flaky"]!.attempts, 4)
      assert.deepStrictEqual(
        rec.events.filter((e) => e._tag === "StepRetrying").map((e) => e._tag === "StepRetrying" ? [e.attempt, e.at, e.error] : []),
        [[2, 1000, "Flaky"], [3, 3000, "Flaky"], [4, 7000, "Flaky"]]
      )

      // A non-retryable error fails at once, naming the step and the attempt.
      let fatalAttempts = 0
      const fatal = Workflow.make("fatal", { input: Input })
        .step("boom", { retry: { times: 5, while: (e: Flaky | Fatal) => e._tag === "Flaky" } }, () =>
          Effect.suspend(() => {
            fatalAttempts++
            return Effect.fail(new Fatal())
          }))
      const error = yield* Effect.flip(Workflow.run(fatal, { text: "x" }))
      assert.strictEqual(fatalAttempts, 1)
      assert.strictEqual(error._tag, "StepFailed")
      if (error._tag === "StepFailed") {
        assert.strictEqual(error.stepId, "boom")
        assert.strictEqual(error.attempt, 1)
        assert.strictEqual(error.error._tag, "Fatal")
        assert.strictEqual(error.message, "Step 'boom' failed on attempt 1: Fatal")
      }
    }))

  it.effect("a timeout fails the attempt with StepTimeout, and retries apply to it", () =>
    Effect.gen(function*() {
      let attempts = 0
      const wf = Workflow.make("timeout", { input: Input })
        .step("slow", { timeout: "2 seconds", retry: { times: 1 } }, () =>
          Effect.suspend(() => {
            attempts++
            return Effect.as(Effect.sleep("10 seconds"), "done")
          }))
      const fiber = yield* Effect.forkChild(Effect.flip(Workflow.run(wf, { text: "x" })))
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(attempts, 2)
      yield* TestClock.adjust("2 seconds")
      const error = yield* joinDone(fiber)
      assert.strictEqual(error._tag, "StepFailed")
      if (error._tag === "StepFailed") {
        assert.strictEqual(error.attempt, 2)
        assert.strictEqual((error.error as { _tag: string })._tag, "StepTimeout")
        assert.strictEqual(error.message, "Step 'slow' failed on attempt 2: StepTimeout: Step 'slow' timed out after 2000 ms")
      }
    }))

  it.effect("a failing step interrupts the running ones and their finalizers run", () =>
    Effect.gen(function*() {
      const finalized: Array<string> = []
      const wf = Workflow.make("fail-fast", { input: Input })
        .step("long", () =>
          Effect.sleep("1 hour").pipe(Effect.as(1), Effect.ensuring(Effect.sync(() => finalized.push("long")))))
        .step("bad", () => Effect.sleep("1 second").pipe(Effect.andThen(Effect.fail(new Fatal()))))
        .step("after", { needs: ["long"] }, () => Effect.sync(() => finalized.push("after should not run")))
      const rec = recorder()
      const fiber = yield* Effect.forkChild(Effect.flip(Workflow.execute(wf, { text: "x" }, { onEvent: rec.onEvent })))
      yield* TestClock.adjust("1 second")
      const error = yield* joinDone(fiber)
      assert.strictEqual(error._tag, "StepFailed")
      assert.deepStrictEqual(finalized, ["long"])
      const failed = rec.events.filter((e) => e._tag === "StepFailed")
      assert.deepStrictEqual(failed.map((e) => e._tag === "StepFailed" ? [e.stepId, e.interrupted] : []), [["bad", false], ["long", true]])
      const finished = rec.events.at(-1)
      assert.strictEqual(finished?._tag === "RunFinished" ? finished.status : undefined, "failed")
    }))

  it.effect("interrupting the run cancels every running step", () =>
    Effect.gen(function*() {
      const finalized: Array<string> = []
      const slow = (id: string) => Effect.never.pipe(Effect.ensuring(Effect.sync(() => finalized.push(id))))
      const wf = Workflow.make("cancel", { input: Input })
        .step("a", () => slow("a"))
        .step("b", () => slow("b"))
        .map("c", { needs: [], over: () => [1, 2], concurrency: 2 }, (i) => slow(`c${i}`))
      const fiber = yield* Effect.forkChild(Workflow.run(wf, { text: "x" }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      assert.sameMembers(finalized, ["a", "b", "c1", "c2"])
    }))

  it.effect("bad input is rejected with the field named, before any step runs", () =>
    Effect.gen(function*() {
      let ran = false
      const wf = Workflow.make("input", {
        input: Schema.Struct({ text: Schema.String, options: Schema.Struct({ topK: Schema.Number }) })
      }).step("a", () => Effect.sync(() => { ran = true }))
      const error = yield* Effect.flip(Workflow.run(wf, { text: 1, options: { topK: "5" } } as any))
      assert.strictEqual(error._tag, "WorkflowInputError")
      if (error._tag === "WorkflowInputError") {
        assert.deepStrictEqual(error.issues.map((i) => i.path), ["text", "options.topK"])
        assert.strictEqual(error.message, "Invalid input for workflow 'input': text: Expected string; options.topK: Expected number")
      }
      assert.isFalse(ran)
    }))

  it.effect("a declared output Schema is checked when the step succeeds", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("out", { input: Input })
        .step("n", { output: Schema.Number.check(Schema.isGreaterThan(0)) }, (ctx) => Effect.succeed(ctx.input.text.length - 5))
      assert.strictEqual((yield* Workflow.run(wf, { text: "hello world" })).n, 6)
      const error = yield* Effect.flip(Workflow.run(wf, { text: "hi" }))
      assert.strictEqual(error._tag === "StepFailed" ? (error.error as { _tag: string })._tag : "", "StepOutputError")
    }))

  it.effect("call runs a sub-workflow as one step, with its steps in the records", () =>
    Effect.gen(function*() {
      const sub = Workflow.make("sub", { input: Schema.Struct({ x: Schema.Number }) })
        .step("double", (ctx) => Effect.succeed(ctx.input.x * 2))
        .step("plusOne", { needs: ["double"] }, (ctx) => Effect.succeed(ctx.double + 1))
      const wf = Workflow.make("main", { input: Input })
        .step("len", (ctx) => Effect.succeed(ctx.input.text.length))
        .call("math", { needs: ["len"], input: (ctx) => ({ x: ctx.len }) }, sub)
      const result = yield* Workflow.execute(wf, { text: "four" })
      assert.deepStrictEqual(result.outputs.math, { double: 8, plusOne: 9 })
      assert.sameMembers(Object.keys(result.steps), ["len", "math", "math/double", "math/plusOne"])
    }))

  it.effect("events are available as a Stream, in order, ending with RunFinished", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("stream", { input: Input })
        .step("a", () => Effect.succeed(1))
        .step("b", { needs: ["a"] }, (ctx) => Effect.succeed(ctx.a + 1))
      const events = yield* Stream.runCollect(Workflow.events(wf, { text: "x" }))
      assert.deepStrictEqual(
        Array.from(events).map((e) => ("stepId" in e ? `${e._tag} ${e.stepId}` : e._tag)),
        ["RunStarted", "StepStarted a", "StepSucceeded a", "StepStarted b", "StepSucceeded b", "RunFinished"]
      )
      const failing = Workflow.make("stream-fail", { input: Input }).step("a", () => Effect.fail(new Fatal()))
      const exit = yield* Effect.exit(Stream.runCollect(Workflow.events(failing, { text: "x" })))
      assert.strictEqual(exit._tag, "Failure")
    }))

  it("the workflow value is inspectable and drawable", () => {
    const wf = Workflow.make("rag", { input: Input })
      .step("embed", () => Effect.succeed([1]))
      .step("docs", { needs: ["embed"] }, () => Effect.succeed("d"))
      .step("code", { needs: ["embed"] }, () => Effect.succeed("c"))
      .branch("route", { needs: ["docs"], on: () => "a" as "a" | "b" }, {
        a: (b) => b.step("x", { needs: ["docs"] }, () => Effect.succeed(1)),
        b: (b) => b.step("y", () => Effect.succeed(2))
      })
    assert.deepStrictEqual(wf.nodes.map((n) => [n.id, n.kind, n.needs]), [
      ["embed", "step", []],
      ["docs", "step", ["embed"]],
      ["code", "step", ["embed"]],
      ["route", "branch", ["docs"]]
    ])
    const route = wf.nodes[3]!
    assert.deepStrictEqual(route.kind === "branch" ? Object.keys(route.cases) : [], ["a", "b"])
    assert.strictEqual(
      Workflow.toMermaid(wf),
      [
        "flowchart TD",
        '  embed["embed"]',
        '  docs["docs"]',
        "  embed --> docs",
        '  code["code"]',
        "  embed --> code",
        '  route{"route"}',
        "  docs --> route",
        '  subgraph route_a["route: a"]',
        '    route_a_x["x"]',
        "    docs --> route_a_x",
        "  end",
        "  route -->|a| route_a",
        '  subgraph route_b["route: b"]',
        '    route_b_y["y"]',
        // a case step with no needs of its own reads the branch's needs
        "    docs --> route_b_y",
        "  end",
        "  route -->|b| route_b",
        ""
      ].join("\n")
    )
  })

  it("untyped callers get run-time definition errors", () => {
    const wf: any = Workflow.make("w", { input: Input }).step("a", () => Effect.succeed(1))
    assert.throws(() => wf.step("a", () => Effect.succeed(2)), "w: duplicate step id 'a'")
    assert.throws(() => wf.step("b", { needs: ["zz"] }, () => Effect.succeed(2)), "w: step 'b' needs unknown step 'zz'")
    assert.throws(() => wf.step("input", () => Effect.succeed(2)), "reserved")
    assert.throws(() => wf.loop("l", { needs: [], initial: () => 0, until: () => true, maxIterations: 0 }, () => Effect.succeed(0)), "maxIterations")
  })
})

describe("usage accounting", () => {
  it.effect("sums the tokens each step reports, per step and per run (failed attempts included)", () =>
    Effect.gen(function*() {
      let attempts = 0
      const wf = Workflow.make("usage", { input: Input })
        .step("a", () => Effect.as(reportUsage("openai", "gpt-4", { inputTokens: 10, outputTokens: 2 }), "a"))
        .step("b", { needs: ["a"], retry: { times: 1 } }, () =>
          Effect.gen(function*() {
            attempts++
            yield* reportUsage("anthropic", "claude", { inputTokens: 5, outputTokens: 1 })
            if (attempts === 1) return yield* Effect.fail(new Flaky({ attempt: 1 }))
            return "b"
          }))
        .step("c", () => Effect.succeed("no calls"))
        .branch("r", { needs: [], on: () => "x" as const }, {
          x: (b) => b.step("inner", () => Effect.as(reportUsage("openai", "gpt-4", { inputTokens: 1, outputTokens: 1 }), 1))
        })
      const result = yield* Workflow.execute(wf, { text: "x" })
      assert.deepStrictEqual(
        [result.steps["a"]!.usage?.inputTokens, result.steps["a"]!.usage?.outputTokens, result.steps["a"]!.usage?.calls],
        [10, 2, 1]
      )
      assert.deepStrictEqual([result.steps["b"]!.usage?.inputTokens, result.steps["b"]!.usage?.calls], [10, 2])
      assert.isUndefined(result.steps["c"]!.usage)
      assert.isUndefined(result.steps["r"]!.usage)
      assert.strictEqual(result.steps["r/x/inner"]!.usage?.inputTokens, 1)
      assert.deepStrictEqual([result.usage.inputTokens, result.usage.outputTokens, result.usage.calls], [21, 5, 4])
    }))
})

describe("tracing", () => {
  it.effect("with a tracer installed, the run and each step get a span, steps nested under the run", () =>
    Effect.gen(function*() {
      const spans: Array<{ name: string; parent: string | undefined }> = []
      const tracer = Tracer.make({
        span(options) {
          const span = Tracer.nativeTracer.span(options)
          const parent = options.parent._tag === "Some" && options.parent.value._tag === "Span" ? options.parent.value.name : undefined
          spans.push({ name: options.name, parent })
          return span
        }
      })
      const wf = Workflow.make("traced", { input: Input })
        .step("a", () => Effect.succeed(1))
        .step("b", { needs: ["a"] }, () => Effect.succeed(2))
      yield* Workflow.run(wf, { text: "x" }).pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(spans, [
        { name: "invoke_workflow traced", parent: undefined },
        { name: "workflow.step a", parent: "invoke_workflow traced" },
        { name: "workflow.step b", parent: "invoke_workflow traced" }
      ])
      spans.length = 0
      yield* Workflow.run(wf, { text: "x" })
      assert.deepStrictEqual(spans, [])
    }))
})

describe("usage forwarding", () => {
  it.effect("calls made in steps also reach the sink around the run", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("fwd", { input: Input })
        .step("a", () => Effect.as(reportUsage("openai", "gpt-4", { inputTokens: 3, outputTokens: 4 }), 1))
      const [, totals] = yield* trackUsage(Workflow.run(wf, { text: "x" }))
      assert.deepStrictEqual([totals.inputTokens, totals.outputTokens, totals.calls], [3, 4, 1])
    }))
})

describe("reliability events", () => {
  it.effect("failovers inside a step show up as ProviderEvents and in the step's record", () =>
    Effect.gen(function*() {
      class Model extends Context.Service<Model, { readonly complete: (p: string) => Effect.Effect<string, ProviderUnavailable> }>()("test/Model") {}
      const down = Context.make(Model, { complete: () => Effect.fail(new ProviderUnavailable({ provider: "primary", message: "503", status: 503 })) })
      const up = Context.make(Model, { complete: (p) => Effect.succeed(`backup: ${p}`) })
      const wf = Workflow.make("failover", { input: Input })
        .step("answer", (ctx) =>
          Effect.map(
            Failover.run([{ name: "primary", provide: down }, { name: "backup", provide: up }], Model.use((m) => m.complete(ctx.input.text))),
            (served) => served.value
          ))
      const rec = recorder()
      const result = yield* Workflow.execute(wf, { text: "hi" }, { onEvent: rec.onEvent })
      assert.strictEqual(result.outputs.answer, "backup: hi")
      assert.deepStrictEqual(result.steps["answer"]!.failovers, [{ from: "primary", to: "backup", error: "ProviderUnavailable: 503" }])
      const provider = rec.events.filter((e) => e._tag === "ProviderEvent")
      assert.deepStrictEqual(provider.map((e) => e._tag === "ProviderEvent" ? [e.stepId, e.event._tag] : []), [["answer", "Failover"]])
    }))
})

describe("concurrency limit with nested work", () => {
  it.effect("concurrency: 1 runs a map's items one by one instead of deadlocking", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("limit-map", { input: Input })
        .step("items", () => Effect.succeed([1, 2, 3]))
        .map("doubled", { needs: ["items"], over: (ctx) => ctx.items, concurrency: 3 }, (n) => Effect.as(Effect.sleep("1 second"), n * 2))
        .step("other", () => Effect.as(Effect.sleep("1 second"), "x"))
      const fiber = yield* Effect.forkChild(Workflow.execute(wf, { text: "x" }, { concurrency: 1 }))
      yield* TestClock.adjust("10 seconds")
      const result = yield* joinDone(fiber)
      assert.deepStrictEqual(result.outputs.doubled, [2, 4, 6])
      // Four units of one second each, one at a time.
      assert.strictEqual(result.durationMillis, 4000)
    }))
})

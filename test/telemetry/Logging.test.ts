import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Schema, Tracer } from "effect"
import { Workflow } from "../../src/index.ts"
import { Logging } from "../../src/telemetry/index.ts"

const Input = Schema.Struct({ topic: Schema.String })

describe("structured logs", () => {
  it.effect("each line carries level, message, run_id, step_id, workflow and the annotations", () =>
    Effect.gen(function*() {
      const logs = Logging.test()
      const sub = Workflow.make("sub", { input: Input }).step("inner", () => Effect.logWarning("deep"))
      const wf = Workflow.make("logged", { input: Input })
        .step("a", (ctx) => Effect.log("starting", ctx.input.topic).pipe(Effect.annotateLogs({ attempt: 1 })))
        .call("nested", { needs: ["a"], input: (ctx) => ({ topic: ctx.input.topic }) }, sub)
      yield* Workflow.run(wf, { topic: "t" }, { runId: "run-42" }).pipe(Effect.provide(logs.layer))
      yield* Effect.log("outside").pipe(Effect.provide(logs.layer))
      const [a, inner, outside] = logs.entries
      assert.deepInclude(a, { level: "INFO", message: ["starting", "t"], run_id: "run-42", step_id: "a", workflow: "logged", attempt: 1 })
      assert.match(a!.timestamp, /^\d{4}-\d\d-\d\dT/)
      assert.deepInclude(inner, { level: "WARN", message: "deep", run_id: "run-42", step_id: "nested/inner", workflow: "logged" })
      assert.notProperty(outside, "run_id")
      assert.notProperty(a, "trace_id")
    }))

  it.effect("with tracing on, trace_id and span_id are the step's span", () =>
    Effect.gen(function*() {
      const logs = Logging.test()
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span(options) {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      const wf = Workflow.make("traced", { input: Input }).step("a", () => Effect.log("hi"))
      yield* Workflow.run(wf, { topic: "t" }).pipe(Effect.provide(logs.layer), Effect.provideService(Tracer.Tracer, tracer))
      const step = spans.find((s) => s.name === "workflow.step a")!
      assert.deepInclude(logs.entries[0], { trace_id: step.traceId, span_id: step.spanId, step_id: "a" })
    }))

  it.effect("secrets never reach the output: Redacted values, credential fields, key shapes, given secrets", () =>
    Effect.gen(function*() {
      const logs = Logging.test({ secrets: ["hunter2-password"] })
      yield* Effect.log("config", {
        apiKey: "plain-text-key",
        nested: { authorization: "Basic abc", model: "gpt-4o", tokens: 12 },
        key: Redacted.make("sk-live-123456789012345"),
        note: "used sk-abcdefghijklmnopqrstu and Bearer eyJhbGciOi.x.y and hunter2-password"
      }).pipe(Effect.annotateLogs({ token: "t0k3n", user: "ada" }), Effect.provide(logs.layer))
      const line = JSON.stringify(logs.entries)
      for (const secret of ["plain-text-key", "Basic abc", "sk-live", "sk-abcdef", "eyJhbGciOi", "hunter2-password", "t0k3n"]) {
        assert.notInclude(line, secret)
      }
      assert.deepInclude(logs.entries[0], { token: "<redacted>", user: "ada" })
      assert.deepStrictEqual(logs.entries[0]!.message, [
        "config",
        {
          apiKey: "<redacted>",
          nested: { authorization: "<redacted>", model: "gpt-4o", tokens: 12 },
          key: "<redacted>",
          note: "used <redacted> and <redacted> and <redacted>"
        }
      ])
    }))

  it.effect("levels below the minimum are dropped; failures carry their cause", () =>
    Effect.gen(function*() {
      const logs = Logging.test({ level: "Warn" })
      yield* Effect.all([Effect.logInfo("no"), Effect.logWarning("yes"), Effect.logError("boom", new Error("kaput"))]).pipe(Effect.provide(logs.layer))
      assert.deepStrictEqual(logs.entries.map((e) => e.level), ["WARN", "ERROR"])
      assert.deepStrictEqual(logs.entries[1]!.message, ["boom", { name: "Error", message: "kaput" }])
    }))

  it.effect("pretty lines for a terminal: time, level, where, message, fields", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const wf = Workflow.make("pp", { input: Input }).step("a", () => Effect.log("hello").pipe(Effect.annotateLogs({ n: 2 })))
      yield* Workflow.run(wf, { topic: "t" }, { runId: "run-1" }).pipe(
        Effect.provide(Logging.layer({ format: "pretty", color: false, write: (l) => lines.push(l) }))
      )
      assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO  \[pp run-1 a\] hello n=2$/)
    }))

  it("levelOf reads --log-level names", () => {
    assert.strictEqual(Logging.levelOf("debug"), "Debug")
    assert.strictEqual(Logging.levelOf("WARN"), "Warn")
    assert.isUndefined(Logging.levelOf("loud"))
  })
})

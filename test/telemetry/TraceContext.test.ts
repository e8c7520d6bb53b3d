import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Schema, Tracer } from "effect"
import { Workflow } from "../../src/index.ts"
import { TraceContext } from "../../src/telemetry/index.ts"

/** A tracer keeping its spans: one per simulated process. */
const recording = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

const wf = Workflow.make("continued", { input: Schema.Struct({ n: Schema.Number }) }).step("double", (ctx) => Effect.succeed(ctx.input.n * 2))

describe("W3C trace context", () => {
  it("extract reads valid traceparent values and rejects malformed ones; format writes them", () => {
    const span = TraceContext.extract("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    assert.isTrue(Option.isSome(span))
    const s = Option.getOrThrow(span)
    assert.deepStrictEqual([s.traceId, s.spanId, s.sampled], ["4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true])
    assert.strictEqual(TraceContext.format(s), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    for (const bad of [undefined, "", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f35-00f067aa0ba902b7-01"]) {
      assert.isTrue(Option.isNone(TraceContext.extract(bad)), String(bad))
    }
    assert.isTrue(Option.isSome(TraceContext.fromHeaders({ traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00" })))
  })

  it.effect("inject gives the current span's traceparent (nothing with tracing off); withParent makes a run its child", () =>
    Effect.gen(function*() {
      assert.isUndefined(yield* TraceContext.inject)
      const caller = recording()
      const traceparent = yield* TraceContext.inject.pipe(Effect.withSpan("caller"), Effect.provideService(Tracer.Tracer, caller.tracer))
      const callerSpan = caller.spans[0]!
      assert.strictEqual(traceparent, `00-${callerSpan.traceId}-${callerSpan.spanId}-01`)
      // another "process": its own tracer, only the string crosses
      const worker = recording()
      yield* Workflow.run(wf, { n: 2 }).pipe(TraceContext.withParent(traceparent), Effect.provideService(Tracer.Tracer, worker.tracer))
      const run = worker.spans.find((s) => s.name === "invoke_workflow continued")!
      assert.strictEqual(run.traceId, callerSpan.traceId)
      assert.strictEqual(run.parent._tag === "Some" && run.parent.value.spanId, callerSpan.spanId)
      assert.isTrue(worker.spans.every((s) => s.traceId === callerSpan.traceId))
      // a malformed value starts a new trace instead of failing
      const fresh = recording()
      yield* Workflow.run(wf, { n: 2 }).pipe(TraceContext.withParent("nonsense"), Effect.provideService(Tracer.Tracer, fresh.tracer))
      assert.notStrictEqual(fresh.spans[0]!.traceId, callerSpan.traceId)
    }))

  it.live("over real HTTP: the client sends its span in the headers, the server's run continues the trace", () =>
    Effect.gen(function*() {
      const serverSide = recording()
      const server = createServer((req, res) => {
        const traceparent = req.headers["traceparent"] as string | undefined
        Effect.runPromise(
          Workflow.run(wf, { n: 21 }).pipe(TraceContext.withParent(traceparent), Effect.provideService(Tracer.Tracer, serverSide.tracer))
        ).then((out) => res.end(JSON.stringify(out)))
      })
      yield* Effect.promise(() => new Promise<void>((r) => server.listen(0, "127.0.0.1", r)))
      yield* Effect.addFinalizer(() => Effect.promise(() => new Promise<void>((r) => server.close(() => r()))))
      const { port } = server.address() as AddressInfo
      const clientSide = recording()
      const body = yield* Effect.gen(function*() {
        const headers = yield* TraceContext.headers
        return yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/`, { headers }).then((r) => r.text()))
      }).pipe(Effect.withSpan("submit run", { kind: "client" }), Effect.provideService(Tracer.Tracer, clientSide.tracer))
      assert.deepStrictEqual(JSON.parse(body), { double: 42 })
      const submit = clientSide.spans[0]!
      const run = serverSide.spans.find((s) => s.name === "invoke_workflow continued")!
      assert.strictEqual(run.traceId, submit.traceId)
      assert.strictEqual(run.parent._tag === "Some" && run.parent.value.spanId, submit.spanId)
    }))
})

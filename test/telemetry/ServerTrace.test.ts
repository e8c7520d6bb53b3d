/**
 * A run submitted through the REST API continues the caller's trace (W3C `traceparent`): over a real socket, with the
 * server's spans exported to a local OTLP/HTTP receiver. The request's server span is a child of the caller's span,
 * the durable run's `invoke_workflow` span a child of the request's, its steps children of the run. The same server
 * records workflow metrics for its runs on `/metrics`.
 */
import { Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Prometheus, Tracing } from "../../src/telemetry/index.ts"
import { call, echoWorkflow, startServer, type TestServer } from "../server/support.ts"
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../support/otlpReceiver.ts"

let receiver: OtlpReceiver
let server: TestServer
let spans: ReadonlyArray<ReceivedSpan> = []
let metricsText = ""

const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
const callerSpan = "00f067aa0ba902b7"

beforeAll(async () => {
  receiver = await startOtlpReceiver()
  server = await startServer({
    telemetry: Layer.merge(Tracing.layer({ endpoint: receiver.endpoint, protocol: "http/json" }, {}), Prometheus.layerEnabled)
  })
  const reg = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: echoWorkflow } })
  expect(reg.status, reg.text).toBe(201)
  const traced = await call(server, "POST", "/workflows/echo/runs?wait=true", {
    token: server.keys.runner,
    body: { input: { text: "traced" } },
    headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` }
  })
  expect(traced.status, traced.text).toBe(200)
  expect(traced.body.status).toBe("succeeded")
  const fresh = await call(server, "POST", "/workflows/echo/runs?wait=true", { token: server.keys.runner, body: { input: { text: "fresh" } } })
  expect(fresh.body.status).toBe("succeeded")
  metricsText = (await call(server, "GET", "/metrics", { token: server.keys.viewer })).text
  // closing the server releases the tracer, which flushes every span to the receiver
  await server.close()
  spans = receiver.spans()
}, 30_000)
afterAll(() => receiver.close())

const runSpans = () => spans.filter((s) => s.name === "invoke_workflow echo")
const byId = (id: string) => spans.find((s) => s.spanId === id)

describe("trace context through the REST API", () => {
  it("the run continues the caller's trace: caller -> request (server span) -> run -> step", () => {
    const names = spans.map((s) => s.name)
    const run = runSpans().find((s) => s.traceId === callerTrace)
    expect(run, `no run span in the caller's trace among ${names.join(", ")}`).toBeDefined()
    const request = byId(run!.parentSpanId)
    expect(request?.kind).toBe(2) // SERVER
    expect(request?.parentSpanId).toBe(callerSpan)
    expect(request?.attributes["http.request.method"]).toBe("POST")
    expect(run!.attributes).toMatchObject({
      "gen_ai.operation.name": "invoke_workflow",
      "gen_ai.workflow.name": "echo",
      "workflow.durable": true
    })
    expect(String(run!.attributes["workflow.run_id"])).toMatch(/^run-/)
    const step = spans.find((s) => s.name === "workflow.step shout" && s.traceId === callerTrace)
    expect(step?.parentSpanId).toBe(run!.spanId)
  })

  it("without a traceparent the run starts a trace of its own, still below the request's span", () => {
    const other = runSpans().filter((s) => s.traceId !== callerTrace)
    expect(other).toHaveLength(1)
    const request = byId(other[0]!.parentSpanId)
    expect(request?.kind).toBe(2)
    expect(request?.parentSpanId).toBe("")
  })

  it("the server records workflow metrics of its durable runs", () => {
    const line = (prefix: string) => metricsText.split("\n").find((l) => l.startsWith(prefix))
    expect(line(`workflow_runs_started_total{workflow="echo"}`)).toMatch(/ 2$/)
    expect(line(`workflow_runs_finished_total{`)).toContain(`status="succeeded"`)
    const finished = metricsText.split("\n").find((l) => l.startsWith("workflow_runs_finished_total{") && l.includes(`workflow="echo"`))
    expect(finished).toMatch(/ 2$/)
    expect(metricsText).toMatch(/workflow_run_duration_seconds_count\{[^}]*workflow="echo"[^}]*\} 2/)
    expect(metricsText).toMatch(/workflow_step_duration_seconds_count\{[^}]*step="shout"[^}]*\} 2/)
    expect(metricsText).toMatch(/workflow_runs_in_flight\{workflow="echo"\} 0/)
  })
})

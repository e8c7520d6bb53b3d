/**
 * `GET /metrics` over a real socket: the server's request counters by route pattern (ids folded into `:id`), their
 * latency histogram, and the store's unfinished runs by status (what an autoscaler reads), next to the engine's.
 */
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Workflow } from "../../src/index.ts"
import { call, echoWorkflow, startServer, type TestServer } from "./support.ts"

const approval = Workflow.make("approval", { input: Schema.Struct({}) })
  .wait("approve", { signal: Schema.Boolean })

let server: TestServer
beforeAll(async () => {
  server = await startServer()
  const reg = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: echoWorkflow } })
  expect(reg.status, reg.text).toBe(201)
  await Effect.runPromise(server.registry.registerGraph(approval as never))
})
afterAll(() => server.close())

/** The value of the series `name{labels}` in Prometheus text, or undefined. */
const sample = (text: string, name: string, labels: Record<string, string>): number | undefined => {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue
    const body = line.slice(name.length + 1, line.lastIndexOf("}"))
    const found = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => found[k] === v) && Object.keys(found).length === Object.keys(labels).length) return Number(line.slice(line.lastIndexOf(" ") + 1))
  }
  return undefined
}

describe("GET /metrics", () => {
  it("counts requests by route pattern, method and status, with their latency", async () => {
    const before = (await call(server, "GET", "/metrics", { token: server.keys.viewer })).text
    const base = (labels: Record<string, string>) => sample(before, "llmo_http_requests_total", labels) ?? 0
    const runs: Array<string> = []
    for (let i = 0; i < 3; i++) runs.push((await call(server, "POST", "/workflows/echo/runs?wait=true", { token: server.keys.runner, body: { input: { text: `t${i}` } } })).body.runId)
    for (const id of runs) expect((await call(server, "GET", `/runs/${id}`, { token: server.keys.viewer })).status).toBe(200)
    expect((await call(server, "GET", "/runs/run-none", { token: server.keys.viewer })).status).toBe(404)
    expect((await call(server, "GET", "/runs/prune", { token: server.keys.viewer })).status).toBe(404)
    expect((await call(server, "GET", "/nowhere/at/all")).status).toBe(404)
    const res = await call(server, "GET", "/metrics", { token: server.keys.viewer })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toContain("text/plain")
    const text = res.text
    const delta = (labels: Record<string, string>) => (sample(text, "llmo_http_requests_total", labels) ?? 0) - base(labels)
    expect(delta({ route: "/workflows/:name/runs", method: "POST", status: "200" })).toBe(3)
    expect(delta({ route: "/runs/:id", method: "GET", status: "200" })).toBe(3)
    // /runs/prune is a POST route: a GET of it is the run 'prune', not found
    expect(delta({ route: "/runs/:id", method: "GET", status: "404" })).toBe(2)
    expect(delta({ route: "unmatched", method: "GET", status: "404" })).toBe(1)
    // no series per run id
    for (const id of runs) expect(text).not.toContain(id)
    expect(sample(text, "llmo_http_request_duration_seconds_count", { route: "/runs/:id", method: "GET" })).toBeGreaterThanOrEqual(5)
    expect(text).toContain("# TYPE llmo_http_request_duration_seconds histogram")
  })

  it("reports the store's unfinished runs by status at each scrape", async () => {
    const read = async () => {
      const text = (await call(server, "GET", "/metrics", { token: server.keys.viewer })).text
      return Object.fromEntries(["pending", "running", "suspended"].map((status) => [status, sample(text, "llmo_runs_active", { status })]))
    }
    expect(await read()).toEqual({ pending: 0, running: 0, suspended: 0 })
    const started = await Promise.all([1, 2].map(() => call(server, "POST", "/workflows/approval/runs", { token: server.keys.runner, body: { input: {} } })))
    const ids = started.map((r) => r.body.runId as string)
    let now = await read()
    for (let i = 0; i < 100 && now["suspended"] !== 2; i++) {
      await new Promise((r) => setTimeout(r, 50))
      now = await read()
    }
    expect(now).toEqual({ pending: 0, running: 0, suspended: 2 })
    for (const id of ids) expect((await call(server, "POST", `/runs/${id}/signal`, { token: server.keys.runner, body: { step: "approve", value: true } })).status).toBe(200)
    for (let i = 0; i < 100 && now["suspended"] !== 0; i++) {
      await new Promise((r) => setTimeout(r, 50))
      now = await read()
    }
    expect(now).toEqual({ pending: 0, running: 0, suspended: 0 })
  })
})

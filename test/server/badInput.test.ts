/**
 * Bad input over a real socket: each a 4xx with a typed body naming the place, and nothing half-written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, echoWorkflow, startServer, type TestServer } from "./support.ts"

let server: TestServer
beforeAll(async () => {
  server = await startServer({ limits: { bodyBytes: 64 * 1024 } })
  const reg = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: echoWorkflow } })
  expect(reg.status, reg.text).toBe(201)
})
afterAll(() => server.close())

const runCount = async () => (await call(server, "GET", "/runs?limit=1000", { token: server.keys.admin })).body.runs.length as number
const workflowNames = async () => (await call(server, "GET", "/workflows", { token: server.keys.admin })).body.workflows.map((w: { name: string }) => w.name)

describe("bad input", () => {
  it("malformed JSON: 400 invalid_request, no run", async () => {
    const before = await runCount()
    const res = await call(server, "POST", "/workflows/echo/runs", { token: server.keys.runner, raw: '{"input": {"text": "x"', headers: { "content-type": "application/json" } })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ _tag: "BadRequest", code: "invalid_request" })
    expect(res.body.errors[0].path).toBe("payload")
    expect(await runCount()).toBe(before)
  })

  it("input of the wrong type: 400 invalid_input with the field path, no run", async () => {
    const before = await runCount()
    const res = await call(server, "POST", "/workflows/echo/runs", { token: server.keys.runner, body: { input: { text: 42 } } })
    expect(res.status).toBe(400)
    expect(res.body.code).toBe("invalid_input")
    expect(res.body.errors).toEqual([{ path: "input.text", message: expect.stringContaining("string") }])
    const missing = await call(server, "POST", "/workflows/echo/runs", { token: server.keys.runner, body: { input: {} } })
    expect(missing.status).toBe(400)
    expect(missing.body.errors[0].path).toBe("input.text")
    expect(await runCount()).toBe(before)
  })

  it("a field of the request of the wrong type: 400 naming payload and query fields", async () => {
    const reg = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: 5 } })
    expect(reg.status).toBe(400)
    expect(reg.body.errors[0].path).toBe("payload.source")
    const list = await call(server, "GET", "/runs?limit=lots", { token: server.keys.viewer })
    expect(list.status).toBe(400)
    expect(list.body.errors[0].path).toBe("query.limit")
    const status = await call(server, "GET", "/runs?status=done", { token: server.keys.viewer })
    expect(status.status).toBe(400)
    expect(status.body.errors[0].path).toBe("query.status")
    const cursor = await call(server, "GET", "/runs?cursor=zzz", { token: server.keys.viewer })
    expect(cursor.status).toBe(400)
    expect(cursor.body.errors[0].path).toBe("query.cursor")
  })

  it("a huge body: 413, no run", async () => {
    const before = await runCount()
    const res = await call(server, "POST", "/workflows/echo/runs", { token: server.keys.runner, body: { input: { text: "x".repeat(200 * 1024) } } })
    expect(res.status).toBe(413)
    expect(res.body).toMatchObject({ _tag: "PayloadTooLarge", code: "payload_too_large", limitBytes: 64 * 1024 })
    expect(await runCount()).toBe(before)
  })

  it("an unknown workflow: 404 naming the registered ones", async () => {
    const res = await call(server, "POST", "/workflows/ehco/runs", { token: server.keys.runner, body: { input: { text: "x" } } })
    expect(res.status).toBe(404)
    expect(res.body).toMatchObject({ code: "workflow_not_found", message: "No workflow 'ehco' (registered: echo)" })
    const run = await call(server, "GET", "/runs/run-nope", { token: server.keys.viewer })
    expect(run.body.code).toBe("run_not_found")
    const route = await call(server, "GET", "/nowhere", { token: server.keys.viewer })
    expect(route.status).toBe(404)
    expect(route.body.code).toBe("route_not_found")
  })

  it("invalid YAML: 400 with line and column, nothing registered", async () => {
    const res = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: "name: broken\nsteps:\n  - id: a\n    type: llm\n   prompt: [unclosed\n" } })
    expect(res.status).toBe(400)
    expect(res.body.code).toBe("invalid_definition")
    expect(res.body.problems[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) })
    expect(res.body.problems[0].line).toBeGreaterThanOrEqual(4)
    expect(await workflowNames()).toEqual(["echo"])
  })

  it("a definition with a semantic error: every problem with its place", async () => {
    const source = "name: wrong\nsteps:\n  - id: a\n    type: lm\n    prompt: hi\n  - id: b\n    type: transform\n    function: template\n    template: \"{{ nope }}\"\n"
    const res = await call(server, "POST", "/workflows", { token: server.keys.admin, raw: source, headers: { "content-type": "application/yaml" } })
    expect(res.status).toBe(400)
    expect(res.body.problems.length).toBeGreaterThanOrEqual(1)
    expect(res.body.problems[0].text).toMatch(/^workflow\.yaml:\d+:\d+: /)
    expect(res.body.problems.some((p: { line: number }) => p.line === 4)).toBe(true)
    expect(await workflowNames()).toEqual(["echo"])
  })

  it("invalid JSON definition: 400 with its line and column", async () => {
    const res = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: '{\n  "name": "j",\n  "steps": [\n}', format: "json" } })
    expect(res.status).toBe(400)
    expect(res.body.problems[0].line).toBe(4)
    expect(res.body.message).toMatch(/invalid JSON/)
  })

  it("a YAML body (application/yaml) and a JSON definition register", async () => {
    const yaml = await call(server, "POST", "/workflows", { token: server.keys.admin, raw: echoWorkflow.replace("name: echo", "name: raw-yaml"), headers: { "content-type": "application/yaml" } })
    expect(yaml.status, yaml.text).toBe(201)
    expect(yaml.body.mermaid).toContain("shout")
    const json = JSON.stringify({ name: "as-json", inputs: { text: { type: "string" } }, steps: [{ id: "s", type: "transform", function: "template", template: "j {{ input.text }}", output: "o" }], outputs: { o: "{{ o }}" } })
    const res = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: json } })
    expect(res.status, res.text).toBe(201)
    expect(res.body.format).toBe("json")
    const run = await call(server, "POST", "/workflows/as-json/runs?wait=true", { token: server.keys.runner, body: { input: { text: "x" } } })
    expect(run.body.output).toEqual({ o: "j x" })
    const del = await call(server, "DELETE", "/workflows/raw-yaml", { token: server.keys.admin })
    expect(del.status).toBe(204)
    expect(await workflowNames()).toEqual(["as-json", "echo"])
  })

  it("audit entries of refused and failed mutations are written too", async () => {
    await call(server, "POST", "/workflows/echo/runs", { token: server.keys.viewer, body: { input: { text: "x" } } })
    const entries = await call(server, "GET", "/audit?limit=1000", { token: server.keys.admin })
    const denied = entries.body.entries.filter((e: { outcome: string; action: string }) => e.outcome === "denied" && e.action === "runs.start")
    expect(denied.length).toBeGreaterThan(0)
    expect(denied[0]).toMatchObject({ actor: { kind: "key", role: "viewer" }, status: 403, target: "workflow:echo" })
    const failed = entries.body.entries.filter((e: { status: number; action: string }) => e.status === 400 && e.action === "runs.start")
    expect(failed.length).toBeGreaterThan(0)
    expect(entries.body.entries.every((e: { requestId: string }) => e.requestId.length > 0)).toBe(true)
  })
})

import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, echoWorkflow, startServer, type TestServer } from "./support.ts"

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())

describe("smoke", () => {
  it("health, register, start with wait", async () => {
    const health = await call(server, "GET", "/health")
    expect(health.status).toBe(200)
    const reg = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: echoWorkflow } })
    expect(reg.body).toBe(reg.body)
    expect(reg.status, reg.text).toBe(201)
    const run = await call(server, "POST", "/workflows/echo/runs?wait=true", { token: server.keys.runner, body: { input: { text: "hi" } } })
    expect(run.status, run.text).toBe(200)
    expect(run.body.output).toEqual({ loud: "echo: hi" })
    const noauth = await call(server, "GET", "/runs")
    expect(noauth.status, noauth.text).toBe(401)
    const bad = await call(server, "POST", "/workflows/echo/runs", { token: server.keys.runner, raw: "{not json", headers: { "content-type": "application/json" } })
    expect(bad.status, bad.text).toBe(400)
    console.log(bad.text, noauth.text)
  })
})

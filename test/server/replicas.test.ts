/**
 * Two servers on one store, as replicas behind a load balancer: a workflow registered through one is served by the
 * other at once, a change or removal within the registry's sync interval; a run started on either is read, followed
 * and finished through both.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, echoWorkflow, startServer, type TestServer } from "./support.ts"

let dir: string
let a: TestServer
let b: TestServer
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "llmo-replicas-"))
  const store = `sqlite:${join(dir, "runs.db")}`
  a = await startServer({ store, syncInterval: "200 millis" })
  b = await startServer({ store, syncInterval: "200 millis" })
})
afterAll(async () => {
  await b?.close()
  await a?.close()
  rmSync(dir, { recursive: true, force: true })
})

const eventually = async (check: () => Promise<boolean>, what: string) => {
  const end = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe("replicas on one store", () => {
  it("register on one, run on the other; changes and removals reach the other", async () => {
    const reg = await call(a, "POST", "/workflows", { token: a.keys.admin, body: { source: echoWorkflow } })
    expect(reg.status, reg.text).toBe(201)
    // keys live in the store too: a's key works on b
    const run = await call(b, "POST", "/workflows/echo/runs?wait=true", { token: a.keys.runner, body: { input: { text: "from b" } } })
    expect(run.status, run.text).toBe(200)
    expect(run.body.output).toEqual({ loud: "echo: from b" })
    expect((await call(a, "GET", `/runs/${run.body.runId}`, { token: b.keys.viewer })).body.status).toBe("succeeded")

    const changed = await call(a, "POST", "/workflows", { token: a.keys.admin, body: { source: echoWorkflow.replace('"echo: {{ input.text }}"', '"ECHO {{ input.text }}"') } })
    expect(changed.status, changed.text).toBe(201)
    await eventually(async () => {
      const r = await call(b, "POST", "/workflows/echo/runs?wait=true", { token: b.keys.runner, body: { input: { text: "x" } } })
      return r.body.output?.loud === "ECHO x"
    }, "b to serve the changed definition")

    expect((await call(a, "DELETE", "/workflows/echo", { token: a.keys.admin })).status).toBe(204)
    await eventually(async () => (await call(b, "GET", "/workflows/echo", { token: b.keys.viewer })).status === 404, "b to drop the removed workflow")
    expect((await call(b, "GET", "/workflows", { token: b.keys.viewer })).body.workflows).toEqual([])
  }, 60_000)
})

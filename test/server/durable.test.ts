/**
 * The REST API on durable runs: a run waiting for a person keeps its event stream open and continues on it after the
 * signal; wrong-typed signals are refused with field paths; cancel; and a run survives a server restart on its SQLite
 * store (the fresh process resumes it when the signal comes).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Workflow } from "../../src/index.ts"
import { call, readSse, startServer, type TestServer } from "./support.ts"

const review = Workflow.make("review", { input: Schema.Struct({ text: Schema.String }) })
  .step("draft", (ctx) => Effect.succeed(`draft of ${ctx.input.text}`))
  .wait("approve", { needs: ["draft"], signal: Schema.Struct({ approved: Schema.Boolean, note: Schema.String }), request: (ctx) => ctx.draft })
  .step("publish", { needs: ["draft", "approve"] }, (ctx) => Effect.succeed(ctx.approve.approved ? `published ${ctx.draft} (${ctx.approve.note})` : "held"))

const until = async (check: () => Promise<boolean>, what: string) => {
  const end = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "llmo-server-durable-"))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("durable runs over REST", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
    await Effect.runPromise(server.registry.registerGraph(review as never))
  })
  afterAll(() => server.close())

  it("the stream stays open while the run waits and carries the events after the signal", async () => {
    const started = await call(server, "POST", "/workflows/review/runs", { token: server.keys.runner, body: { input: { text: "notes" } } })
    expect(started.status, started.text).toBe(202)
    const runId = started.body.runId as string
    const streaming = readSse(server, `/runs/${runId}/events`, { token: server.keys.viewer })
    await until(async () => (await call(server, "GET", `/runs/${runId}`, { token: server.keys.viewer })).body.status === "suspended", "the run to suspend")
    const waiting = await call(server, "GET", `/runs/${runId}`, { token: server.keys.viewer })
    expect(waiting.body.waits).toEqual([expect.objectContaining({ stepId: "approve", request: "draft of notes", signalled: false })])

    const wrong = await call(server, "POST", `/runs/${runId}/signal`, { token: server.keys.runner, body: { step: "approve", value: { approved: "yes" } } })
    expect(wrong.status).toBe(400)
    expect(wrong.body.code).toBe("invalid_input")
    expect(wrong.body.errors.map((e: { path: string }) => e.path)).toContain("value.approved")
    const notAWait = await call(server, "POST", `/runs/${runId}/signal`, { token: server.keys.runner, body: { step: "draft", value: true } })
    expect(notAWait.status).toBe(409)
    expect(notAWait.body.code).toBe("not_a_wait")

    const ok = await call(server, "POST", `/runs/${runId}/signal`, { token: server.keys.runner, body: { step: "approve", value: { approved: true, note: "lgtm" } } })
    expect(ok.status, ok.text).toBe(200)
    const messages = await streaming
    const types = messages.map((m) => m.event)
    expect(types).toContain("wait")
    expect(types.indexOf("wait")).toBeLessThan(types.indexOf("signal"))
    const statuses = messages.filter((m) => m.event === "run").map((m) => JSON.parse(m.data).data.status)
    expect(statuses).toEqual(["pending", "running", "suspended", "running", "succeeded"])
    const ids = messages.map((m) => Number(m.id))
    expect([...ids].sort((a, b) => a - b)).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    const done = await call(server, "GET", `/runs/${runId}`, { token: server.keys.viewer })
    expect(done.body).toMatchObject({ status: "succeeded", output: { publish: "published draft of notes (lgtm)" } })
    expect(done.body.steps.map((s: { stepId: string; status: string }) => `${s.stepId}:${s.status}`)).toEqual(["draft:succeeded", "publish:succeeded"])

    const again = await call(server, "POST", `/runs/${runId}/signal`, { token: server.keys.runner, body: { step: "approve", value: { approved: true, note: "x" } } })
    expect(again.status).toBe(409)
    const cancelDone = await call(server, "POST", `/runs/${runId}/cancel`, { token: server.keys.runner })
    expect(cancelDone.body.code).toBe("run_finished")
  })

  it("cancel of a waiting run ends it as cancelled, with the audit entries of start, cancel and end", async () => {
    const started = await call(server, "POST", "/workflows/review/runs", { token: server.keys.runner, body: { input: { text: "x" } } })
    const runId = started.body.runId as string
    await until(async () => (await call(server, "GET", `/runs/${runId}`, { token: server.keys.viewer })).body.status === "suspended", "suspend")
    const cancelled = await call(server, "POST", `/runs/${runId}/cancel`, { token: server.keys.runner })
    expect(cancelled.status, cancelled.text).toBe(200)
    await until(async () => (await call(server, "GET", `/runs/${runId}`, { token: server.keys.viewer })).body.status === "cancelled", "cancel")
    await until(async () => (await Effect.runPromise(server.audit.list({ action: "run.finished", limit: 1000 }))).some((e) => e.target === `run:${runId}`), "the end in the audit log")
    const entries = (await Effect.runPromise(server.audit.list({ limit: 1000 }))).filter((e) => e.target === `run:${runId}`)
    // the end may be appended before the cancel request's own entry (written when its response is sent)
    expect(entries.map((e) => e.action).sort()).toEqual(["run.finished", "runs.cancel", "runs.start"])
    expect(entries.find((e) => e.action === "run.finished")).toMatchObject({ actor: { kind: "system" }, detail: expect.stringContaining("status=cancelled") })
  })
})

describe("a server restart on a SQLite store", () => {
  it("keeps keys, workflows and the waiting run; the new process resumes it on the signal", async () => {
    const store = `sqlite:${join(dir, "runs.db")}`
    const first = await startServer({ store })
    await Effect.runPromise(first.registry.registerGraph(review as never))
    const started = await call(first, "POST", "/workflows/review/runs", { token: first.keys.runner, body: { input: { text: "persist" } } })
    const runId = started.body.runId as string
    await until(async () => (await call(first, "GET", `/runs/${runId}`, { token: first.keys.viewer })).body.status === "suspended", "suspend")
    const runnerKey = first.keys.runner
    await first.close()

    const second = await startServer({ store })
    await Effect.runPromise(second.registry.registerGraph(review as never))
    // the first server's key still works: keys live in the store
    const seen = await call(second, "GET", `/runs/${runId}`, { token: runnerKey })
    expect(seen.status, seen.text).toBe(200)
    expect(seen.body.status).toBe("suspended")
    const signalled = await call(second, "POST", `/runs/${runId}/signal`, { token: runnerKey, body: { step: "approve", value: { approved: true, note: "after restart" } } })
    expect(signalled.status, signalled.text).toBe(200)
    await until(async () => (await call(second, "GET", `/runs/${runId}`, { token: runnerKey })).body.status === "succeeded", "the resumed run to finish")
    const done = await call(second, "GET", `/runs/${runId}`, { token: runnerKey })
    expect(done.body.output).toMatchObject({ publish: "published draft of persist (after restart)" })
    expect(done.body.steps.find((s: { stepId: string }) => s.stepId === "draft").attempts).toBe(1)
    // its start was audited by the first process, its end by the second (which found it going when it started), once
    await until(async () => (await Effect.runPromise(second.audit.list({ action: "run.finished", target: `run:${runId}` }))).length > 0, "the end in the audit log")
    const entries = await Effect.runPromise(second.audit.list({ target: `run:${runId}`, limit: 100 }))
    expect(entries.filter((e) => e.action === "runs.start").length).toBe(1)
    const ends = entries.filter((e) => e.action === "run.finished")
    expect(ends).toEqual([expect.objectContaining({ actor: expect.objectContaining({ kind: "system" }), outcome: "ok", detail: "status=succeeded; started by unknown (running when the server started)" })])
    await second.close()
  }, 30_000)
})

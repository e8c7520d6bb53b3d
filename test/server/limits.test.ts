/**
 * Limits and behaviour around them over a real socket: request rate per key (429 with Retry-After), CORS off unless
 * configured, `wait=true` bounded by its timeout, idempotency keys, request ids, and a shutdown that ends open event
 * streams.
 */
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as OpenAiWire from "../support/wire/openai.ts"
import * as Wire from "../support/wire/WireServer.ts"
import { call, echoWorkflow, startServer, streamingWorkflow, type TestServer } from "./support.ts"

const wireScope = Effect.runSync(Scope.make())
let wireUrl: string
beforeAll(async () => {
  const wire = await Effect.runPromise(Wire.start(() => OpenAiWire.chatStream(["slow ", "answer"], { delayMillis: 400 })).pipe(Scope.provide(wireScope)))
  wireUrl = wire.url
})
afterAll(() => Effect.runPromise(Scope.close(wireScope, Exit.void)))

const withServer = async (options: Parameters<typeof startServer>[0], body: (server: TestServer) => Promise<void>) => {
  const server = await startServer(options)
  try {
    await body(server)
  } finally {
    await server.close()
  }
}

describe("limits", () => {
  it("requests per key beyond the limit: 429 with Retry-After, per key, in the audit log", async () => {
    await withServer({ limits: { requestsPerWindow: 3, window: "1 minute" } }, async (server) => {
      const statuses = []
      for (let i = 0; i < 5; i++) statuses.push((await call(server, "GET", "/runs", { token: server.keys.viewer })).status)
      expect(statuses).toEqual([200, 200, 200, 429, 429])
      const limited = await call(server, "GET", "/runs", { token: server.keys.viewer })
      expect(limited.body).toMatchObject({ _tag: "TooManyRequests", code: "rate_limited" })
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0)
      expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60)
      // another key has its own budget
      expect((await call(server, "GET", "/runs", { token: server.keys.runner })).status).toBe(200)
    })
  })

  it("CORS is off unless origins are configured", async () => {
    await withServer({}, async (server) => {
      const res = await call(server, "GET", "/health", { headers: { origin: "https://app.test" } })
      expect(res.headers.get("access-control-allow-origin")).toBeNull()
    })
    await withServer({ cors: { origins: ["https://app.test"] } }, async (server) => {
      const res = await call(server, "GET", "/health", { headers: { origin: "https://app.test" } })
      expect(res.headers.get("access-control-allow-origin")).toBe("https://app.test")
      const preflight = await fetch(`${server.url}/runs`, { method: "OPTIONS", headers: { origin: "https://app.test", "access-control-request-method": "GET" } })
      expect(preflight.status).toBeLessThan(300)
      expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization")
    })
  })

  it("wait=true answers 202 with links when the run outlasts the timeout; idempotency keys start one run", async () => {
    await withServer({ services: { env: { OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: wireUrl } } }, async (server) => {
      await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: streamingWorkflow } })
      const started = Date.now()
      const res = await call(server, "POST", "/workflows/storyteller/runs?wait=true&timeout=0.2", { token: server.keys.runner, body: { input: { topic: "x" } } })
      expect(res.status).toBe(202)
      expect(Date.now() - started).toBeLessThan(2_000)
      expect(res.body.links).toEqual({ self: `/runs/${res.body.runId}`, events: `/runs/${res.body.runId}/events` })
      const headers = { "idempotency-key": "order-42" }
      await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: echoWorkflow } })
      const a = await call(server, "POST", "/workflows/echo/runs?wait=true", { token: server.keys.runner, body: { input: { text: "once" } }, headers })
      const b = await call(server, "POST", "/workflows/echo/runs?wait=true", { token: server.keys.runner, body: { input: { text: "once" } }, headers })
      expect(a.body.runId).toBe(b.body.runId)
      const runs = await call(server, "GET", "/runs?workflow=echo", { token: server.keys.viewer })
      expect(runs.body.runs.length).toBe(1)
    })
  })

  it("a request over the timeout answers 503 timeout", async () => {
    await withServer({ limits: { requestTimeout: "300 millis", maxWait: "10 seconds" }, services: { env: { OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: wireUrl } } }, async (server) => {
      await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: streamingWorkflow } })
      const started = Date.now()
      const res = await call(server, "POST", "/workflows/storyteller/runs?wait=true", { token: server.keys.runner, body: { input: { topic: "x" } } })
      expect(res.status).toBe(503)
      expect(res.body).toMatchObject({ _tag: "Unavailable", code: "timeout" })
      expect(Date.now() - started).toBeLessThan(3_000)
    })
  })

  it("every response carries a request id, the caller's when sent", async () => {
    await withServer({}, async (server) => {
      const mine = await call(server, "GET", "/health", { headers: { "x-request-id": "trace-123" } })
      expect(mine.headers.get("x-request-id")).toBe("trace-123")
      const made = await call(server, "GET", "/runs")
      expect(made.headers.get("x-request-id")).toMatch(/^req-/)
    })
  })

  it("paging: cursors walk every run once, newest first", async () => {
    await withServer({}, async (server) => {
      await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: echoWorkflow } })
      for (let i = 0; i < 7; i++) await call(server, "POST", "/workflows/echo/runs?wait=true", { token: server.keys.runner, body: { input: { text: `${i}` } } })
      const seen: Array<string> = []
      let cursor: string | undefined
      do {
        const page = await call(server, "GET", `/runs?limit=3${cursor ? `&cursor=${cursor}` : ""}`, { token: server.keys.viewer })
        seen.push(...page.body.runs.map((r: { runId: string }) => r.runId))
        cursor = page.body.next
        // a run started meanwhile does not shift the pages
        if (cursor !== undefined) await call(server, "POST", "/workflows/echo/runs?wait=true", { token: server.keys.runner, body: { input: { text: "late" } } })
      } while (cursor !== undefined)
      expect(seen.length).toBe(7)
      expect(new Set(seen).size).toBe(7)
    })
  })

  it("shutting down ends open event streams and closes the server", async () => {
    const server = await startServer({ services: { env: { OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: wireUrl } }, gracePeriod: "2 seconds" })
    await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: streamingWorkflow } })
    const run = await call(server, "POST", "/workflows/storyteller/runs", { token: server.keys.runner, body: { input: { topic: "long" } } })
    const res = await fetch(`${server.url}/runs/${run.body.runId}/events`, { headers: { authorization: `Bearer ${server.keys.viewer}` } })
    const reader = res.body!.getReader()
    await reader.read()
    const closing = server.close()
    const started = Date.now()
    while (true) {
      const { done } = await reader.read().catch(() => ({ done: true }))
      if (done) break
    }
    expect(Date.now() - started).toBeLessThan(3_000)
    await closing
    await expect(fetch(`${server.url}/health`)).rejects.toThrow()
  })
})

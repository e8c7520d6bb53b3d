/**
 * 1,000 concurrent start requests against a real server whose provider is a local OpenAI-wire server answering
 * after 150 ms: each request is accepted (202) or refused by the limits as configured (429 `rate_limited` beyond 800
 * requests per window, 429 `too_many_runs` beyond 150 runs going at once), none is lost, and the store holds exactly
 * the accepted runs, each of which finishes.
 */
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as OpenAiWire from "../support/wire/openai.ts"
import * as Wire from "../support/wire/WireServer.ts"
import { call, startServer, type TestServer } from "./support.ts"

const workflow = `name: answer
inputs:
  q: { type: string }
steps:
  - id: ask
    type: llm
    provider: openai
    model: gpt-4o-mini
    prompt: "{{ input.q }}"
    output: a
outputs:
  a: "{{ a }}"
`

let server: TestServer
const wireScope = Effect.runSync(Scope.make())

beforeAll(async () => {
  const wire = await Effect.runPromise(Wire.start(() => OpenAiWire.chat("42", { delayMillis: 150 })).pipe(Scope.provide(wireScope)))
  server = await startServer({
    services: { env: { OPENAI_API_KEY: "sk-load", OPENAI_BASE_URL: wire.url } },
    limits: { requestsPerWindow: 800, window: "10 minutes", maxConcurrentRuns: 150 }
  })
  const reg = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: workflow } })
  expect(reg.status, reg.text).toBe(201)
})
afterAll(async () => {
  await server.close()
  await Effect.runPromise(Scope.close(wireScope, Exit.void))
})

describe("load", () => {
  it("1,000 concurrent starts: all accepted or refused by the limits, none lost", async () => {
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) =>
      call(server, "POST", "/workflows/answer/runs", { token: server.keys.runner, body: { input: { q: `q${i}` } } })))
    const by = (f: (r: (typeof results)[number]) => boolean) => results.filter(f).length
    const accepted = by((r) => r.status === 202)
    const rateLimited = by((r) => r.status === 429 && r.body?.code === "rate_limited")
    const tooMany = by((r) => r.status === 429 && r.body?.code === "too_many_runs")
    expect(accepted + rateLimited + tooMany, JSON.stringify(results.filter((r) => r.status !== 202 && r.status !== 429).slice(0, 3).map((r) => r.text))).toBe(1000)
    expect(rateLimited).toBe(200)
    expect(accepted).toBeGreaterThanOrEqual(150)
    expect(results.filter((r) => r.status === 429 && r.body?.code === "rate_limited").every((r) => Number(r.headers.get("retry-after")) > 0)).toBe(true)
    const ids = new Set(results.filter((r) => r.status === 202).map((r) => r.body.runId as string))
    expect(ids.size).toBe(accepted)
    // every accepted run is in the store and finishes
    const deadline = Date.now() + 60_000
    let runs: ReadonlyArray<{ runId: string; status: string }> = []
    while (Date.now() < deadline) {
      const page = await Effect.runPromise(server.runs.list({ limit: 1000 }))
      runs = page.runs
      if (runs.length === accepted && runs.every((r) => r.status === "succeeded")) break
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(runs.length).toBe(accepted)
    expect(new Set(runs.map((r) => r.runId))).toEqual(ids)
    expect(runs.every((r) => r.status === "succeeded")).toBe(true)
  }, 120_000)
})

/**
 * Live events over SSE against a real server and a local server speaking OpenAI's wire format (the official SDK
 * talks to it): ids strictly increase and never repeat, a reconnect with Last-Event-ID delivers exactly the missed
 * events with the same filters, a streamed answer arrives as deltas, and the typed client follows a run.
 */
import { Effect, Exit, Redacted, Scope, Stream } from "effect"
import { SignJWT } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Client from "../../src/server/Client.ts"
import * as OpenAiWire from "../support/wire/openai.ts"
import * as Wire from "../support/wire/WireServer.ts"
import { call, readSse, startServer, streamingWorkflow, type TestServer } from "./support.ts"

const providerKey = "sk-test-DO-NOT-LEAK-4f9a2c"
const jwtSecret = "jwt-secret-DO-NOT-LEAK-0123456789abcdef"
const deltas = ["Once ", "upon ", "a ", "time, ", "a ", "fox ", "wrote ", "code."]

let server: TestServer
const wireScope = Effect.runSync(Scope.make())
let wire: Wire.WireServer
const captured: Array<string> = []
const restore: Array<() => void> = []

beforeAll(async () => {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream)
    stream.write = ((chunk: unknown, ...rest: Array<unknown>) => {
      captured.push(String(chunk))
      return (write as (...a: Array<unknown>) => boolean)(chunk, ...rest)
    }) as typeof stream.write
    restore.push(() => (stream.write = write))
  }
  wire = await Effect.runPromise(Wire.start(() => OpenAiWire.chatStream(deltas, { delayMillis: 15 })).pipe(Scope.provide(wireScope)))
  server = await startServer({ services: { env: { OPENAI_API_KEY: providerKey, OPENAI_BASE_URL: wire.url } }, pollInterval: "20 millis", jwt: { secret: Redacted.make(jwtSecret) } })
  const reg = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: streamingWorkflow } })
  expect(reg.status, reg.text).toBe(201)
})
afterAll(async () => {
  await server.close()
  await Effect.runPromise(Scope.close(wireScope, Exit.void))
  for (const r of restore) r()
})

const start = async () => {
  const res = await call(server, "POST", "/workflows/storyteller/runs", { token: server.keys.runner, body: { input: { topic: "foxes" } } })
  expect(res.status, res.text).toBe(202)
  return res.body.runId as string
}

describe("GET /runs/{id}/events", () => {
  it("streams the answer as deltas, in order, with strictly increasing ids, and ends after the run", async () => {
    const runId = await start()
    const messages = await readSse(server, `/runs/${runId}/events`, { token: server.keys.viewer })
    const ids = messages.filter((m) => m.id !== undefined).map((m) => Number(m.id))
    expect(ids.length).toBe(messages.filter((m) => m.event !== "ping").length)
    for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!)
    const text = messages.filter((m) => m.event === "step.delta").map((m) => JSON.parse(m.data).data.text).join("")
    expect(text).toBe(deltas.join(""))
    expect(messages.filter((m) => m.event === "step.delta").length).toBe(deltas.length)
    const types = messages.map((m) => m.event)
    expect(types[0]).toBe("run")
    expect(types.indexOf("step.started")).toBeLessThan(types.indexOf("step.delta"))
    expect(types.lastIndexOf("step.delta")).toBeLessThan(types.indexOf("step.finished"))
    expect(JSON.parse(messages[messages.length - 1]!.data).data.status).toBe("succeeded")
    const run = await call(server, "GET", `/runs/${runId}`, { token: server.keys.viewer })
    expect(run.body.output).toEqual({ story: deltas.join("") })
    expect(run.body.steps[0]).toMatchObject({ stepId: "tell", status: "succeeded", attempts: 1 })
  })

  it("a reconnect with Last-Event-ID delivers exactly the missed events, with the same filters", async () => {
    const runId = await start()
    const first = await readSse(server, `/runs/${runId}/events?types=step.delta`, { token: server.keys.viewer, stopAfter: 3 })
    expect(first.map((m) => m.event)).toEqual(["step.delta", "step.delta", "step.delta"])
    const rest = await readSse(server, `/runs/${runId}/events?types=step.delta`, { token: server.keys.viewer, lastEventId: first[2]!.id })
    const all = await readSse(server, `/runs/${runId}/events`, { token: server.keys.viewer })
    const expected = all.filter((m) => m.event === "step.delta").map((m) => m.id)
    expect([...first, ...rest].map((m) => m.id)).toEqual(expected)
    expect(rest.every((m) => m.event === "step.delta")).toBe(true)
    // after the last event: nothing more, the stream ends
    const after = await readSse(server, `/runs/${runId}/events`, { token: server.keys.viewer, lastEventId: all[all.length - 1]!.id })
    expect(after).toEqual([])
  })

  it("a bad Last-Event-ID is a 400; an unknown run a 404", async () => {
    const runId = await start()
    const bad = await call(server, "GET", `/runs/${runId}/events`, { token: server.keys.viewer, headers: { "last-event-id": "yesterday" } })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ code: "invalid_request" })
    const missing = await call(server, "GET", "/runs/run-nope/events", { token: server.keys.viewer })
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ code: "run_not_found" })
  })

  it("the typed client follows a run and sees every delta once", async () => {
    const runId = await start()
    const events = await Effect.runPromise(
      Effect.gen(function*() {
        const client = yield* Client.make(server.url, { token: server.keys.viewer })
        return yield* Stream.runCollect(Client.follow(client, runId, { types: "step.delta,run" }))
      }).pipe(Effect.provide(Client.layerHttp)) as Effect.Effect<ReadonlyArray<{ type: string; data?: unknown }>, unknown>
    )
    expect(events.filter((e) => e.type === "step.delta").map((e) => (e.data as { text: string }).text).join("")).toBe(deltas.join(""))
  })

  it("no response, log line or audit entry contains a configured key: provider key, API keys, JWT secret or a token", async () => {
    const jwt = await new SignJWT({ role: "runner" }).setProtectedHeader({ alg: "HS256" }).setSubject("svc").setExpirationTime("10m").sign(new TextEncoder().encode(jwtSecret))
    const texts: Array<string> = []
    // a run started with the JWT, and requests that fail in each way (refused, bad input, unknown, forged token)
    texts.push((await call(server, "POST", "/workflows/storyteller/runs?wait=true", { token: jwt, body: { input: { topic: "keys" } } })).text)
    texts.push((await call(server, "POST", "/workflows/storyteller/runs", { token: server.keys.viewer, body: { input: { topic: "x" } } })).text)
    texts.push((await call(server, "POST", "/workflows/storyteller/runs", { token: server.keys.runner, body: { input: { topic: 1 } } })).text)
    texts.push((await call(server, "POST", "/workflows/storyteller/runs", { token: server.keys.revoked, body: {} })).text)
    texts.push((await call(server, "GET", "/runs", { token: `${jwt.slice(0, -4)}AAAA` })).text)
    texts.push((await call(server, "POST", "/keys", { token: server.keys.admin, raw: "{ not json", headers: { "content-type": "application/json" } })).text)
    for (const path of ["/workflows/storyteller", "/runs", "/audit?limit=1000", "/openapi.json", "/keys", "/metrics"]) texts.push((await call(server, "GET", path, { token: server.keys.admin })).text)
    const runs = await call(server, "GET", "/runs", { token: server.keys.admin })
    for (const r of runs.body.runs) {
      texts.push((await call(server, "GET", `/runs/${r.runId}`, { token: server.keys.admin })).text)
      texts.push((await readSse(server, `/runs/${r.runId}/events`, { token: server.keys.admin })).map((m) => m.data).join("\n"))
    }
    const audit = await Effect.runPromise(server.audit.list({ limit: 10_000 }))
    expect(audit.length).toBeGreaterThan(3)
    expect(audit.some((e) => e.actor.kind === "jwt" && e.actor.id === "svc")).toBe(true)
    texts.push(JSON.stringify(audit))
    texts.push(captured.join(""))
    expect(wire.requests.length).toBeGreaterThan(0)
    // the key did reach the provider, and nothing else
    expect(wire.requests[0]!.headers["authorization"]).toBe(`Bearer ${providerKey}`)
    const secrets = [providerKey, jwtSecret, jwt, ...Object.values(server.keys)]
    // an API key's secret part alone (after llmo_<id>_) must not show either
    for (const key of Object.values(server.keys)) secrets.push(key.slice(18))
    for (const t of texts) for (const secret of secrets) expect(t.includes(secret), `a response, log line or audit entry holds ${secret.slice(0, 12)}...`).toBe(false)
  })
})

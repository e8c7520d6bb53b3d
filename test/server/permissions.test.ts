/**
 * Every route of the API definition × every kind of caller, over a real socket: the expected status of each pair is
 * derived from the route's declared permission and the caller's role, and asserted. A route added to the definition
 * without a sample request here fails the first test, so no route escapes the table.
 */
import { Redacted } from "effect"
import type { HttpApiEndpoint } from "effect/http-api"
import { SignJWT } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Role from "../../src/auth/Role.ts"
import { Api } from "../../src/server/Api.ts"
import * as Permission from "../../src/server/Permission.ts"
import { call, echoWorkflow, startServer, type TestServer } from "./support.ts"

const secret = "test-secret-with-enough-bytes-for-hs256!"
const sign = (claims: Record<string, unknown>, options: { readonly key?: string; readonly exp?: number } = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject(String(claims["sub"] ?? "someone")).setIssuedAt()
    .setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 600).sign(new TextEncoder().encode(options.key ?? secret))

/** The roles as the issue defines them, written out here so the test does not trust the code it checks. */
const allowed: Record<Role.Role, ReadonlyArray<string>> = {
  viewer: ["workflows:read", "runs:read", "ops:read"],
  runner: ["workflows:read", "runs:read", "ops:read", "runs:write"],
  admin: ["workflows:read", "runs:read", "ops:read", "runs:write", "workflows:write", "runs:admin", "keys:admin", "audit:read"]
}

interface Caller {
  readonly name: string
  readonly token: string | undefined
  /** The role when the credential is valid. */
  readonly role: Role.Role | undefined
  /** A workflow allow list without the workflows the samples use. */
  readonly restricted?: boolean
}

let server: TestServer
let callers: ReadonlyArray<Caller>
let counter = 0
let runId: string

beforeAll(async () => {
  server = await startServer({ jwt: { secret: Redacted.make(secret) }, limits: { requestsPerWindow: 100_000 } })
  const reg = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: echoWorkflow } })
  expect(reg.status, reg.text).toBe(201)
  const run = await call(server, "POST", "/workflows/echo/runs?wait=true", { token: server.keys.admin, body: { input: { text: "x" } } })
  runId = run.body.runId
  callers = [
    { name: "no credentials", token: undefined, role: undefined },
    { name: "revoked key", token: server.keys.revoked, role: undefined },
    { name: "unknown key", token: "llmo_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", role: undefined },
    { name: "expired JWT", token: await sign({ sub: "old", role: "admin" }, { exp: Math.floor(Date.now() / 1000) - 3600 }), role: undefined },
    { name: "JWT signed with another key", token: await sign({ sub: "mallory", role: "admin" }, { key: "another-secret-another-secret-another!!" }), role: undefined },
    { name: "JWT without role", token: await sign({ sub: "norole" }), role: undefined },
    { name: "viewer key", token: server.keys.viewer, role: "viewer" },
    { name: "runner key", token: server.keys.runner, role: "runner" },
    { name: "admin key", token: server.keys.admin, role: "admin" },
    { name: "viewer JWT", token: await sign({ sub: "vera", role: "viewer" }), role: "viewer" },
    { name: "runner JWT", token: await sign({ sub: "rita", role: ["viewer", "runner"] }), role: "runner" },
    { name: "admin JWT", token: await sign({ sub: "ada", role: "admin" }), role: "admin" },
    { name: "runner key for another workflow", token: server.keys.restricted, role: "runner", restricted: true },
    { name: "admin JWT for another workflow", token: await sign({ sub: "ann", role: "admin", workflows: ["allowed-only"] }), role: "admin", restricted: true }
  ]
})
afterAll(() => server.close())

/** A request for each endpoint, with the fixtures it needs made first; `scoped`: acts on workflow `echo`. */
type Sample = () => Promise<{ readonly path: string; readonly body?: unknown; readonly raw?: string; readonly headers?: Record<string, string>; readonly scoped: boolean }>

const freshWorkflow = async () => {
  const name = `tmp-${++counter}`
  const r = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: echoWorkflow.replace("name: echo", `name: ${name}`) } })
  expect(r.status, r.text).toBe(201)
  return name
}

const samples: Record<string, Sample> = {
  "system.health": async () => ({ path: "/health", scoped: false }),
  "system.ready": async () => ({ path: "/ready", scoped: false }),
  "system.metrics": async () => ({ path: "/metrics", scoped: false }),
  "workflows.list": async () => ({ path: "/workflows", scoped: false }),
  "workflows.register": async () => ({ path: "/workflows", body: { source: echoWorkflow.replace("name: echo", `name: reg-${++counter}`) }, scoped: false }),
  "workflows.get": async () => ({ path: "/workflows/echo", scoped: true }),
  "workflows.remove": async () => ({ path: `/workflows/${await freshWorkflow()}`, scoped: true }),
  "runs.start": async () => ({ path: "/workflows/echo/runs", body: { input: { text: "t" } }, scoped: true }),
  "runs.list": async () => ({ path: "/runs", scoped: false }),
  "runs.get": async () => ({ path: `/runs/${runId}`, scoped: true }),
  "runs.events": async () => ({ path: `/runs/${runId}/events`, scoped: true }),
  "runs.cancel": async () => ({ path: `/runs/${runId}/cancel`, scoped: true }),
  "runs.signal": async () => ({ path: `/runs/${runId}/signal`, body: { step: "approve", value: true }, scoped: true }),
  "runs.resume": async () => ({ path: `/runs/${runId}/resume`, body: {}, scoped: true }),
  "runs.prune": async () => ({ path: "/runs/prune", body: { olderThanDays: 3650 }, scoped: false }),
  "keys.list": async () => ({ path: "/keys", scoped: false }),
  "keys.create": async () => ({ path: "/keys", body: { name: `k-${++counter}`, role: "viewer" }, scoped: false }),
  "keys.revoke": async () => {
    const created = await call(server, "POST", "/keys", { token: server.keys.admin, body: { name: `victim-${++counter}`, role: "viewer" } })
    return { path: `/keys/${created.body.key.id}`, scoped: false }
  },
  "audit.list": async () => ({ path: "/audit", scoped: false })
}

const endpoints = (): ReadonlyArray<{ readonly id: string; readonly endpoint: HttpApiEndpoint.Top }> =>
  Object.values(Api.groups).flatMap((group) =>
    Object.values(group.endpoints).map((endpoint) => ({ id: `${group.identifier}.${endpoint.identifier}`, endpoint: endpoint as unknown as HttpApiEndpoint.Top })))

describe("permissions, from the API definition", () => {
  it("every endpoint declares a permission and has a sample request here", () => {
    const all = endpoints()
    expect(all.length).toBe(19)
    for (const { id, endpoint } of all) {
      expect(Permission.of(endpoint), `${id} declares no permission`).toBeDefined()
      expect(samples[id], `${id} has no sample in permissions.test.ts`).toBeDefined()
    }
    // Only /health is public among the API routes.
    expect(all.filter((e) => Permission.of(e.endpoint) === "public").map((e) => e.id)).toEqual(["system.health"])
  })

  it("every caller x every endpoint: exactly the allowed pairs pass, none unauthorized", async () => {
    const rows: Array<string> = []
    let unauthorizedPasses = 0
    let pairs = 0
    for (const { id, endpoint } of endpoints()) {
      const requirement = Permission.of(endpoint)!
      for (const caller of callers) {
        const sample = await samples[id]!()
        const res = await call(server, endpoint.method, sample.path, { token: caller.token, body: sample.body, ...(sample.headers ? { headers: sample.headers } : {}) })
        pairs++
        let expected: "2xx-or-domain" | 401 | 403
        if (requirement === "public") expected = "2xx-or-domain"
        else if (caller.role === undefined) expected = 401
        else if (!allowed[caller.role].includes(requirement)) expected = 403
        else if (caller.restricted && sample.scoped) expected = 403
        else expected = "2xx-or-domain"
        const ok = expected === "2xx-or-domain" ? res.status < 400 || [404, 409].includes(res.status) : res.status === expected
        if (expected !== "2xx-or-domain" && res.status < 300) unauthorizedPasses++
        rows.push(`${ok ? "ok  " : "FAIL"} ${id} ${caller.name}: ${res.status} (expected ${expected})${ok ? "" : ` ${res.text.slice(0, 200)}`}`)
        if (typeof expected === "number") {
          expect(res.body?._tag).toBe(expected === 401 ? "Unauthorized" : "Forbidden")
          expect(typeof res.body?.code).toBe("string")
        }
      }
    }
    const failures = rows.filter((r) => r.startsWith("FAIL"))
    expect(failures, failures.join("\n")).toEqual([])
    expect(unauthorizedPasses).toBe(0)
    expect(pairs).toBe(19 * callers.length)
  }, 60_000)

  it("the restricted key still works on its own workflow and sees only its runs", async () => {
    const name = "allowed-only"
    await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: echoWorkflow.replace("name: echo", `name: ${name}`) } })
    const started = await call(server, "POST", `/workflows/${name}/runs?wait=true`, { token: server.keys.restricted, body: { input: { text: "mine" } } })
    expect(started.status, started.text).toBe(200)
    const list = await call(server, "GET", "/runs", { token: server.keys.restricted })
    expect(list.body.runs.map((r: { workflow: string }) => r.workflow)).toEqual([name])
    const wfs = await call(server, "GET", "/workflows", { token: server.keys.restricted })
    expect(wfs.body.workflows.map((w: { name: string }) => w.name)).toEqual([name])
  })

  it("/openapi.json and /docs need no credentials; the document has every route and both security schemes", async () => {
    const doc = await call(server, "GET", "/openapi.json")
    expect(doc.status).toBe(200)
    const paths = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    for (const { endpoint } of endpoints()) expect(paths).toContain(`${endpoint.method} ${endpoint.path.replace(/:(\w+)/g, "{$1}")}`)
    expect(Object.keys(doc.body.components.securitySchemes).sort()).toEqual(["apiKey", "bearer"])
    const page = await fetch(`${server.url}/docs`)
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toContain("text/html")
  })

  it("401 and 403 bodies say why", async () => {
    const none = await call(server, "GET", "/runs")
    expect(none.body).toMatchObject({ _tag: "Unauthorized", code: "missing_credentials" })
    const revoked = await call(server, "GET", "/runs", { token: server.keys.revoked })
    expect(revoked.body).toMatchObject({ _tag: "Unauthorized", code: "revoked_key", message: "This API key was revoked" })
    const expired = await call(server, "GET", "/runs", { token: callers.find((c) => c.name === "expired JWT")!.token })
    expect(expired.body).toMatchObject({ code: "expired_token" })
    const forged = await call(server, "GET", "/runs", { token: callers.find((c) => c.name.startsWith("JWT signed"))!.token })
    expect(forged.body).toMatchObject({ code: "invalid_token" })
    const viewer = await call(server, "POST", "/workflows/echo/runs", { token: server.keys.viewer, body: { input: { text: "x" } } })
    expect(viewer.body).toMatchObject({ _tag: "Forbidden", code: "forbidden", permission: "runs:write" })
    expect(viewer.body.message).toBe("runs:write needs role runner or above; this key has role viewer")
    const other = await call(server, "GET", "/workflows/echo", { token: server.keys.restricted })
    expect(other.body).toMatchObject({ code: "workflow_not_allowed", workflow: "echo" })
    const apiKeyHeader = await call(server, "GET", "/runs", { headers: { "x-api-key": server.keys.viewer } })
    expect(apiKeyHeader.status).toBe(200)
  })
})

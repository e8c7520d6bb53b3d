/**
 * Every route of the API definition × every kind of caller, over a real socket: the expected status of each pair is
 * derived from the route's declared permission and the caller's role, and asserted. A route added to the definition
 * without a sample request here fails the first test, so no route escapes the table.
 */
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { RateLimiter } from "effect/persistence"
import { SignJWT } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Role from "../../src/auth/Role.ts"
import * as KeyStore from "../../src/auth/KeyStore.ts"
import { Api, Authentication } from "../../src/server/Api.ts"
import * as AuditLog from "../../src/server/AuditLog.ts"
import * as Limits from "../../src/server/Limits.ts"
import * as Security from "../../src/server/Security.ts"
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
  admin: ["workflows:read", "runs:read", "ops:read", "runs:write", "workflows:write", "workflows:approve", "runs:admin", "keys:admin", "audit:read"]
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
/** Every request the table sent, for the audit checks after it. */
const sent: Array<{ readonly requestId: string; readonly action: string; readonly method: string; readonly status: number; readonly caller: string }> = []

beforeAll(async () => {
  server = await startServer({ jwt: { secret: Redacted.make(secret) }, limits: { requestsPerWindow: 100_000 } })
  const reg = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: echoWorkflow } })
  expect(reg.status, reg.text).toBe(201)
  const tpl = await call(server, "POST", "/templates", { token: server.keys.admin, body: { name: "echo-template", source: echoWorkflow.replace("name: echo", "name: ${{ params.name }}") } })
  expect(tpl.status, tpl.text).toBe(201)
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
  "versions.list": async () => ({ path: "/workflows/echo/versions", scoped: true }),
  "versions.get": async () => ({ path: "/workflows/echo/versions/1", scoped: true }),
  "versions.submit": async () => ({ path: `/workflows/${await freshWorkflow()}/versions/1/submit`, scoped: true }),
  "versions.approve": async () => ({ path: `/workflows/${await freshWorkflow()}/versions/1/approve`, scoped: true }),
  "versions.reject": async () => ({ path: `/workflows/${await freshWorkflow()}/versions/1/reject`, scoped: true }),
  "versions.deploy": async () => ({ path: `/workflows/${await freshWorkflow()}/versions/1/deploy`, scoped: true }),
  "versions.deprecate": async () => ({ path: `/workflows/${await freshWorkflow()}/versions/1/deprecate`, scoped: true }),
  "templates.list": async () => ({ path: "/templates", scoped: false }),
  "templates.register": async () => ({ path: "/templates", body: { name: `tpl-${++counter}`, source: echoWorkflow.replace("name: echo", "name: ${{ params.name }}") }, scoped: false }),
  "templates.get": async () => ({ path: "/templates/echo-template", scoped: false }),
  "templates.instantiate": async () => ({ path: "/templates/echo-template/instantiate", body: { name: "echo" }, scoped: true }),
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
    expect(all.length).toBe(30)
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
        const requestId = `table-${pairs}`
        const res = await call(server, endpoint.method, sample.path, { token: caller.token, body: sample.body, headers: { ...sample.headers, "x-request-id": requestId } })
        sent.push({ requestId, action: id, method: endpoint.method, status: res.status, caller: caller.name })
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
    expect(pairs).toBe(30 * callers.length)
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
    // The page is built on the first request (Scalar's script loads then) and served from then on.
    for (let i = 0; i < 2; i++) {
      const page = await fetch(`${server.url}/docs`)
      expect(page.status).toBe(200)
      expect(page.headers.get("content-type")).toContain("text/html")
      const html = await page.text()
      expect(html).toContain("window.Scalar.createApiReference")
      expect(html).toContain(`"title":"${doc.body.info.title}"`)
    }
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

  it("every mutating request of the table, allowed or refused, has its audit entry; reads have none", async () => {
    expect(sent.length).toBe(endpoints().length * callers.length)
    const entries = await Effect.runPromise(server.audit.list({ limit: 1_000_000 }))
    const byRequest = new Map<string, Array<(typeof entries)[number]>>()
    for (const e of entries) byRequest.set(e.requestId, [...(byRequest.get(e.requestId) ?? []), e])
    const problems: Array<string> = []
    for (const r of sent) {
      const found = (byRequest.get(r.requestId) ?? []).filter((e) => e.action === r.action)
      if (r.method === "GET") {
        if (found.length !== 0) problems.push(`${r.action} ${r.caller}: a read was audited`)
        continue
      }
      if (found.length !== 1) {
        problems.push(`${r.action} ${r.caller}: ${found.length} entries`)
        continue
      }
      const e = found[0]!
      const outcome = r.status < 400 ? "ok" : [401, 403, 429].includes(r.status) ? "denied" : "error"
      if (e.status !== r.status || e.outcome !== outcome) problems.push(`${r.action} ${r.caller}: entry ${e.status}/${e.outcome}, response ${r.status}`)
      if (r.status === 401 && e.actor.kind !== "anonymous") problems.push(`${r.action} ${r.caller}: refused caller recorded as ${e.actor.kind}`)
      if (r.status < 300 && (e.actor.role === undefined || e.at <= 0)) problems.push(`${r.action} ${r.caller}: no role or time`)
    }
    expect(problems, problems.join("\n")).toEqual([])
    // each started run also has its end, by the system
    const starts = entries.filter((e) => e.action === "runs.start" && e.outcome === "ok").map((e) => e.target)
    expect(starts.length).toBeGreaterThan(0)
    const deadline = Date.now() + 10_000
    let ends: Array<string | undefined> = []
    while (Date.now() < deadline) {
      ends = (await Effect.runPromise(server.audit.list({ action: "run.finished", limit: 1_000_000 }))).map((e) => e.target)
      if (starts.every((t) => ends.includes(t))) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(starts.filter((t) => !ends.includes(t))).toEqual([])
  })

  it("the audit log cannot be altered through the API", async () => {
    const audit = endpoints().filter((e) => e.id.startsWith("audit."))
    expect(audit.map((e) => e.endpoint.method)).toEqual(["GET"])
    const before = (await call(server, "GET", "/audit?limit=1000", { token: server.keys.admin })).body.entries
    expect(before.length).toBeGreaterThan(10)
    const seq = before[0].seq
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      for (const path of ["/audit", `/audit/${seq}`]) {
        const res = await call(server, method, path, { token: server.keys.admin, body: { action: "nothing happened" } })
        expect(res.status, `${method} ${path}`).toBe(404)
        expect(res.body.code).toBe("route_not_found")
      }
    }
    const after = (await call(server, "GET", `/audit?limit=${before.length}`, { token: server.keys.admin })).body.entries
    expect(after).toEqual(before)
    // the entries themselves are frozen in memory: a handler holding one cannot change it either
    const held = (await Effect.runPromise(server.audit.list({ limit: 1 })))[0]!
    expect(Object.isFrozen(held)).toBe(true)
  })
})

describe("fail closed", () => {
  it("an endpoint behind Authentication that declares no permission answers 403 to everybody, admin included", async () => {
    const Probe = HttpApiGroup.make("probe")
      .add(HttpApiEndpoint.get("undeclared", "/undeclared", { success: Schema.String }))
      .add(HttpApiEndpoint.get("declared", "/declared", { success: Schema.String }).annotate(Permission.Required, "runs:read"))
      .middleware(Authentication)
    const ProbeApi = HttpApi.make("probe").add(Probe)
    const keysContext = await Effect.runPromise(Effect.scoped(Layer.build(KeyStore.layerMemory)))
    const keys = Context.get(keysContext, KeyStore.KeyStore)
    const admin = Redacted.value((await Effect.runPromise(keys.create({ name: "root", role: "admin", workflows: "*" }))).token)
    const handlers = HttpApiBuilder.group(ProbeApi, "probe", (h) => h.handle("undeclared", () => Effect.succeed("data")).handle("declared", () => Effect.succeed("data")))
    const app = HttpApiBuilder.layer(ProbeApi).pipe(
      Layer.provide(handlers),
      Layer.provide(Security.layer({ limits: Limits.defaults })),
      Layer.provide([Layer.succeedContext(keysContext), AuditLog.layerMemory, RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory))]),
      Layer.provide(HttpServer.layerServices)
    )
    const web = HttpRouter.toWebHandler(app, { disableLogger: true })
    try {
      const get = (path: string) => web.handler(new Request(`http://probe${path}`, { headers: { authorization: `Bearer ${admin}` } }))
      const undeclared = await get("/undeclared")
      expect(undeclared.status).toBe(403)
      expect(await undeclared.json()).toMatchObject({ _tag: "Forbidden", message: "Endpoint probe.undeclared declares no permission; it is refused to everybody" })
      const declared = await get("/declared")
      expect(declared.status).toBe(200)
    } finally {
      await web.dispose()
    }
  })
})

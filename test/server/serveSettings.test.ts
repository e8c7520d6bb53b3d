/**
 * `serve`'s settings: the config file's `server:` section (validated with file:line:col like the rest of
 * `llm-orchestrator.yaml`), paths relative to the file, flags winning over it.
 */
import { Duration, Effect, Option } from "effect"
import { describe, expect, it } from "vitest"
import * as Config from "../../src/config/Config.ts"
import { serveSettings } from "../../src/cli/serveHandler.ts"

const none = {
  port: Option.none(), host: Option.none(), store: Option.none(), workflows: [], tlsCert: Option.none(), tlsKey: Option.none(), cors: [],
  jwtSecret: Option.none(), jwks: Option.none(), jwtIssuer: Option.none(), jwtAudience: Option.none(), rate: Option.none(), maxRuns: Option.none(),
  bodyLimit: Option.none(), timeout: Option.none()
} as const

const yaml = `server:
  host: 0.0.0.0
  port: 9443
  store: sqlite:data/runs.db
  workflows: [workflows]
  cors: { origins: [https://app.example.com] }
  tls: { cert: tls/cert.pem, key: tls/key.pem }
  jwt: { secret: env:JWT_SECRET, issuer: https://idp.example.com, role_claim: llmo_role }
  limits: { requests_per_minute: 120, max_concurrent_runs: 5, body_bytes: 65536, request_timeout: 10s }
`

describe("serve settings", () => {
  it("reads the server section, paths relative to the config file", async () => {
    const config = await Effect.runPromise(Config.parse("/srv/app/llm-orchestrator.yaml", yaml))
    const s = serveSettings(none, config.server, "/srv/app", "/home/me")
    if (typeof s === "string") throw new Error(s)
    expect(s).toMatchObject({
      host: "0.0.0.0",
      port: 9443,
      store: "sqlite:data/runs.db",
      workflows: ["/srv/app/workflows"],
      tls: { certFile: "/srv/app/tls/cert.pem", keyFile: "/srv/app/tls/key.pem" },
      cors: ["https://app.example.com"],
      jwtSecret: "env:JWT_SECRET",
      jwt: { issuer: "https://idp.example.com", roleClaim: "llmo_role" },
      limits: { requestsPerWindow: 120, maxConcurrentRuns: 5, bodyBytes: 65536 }
    })
    expect(Duration.toMillis(Duration.fromInputUnsafe(s.limits.requestTimeout!))).toBe(10_000)
  })

  it("flags win, relative to the working directory; defaults without either", async () => {
    const config = await Effect.runPromise(Config.parse("/srv/app/llm-orchestrator.yaml", yaml))
    const s = serveSettings({ ...none, port: Option.some(1234), rate: Option.some(7), workflows: ["wf.yaml"], timeout: Option.some(3) }, config.server, "/srv/app", "/home/me")
    if (typeof s === "string") throw new Error(s)
    expect(s.port).toBe(1234)
    expect(s.limits.requestsPerWindow).toBe(7)
    expect(s.workflows).toEqual(["/home/me/wf.yaml", "/srv/app/workflows"])
    expect(Duration.toMillis(s.limits.requestTimeout as Duration.Duration)).toBe(3000)
    const d = serveSettings(none, undefined, "/x", "/y")
    if (typeof d === "string") throw new Error(d)
    expect(d).toMatchObject({ host: "127.0.0.1", port: 8080, store: undefined, tls: undefined, cors: [] })
  })

  it("refuses a secret value, a lone certificate, and unknown fields (with their place)", async () => {
    expect(serveSettings({ ...none, jwtSecret: Option.some("hunter2") }, undefined, "/", "/")).toMatch(/never the secret itself/)
    expect(serveSettings({ ...none, tlsCert: Option.some("c.pem") }, undefined, "/", "/")).toMatch(/go together/)
    const error = await Effect.runPromise(Effect.flip(Config.parse("f.yaml", "server:\n  prot: 80\n  jwt: { secret: plain-secret }\n")))
    expect(error.problems.join("\n")).toContain('f.yaml:2:3: unknown field "prot"')
    expect(error.problems.join("\n")).toContain("a secret must be a reference")
  })
})

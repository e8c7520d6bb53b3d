/**
 * A fake HashiCorp Vault on 127.0.0.1 (port 0) speaking the real HTTP API shapes: AppRole login
 * (`POST /v1/auth/<mount>/login`), `POST /v1/auth/token/renew-self`, KV v2 reads (`GET /v1/<mount>/data/<path>`,
 * `?version=`), KV v1 reads, `X-Vault-Token` and `X-Vault-Namespace`, `{"errors": [...]}` bodies. Token leases follow
 * the fake's own clock (`advance`), so tests can expire tokens without waiting.
 */
import { Effect, type Scope } from "effect"
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

export interface FakeVaultOptions {
  readonly namespace?: string
  /** Tokens accepted as is (never expire). */
  readonly rootTokens?: ReadonlyArray<string>
  readonly approle?: {
    readonly mount?: string
    readonly roleId: string
    readonly secretId: string
    readonly ttlSeconds: number
    readonly maxTtlSeconds: number
  }
  /** KV v2 engines: mount -> path -> versions (1-based; null: deleted). */
  readonly kv2?: Record<string, Record<string, Array<Record<string, unknown> | null>>>
  /** KV v1 engines: mount -> path -> fields. */
  readonly kv1?: Record<string, Record<string, Record<string, unknown>>>
}

export interface Request {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: unknown
}

export interface FakeVault {
  readonly address: string
  readonly requests: Array<Request>
  /** Moves the fake's clock forward. */
  advance(millis: number): void
  /** Revokes every issued token (as `vault token revoke` would). */
  revokeAll(): void
  /** 503 "Vault is sealed" to every request while true. */
  sealed: boolean
  readonly issued: () => number
}

interface Issued {
  readonly issuedAt: number
  expiresAt: number
  readonly maxAt: number
}

export const start = (options: FakeVaultOptions): Effect.Effect<FakeVault, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<FakeVault & { close(): Promise<void> }>((resolve) => {
        let now = 1_700_000_000_000
        const tokens = new Map<string, Issued>()
        const requests: Array<Request> = []
        const approleMount = options.approle?.mount ?? "approle"
        let issuedCount = 0
        const state = { sealed: false }

        const server = createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (c: Buffer) => chunks.push(c))
          req.on("end", () => {
            const raw = Buffer.concat(chunks).toString("utf8")
            let body: unknown
            try {
              body = raw === "" ? undefined : JSON.parse(raw)
            } catch {
              body = raw
            }
            const headers: Record<string, string | undefined> = {}
            for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(",") : v
            const url = new URL(req.url ?? "/", "http://vault")
            requests.push({ method: req.method ?? "GET", path: url.pathname + url.search, headers, body })
            const reply = (status: number, payload: unknown) => {
              res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" })
              res.end(JSON.stringify(payload))
            }
            const denied = () => reply(403, { errors: ["1 error occurred:\n\t* permission denied\n\n"] })
            const envelope = (extra: Record<string, unknown>) => ({
              request_id: randomUUID(),
              lease_id: "",
              renewable: false,
              lease_duration: 0,
              data: null,
              wrap_info: null,
              warnings: null,
              auth: null,
              mount_type: "",
              ...extra
            })
            if (state.sealed) return reply(503, { errors: ["Vault is sealed"] })
            const namespaceOk = (headers["x-vault-namespace"] ?? undefined) === options.namespace
            const path = url.pathname

            if (req.method === "POST" && path === `/v1/auth/${approleMount}/login`) {
              const a = options.approle
              const b = body as { role_id?: unknown; secret_id?: unknown } | undefined
              if (a === undefined || !namespaceOk) return reply(404, { errors: [`no handler for route "auth/${approleMount}/login". route entry not found.`] })
              if (b?.role_id !== a.roleId || b?.secret_id !== a.secretId) return reply(400, { errors: ["invalid role or secret ID"] })
              const token = `hvs.${randomUUID().replaceAll("-", "")}`
              tokens.set(token, { issuedAt: now, expiresAt: now + a.ttlSeconds * 1000, maxAt: now + a.maxTtlSeconds * 1000 })
              issuedCount++
              return reply(200, envelope({
                auth: {
                  client_token: token,
                  accessor: randomUUID(),
                  policies: ["default", "llm-read"],
                  token_policies: ["default", "llm-read"],
                  metadata: { role_name: "llm-app" },
                  lease_duration: a.ttlSeconds,
                  renewable: true,
                  entity_id: randomUUID(),
                  token_type: "service",
                  orphan: true,
                  mfa_requirement: null,
                  num_uses: 0
                }
              }))
            }

            const token = headers["x-vault-token"]
            const valid = (t: string | undefined) => {
              if (t === undefined) return false
              if (options.rootTokens?.includes(t)) return true
              const issued = tokens.get(t)
              return issued !== undefined && now < issued.expiresAt
            }
            if (!namespaceOk || !valid(token)) return denied()

            if (req.method === "POST" && path === "/v1/auth/token/renew-self") {
              const issued = tokens.get(token!)
              if (issued === undefined) return reply(400, { errors: ["lease is not renewable"] })
              const ttl = options.approle!.ttlSeconds * 1000
              issued.expiresAt = Math.min(now + ttl, issued.maxAt)
              const lease = Math.floor((issued.expiresAt - now) / 1000)
              return reply(200, envelope({
                auth: {
                  client_token: token,
                  accessor: "a",
                  policies: ["default", "llm-read"],
                  lease_duration: lease,
                  renewable: issued.expiresAt < issued.maxAt,
                  token_type: "service"
                },
                warnings: issued.expiresAt === issued.maxAt ? ["TTL of \"1h\" exceeded the effective max_ttl; TTL value is capped accordingly"] : null
              }))
            }

            if (req.method === "GET") {
              const segments = path.replace(/^\/v1\//, "").split("/")
              const mount = segments[0]!
              if (options.kv2?.[mount] !== undefined && segments[1] === "data") {
                const versions = options.kv2[mount]![segments.slice(2).join("/")]
                if (versions === undefined) return reply(404, { errors: [] })
                const wanted = url.searchParams.get("version")
                const version = wanted === null ? versions.length : Number(wanted)
                const data = versions[version - 1]
                if (data === undefined) return reply(404, { errors: [] })
                const metadata = {
                  created_time: "2026-11-30T10:00:00.000000Z",
                  custom_metadata: null,
                  deletion_time: data === null ? "2026-11-30T11:00:00.000000Z" : "",
                  destroyed: false,
                  version
                }
                if (data === null) return reply(404, envelope({ data: { data: null, metadata } }))
                return reply(200, envelope({ data: { data, metadata }, mount_type: "kv" }))
              }
              if (options.kv1?.[mount] !== undefined) {
                const data = options.kv1[mount]![segments.slice(1).join("/")]
                if (data === undefined) return reply(404, { errors: [] })
                return reply(200, envelope({ data, lease_duration: 2764800, mount_type: "kv" }))
              }
            }
            return reply(404, { errors: [`no handler for route "${path.replace(/^\/v1\//, "")}". route entry not found.`] })
          })
        })
        server.listen(0, "127.0.0.1", () => {
          const { port } = server.address() as AddressInfo
          resolve({
            address: `http://127.0.0.1:${port}`,
            requests,
            advance: (millis) => {
              now += millis
            },
            revokeAll: () => tokens.clear(),
            get sealed() {
              return state.sealed
            },
            set sealed(value: boolean) {
              state.sealed = value
            },
            issued: () => issuedCount,
            close: () =>
              new Promise<void>((done) => {
                server.closeAllConnections()
                server.close(() => done())
              })
          })
        })
      })
    ),
    (server) => Effect.promise(() => server.close())
  )

/**
 * Credentials: API keys (format, salted hashes, revocation, expiry) in memory and on Postgres, and JWTs signed with
 * HS256, RS256 and ES256 (a JWKS file), with the role and allow-list claims.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { exportJWK, generateKeyPair, SignJWT } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ApiKey from "../../src/auth/ApiKey.ts"
import * as Jwt from "../../src/auth/Jwt.ts"
import * as KeyStore from "../../src/auth/KeyStore.ts"
import * as Store from "../../src/durable/Store.ts"

describe("API keys", () => {
  it("are random, parse back, and are stored as a salted hash", () => {
    const a = ApiKey.generate()
    const b = ApiKey.generate()
    const token = Redacted.value(a.token)
    expect(token).toMatch(/^llmo_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/)
    expect(String(a.token)).not.toContain(token.slice(5))
    expect(ApiKey.parse(token)).toEqual({ id: a.id, secret: token.slice(18) })
    expect(ApiKey.matches(token.slice(18), a.salt, a.hash)).toBe(true)
    expect(ApiKey.matches(token.slice(18), b.salt, a.hash)).toBe(false)
    // the same secret under two salts: two different hashes
    expect(ApiKey.hashOf("s", a.salt)).not.toBe(ApiKey.hashOf("s", b.salt))
    expect(a.hash).not.toContain(token.slice(18))
    expect(ApiKey.parse("eyJhbGciOiJIUzI1NiJ9.e30.x")).toBeUndefined()
  })
})

const contract = (name: string, layer: () => Layer.Layer<KeyStore.KeyStore, unknown>, raw?: () => Effect.Effect<string, unknown>) =>
  describe(`KeyStore on ${name}`, () => {
    it("creates, verifies, lists, revokes, expires", async () => {
      if (raw !== undefined && !pg) return console.warn("skipping: Postgres unavailable")
      await Effect.runPromise(Effect.gen(function*() {
        const keys = yield* KeyStore.KeyStore
        const { token, key } = yield* keys.create({ name: "ci", role: "runner", workflows: ["a", "b"] })
        const value = Redacted.value(token)
        expect(yield* keys.verify(value)).toEqual({ _tag: "Accepted", key })
        expect((yield* keys.verify(value.slice(0, -1) + (value.endsWith("A") ? "B" : "A")))._tag).toBe("Rejected")
        expect(yield* keys.verify("llmo_nope")).toEqual({ _tag: "Rejected", reason: "invalid_key" })
        const expired = yield* keys.create({ name: "old", role: "viewer", expiresAt: Date.now() - 1 })
        expect(yield* keys.verify(Redacted.value(expired.token))).toMatchObject({ reason: "expired_key" })
        const revoked = yield* keys.revoke(key.id)
        expect(revoked.revokedAt).toBeGreaterThan(0)
        expect(yield* keys.verify(value)).toMatchObject({ _tag: "Rejected", reason: "revoked_key" })
        expect((yield* keys.revoke(key.id)).revokedAt).toBe(revoked.revokedAt)
        const all = yield* keys.list()
        expect(all.map((k) => k.name).sort()).toEqual(["ci", "old"])
        expect(all.find((k) => k.name === "ci")!.workflows).toEqual(["a", "b"])
        expect(JSON.stringify(all)).not.toContain(value.slice(18))
        expect((yield* Effect.flip(keys.revoke("nope")))._tag).toBe("KeyNotFound")
        if (raw !== undefined) expect(yield* raw()).not.toContain(value.slice(18))
      }).pipe(Effect.provide(layer())) as Effect.Effect<void, unknown>)
    })
  })

contract("memory", () => KeyStore.layerMemory)

const database = `llmo_keys_${process.pid}_${Date.now().toString(36)}`
const psql = (sql: string) => execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql], { stdio: "pipe" })
let pg = true
beforeAll(() => {
  try {
    psql(`CREATE DATABASE ${database}`)
  } catch (e) {
    if (process.env["CI"] === "true") throw e
    pg = false
  }
})
afterAll(() => {
  if (pg) psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
})
const sql = () => Store.sqlLayer({ _tag: "postgres", url: `postgres://postgres@127.0.0.1:5432/${database}` })
describe("postgres", () => {
  contract(
    "Postgres",
    () => KeyStore.layerSql.pipe(Layer.provideMerge(sql())),
    () => Effect.flatMap(SqlClient.SqlClient, (s) => Effect.map(s`SELECT * FROM llmo_api_keys`, (rows) => JSON.stringify(rows))).pipe(Effect.provide(sql()))
  )
})

describe("JWT", () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "llmo-jwt-"))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("verifies HS256, RS256 and ES256 (JWKS file), reads role and allow list, refuses the rest", async () => {
    const rs = await generateKeyPair("RS256")
    const es = await generateKeyPair("ES256")
    const other = await generateKeyPair("RS256")
    const jwks = { keys: [{ ...(await exportJWK(rs.publicKey)), kid: "rs", alg: "RS256" }, { ...(await exportJWK(es.publicKey)), kid: "es", alg: "ES256" }] }
    const file = join(dir, "jwks.json")
    writeFileSync(file, JSON.stringify(jwks))
    const secret = "an-hs256-secret-of-a-good-length-0123456789"
    const verifier = await Effect.runPromise(Jwt.make({ secret: Redacted.make(secret), jwksFile: file, issuer: "https://idp.test", audience: "llmo" }))
    const sign = (alg: string, key: CryptoKey | Uint8Array, kid: string | undefined, claims: Record<string, unknown>, exp = "10m", iss = "https://idp.test") =>
      new SignJWT(claims).setProtectedHeader({ alg, ...(kid ? { kid } : {}) }).setSubject("alice").setIssuer(iss).setAudience("llmo").setExpirationTime(exp).sign(key)
    const hs = await sign("HS256", new TextEncoder().encode(secret), undefined, { role: "admin" })
    const rsToken = await sign("RS256", rs.privateKey, "rs", { role: ["viewer", "runner"], workflows: ["nightly"] })
    const esToken = await sign("ES256", es.privateKey, "es", { role: "viewer" })
    const run = (t: string) => Effect.runPromise(verifier.verify(t))
    expect(await run(hs)).toEqual({ _tag: "Accepted", principal: { kind: "jwt", id: "alice", name: "alice", role: "admin", workflows: "*" } })
    expect(await run(rsToken)).toMatchObject({ _tag: "Accepted", principal: { role: "runner", workflows: ["nightly"] } })
    expect(await run(esToken)).toMatchObject({ _tag: "Accepted", principal: { role: "viewer" } })
    expect(await run(await sign("RS256", other.privateKey, "rs", { role: "admin" }))).toEqual({ _tag: "Rejected", reason: "invalid_token" })
    expect(await run(await sign("HS256", new TextEncoder().encode("another-secret-another-secret-another-1"), undefined, { role: "admin" }))).toEqual({ _tag: "Rejected", reason: "invalid_token" })
    expect(await run(await sign("HS256", new TextEncoder().encode(secret), undefined, { role: "admin" }, "-1h"))).toEqual({ _tag: "Rejected", reason: "expired_token" })
    expect(await run(await sign("HS256", new TextEncoder().encode(secret), undefined, { role: "admin" }, "10m", "https://evil.test"))).toEqual({ _tag: "Rejected", reason: "invalid_token" })
    expect(await run(await sign("HS256", new TextEncoder().encode(secret), undefined, { role: "owner" }))).toEqual({ _tag: "Rejected", reason: "missing_role" })
    // alg none is never accepted
    const none = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${Buffer.from(JSON.stringify({ sub: "x", role: "admin" })).toString("base64url")}.`
    expect(await run(none)).toEqual({ _tag: "Rejected", reason: "invalid_token" })
  })

  it("a JWKS file that is not one is a clear error at start", async () => {
    const file = join(dir, "bad.json")
    writeFileSync(file, "{ nope")
    const error = await Effect.runPromise(Effect.flip(Jwt.make({ jwksFile: file })))
    expect(error.message).toMatch(/^JWKS file .*bad\.json: /)
    const none = await Effect.runPromise(Effect.flip(Jwt.make({})))
    expect(none.message).toBe("JWT verification needs a secret (HS256) or a JWKS (RS256/ES256)")
  })
})

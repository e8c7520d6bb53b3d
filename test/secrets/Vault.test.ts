import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { Secrets } from "../../src/secrets/index.ts"
import { capture } from "../support/capture.ts"
import * as FakeVault from "./FakeVault.ts"

const failure = <E>(exit: Exit.Exit<unknown, E>): E => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const reason = (exit as Exit.Failure<unknown, E>).cause.reasons.find((r) => r._tag === "Fail")
  return (reason as { readonly error: E }).error
}

const ROOT = "hvs.root-token-do-not-leak"
const SECRET_ID = "6a174c20-f6de-a53c-74d2-6018fcceff64"

const kv = {
  kv2: {
    secret: {
      llm: [{ openai: "sk-old-1" }, { openai: "sk-openai-2", anthropic: "sk-ant-2" }],
      single: [{ token: "only-one" }],
      gone: [{ k: "v" }, null]
    }
  },
  kv1: { kv: { legacy: { password: "pw-v1" } } }
}

const value = (ref: string) => Effect.map(Secrets.resolve(ref), Redacted.value)

describe("vault: token auth against a fake Vault", () => {
  it.effect("reads KV v2 fields, versions and KV v1 with X-Vault-Token and the namespace header", () =>
    Effect.gen(function*() {
      const vault = yield* FakeVault.start({ ...kv, namespace: "team-a", rootTokens: [ROOT] })
      yield* Effect.gen(function*() {
        assert.strictEqual(yield* value("vault:secret/data/llm#openai"), "sk-openai-2")
        assert.strictEqual(yield* value("vault:secret/data/llm?version=1#openai"), "sk-old-1")
        assert.strictEqual(yield* value("vault:secret/data/single"), "only-one")
        assert.strictEqual(yield* value("vault:kv/legacy#password"), "pw-v1")
        const r = vault.requests[0]!
        assert.deepStrictEqual([r.method, r.path, r.headers["x-vault-token"], r.headers["x-vault-namespace"]], ["GET", "/v1/secret/data/llm", ROOT, "team-a"])
        assert.strictEqual(vault.requests[1]!.path, "/v1/secret/data/llm?version=1")
      }).pipe(Effect.provide(Secrets.layer({ vault: { address: vault.address, namespace: "team-a", auth: { token: Redacted.make(ROOT) }, retries: 0 } })))
    }))

  it.effect("missing paths, fields, deleted versions, bad tokens: typed errors naming the reference, never a value", () =>
    Effect.gen(function*() {
      const vault = yield* FakeVault.start({ ...kv, rootTokens: [ROOT] })
      const good = Secrets.layer({ vault: { address: vault.address, auth: { token: Redacted.make(ROOT) }, retries: 0 } })
      yield* Effect.gen(function*() {
        const missing = failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/nope#x")))
        assert.deepStrictEqual([missing._tag, missing.message], ["SecretNotFound", "vault:secret/data/nope#x: Vault has no secret at secret/data/nope"])
        const field = failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/llm#cohere")))
        assert.deepStrictEqual([field._tag, field.message], ["SecretNotFound", `vault:secret/data/llm#cohere: the secret has no field "cohere" (it has "openai", "anthropic")`])
        const ambiguous = failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/llm")))
        assert.deepStrictEqual([ambiguous._tag, ambiguous.message], ["InvalidSecretReference", `vault:secret/data/llm: the secret has fields "openai", "anthropic"; name one with #field`])
        assert.strictEqual(failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/gone#k")))._tag, "SecretNotFound")
        const version = failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/llm?version=latest#openai")))
        assert.strictEqual(version.message, `vault:secret/data/llm?version=latest#openai: version must be a positive integer, got "latest"`)
        const param = failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/llm?ver=2#openai")))
        assert.strictEqual(param.message, `vault:secret/data/llm?ver=2#openai: unknown parameter "ver" (allowed: version)`)
      }).pipe(Effect.provide(good))
      const bad = Secrets.layer({ vault: { address: vault.address, auth: { token: Redacted.make("hvs.wrong") }, retries: 0 } })
      const denied = failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/llm#openai").pipe(Effect.provide(bad))))
      assert.deepStrictEqual([denied._tag, denied.message], ["SecretAccessDenied", "vault:secret/data/llm#openai: Vault answered 403: permission denied"])
    }))

  it.live("a sealed or unreachable Vault is SecretUnavailable after the retries", () =>
    Effect.gen(function*() {
      const vault = yield* FakeVault.start({ ...kv, rootTokens: [ROOT] })
      vault.sealed = true
      const sealed = failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/llm#openai").pipe(
        Effect.provide(Secrets.layer({ vault: { address: vault.address, auth: { token: Redacted.make(ROOT) }, retries: 2 } }))
      )))
      assert.deepStrictEqual([sealed._tag, sealed.message], ["SecretUnavailable", "vault:secret/data/llm#openai: Vault answered 503: Vault is sealed"])
      assert.strictEqual(vault.requests.length, 3)
      const down = failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/llm#openai").pipe(
        Effect.provide(Secrets.layer({ vault: { address: "http://127.0.0.1:9", auth: { token: Redacted.make(ROOT) }, retries: 0 } }))
      )))
      assert.deepStrictEqual([down._tag, down.message], ["SecretUnavailable", "vault:secret/data/llm#openai: cannot reach Vault at http://127.0.0.1:9"])
    }))
})

describe("vault: AppRole against a fake Vault", () => {
  const approle = { roleId: "llm-app", secretId: SECRET_ID, ttlSeconds: 3600, maxTtlSeconds: 3 * 3600 }
  const layer = (address: string) =>
    Secrets.layer({ ttl: 0, vault: { address, auth: { roleId: "llm-app", secretId: Redacted.make(SECRET_ID) }, retries: 0 } })

  it.effect("logs in once, renews the token before it expires, logs in again past its max TTL", () =>
    Effect.gen(function*() {
      const vault = yield* FakeVault.start({ ...kv, approle })
      const later = (minutes: number) =>
        Effect.andThen(TestClock.adjust(`${minutes} minutes`), Effect.sync(() => vault.advance(minutes * 60_000)))
      const paths = () => vault.requests.map((r) => `${r.method} ${r.path}`)
      yield* Effect.gen(function*() {
        assert.strictEqual(yield* value("vault:secret/data/llm#openai"), "sk-openai-2")
        assert.strictEqual(yield* value("vault:secret/data/llm#anthropic"), "sk-ant-2")
        assert.deepStrictEqual(paths(), ["POST /v1/auth/approle/login", "GET /v1/secret/data/llm", "GET /v1/secret/data/llm"])
        assert.deepStrictEqual(vault.requests[0]!.body, { role_id: "llm-app", secret_id: SECRET_ID })
        const token = vault.requests[1]!.headers["x-vault-token"]
        assert.match(token!, /^hvs\./)
        // 59.5 minutes in: less than a minute left on the 1 h lease -> renew-self, same token
        yield* later(59.5)
        assert.strictEqual(yield* value("vault:secret/data/llm#openai"), "sk-openai-2")
        assert.deepStrictEqual(paths().slice(3), ["POST /v1/auth/token/renew-self", "GET /v1/secret/data/llm"])
        assert.strictEqual(vault.requests[3]!.headers["x-vault-token"], token)
        assert.strictEqual(vault.requests[4]!.headers["x-vault-token"], token)
        // renewals continue until the 3 h max TTL caps the lease; then a new login and a new token
        for (const _ of [1, 2]) {
          yield* later(59.5)
          yield* value("vault:secret/data/llm#openai")
        }
        yield* later(59.5)
        assert.strictEqual(yield* value("vault:secret/data/llm#openai"), "sk-openai-2")
        assert.strictEqual(vault.issued(), 2)
        const last = vault.requests.at(-1)!
        assert.notStrictEqual(last.headers["x-vault-token"], token)
      }).pipe(Effect.provide(layer(vault.address)))
    }))

  it.effect("a revoked token is replaced by a new login; concurrent reads share one login", () =>
    Effect.gen(function*() {
      const vault = yield* FakeVault.start({ ...kv, approle })
      yield* Effect.gen(function*() {
        const all = yield* Effect.all([1, 2, 3, 4, 5].map(() => value("vault:secret/data/llm#openai")), { concurrency: "unbounded" })
        assert.deepStrictEqual(all, Array(5).fill("sk-openai-2"))
        assert.strictEqual(vault.issued(), 1)
        vault.revokeAll()
        assert.strictEqual(yield* value("vault:secret/data/llm#openai"), "sk-openai-2")
        assert.strictEqual(vault.issued(), 2)
      }).pipe(Effect.provide(layer(vault.address)))
    }))

  it.effect("a wrong secret id fails with SecretAccessDenied; the secret id and tokens reach no error, log or span", () =>
    Effect.gen(function*() {
      const vault = yield* FakeVault.start({ ...kv, approle: { ...approle, secretId: "another-secret-id" } })
      const captured = capture()
      const error = failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/llm#openai").pipe(
        Effect.withSpan("app"),
        Effect.tapCause((cause) => Effect.logError("resolve failed", cause)),
        Effect.provide(layer(vault.address)),
        Effect.provide(captured.layer)
      )))
      assert.deepStrictEqual([error._tag, error.message], [
        "SecretAccessDenied",
        "vault:secret/data/llm#openai: Vault AppRole login (auth/approle) for role llm-app failed (Vault answered 400: invalid role or secret ID)"
      ])
      assert.isAbove(captured.spans.length, 2)
      assert.isAbove(captured.logs.length, 0)
      const seen = captured.text() + JSON.stringify(error) + String(error)
      assert.notInclude(seen, SECRET_ID)
      assert.notInclude(seen, "another-secret-id")
    }))

  it.effect("a successful AppRole read leaks neither the token nor the value into spans and logs", () =>
    Effect.gen(function*() {
      const vault = yield* FakeVault.start({ ...kv, approle })
      const captured = capture()
      const v = yield* Secrets.resolve("vault:secret/data/llm#openai").pipe(
        Effect.tap((s) => Effect.log("resolved", s)),
        Effect.withSpan("app"),
        Effect.provide(layer(vault.address)),
        Effect.provide(captured.layer)
      )
      assert.strictEqual(Redacted.value(v), "sk-openai-2")
      const token = vault.requests[1]!.headers["x-vault-token"]!
      const seen = captured.text()
      assert.include(seen, "Secrets.resolve")
      assert.include(seen, "<redacted:vault:secret/data/llm#openai>")
      for (const secret of [token, SECRET_ID, "sk-openai-2"]) assert.notInclude(seen, secret)
    }))
})

describe("Secrets.layerConfig", () => {
  it.effect("turns Vault on from VAULT_ADDR + VAULT_TOKEN / VAULT_ROLE_ID + VAULT_SECRET_ID, and says what is missing", () =>
    Effect.gen(function*() {
      const { ConfigProvider, Layer } = yield* Effect.promise(() => import("effect"))
      const vault = yield* FakeVault.start({ ...kv, rootTokens: [ROOT], namespace: "ns1", approle: { roleId: "r1", secretId: SECRET_ID, ttlSeconds: 60, maxTtlSeconds: 120 } })
      const withEnv = (env: Record<string, string>) =>
        Secrets.layerConfig().pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))
      assert.strictEqual(
        yield* value("vault:secret/data/llm#openai").pipe(Effect.provide(withEnv({ VAULT_ADDR: vault.address, VAULT_TOKEN: ROOT, VAULT_NAMESPACE: "ns1" }))),
        "sk-openai-2"
      )
      assert.strictEqual(
        yield* value("vault:secret/data/llm#anthropic").pipe(
          Effect.provide(withEnv({ VAULT_ADDR: vault.address, VAULT_ROLE_ID: "r1", VAULT_SECRET_ID: SECRET_ID, VAULT_NAMESPACE: "ns1" }))
        ),
        "sk-ant-2"
      )
      assert.strictEqual(vault.issued(), 1)
      const incomplete = yield* Effect.exit(Secrets.resolve("env:X").pipe(Effect.provide(withEnv({ VAULT_ADDR: vault.address }))))
      assert.include(String(failure(incomplete)), "VAULT_ADDR is set but neither VAULT_TOKEN nor VAULT_ROLE_ID + VAULT_SECRET_ID is")
      const noVault = failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/llm#openai").pipe(Effect.provide(withEnv({})))))
      assert.include(noVault.message, "VAULT_ADDR")
    }))
})

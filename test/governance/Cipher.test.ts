import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { Cipher } from "../../src/governance/index.ts"
import { Secrets } from "../../src/secrets/index.ts"

const failure = <E>(exit: Exit.Exit<unknown, E>): E => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  return ((exit as Exit.Failure<unknown, E>).cause.reasons.find((r) => r._tag === "Fail") as { readonly error: E }).error
}
const k1 = Cipher.generateKey()
const k2 = Cipher.generateKey()
const ring = (current: string, keys: Record<string, string>) =>
  Cipher.make({ current, keys: new Map(Object.entries(keys).map(([id, k]) => [id, Cipher.decodeKey(k)!])) })

// flips one bit of the base64url field `index` (0 key id, 1 nonce, 2 ciphertext, 3 tag) of an envelope
const tamper = (envelope: string, index: number) => {
  const parts = envelope.split(":")
  const field = Buffer.from(parts[index + 2]!, "base64url")
  field[0] = field[0]! ^ 1
  parts[index + 2] = field.toString("base64url")
  return parts.join(":")
}

describe("Cipher (AES-256-GCM envelopes)", () => {
  it.effect("round trip; the envelope carries version, key id, nonce, ciphertext and tag; a fresh nonce each time", () =>
    Effect.gen(function*() {
      const cipher = yield* ring("k1", { k1 })
      const a = yield* cipher.encrypt("card 4111 1111 1111 1111", "run:1/step:a/output")
      const b = yield* cipher.encrypt("card 4111 1111 1111 1111", "run:1/step:a/output")
      assert.notStrictEqual(a, b)
      const [scheme, version, keyId, nonce, ciphertext, tag] = a.split(":")
      assert.deepStrictEqual([scheme, version, keyId], ["enc", "v1", "k1"])
      assert.strictEqual(Buffer.from(nonce!, "base64url").length, 12)
      assert.strictEqual(Buffer.from(tag!, "base64url").length, 16)
      assert.strictEqual(Buffer.from(ciphertext!, "base64url").length, "card 4111 1111 1111 1111".length)
      assert.notInclude(a, "4111")
      assert.strictEqual(yield* cipher.decryptString(a, "run:1/step:a/output"), "card 4111 1111 1111 1111")
      assert.deepStrictEqual(yield* cipher.decryptJson(yield* cipher.encryptJson({ x: [1, "é"] }, "c"), "c"), { x: [1, "é"] })
      assert.strictEqual(Cipher.keyIdOf(a), "k1")
      assert.isTrue(Cipher.isEnvelope(a))
    }))

  it.effect("key rotation: new values under the new key, old values still readable, re-encryption moves them", () =>
    Effect.gen(function*() {
      const before = yield* ring("k1", { k1 })
      const old = yield* before.encryptJson({ answer: "ada@example.com" }, "run:7/step:s/output")
      const after = yield* ring("k2", { k1, k2 })
      const fresh = yield* after.encryptJson({ answer: "new" }, "run:8/step:s/output")
      assert.strictEqual(Cipher.keyIdOf(fresh), "k2")
      assert.deepStrictEqual(yield* after.decryptJson(old, "run:7/step:s/output"), { answer: "ada@example.com" })
      const moved = yield* after.reencrypt(old, "run:7/step:s/output")
      assert.strictEqual(Cipher.keyIdOf(moved), "k2")
      assert.strictEqual(yield* after.reencrypt(moved, "run:7/step:s/output"), moved)
      // once k1 is retired, only re-encrypted values stay readable
      const retired = yield* ring("k2", { k2 })
      assert.deepStrictEqual(yield* retired.decryptJson(moved, "run:7/step:s/output"), { answer: "ada@example.com" })
      const gone = failure(yield* Effect.exit(retired.decryptJson(old, "run:7/step:s/output")))
      assert.deepStrictEqual([gone._tag, gone.message], ["UnknownKey", "no key k1 in the keyring (have k2)"])
    }))

  it.effect("tampered nonce, ciphertext or tag, a swapped key id, another context, a wrong key: all rejected", () =>
    Effect.gen(function*() {
      const cipher = yield* ring("k1", { k1, k2 })
      const envelope = yield* cipher.encrypt("secret text", "run:1/step:a/output")
      for (const field of [1, 2, 3]) {
        const e = failure(yield* Effect.exit(cipher.decrypt(tamper(envelope, field), "run:1/step:a/output")))
        assert.strictEqual(e._tag, "DecryptionFailed", `field ${field}`)
      }
      const relabelled = envelope.replace("enc:v1:k1:", "enc:v1:k2:")
      assert.strictEqual(failure(yield* Effect.exit(cipher.decrypt(relabelled, "run:1/step:a/output")))._tag, "DecryptionFailed")
      const moved = failure(yield* Effect.exit(cipher.decrypt(envelope, "run:2/step:a/output")))
      assert.deepStrictEqual([moved._tag, moved.message], ["DecryptionFailed", "authentication failed under key k1: the value was altered, or belongs to another context"])
      const other = yield* ring("k1", { k1: Cipher.generateKey() })
      assert.strictEqual(failure(yield* Effect.exit(other.decrypt(envelope, "run:1/step:a/output")))._tag, "DecryptionFailed")
      for (const bad of ["plain text", "enc:v2:k1:a:b:c", "enc:v1:k1:only:three", `enc:v1:k1:${Buffer.alloc(5).toString("base64url")}:AA:AA`]) {
        assert.strictEqual(failure(yield* Effect.exit(cipher.decrypt(bad)))._tag, "InvalidEnvelope", bad)
      }
    }))

  it.effect("keys from the Secrets service; a malformed or missing key fails the layer naming the key id, never the key", () =>
    Effect.gen(function*() {
      const hex = randomBytes(32).toString("hex")
      const good = Cipher.layer({ current: "2026-01", keys: { "2026-01": "env:ENC_2026_01", "2025-07": "env:ENC_2025_07" } }).pipe(
        Layer.provide(Secrets.layerStatic({ ENC_2026_01: k1, ENC_2025_07: hex }))
      )
      const envelope = yield* Cipher.encryptJson({ ok: true }, "ctx").pipe(Effect.provide(good))
      assert.strictEqual(Cipher.keyIdOf(envelope), "2026-01")
      assert.deepStrictEqual(yield* Cipher.decryptJson(envelope, "ctx").pipe(Effect.provide(good)), { ok: true })

      const short = failure(yield* Effect.exit(Effect.provide(Cipher.encryptJson(1), Cipher.layer({ current: "k", keys: { k: "env:K" } }).pipe(
        Layer.provide(Secrets.layerStatic({ K: "too-short-key-material" }))
      ))))
      assert.deepStrictEqual([short._tag, short.message], ["InvalidKey", "key k (env:K): not 32 bytes of base64 or hex"])
      const missing = failure(yield* Effect.exit(Effect.provide(Cipher.encryptJson(1), Cipher.layer({ current: "k", keys: { k: "env:NOPE" } }).pipe(
        Layer.provide(Secrets.layerStatic({}))
      ))))
      assert.strictEqual(missing._tag, "SecretNotFound")
      const notCurrent = failure(yield* Effect.exit(Effect.provide(Cipher.encryptJson(1), Cipher.layerKeys({ current: "k9", keys: { k1: Redacted.make(k1) } }))))
      assert.deepStrictEqual([notCurrent._tag, notCurrent.message], ["InvalidKey", "the current key k9 is not in the keyring (have k1)"])
      const badId = failure(yield* Effect.exit(ring("a:b", { "a:b": k1 })))
      assert.strictEqual(badId._tag, "InvalidKey")
    }))
})

/**
 * Encryption at rest: AES-256-GCM (node:crypto) under a keyring whose keys come from the `Secrets` service. Each
 * value is a self-describing **envelope** string:
 *
 * ```
 * enc:v1:<key id>:<nonce>:<ciphertext>:<tag>      (nonce 12 bytes, tag 16 bytes, base64url without padding)
 * ```
 *
 * New values are encrypted under the `current` key; any key of the ring decrypts, so keys rotate without
 * re-encrypting old data at once (re-encrypt later with {@link CipherShape.reencrypt}). The header (`enc:v1:<key id>`)
 * and the caller's `context` (e.g. `run:42/step:answer/output`) are authenticated as additional data: a value
 * cannot be moved to another row, or relabelled with another key id, without failing decryption.
 *
 * A random 96-bit nonce per value: keep below ~2^32 values per key (rotate yearly, or sooner at high volume).
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Cipher } from "llm-orchestrator/governance"
 * import { Secrets } from "llm-orchestrator/secrets"
 * const CipherLive = Cipher.layer({ current: "2026-01", keys: { "2026-01": "env:ENC_KEY_2026_01", "2025-07": "vault:secret/data/enc#k2025" } })
 *   .pipe(Layer.provide(Secrets.layerConfig()))
 * const envelope = yield* Cipher.encryptJson({ answer: "…" }, "run:42/step:answer/output")
 * ```
 */
import { Context, Effect, Layer, Redacted } from "effect"
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { Secrets } from "../secrets/Secrets.ts"
import type { SecretsError } from "../secrets/SecretsError.ts"
import { type CipherError, DecryptionFailed, InvalidEnvelope, InvalidKey, UnknownKey } from "./CipherError.ts"

/**
 * Keys by id (32 bytes each) and the id new values are encrypted under.
 *
 * @example
 * ```ts
 * const ring: Keyring = { current: "k2", keys: new Map([["k1", key1], ["k2", key2]]) }
 * ```
 */
export interface Keyring {
  readonly current: string
  readonly keys: ReadonlyMap<string, Uint8Array>
}

/**
 * What the service offers.
 *
 * @example
 * ```ts
 * const cipher = yield* Cipher.Cipher
 * const back = yield* cipher.decryptString(yield* cipher.encrypt("hello", "ctx"), "ctx")
 * ```
 */
export interface CipherShape {
  /** The key id new values are encrypted under. */
  readonly currentKeyId: string
  readonly encrypt: (plaintext: Uint8Array | string, context?: string) => Effect.Effect<string>
  readonly decrypt: (envelope: string, context?: string) => Effect.Effect<Uint8Array, CipherError>
  readonly decryptString: (envelope: string, context?: string) => Effect.Effect<string, CipherError>
  readonly encryptJson: (value: unknown, context?: string) => Effect.Effect<string>
  readonly decryptJson: (envelope: string, context?: string) => Effect.Effect<unknown, CipherError>
  /** The envelope under the current key (same context), or the same string when it already is. */
  readonly reencrypt: (envelope: string, context?: string) => Effect.Effect<string, CipherError>
}

/**
 * The service.
 *
 * @example
 * ```ts
 * const envelope = yield* Cipher.Cipher.use((c) => c.encrypt("secret", "run:1"))
 * ```
 */
export class Cipher extends Context.Service<Cipher, CipherShape>()("llm-orchestrator/Cipher") {}

const prefix = "enc:v1:"
const keyIdPattern = /^[A-Za-z0-9_-]{1,64}$/

/**
 * True when `value` looks like an envelope (`enc:v1:…`), e.g. to tell encrypted rows from plain ones.
 *
 * @example
 * ```ts
 * Cipher.isEnvelope("enc:v1:k1:…") // true
 * ```
 */
export const isEnvelope = (value: unknown): value is string => typeof value === "string" && value.startsWith(prefix)

/**
 * The key id an envelope was encrypted under (to find values still under an old key).
 *
 * @example
 * ```ts
 * Cipher.keyIdOf(envelope) // "2025-07"
 * ```
 */
export const keyIdOf = (envelope: string): string | undefined =>
  isEnvelope(envelope) ? envelope.slice(prefix.length, envelope.indexOf(":", prefix.length)) : undefined

/**
 * A new random 256-bit key, base64 (what to store in a secret for {@link layer}).
 *
 * @example
 * ```ts
 * console.log(Cipher.generateKey()) // e.g. "q3V0…=" (44 characters)
 * ```
 */
export const generateKey = (): string => randomBytes(32).toString("base64")

/**
 * The 32 key bytes of `text`: base64 (44 characters), base64url, or hex (64 characters).
 *
 * @example
 * ```ts
 * Cipher.decodeKey(Cipher.generateKey())?.length // 32
 * ```
 */
export const decodeKey = (text: string): Uint8Array | undefined => {
  const t = text.trim()
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex")
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const bytes = Buffer.from(t.replaceAll("-", "+").replaceAll("_", "/"), "base64")
    return bytes.length === 32 ? bytes : undefined
  }
  return undefined
}

const aadOf = (keyId: string, context: string | undefined) => Buffer.from(`${prefix}${keyId}\u0000${context ?? ""}`, "utf8")

/**
 * Builds the service over `ring`.
 *
 * @example
 * ```ts
 * const cipher = yield* Cipher.make({ current: "k1", keys: new Map([["k1", randomBytes(32)]]) })
 * ```
 */
export const make = (ring: Keyring): Effect.Effect<CipherShape, InvalidKey> =>
  Effect.gen(function*() {
    for (const [id, key] of ring.keys) {
      if (!keyIdPattern.test(id)) return yield* new InvalidKey({ keyId: id, message: `key id "${id}" must match [A-Za-z0-9_-]{1,64}` })
      if (key.length !== 32) return yield* new InvalidKey({ keyId: id, message: `key ${id} has ${key.length} bytes, AES-256 needs 32` })
    }
    const currentKey = ring.keys.get(ring.current)
    if (currentKey === undefined) {
      return yield* new InvalidKey({ keyId: ring.current, message: `the current key ${ring.current} is not in the keyring (have ${[...ring.keys.keys()].join(", ") || "none"})` })
    }
    const keys = new Map([...ring.keys].map(([id, k]) => [id, Buffer.from(k)] as const))
    const current = ring.current

    const encryptSync = (plaintext: Uint8Array | string, context: string | undefined): string => {
      const nonce = randomBytes(12)
      const cipher = createCipheriv("aes-256-gcm", keys.get(current)!, nonce)
      cipher.setAAD(aadOf(current, context))
      const data = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext
      const ciphertext = Buffer.concat([cipher.update(data), cipher.final()])
      const tag = cipher.getAuthTag()
      return `${prefix}${current}:${nonce.toString("base64url")}:${ciphertext.toString("base64url")}:${tag.toString("base64url")}`
    }

    const decryptSync = (envelope: string, context: string | undefined): Uint8Array | CipherError => {
      if (!isEnvelope(envelope)) {
        return new InvalidEnvelope({ message: "not an encrypted value (expected enc:v1:<key id>:<nonce>:<ciphertext>:<tag>)" })
      }
      const parts = envelope.slice(prefix.length).split(":")
      if (parts.length !== 4) return new InvalidEnvelope({ message: `an enc:v1 envelope has 4 fields after the version, this one has ${parts.length}` })
      const [keyId, nonceText, ciphertextText, tagText] = parts as [string, string, string, string]
      const key = keys.get(keyId)
      if (key === undefined) return new UnknownKey({ keyId, message: `no key ${keyId} in the keyring (have ${[...keys.keys()].join(", ")})` })
      const nonce = Buffer.from(nonceText, "base64url")
      const tag = Buffer.from(tagText, "base64url")
      if (nonce.length !== 12 || tag.length !== 16) return new InvalidEnvelope({ message: `nonce must be 12 bytes and tag 16 (got ${nonce.length} and ${tag.length})` })
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, nonce)
        decipher.setAAD(aadOf(keyId, context))
        decipher.setAuthTag(tag)
        return Buffer.concat([decipher.update(Buffer.from(ciphertextText, "base64url")), decipher.final()])
      } catch {
        return new DecryptionFailed({ keyId, message: `authentication failed under key ${keyId}: the value was altered, or belongs to another context` })
      }
    }

    const decrypt = (envelope: string, context?: string): Effect.Effect<Uint8Array, CipherError> =>
      Effect.suspend(() => {
        const r = decryptSync(envelope, context)
        return r instanceof Uint8Array ? Effect.succeed(r) : Effect.fail(r)
      })
    const decryptString = (envelope: string, context?: string) => Effect.map(decrypt(envelope, context), (b) => Buffer.from(b).toString("utf8"))

    return Cipher.of({
      currentKeyId: current,
      encrypt: (plaintext, context) => Effect.sync(() => encryptSync(plaintext, context)),
      decrypt,
      decryptString,
      encryptJson: (value, context) => Effect.sync(() => encryptSync(JSON.stringify(value) ?? "null", context)),
      decryptJson: (envelope, context) => Effect.map(decryptString(envelope, context), (s) => JSON.parse(s) as unknown),
      reencrypt: (envelope, context) =>
        keyIdOf(envelope) === current
          ? Effect.succeed(envelope)
          : Effect.map(decrypt(envelope, context), (plain) => encryptSync(plain, context))
    })
  })

/**
 * Settings of {@link layer}: key id -> secret reference of the key (32 bytes, base64 or hex), and the current id.
 *
 * @example
 * ```ts
 * const options: Cipher.Options = { current: "2026-01", keys: { "2026-01": "file:/run/secrets/enc-2026-01", "2025-07": "env:ENC_2025_07" } }
 * ```
 */
export interface Options {
  readonly current: string
  readonly keys: Readonly<Record<string, string>>
}

/**
 * The service with keys read through `Secrets` when the layer is built (a missing or malformed key fails the layer,
 * naming the key id and its reference, never the key).
 *
 * @example
 * ```ts
 * Cipher.layer({ current: "k2", keys: { k1: "env:ENC_K1", k2: "env:ENC_K2" } }).pipe(Layer.provide(Secrets.layer()))
 * ```
 */
export const layer = (options: Options): Layer.Layer<Cipher, InvalidKey | SecretsError, Secrets> =>
  Layer.effect(
    Cipher,
    Effect.gen(function*() {
      const secrets = yield* Secrets
      const keys = new Map<string, Uint8Array>()
      for (const [id, reference] of Object.entries(options.keys)) {
        const text = yield* secrets.resolve(reference)
        const key = decodeKey(Redacted.value(text))
        if (key === undefined) return yield* new InvalidKey({ keyId: id, message: `key ${id} (${reference}): not 32 bytes of base64 or hex` })
        keys.set(id, key)
      }
      return yield* make({ current: options.current, keys })
    })
  )

/**
 * The service over keys given directly (tests, or keys fetched another way).
 *
 * @example
 * ```ts
 * Cipher.layerKeys({ current: "k1", keys: { k1: Redacted.make(Cipher.generateKey()) } })
 * ```
 */
export const layerKeys = (options: {
  readonly current: string
  readonly keys: Readonly<Record<string, Redacted.Redacted<string> | Uint8Array>>
}): Layer.Layer<Cipher, InvalidKey> =>
  Layer.effect(
    Cipher,
    Effect.gen(function*() {
      const keys = new Map<string, Uint8Array>()
      for (const [id, k] of Object.entries(options.keys)) {
        const key = k instanceof Uint8Array ? k : decodeKey(Redacted.value(k))
        if (key === undefined) return yield* new InvalidKey({ keyId: id, message: `key ${id}: not 32 bytes of base64 or hex` })
        keys.set(id, key)
      }
      return yield* make({ current: options.current, keys })
    })
  )

/**
 * Encrypts `value` as JSON with the service in context.
 *
 * @example
 * ```ts
 * const envelope = yield* Cipher.encryptJson({ text: "…" }, "run:1/step:a/output")
 * ```
 */
export const encryptJson = (value: unknown, context?: string): Effect.Effect<string, never, Cipher> =>
  Cipher.use((c) => c.encryptJson(value, context))

/**
 * Decrypts a JSON envelope with the service in context.
 *
 * @example
 * ```ts
 * const value = yield* Cipher.decryptJson(envelope, "run:1/step:a/output")
 * ```
 */
export const decryptJson = (envelope: string, context?: string): Effect.Effect<unknown, CipherError, Cipher> =>
  Cipher.use((c) => c.decryptJson(envelope, context))

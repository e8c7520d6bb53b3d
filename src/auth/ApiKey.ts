/**
 * API keys: `llmo_<id>_<secret>`, where `id` (12 hex characters) names the key and `secret` is 32 random bytes
 * (base64url). The store keeps the id, a random 16-byte salt and `SHA-256(salt ‖ secret)`, never the secret: a key
 * is shown once, when it is created.
 *
 * Why SHA-256 and not a slow password hash: the secret has 256 bits of entropy, so guessing it is infeasible at any
 * hash speed, and a slow hash (scrypt, bcrypt) would cost every request tens of milliseconds. The comparison is
 * constant-time.
 *
 * @example
 * ```ts
 * import { ApiKey } from "llm-orchestrator/auth"
 * const { token, id, salt, hash } = ApiKey.generate()
 * ApiKey.parse(Redacted.value(token))?.id === id // true
 * ApiKey.matches(ApiKey.parse(Redacted.value(token))!.secret, salt, hash) // true
 * ```
 */
import { Redacted } from "effect"
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"

/**
 * The prefix of every key (so secret scanners and people can tell a key when they see one).
 *
 * @example
 * ```ts
 * token.startsWith(ApiKey.prefix)
 * ```
 */
export const prefix = "llmo_"

const pattern = /^llmo_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/

/**
 * A new key: the token to show once, and what the store keeps.
 *
 * @example
 * ```ts
 * const key = ApiKey.generate()
 * console.log(Redacted.value(key.token)) // shown once
 * ```
 */
export const generate = (): { readonly token: Redacted.Redacted<string>; readonly id: string; readonly salt: string; readonly hash: string } => {
  const id = randomBytes(6).toString("hex")
  const secret = randomBytes(32).toString("base64url")
  const salt = randomBytes(16).toString("hex")
  return { token: Redacted.make(`${prefix}${id}_${secret}`, { label: "api-key" }), id, salt, hash: hashOf(secret, salt) }
}

/**
 * The stored hash of a secret with its salt (hex).
 *
 * @example
 * ```ts
 * ApiKey.hashOf(secret, salt)
 * ```
 */
export const hashOf = (secret: string, salt: string): string =>
  createHash("sha256").update(Buffer.from(salt, "hex")).update(secret).digest("hex")

/**
 * Splits a presented token into key id and secret; undefined when it is not shaped like a key.
 *
 * @example
 * ```ts
 * ApiKey.parse("llmo_0123456789ab_...")?.id // "0123456789ab"
 * ApiKey.parse("eyJhbGciOi...") // undefined (a JWT)
 * ```
 */
export const parse = (token: string): { readonly id: string; readonly secret: string } | undefined => {
  const m = pattern.exec(token)
  return m === null ? undefined : { id: m[1]!, secret: m[2]! }
}

/**
 * True when `secret` hashes to `hash` with `salt` (constant-time comparison).
 *
 * @example
 * ```ts
 * if (!ApiKey.matches(secret, record.salt, record.hash)) return yield* unauthorized("invalid_key")
 * ```
 */
export const matches = (secret: string, salt: string, hash: string): boolean => {
  const expected = Buffer.from(hash, "hex")
  const actual = Buffer.from(hashOf(secret, salt), "hex")
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

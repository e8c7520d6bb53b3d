/**
 * The errors of encrypting and decrypting with {@link Cipher}. None carries plaintext or key material.
 *
 * @example
 * ```ts
 * cipher.decrypt(envelope).pipe(Effect.catchTag("DecryptionFailed", () => Effect.succeed(undefined)))
 * ```
 */
import { Schema } from "effect"

/**
 * A key of the keyring is not usable: not 32 bytes (base64 or hex), or its id is not `[A-Za-z0-9_-]{1,64}`, or the
 * current key id is not in the ring.
 *
 * @example
 * ```ts
 * new InvalidKey({ keyId: "2026-01", message: "key 2026-01 (env:ENC_KEY): not 32 bytes of base64 or hex" })
 * ```
 */
export class InvalidKey extends Schema.TaggedError<InvalidKey>()("InvalidKey", {
  keyId: Schema.String,
  message: Schema.String
}) {}

/**
 * Not an envelope of a known version (`enc:v1:…`).
 *
 * @example
 * ```ts
 * new InvalidEnvelope({ message: "not an encrypted value (expected enc:v1:<key>:<nonce>:<ciphertext>:<tag>)" })
 * ```
 */
export class InvalidEnvelope extends Schema.TaggedError<InvalidEnvelope>()("InvalidEnvelope", {
  message: Schema.String
}) {}

/**
 * The envelope names a key the keyring does not have (it was removed too early, or the data is from elsewhere).
 *
 * @example
 * ```ts
 * new UnknownKey({ keyId: "2024-01", message: "no key 2024-01 in the keyring (have 2026-01, 2025-07)" })
 * ```
 */
export class UnknownKey extends Schema.TaggedError<UnknownKey>()("UnknownKey", {
  keyId: Schema.String,
  message: Schema.String
}) {}

/**
 * The authentication tag does not match: the ciphertext, nonce, header or context was altered, or the key is not the
 * one it was encrypted with.
 *
 * @example
 * ```ts
 * new DecryptionFailed({ keyId: "2026-01", message: "authentication failed: the value was altered or belongs elsewhere" })
 * ```
 */
export class DecryptionFailed extends Schema.TaggedError<DecryptionFailed>()("DecryptionFailed", {
  keyId: Schema.String,
  message: Schema.String
}) {}

/**
 * Any failure of decryption.
 *
 * @example
 * ```ts
 * const describe = (e: CipherError) => e._tag
 * ```
 */
export type CipherError = InvalidEnvelope | UnknownKey | DecryptionFailed

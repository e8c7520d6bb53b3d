/**
 * A `WebCrypto` for the workflow engine whose `subtle.digest` hashes on this thread with `node:crypto`.
 *
 * effect/workflow hashes an execution id or an idempotency key (SHA-256) several times per run: when a run is
 * started, for each activity, for each reply. Web Crypto's `subtle.digest` runs each hash as a job on libuv's thread
 * pool and resolves a promise from there: about 70 µs of CPU per call one at a time (measured on Node 24), against
 * about 6 µs for `createHash` on the calling thread. The bytes are the same; only where they are computed changes.
 * Everything other than `digest` is the platform's own.
 *
 * @example
 * ```ts
 * import { WebCrypto } from "effect/crypto"
 * const layer = WebCrypto.layer(FastDigest.crypto)
 * ```
 */
import type { Layer } from "effect"
import { WebCrypto } from "effect/crypto"
import { createHash } from "node:crypto"

/** Web Crypto's algorithm names, as `node:crypto` spells them. */
const names: Readonly<Record<string, string>> = { "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" }

const platform = globalThis.crypto

const subtle: SubtleCrypto = new Proxy(platform.subtle, {
  get(target, property) {
    if (property === "digest") {
      return (algorithm: AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer> => {
        const name = names[typeof algorithm === "string" ? algorithm : algorithm.name]
        // An algorithm node:crypto does not name here goes to the platform, unchanged.
        if (name === undefined) return target.digest(algorithm, data)
        const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data)
        const out = createHash(name).update(bytes).digest()
        return Promise.resolve(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer)
      }
    }
    const value = Reflect.get(target, property, target)
    return typeof value === "function" ? value.bind(target) : value
  }
})

/**
 * The platform's `crypto` with the on-thread `subtle.digest`.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(await FastDigest.crypto.subtle.digest("SHA-256", new TextEncoder().encode("run-1")))
 * ```
 */
export const crypto: Crypto = {
  getRandomValues: <T extends ArrayBufferView | null>(array: T) => platform.getRandomValues(array as never) as T,
  randomUUID: () => platform.randomUUID(),
  subtle
}

/**
 * Provides it as effect's `WebCrypto` (the engine's execution ids and idempotency keys are hashed with it).
 *
 * @example
 * ```ts
 * engine.pipe(Layer.provideMerge(FastDigest.layer))
 * ```
 */
export const layer: Layer.Layer<never> = WebCrypto.layer(crypto)

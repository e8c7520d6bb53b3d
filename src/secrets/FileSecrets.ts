/**
 * `file:/run/secrets/openai`: the content of a file, as Docker (`/run/secrets/<name>`) and Kubernetes (a Secret
 * mounted as a volume) provide secrets. Trailing newlines (`echo key > file`) and a UTF-8 byte order mark are
 * removed. Relative paths are relative to the working directory. With `#key` the file is read as a JSON object.
 *
 * @example
 * ```ts
 * const key = yield* Secrets.resolve("file:/run/secrets/openai")
 * const db = yield* Secrets.resolve("file:/etc/app/credentials.json#password")
 * ```
 */
import { Effect } from "effect"
import { open } from "node:fs/promises"
import { checkParams, type SecretBackend, selectKey } from "./SecretBackend.ts"
import { InvalidSecretValue, SecretAccessDenied, SecretNotFound, SecretUnavailable, type SecretsError } from "./SecretsError.ts"

/** Larger files are refused: a secret is small, and a large file is a wrong path (a log, a binary). */
const maxBytes = 1024 * 1024

const errorOf = (raw: string, path: string, cause: unknown): SecretsError => {
  const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined
  switch (code) {
    case "ENOENT":
      return new SecretNotFound({ reference: raw, message: `${raw}: no such file ${path}` })
    case "ENOTDIR":
      return new SecretNotFound({ reference: raw, message: `${raw}: a parent of ${path} is not a directory` })
    case "EACCES":
    case "EPERM":
      return new SecretAccessDenied({ reference: raw, message: `${raw}: permission denied reading ${path}` })
    case "EISDIR":
      return new InvalidSecretValue({ reference: raw, message: `${raw}: ${path} is a directory, not a file` })
    default:
      return new SecretUnavailable({ reference: raw, message: `${raw}: cannot read ${path} (${typeof code === "string" ? code : "I/O error"})` })
  }
}

const read = (path: string): Promise<{ readonly text: string } | { readonly tooLarge: number }> =>
  open(path, "r").then(async (handle) => {
    try {
      const stat = await handle.stat()
      if (stat.isDirectory()) throw Object.assign(new Error("directory"), { code: "EISDIR" })
      if (stat.size > maxBytes) return { tooLarge: stat.size }
      return { text: await handle.readFile("utf8") }
    } finally {
      await handle.close()
    }
  })

/**
 * Removes the trailing line breaks and a leading byte order mark of a secret file's content.
 *
 * @example
 * ```ts
 * FileSecrets.clean("sk-123\n") // "sk-123"
 * ```
 */
export const clean = (text: string): string => text.replace(/^\uFEFF/, "").replace(/[\r\n]+$/, "")

/**
 * The `file:` backend.
 *
 * @example
 * ```ts
 * Secrets.layer({ backends: [FileSecrets.backend] })  // included by default
 * ```
 */
export const backend: SecretBackend = {
  scheme: "file",
  resolve: (reference) =>
    Effect.gen(function*() {
      yield* checkParams(reference, [])
      const result = yield* Effect.tryPromise({ try: () => read(reference.path), catch: (cause) => errorOf(reference.raw, reference.path, cause) })
      if ("tooLarge" in result) {
        return yield* new InvalidSecretValue({
          reference: reference.raw,
          message: `${reference.raw}: ${reference.path} has ${result.tooLarge} bytes, more than a secret file may (${maxBytes})`
        })
      }
      const text = clean(result.text)
      if (text.trim() === "") return yield* new InvalidSecretValue({ reference: reference.raw, message: `${reference.raw}: ${reference.path} is empty` })
      return yield* selectKey(reference, text)
    })
}

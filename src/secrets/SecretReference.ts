/**
 * Secret references: strings that say where a secret lives instead of holding it.
 *
 * - `env:NAME`: an environment variable (through Effect's `ConfigProvider`, so tests can supply it).
 * - `file:/run/secrets/openai`: a file (Docker and Kubernetes secret mounts); trailing newlines are removed.
 * - `vault:secret/data/llm#openai`: HashiCorp Vault, the path as in the HTTP API (KV v2: `<mount>/data/<path>`), the
 *   field after `#`; `?version=3` pins a KV v2 version.
 * - `aws-sm:prod/openai` or `aws-sm:arn:aws:secretsmanager:…`: AWS Secrets Manager; `#key` selects a field of a
 *   JSON secret; `?versionStage=AWSPREVIOUS` or `?versionId=…` pick a version.
 *
 * Any reference may end in `#key`: the secret is then parsed as a JSON object and that field is the value.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { SecretReference } from "llm-orchestrator/secrets"
 * const ref = SecretReference.parse("vault:secret/data/llm?version=2#openai")
 * // Result.succeed({ raw, scheme: "vault", path: "secret/data/llm", params: { version: "2" }, key: "openai" })
 * ```
 */
import { Result, Schema } from "effect"
import { InvalidSecretReference } from "./SecretsError.ts"

/**
 * A parsed reference: `scheme:path?params#key`.
 *
 * @example
 * ```ts
 * const ref: SecretReference = { raw: "file:/run/secrets/openai", scheme: "file", path: "/run/secrets/openai", params: {}, key: undefined }
 * ```
 */
export interface SecretReference {
  /** The reference as written (what errors and `Redacted` labels show). */
  readonly raw: string
  readonly scheme: string
  readonly path: string
  readonly params: Readonly<Record<string, string>>
  /** The field selected with `#key`, if any. */
  readonly key: string | undefined
}

/**
 * The schemes served out of the box.
 *
 * @example
 * ```ts
 * SecretReference.builtinSchemes // ["env", "file", "vault", "aws-sm"]
 * ```
 */
export const builtinSchemes: ReadonlyArray<string> = ["env", "file", "vault", "aws-sm"]

const schemePattern = /^[a-z][a-z0-9+.-]*$/

/**
 * Parses `raw` into a {@link SecretReference} (syntax only: whether the scheme has a backend is checked by `Secrets`).
 *
 * @example
 * ```ts
 * SecretReference.parse("env:OPENAI_API_KEY")  // Result.succeed({ scheme: "env", path: "OPENAI_API_KEY", ... })
 * SecretReference.parse("sk-123")              // Result.fail(InvalidSecretReference: 'not a secret reference ...')
 * ```
 */
export const parse = (raw: string): Result.Result<SecretReference, InvalidSecretReference> => {
  const fail = (why: string) =>
    Result.fail(new InvalidSecretReference({ reference: display(raw), message: `${display(raw)}: ${why}` }))
  const colon = raw.indexOf(":")
  if (colon <= 0) return fail(`not a secret reference (expected scheme:name, e.g. env:OPENAI_API_KEY, file:/run/secrets/openai)`)
  const scheme = raw.slice(0, colon)
  if (!schemePattern.test(scheme)) return fail(`"${scheme}" is not a scheme (lowercase letters, digits, + . -)`)
  let rest = raw.slice(colon + 1)
  let key: string | undefined
  const hash = rest.indexOf("#")
  if (hash >= 0) {
    key = rest.slice(hash + 1)
    rest = rest.slice(0, hash)
    if (key === "") return fail(`empty key after "#"`)
  }
  const params: Record<string, string> = {}
  const question = rest.indexOf("?")
  if (question >= 0) {
    for (const [name, value] of new URLSearchParams(rest.slice(question + 1))) params[name] = value
    rest = rest.slice(0, question)
  }
  if (rest.trim() === "") return fail(`empty ${scheme === "env" ? "variable name" : "path"}`)
  if (rest !== rest.trim()) return fail(`leading or trailing whitespace in "${rest}"`)
  return Result.succeed({ raw, scheme, path: rest, params, key })
}

/**
 * True when `value` looks like a reference with one of `schemes` (default: the built-in ones), e.g. to tell a
 * reference from a literal in a settings file.
 *
 * @example
 * ```ts
 * SecretReference.isReference("env:OPENAI_API_KEY") // true
 * SecretReference.isReference("https://api.openai.com") // false
 * ```
 */
export const isReference = (value: string, schemes: ReadonlyArray<string> = builtinSchemes): boolean => {
  const colon = value.indexOf(":")
  return colon > 0 && schemes.includes(value.slice(0, colon))
}

// A reference is not secret, but a mistake may paste the secret itself where a reference belongs ("sk-…" or
// "OPENAI:sk-…"): errors show only the scheme part and the first characters of what is not a known reference.
const display = (raw: string): string => {
  if (isReference(raw)) return raw
  const shown = raw.length > 12 ? `${raw.slice(0, 4)}…(${raw.length} characters)` : raw.length > 0 ? `${raw.slice(0, 2)}…` : ""
  return `"${shown}"`
}

/**
 * A string that must be a secret reference with a built-in scheme; for settings files (`apiKey: env:OPENAI_API_KEY`).
 * The decode error names the field (Schema's path) and never echoes a pasted key.
 *
 * @example
 * ```ts
 * const Provider = Schema.Struct({ apiKey: SecretReference.Schema })
 * Schema.decodeUnknownSync(Provider)({ apiKey: "env:OPENAI_API_KEY" }) // ok
 * Schema.decodeUnknownSync(Provider)({ apiKey: "sk-live-123456789" })  // throws: apiKey: not a secret reference …
 * ```
 */
export const Schema_ = Schema.String.check(Schema.makeFilter((s: string) => {
  const parsed = parse(s)
  if (Result.isFailure(parsed)) return parsed.failure.message
  if (!builtinSchemes.includes(parsed.success.scheme)) {
    return `${s}: unknown scheme "${parsed.success.scheme}" (known: ${builtinSchemes.join(", ")})`
  }
  return true
}, { expected: "a secret reference (env:NAME, file:/path, vault:mount/data/path#key, aws-sm:name#key)" })).annotate({
  identifier: "SecretReference",
  description: "Where a secret lives: env:NAME, file:/path, vault:mount/data/path#key or aws-sm:name#key"
})
export { Schema_ as Schema }

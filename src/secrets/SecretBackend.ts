/**
 * A secret store behind a reference scheme. `Secrets` parses a reference, picks the backend of its scheme and caches
 * what it returns; a backend only reads. Add your own (GCP Secret Manager, 1Password, ...) with `Secrets.layer({
 * backends: [myBackend] })`.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { type SecretBackend, SecretNotFound } from "llm-orchestrator/secrets"
 * const memory = (values: Record<string, string>): SecretBackend => ({
 *   scheme: "mem",
 *   resolve: (ref) => ref.path in values
 *     ? Effect.succeed(Redacted.make(values[ref.path]!))
 *     : Effect.fail(new SecretNotFound({ reference: ref.raw, message: `${ref.raw}: no such secret` }))
 * })
 * ```
 */
import { Effect, Redacted } from "effect"
import type { SecretReference } from "./SecretReference.ts"
import { InvalidSecretReference, InvalidSecretValue, SecretNotFound, type SecretsError } from "./SecretsError.ts"

/**
 * What a backend implements. `resolve` returns the value the reference names, `#key` selection included (see
 * {@link selectKey}); it must not put the value, or any part of the raw secret, into an error.
 *
 * @example
 * ```ts
 * const backend: SecretBackend = { scheme: "env", resolve: (ref) => readEnv(ref) }
 * ```
 */
export interface SecretBackend {
  readonly scheme: string
  readonly resolve: (reference: SecretReference) => Effect.Effect<Redacted.Redacted<string>, SecretsError>
}

/**
 * The value of `reference` given the raw secret text: the text itself without `#key`, else the field `key` of the
 * text parsed as a JSON object (strings as is, numbers and booleans as their JSON text). Errors list the field names
 * the object has, never a value.
 *
 * @example
 * ```ts
 * selectKey(ref, '{"openai":"sk-1","anthropic":"sk-2"}') // Effect.succeed(Redacted("sk-1")) for ref.key "openai"
 * ```
 */
export const selectKey = (reference: SecretReference, text: string): Effect.Effect<Redacted.Redacted<string>, SecretsError> => {
  if (reference.key === undefined) return nonEmpty(reference, text)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    // JSON.parse's message quotes the input: never pass it on.
    return Effect.fail(new InvalidSecretValue({ reference: reference.raw, message: `${reference.raw}: "#${reference.key}" selects a field, but the secret is not JSON` }))
  }
  return selectField(reference, parsed)
}

/**
 * Field `reference.key` of an already decoded secret object (Vault's `data`), or the only field when there is no
 * `#key` and the object has exactly one.
 *
 * @example
 * ```ts
 * selectField(ref, { openai: "sk-1" }) // Redacted("sk-1")
 * ```
 */
export const selectField = (reference: SecretReference, data: unknown): Effect.Effect<Redacted.Redacted<string>, SecretsError> => {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return Effect.fail(new InvalidSecretValue({ reference: reference.raw, message: `${reference.raw}: the secret is not a JSON object` }))
  }
  const record = data as Record<string, unknown>
  const names = Object.keys(record)
  let key = reference.key
  if (key === undefined) {
    if (names.length !== 1) {
      return Effect.fail(new InvalidSecretReference({
        reference: reference.raw,
        message: `${reference.raw}: the secret has ${names.length === 0 ? "no fields" : `fields ${list(names)}`}; name one with #field`
      }))
    }
    key = names[0]!
  }
  if (!Object.hasOwn(record, key)) {
    return Effect.fail(new SecretNotFound({
      reference: reference.raw,
      message: `${reference.raw}: the secret has no field "${key}" (it has ${names.length === 0 ? "no fields" : list(names)})`
    }))
  }
  const value = record[key]
  if (typeof value === "string") return nonEmpty(reference, value)
  if (typeof value === "number" || typeof value === "boolean") return Effect.succeed(Redacted.make(String(value), { label: reference.raw }))
  return Effect.fail(new InvalidSecretValue({ reference: reference.raw, message: `${reference.raw}: field "${key}" is ${value === null ? "null" : Array.isArray(value) ? "an array" : "an object"}, not a string` }))
}

const list = (names: ReadonlyArray<string>) => names.length <= 10 ? names.map((n) => `"${n}"`).join(", ") : `${names.slice(0, 10).map((n) => `"${n}"`).join(", ")}, … (${names.length})`

const nonEmpty = (reference: SecretReference, value: string): Effect.Effect<Redacted.Redacted<string>, SecretsError> =>
  value === ""
    ? Effect.fail(new InvalidSecretValue({ reference: reference.raw, message: `${reference.raw}: the secret is empty` }))
    : Effect.succeed(Redacted.make(value, { label: reference.raw }))

/**
 * Fails with `InvalidSecretReference` when `reference` has a parameter outside `allowed`.
 *
 * @example
 * ```ts
 * yield* checkParams(ref, ["version"]) // vault:secret/data/x?versoin=2 -> 'unknown parameter "versoin" (allowed: version)'
 * ```
 */
export const checkParams = (reference: SecretReference, allowed: ReadonlyArray<string>): Effect.Effect<void, InvalidSecretReference> => {
  for (const name of Object.keys(reference.params)) {
    if (!allowed.includes(name)) {
      return Effect.fail(new InvalidSecretReference({
        reference: reference.raw,
        message: `${reference.raw}: unknown parameter "${name}" (${allowed.length === 0 ? `${reference.scheme}: references take none` : `allowed: ${allowed.join(", ")}`})`
      }))
    }
  }
  return Effect.void
}

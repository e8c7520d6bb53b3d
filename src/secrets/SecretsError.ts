/**
 * The errors of resolving a secret reference. Each names the reference (`env:OPENAI_API_KEY`,
 * `vault:secret/data/llm#openai`, ...) and says what went wrong; none ever carries the secret's value, nor any part of
 * a secret's payload (a malformed JSON secret is reported as "not a JSON object", never with the parser's excerpt).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Secrets } from "llm-orchestrator/secrets"
 * const key = Secrets.resolve("env:OPENAI_API_KEY").pipe(
 *   Effect.catchTag("SecretNotFound", (e) => Effect.die(`configure ${e.reference} first`))
 * )
 * ```
 */
import { Schema } from "effect"

/**
 * The reference is not a valid secret reference: unknown scheme, empty name, a parameter the backend does not know,
 * or a backend (Vault, AWS) that is not configured.
 *
 * @example
 * ```ts
 * new InvalidSecretReference({ reference: "vualt:x", message: `unknown scheme "vualt" (known: env, file, vault, aws-sm)` }).message
 * ```
 */
export class InvalidSecretReference extends Schema.TaggedError<InvalidSecretReference>()("InvalidSecretReference", {
  reference: Schema.String,
  message: Schema.String
}) {
  readonly retryable = false
}

/**
 * The secret does not exist: unset environment variable, missing file, unknown Vault path or key, unknown AWS secret,
 * or a `#key` the secret does not have.
 *
 * @example
 * ```ts
 * new SecretNotFound({ reference: "env:OPENAI_API_KEY", message: "env:OPENAI_API_KEY: environment variable OPENAI_API_KEY is not set" })
 * ```
 */
export class SecretNotFound extends Schema.TaggedError<SecretNotFound>()("SecretNotFound", {
  reference: Schema.String,
  message: Schema.String
}) {
  readonly retryable = false
}

/**
 * The secret exists but may not be read: file permissions, Vault 403, AWS AccessDenied, bad credentials.
 *
 * @example
 * ```ts
 * new SecretAccessDenied({ reference: "file:/run/secrets/openai", message: "file:/run/secrets/openai: permission denied" })
 * ```
 */
export class SecretAccessDenied extends Schema.TaggedError<SecretAccessDenied>()("SecretAccessDenied", {
  reference: Schema.String,
  message: Schema.String
}) {
  readonly retryable = false
}

/**
 * The secret store could not answer (unreachable, timeout, 5xx, sealed Vault). Retrying later may succeed; a value
 * resolved before is served meanwhile for `staleIfError` (see `Secrets.Options`).
 *
 * @example
 * ```ts
 * new SecretUnavailable({ reference: "vault:secret/data/llm#openai", message: "vault:secret/data/llm#openai: Vault answered 503" }).retryable // true
 * ```
 */
export class SecretUnavailable extends Schema.TaggedError<SecretUnavailable>()("SecretUnavailable", {
  reference: Schema.String,
  message: Schema.String
}) {
  readonly retryable = true
}

/**
 * The secret was read but its content is not usable: empty, or not a JSON object when a `#key` selects a field.
 *
 * @example
 * ```ts
 * new InvalidSecretValue({ reference: "aws-sm:prod/llm#openai", message: "aws-sm:prod/llm#openai: the secret is not a JSON object" })
 * ```
 */
export class InvalidSecretValue extends Schema.TaggedError<InvalidSecretValue>()("InvalidSecretValue", {
  reference: Schema.String,
  message: Schema.String
}) {
  readonly retryable = false
}

/**
 * Any failure of `Secrets.resolve`.
 *
 * @example
 * ```ts
 * const describe = (e: SecretsError) => `${e._tag}: ${e.message}`
 * ```
 */
export type SecretsError = InvalidSecretReference | SecretNotFound | SecretAccessDenied | SecretUnavailable | InvalidSecretValue

/**
 * Schema of {@link SecretsError}, for transport (server error bodies, audit entries).
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(SecretsError)({ _tag: "SecretNotFound", reference: "env:X", message: "env:X: not set" })
 * ```
 */
export const SecretsError = Schema.Union([InvalidSecretReference, SecretNotFound, SecretAccessDenied, SecretUnavailable, InvalidSecretValue])

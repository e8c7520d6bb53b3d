/**
 * `aws-sm:<secret id>#field`: AWS Secrets Manager through the official `@aws-sdk/client-secrets-manager`
 * (`GetSecretValue`). The id is a name (`prod/llm`) or an ARN (its region is then used); `#field` selects a field of a
 * JSON secret (the usual key/value secret of the console); `?versionStage=AWSPREVIOUS` or `?versionId=…` pick a
 * version. A binary secret is read as UTF-8 text.
 *
 * Region, credentials and endpoint come from the SDK's usual chain (`AWS_REGION`, `AWS_PROFILE`, instance / task /
 * IRSA roles, `AWS_ENDPOINT_URL_SECRETS_MANAGER`) unless given here; `endpoint` points at a VPC endpoint, LocalStack
 * or a test server.
 *
 * @example
 * ```ts
 * import { Secrets } from "llm-orchestrator/secrets"
 * const layer = Secrets.layer({ aws: { region: "eu-west-1" } })
 * const key = Secrets.resolve("aws-sm:prod/llm#openai")
 * ```
 */
import { GetSecretValueCommand, SecretsManagerClient, type SecretsManagerClientConfig } from "@aws-sdk/client-secrets-manager"
import { Duration, Effect, Redacted, type Scope } from "effect"
import { checkParams, type SecretBackend, selectKey } from "./SecretBackend.ts"
import type { SecretReference } from "./SecretReference.ts"
import {
  InvalidSecretReference,
  InvalidSecretValue,
  SecretAccessDenied,
  SecretNotFound,
  type SecretsError,
  SecretUnavailable
} from "./SecretsError.ts"

/**
 * Settings of the AWS Secrets Manager backend (all optional: the SDK's defaults apply).
 *
 * @example
 * ```ts
 * const options: AwsSecretsManager.Options = { region: "us-east-1", endpoint: "http://127.0.0.1:4566", maxAttempts: 2 }
 * ```
 */
export interface Options {
  /** Default region (an ARN's own region wins). Default: the SDK's (`AWS_REGION`, profile). */
  readonly region?: string | undefined
  /** Endpoint override (VPC endpoint, LocalStack, tests). Default: the SDK's (`AWS_ENDPOINT_URL_SECRETS_MANAGER` or AWS). */
  readonly endpoint?: string | undefined
  /** Static credentials. Default: the SDK's provider chain (env, profile, instance/task role, IRSA). */
  readonly credentials?: {
    readonly accessKeyId: string
    readonly secretAccessKey: Redacted.Redacted<string>
    readonly sessionToken?: Redacted.Redacted<string> | undefined
  } | undefined
  /** Attempts per call, retries included (the SDK's exponential backoff). Default 3. */
  readonly maxAttempts?: number | undefined
  /** Deadline of one `GetSecretValue` call, retries included. Default 10 seconds. */
  readonly timeout?: Duration.Input | undefined
}

const notFound = new Set(["ResourceNotFoundException"])
const denied = new Set([
  "AccessDeniedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "CredentialsProviderError",
  "DecryptionFailure"
])
const invalid = new Set(["InvalidRequestException", "InvalidParameterException", "ValidationException"])

const errorOf = (reference: string, cause: unknown): SecretsError => {
  const e = (typeof cause === "object" && cause !== null ? cause : {}) as { name?: unknown; message?: unknown; $fault?: unknown }
  const name = typeof e.name === "string" ? e.name : "Error"
  // AWS error messages describe the request ("can't find the specified secret"), never a secret value.
  const detail = typeof e.message === "string" && e.message !== "" ? `${name}: ${e.message}` : name
  const message = `${reference}: AWS Secrets Manager ${detail}`
  if (notFound.has(name)) return new SecretNotFound({ reference, message })
  if (denied.has(name)) return new SecretAccessDenied({ reference, message })
  if (invalid.has(name)) return new InvalidSecretReference({ reference, message })
  return new SecretUnavailable({ reference, message })
}

const regionOfArn = (id: string): string | undefined => {
  // arn:<partition>:secretsmanager:<region>:<account>:secret:<name>
  if (!id.startsWith("arn:")) return undefined
  const region = id.split(":")[3]
  return region === undefined || region === "" ? undefined : region
}

/**
 * Builds the `aws-sm:` backend; SDK clients (one per region) are destroyed when the scope closes.
 *
 * @example
 * ```ts
 * const backend = yield* AwsSecretsManager.make({ region: "eu-west-1" })
 * ```
 */
export const make = (options: Options = {}): Effect.Effect<SecretBackend, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clients = new Map<string, SecretsManagerClient>()
    yield* Effect.addFinalizer(() => Effect.sync(() => {
      for (const c of clients.values()) c.destroy()
      clients.clear()
    }))
    const timeout = options.timeout ?? "10 seconds"

    const clientFor = (region: string | undefined): SecretsManagerClient => {
      const key = region ?? ""
      let client = clients.get(key)
      if (client === undefined) {
        const config: SecretsManagerClientConfig = { maxAttempts: options.maxAttempts ?? 3 }
        const r = region ?? options.region
        if (r !== undefined) config.region = r
        if (options.endpoint !== undefined) config.endpoint = options.endpoint
        if (options.credentials !== undefined) {
          const c = options.credentials
          config.credentials = {
            accessKeyId: c.accessKeyId,
            secretAccessKey: Redacted.value(c.secretAccessKey),
            ...(c.sessionToken === undefined ? {} : { sessionToken: Redacted.value(c.sessionToken) })
          }
        }
        client = new SecretsManagerClient(config)
        clients.set(key, client)
      }
      return client
    }

    const resolve = (reference: SecretReference): Effect.Effect<Redacted.Redacted<string>, SecretsError> =>
      Effect.gen(function*() {
        yield* checkParams(reference, ["versionStage", "versionId"])
        const { versionStage, versionId } = reference.params
        const client = clientFor(regionOfArn(reference.path))
        const command = new GetSecretValueCommand({
          SecretId: reference.path,
          ...(versionStage === undefined ? {} : { VersionStage: versionStage }),
          ...(versionId === undefined ? {} : { VersionId: versionId })
        })
        const output = yield* Effect.tryPromise({
          try: (signal) => client.send(command, { abortSignal: signal }),
          catch: (cause) => errorOf(reference.raw, cause)
        }).pipe(
          Effect.timeoutOrElse({
            duration: timeout,
            orElse: () =>
              Effect.fail(new SecretUnavailable({
                reference: reference.raw,
                message: `${reference.raw}: AWS Secrets Manager did not answer within ${Duration.format(Duration.fromInputUnsafe(timeout))}`
              }))
          })
        )
        const text = output.SecretString ?? (output.SecretBinary === undefined ? undefined : new TextDecoder().decode(output.SecretBinary))
        if (text === undefined) {
          return yield* new InvalidSecretValue({ reference: reference.raw, message: `${reference.raw}: the secret has no value` })
        }
        return yield* selectKey(reference, text)
      }).pipe(Effect.withSpan("Secrets.awsSecretsManager", { attributes: { "aws.secret_id": reference.path } }))

    return { scheme: "aws-sm", resolve } satisfies SecretBackend
  })

/**
 * Secrets: references (`env:`, `file:`, `vault:`, `aws-sm:`) resolved to `Redacted` values by the `Secrets` service.
 *
 * @example
 * ```ts
 * import { Secrets } from "llm-orchestrator/secrets"
 * const apiKey = yield* Secrets.resolve("env:OPENAI_API_KEY")
 * ```
 */
export * as EnvSecrets from "./EnvSecrets.ts"
export * as AwsSecretsManager from "./AwsSecretsManager.ts"
export * as FileSecrets from "./FileSecrets.ts"
export * as SecretReference from "./SecretReference.ts"
export * as Secrets from "./Secrets.ts"
export * as VaultSecrets from "./VaultSecrets.ts"
export type { SecretBackend } from "./SecretBackend.ts"
export { checkParams, selectField, selectKey } from "./SecretBackend.ts"
export {
  InvalidSecretReference,
  InvalidSecretValue,
  SecretAccessDenied,
  SecretNotFound,
  SecretsError,
  SecretUnavailable
} from "./SecretsError.ts"

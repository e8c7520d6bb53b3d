/**
 * The `Secrets` service: settings name their secrets by reference (`env:OPENAI_API_KEY`, `file:/run/secrets/openai`,
 * `vault:secret/data/llm#openai`, `aws-sm:prod/llm#openai`) and read them here. Values are `Redacted` (labelled with
 * the reference, so a log shows `<redacted:env:OPENAI_API_KEY>`), cached for `ttl`, and errors name the reference,
 * never the value.
 *
 * Caching: a resolved value is kept for `ttl` (default 5 minutes), so a rotated secret is picked up within that time;
 * failures are not cached. When a store is unreachable after the ttl, the last value is served for up to
 * `staleIfError` (default 15 minutes) with a warning, so a Vault restart does not fail every call. Concurrent
 * resolutions of one reference share one read.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Secrets } from "llm-orchestrator/secrets"
 * const program = Effect.gen(function*() {
 *   const apiKey = yield* Secrets.resolve("env:OPENAI_API_KEY")   // Redacted<string>
 *   return OpenAi.layer({ model: "gpt-4o-mini", apiKey })
 * })
 * program.pipe(Effect.provide(Secrets.layer({ vault: { address: "https://vault:8200", auth: { token } } })))
 * ```
 */
import { Cache, Clock, Config, ConfigProvider, Context, Duration, Effect, Exit, Layer, Option, Redacted, Result } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import * as AwsSecretsManager from "./AwsSecretsManager.ts"
import type { SecretBackend } from "./SecretBackend.ts"
import * as EnvSecrets from "./EnvSecrets.ts"
import * as FileSecrets from "./FileSecrets.ts"
import * as SecretReference from "./SecretReference.ts"
import { InvalidSecretReference, SecretNotFound, type SecretsError } from "./SecretsError.ts"
import * as VaultSecrets from "./VaultSecrets.ts"

/**
 * Settings of the service.
 *
 * @example
 * ```ts
 * const options: Secrets.Options = { ttl: "1 minute", staleIfError: "10 minutes" }
 * ```
 */
export interface Options {
  /** How long a resolved value is reused before it is read again. Default 5 minutes; 0 turns caching off. */
  readonly ttl?: Duration.Input | undefined
  /** How long the last value is served when the store is unavailable after the ttl. Default 15 minutes; 0: never. */
  readonly staleIfError?: Duration.Input | undefined
  /** Most references cached at once. Default 1,000. */
  readonly capacity?: number | undefined
  /** Serve `vault:` references from this Vault. */
  readonly vault?: VaultSecrets.Options | undefined
  /** Serve `aws-sm:` references (`true`: with the SDK's defaults). */
  readonly aws?: AwsSecretsManager.Options | boolean | undefined
  /** More backends (their schemes must differ from each other; a backend replaces a built-in one of its scheme). */
  readonly backends?: ReadonlyArray<SecretBackend> | undefined
}

/**
 * What the service offers.
 *
 * @example
 * ```ts
 * const secrets = yield* Secrets.Secrets
 * const { openai, anthropic } = yield* secrets.resolveAll({ openai: "env:OPENAI_API_KEY", anthropic: "file:/run/secrets/anthropic" })
 * ```
 */
export interface SecretsShape {
  /** The value `reference` names (cached). */
  readonly resolve: (reference: string) => Effect.Effect<Redacted.Redacted<string>, SecretsError>
  /** Several references at once (read concurrently); the first failure fails the whole. */
  readonly resolveAll: <const R extends Readonly<Record<string, string>>>(
    references: R
  ) => Effect.Effect<{ readonly [K in keyof R]: Redacted.Redacted<string> }, SecretsError>
  /** Reads `reference` again now, bypassing and replacing the cached value (e.g. after a 401 from a provider). */
  readonly refresh: (reference: string) => Effect.Effect<Redacted.Redacted<string>, SecretsError>
  /** Forgets the cached value of `reference`, or of every reference. */
  readonly invalidate: (reference?: string) => Effect.Effect<void>
  /** The schemes this instance serves. */
  readonly schemes: ReadonlyArray<string>
}

/**
 * The service.
 *
 * @example
 * ```ts
 * const apiKey = yield* Secrets.Secrets.use((s) => s.resolve("env:OPENAI_API_KEY"))
 * ```
 */
export class Secrets extends Context.Service<Secrets, SecretsShape>()("llm-orchestrator/Secrets") {}

interface Entry {
  readonly value: Redacted.Redacted<string>
  /** Served from `lastGood` because the store was unavailable. */
  readonly stale: boolean
}

const needsSettings: Record<string, string> = {
  vault: "vault: references need Vault settings (Secrets.layer({ vault: { address, auth } }), or VAULT_ADDR with Secrets.layerConfig())",
  "aws-sm": "aws-sm: references need the AWS backend (Secrets.layer({ aws: {} }), or Secrets.layerConfig())"
}

/** A stale value is checked again this soon (or after `ttl` when shorter). */
const staleRecheckMillis = 5_000

/**
 * Builds the service: `env:` (reading the `ConfigProvider` in context), `file:`, Vault and AWS when configured, and
 * `options.backends`. Vault uses the `HttpClient` in context, or fetch. Most users want {@link layer} or
 * {@link layerConfig}.
 *
 * @example
 * ```ts
 * const secrets = yield* Secrets.make({ ttl: "1 minute", backends: [myBackend] })
 * ```
 */
export const make = Effect.fnUntraced(function*(options: Options = {}, extra: ReadonlyArray<SecretBackend> = []) {
  const env = yield* EnvSecrets.fromContext
  const optional: Array<SecretBackend> = []
  if (options.vault !== undefined) {
    const client = yield* Effect.serviceOption(HttpClient.HttpClient)
    const vault = VaultSecrets.make(options.vault)
    optional.push(yield* Option.isSome(client)
      ? Effect.provideService(vault, HttpClient.HttpClient, client.value)
      : Effect.provide(vault, FetchHttpClient.layer))
  }
  if (options.aws !== undefined && options.aws !== false) {
    optional.push(yield* AwsSecretsManager.make(options.aws === true ? {} : options.aws))
  }
  const backends = new Map<string, SecretBackend>()
  for (const b of [env, FileSecrets.backend, ...optional, ...extra, ...(options.backends ?? [])]) backends.set(b.scheme, b)
  const schemes = [...backends.keys()]
  const ttlMillis = Duration.toMillis(options.ttl ?? "5 minutes")
  const staleMillis = Duration.toMillis(options.staleIfError ?? "15 minutes")
  const lastGood = new Map<string, { readonly value: Redacted.Redacted<string>; readonly at: number }>()

  const lookup = (raw: string): Effect.Effect<Entry, SecretsError> =>
    Effect.gen(function*() {
      const reference = yield* parse(raw)
      const backend = backends.get(reference.scheme)!
      const exit = yield* Effect.exit(backend.resolve(reference))
      const now = yield* Clock.currentTimeMillis
      if (Exit.isSuccess(exit)) {
        if (staleMillis > 0) lastGood.set(raw, { value: exit.value, at: now })
        return { value: exit.value, stale: false }
      }
      const error = exit.cause.reasons.find((r) => r._tag === "Fail")
      const previous = lastGood.get(raw)
      if (error?._tag === "Fail" && error.error._tag === "SecretUnavailable" && previous !== undefined && now - previous.at <= staleMillis) {
        yield* Effect.logWarning(`${error.error.message}; serving the value read ${Math.round((now - previous.at) / 1000)} s ago`)
        return { value: previous.value, stale: true }
      }
      if (error?._tag === "Fail" && error.error._tag === "SecretNotFound") lastGood.delete(raw)
      return yield* Effect.failCause(exit.cause)
    })

  const parse = (raw: string): Effect.Effect<SecretReference.SecretReference, InvalidSecretReference> => {
    const parsed = SecretReference.parse(raw)
    if (Result.isFailure(parsed)) return Effect.fail(parsed.failure)
    const reference = parsed.success
    if (!backends.has(reference.scheme)) {
      return Effect.fail(new InvalidSecretReference({
        reference: raw,
        message: needsSettings[reference.scheme] ?? `${raw}: unknown scheme "${reference.scheme}" (known: ${schemes.join(", ")})`
      }))
    }
    return Effect.succeed(reference)
  }

  const cache = yield* Cache.makeWith(lookup, {
    capacity: options.capacity ?? 1000,
    timeToLive: (exit) =>
      Exit.isFailure(exit) || ttlMillis <= 0 ? Duration.zero : Duration.millis(exit.value.stale ? Math.min(ttlMillis, staleRecheckMillis) : ttlMillis)
  })

  // A fresh wrapper per caller: one caller wiping its Redacted must not wipe the cached value of the others.
  const copy = (entry: Entry) => Redacted.make(Redacted.value(entry.value), { label: entry.value.label ?? "secret" })

  const resolve = (reference: string) =>
    Effect.map(Cache.get(cache, reference), copy).pipe(Effect.withSpan("Secrets.resolve", { attributes: { "secret.reference": reference } }))

  const resolveAll: SecretsShape["resolveAll"] = (references) =>
    Effect.forEach(Object.entries(references), ([name, ref]) => Effect.map(resolve(ref), (v) => [name, v] as const), {
      concurrency: "unbounded"
    }).pipe(Effect.map((pairs) => Object.fromEntries(pairs) as any))

  const refresh = (reference: string) => Effect.andThen(Cache.invalidate(cache, reference), resolve(reference))

  const invalidate = (reference?: string) => reference === undefined ? Cache.invalidateAll(cache) : Cache.invalidate(cache, reference)

  return Secrets.of({ resolve, resolveAll, refresh, invalidate, schemes })
})

/**
 * The service with `env:`, `file:` and the backends of `options`.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(Secrets.layer({ ttl: "1 minute" })))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<Secrets> => Layer.effect(Secrets, make(options))

/**
 * {@link Options} from configuration (the environment by default), with `overrides` winning:
 * `SECRETS_TTL`, `SECRETS_STALE_IF_ERROR` (durations); `VAULT_ADDR` (turns Vault on), `VAULT_NAMESPACE`, and
 * `VAULT_TOKEN` or `VAULT_ROLE_ID` + `VAULT_SECRET_ID` (`VAULT_APPROLE_MOUNT`, default `approle`); AWS Secrets Manager
 * is on, configured by the SDK's own variables (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`, ...).
 *
 * @example
 * ```ts
 * const options = yield* Secrets.config()
 * ```
 */
export const config = (overrides: Partial<Options> = {}): Config.Config<Options> =>
  Config.all({
    ttl: Config.option(Config.Duration("SECRETS_TTL")),
    staleIfError: Config.option(Config.Duration("SECRETS_STALE_IF_ERROR")),
    address: Config.option(Config.String("VAULT_ADDR")),
    namespace: Config.option(Config.String("VAULT_NAMESPACE")),
    token: Config.option(Config.Redacted("VAULT_TOKEN")),
    roleId: Config.option(Config.String("VAULT_ROLE_ID")),
    secretId: Config.option(Config.Redacted("VAULT_SECRET_ID")),
    mount: Config.option(Config.String("VAULT_APPROLE_MOUNT"))
  }).pipe(Config.flatMap((c): Config.Config<Options> => {
    let vault: VaultSecrets.Options | undefined
    if (Option.isSome(c.address)) {
      const auth: VaultSecrets.Auth | undefined = Option.isSome(c.roleId) && Option.isSome(c.secretId)
        ? { roleId: c.roleId.value, secretId: c.secretId.value, mount: Option.getOrUndefined(c.mount) }
        : Option.isSome(c.token)
        ? { token: c.token.value }
        : undefined
      if (auth === undefined) {
        return Config.fail(new ConfigProvider.SourceError({
          message: "VAULT_ADDR is set but neither VAULT_TOKEN nor VAULT_ROLE_ID + VAULT_SECRET_ID is"
        }))
      }
      vault = { address: c.address.value, namespace: Option.getOrUndefined(c.namespace), auth }
    }
    return Config.succeed<Options>({
      ttl: Option.getOrUndefined(c.ttl),
      staleIfError: Option.getOrUndefined(c.staleIfError),
      vault,
      aws: true,
      ...overrides
    })
  }))

/**
 * The service configured by {@link config}.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(Secrets.layerConfig()))   // VAULT_ADDR=… VAULT_TOKEN=… AWS_REGION=…
 * ```
 */
export const layerConfig = (overrides: Partial<Options> = {}): Layer.Layer<Secrets, Config.ConfigError> =>
  Layer.effect(Secrets, Effect.flatMap(config(overrides), (options) => make(options)))

/**
 * The service over fixed values: `env:` references read `values` (by variable name), other references are looked
 * up by their full text. For tests and examples.
 *
 * @example
 * ```ts
 * const TestSecrets = Secrets.layerStatic({ OPENAI_API_KEY: "sk-test", "vault:secret/data/llm#openai": "sk-vault" })
 * ```
 */
export const layerStatic = (values: Readonly<Record<string, string>>): Layer.Layer<Secrets> => {
  const byReference: SecretBackend["resolve"] = (reference) =>
    values[reference.raw] !== undefined
      ? Effect.succeed(Redacted.make(values[reference.raw]!, { label: reference.raw }))
      : Effect.fail(new SecretNotFound({ reference: reference.raw, message: `${reference.raw}: no such secret in the static secrets` }))
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(values)) if (!k.includes(":")) env[k] = v
  return Layer.effect(
    Secrets,
    make({ ttl: 0, staleIfError: 0 }, [
      { scheme: "file", resolve: byReference },
      { scheme: "vault", resolve: byReference },
      { scheme: "aws-sm", resolve: byReference }
    ])
  ).pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))
}

/**
 * Resolves `reference` with the service in context.
 *
 * @example
 * ```ts
 * const apiKey = yield* Secrets.resolve("file:/run/secrets/openai")   // Effect<Redacted<string>, SecretsError, Secrets>
 * ```
 */
export const resolve = (reference: string): Effect.Effect<Redacted.Redacted<string>, SecretsError, Secrets> =>
  Secrets.use((s) => s.resolve(reference))

/**
 * Resolves several references with the service in context.
 *
 * @example
 * ```ts
 * const { openai } = yield* Secrets.resolveAll({ openai: "env:OPENAI_API_KEY" })
 * ```
 */
export const resolveAll = <const R extends Readonly<Record<string, string>>>(
  references: R
): Effect.Effect<{ readonly [K in keyof R]: Redacted.Redacted<string> }, SecretsError, Secrets> =>
  Secrets.use((s) => s.resolveAll(references))

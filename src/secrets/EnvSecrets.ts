/**
 * `env:NAME`: a variable of the current `ConfigProvider` (the process environment unless a layer replaces it, e.g.
 * `ConfigProvider.fromUnknown` in tests or `fromDotEnv`).
 *
 * @example
 * ```ts
 * const key = yield* Secrets.resolve("env:OPENAI_API_KEY")
 * ```
 */
import { ConfigProvider, Effect } from "effect"
import { checkParams, type SecretBackend, selectKey } from "./SecretBackend.ts"
import { SecretNotFound, SecretUnavailable } from "./SecretsError.ts"

/**
 * The `env:` backend, reading through `provider` (default: the `ConfigProvider` in context when the layer was built).
 *
 * @example
 * ```ts
 * const backend = EnvSecrets.make(ConfigProvider.fromEnvRecord({ OPENAI_API_KEY: "sk-test" }))
 * ```
 */
export const make = (provider: ConfigProvider.ConfigProvider): SecretBackend => ({
  scheme: "env",
  resolve: (reference) =>
    Effect.gen(function*() {
      yield* checkParams(reference, [])
      const node = yield* provider.load([reference.path]).pipe(
        Effect.mapError(() => new SecretUnavailable({ reference: reference.raw, message: `${reference.raw}: the configuration source could not be read` }))
      )
      const value = node === undefined ? undefined : node._tag === "Value" ? node.value : node.value
      if (value === undefined) {
        return yield* new SecretNotFound({ reference: reference.raw, message: `${reference.raw}: environment variable ${reference.path} is not set` })
      }
      if (value === "") {
        return yield* new SecretNotFound({ reference: reference.raw, message: `${reference.raw}: environment variable ${reference.path} is empty` })
      }
      return yield* selectKey(reference, value)
    })
})

/**
 * The `env:` backend over the `ConfigProvider` in context.
 *
 * @example
 * ```ts
 * const backend = yield* EnvSecrets.fromContext
 * ```
 */
export const fromContext: Effect.Effect<SecretBackend> = Effect.map(ConfigProvider.ConfigProvider, make)

/**
 * Secret references on the command line (`env:NAME`, `file:/run/secrets/x`, `vault:...`, `aws-sm:...`), resolved
 * through the `Secrets` service (loaded only when one is given): the JWT secret of `serve`, and a store URL that holds a
 * database password (`--store file:/run/secrets/store-url`, or `LLM_ORCHESTRATOR_STORE=file:...`), so a container
 * gets both from mounted secret files instead of its environment or command line.
 *
 * @example
 * ```ts
 * const store = yield* storeText("file:/run/secrets/store-url", process.env) // "postgres://llmo:...@db:5432/llmo"
 * ```
 */
import { Effect, Redacted } from "effect"

/**
 * Whether `text` is a secret reference rather than a value.
 *
 * @example
 * ```ts
 * isReference("file:/run/secrets/jwt") // true
 * isReference("postgres://db/app") // false
 * ```
 */
export const isReference = (text: string): boolean => /^(env|file|vault|aws-sm):\S+$/.test(text)

/**
 * Resolves a reference with `env` as the environment; fails with a message naming the reference (never the value).
 *
 * @example
 * ```ts
 * const secret = yield* resolve("env:JWT_SECRET", { JWT_SECRET: "..." })
 * ```
 */
export const resolve = (reference: string, env: Readonly<Record<string, string | undefined>>): Effect.Effect<Redacted.Redacted<string>, string> =>
  Effect.scoped(Effect.gen(function*() {
    const Secrets = yield* Effect.promise(() => import("../secrets/Secrets.ts"))
    const { ConfigProvider } = yield* Effect.promise(() => import("effect"))
    const values: Record<string, string> = {}
    for (const [k, v] of Object.entries(env)) if (v !== undefined) values[k] = v
    return yield* Secrets.make().pipe(
      Effect.flatMap((s) => s.resolve(reference)),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord(values))
    )
  })).pipe(Effect.mapError((e) => `${reference}: ${(e as { message?: string }).message ?? String(e)}`))

/**
 * A store as given (`--store` or `LLM_ORCHESTRATOR_STORE`): a reference is resolved to the URL it holds.
 *
 * @example
 * ```ts
 * yield* storeText("sqlite:runs.db", process.env) // "sqlite:runs.db"
 * ```
 */
export const storeText = (text: string, env: Readonly<Record<string, string | undefined>>): Effect.Effect<string, string> =>
  isReference(text) ? Effect.map(resolve(text, env), (v) => Redacted.value(v).trim()) : Effect.succeed(text)

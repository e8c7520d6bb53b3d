/**
 * Resolves the services a run needs (language models, embedding models, vector stores) from the provider catalogue:
 * each provider's settings come from its config-file section when given, else from its environment variables; secrets
 * are references (`env:OPENAI_API_KEY`, `file:/run/secrets/openai`, `vault:...`) read by the `Secrets` service. Every
 * language and embedding model gets its reliability policy (the documented default unless configured). Anything
 * missing is reported at once, naming the steps that need it.
 *
 * @example
 * ```ts
 * const { layer } = yield* Services.resolve(interpreted.requirements, { env: process.env })
 * ```
 */
import type { CipherShape } from "../governance/Cipher.ts"
import type { PiiVaultShape } from "../governance/PiiVault.ts"
import type { Policy as GovernancePolicy } from "../governance/Policy.ts"
import { ConfigProvider, type Duration, Effect, Layer, type Redacted, Scope } from "effect"
import * as Embeddings from "../llm/Embeddings.ts"
import * as Catalogue from "../providers/catalogue/Catalogue.ts"
import type { Entry, Settings } from "../providers/catalogue/Entry.ts"
import * as Reliability from "../reliability/Reliability.ts"
import * as ResponseCache from "../reliability/ResponseCache.ts"
import type { Requirements } from "../yaml/interpret.ts"
import { type MissingService, ProviderConfigInvalid, ServicesMissing } from "./PipelineError.ts"

/**
 * A provider's section of the configuration: setting values by key (`api_key: env:OPENAI_API_KEY`,
 * `base_url: http://127.0.0.1:11434/v1`), the catalogue entry it is built with when its name is not one (`use`), and
 * its reliability policy.
 */
export interface ProviderConfig {
  readonly use?: string | undefined
  readonly settings?: Readonly<Record<string, string>> | undefined
  readonly policy?: Reliability.Policy | undefined
}

/** Where settings come from. */
export interface ServicesOptions {
  /** Environment variables (default: none; the CLI passes `process.env` plus `--env-file`). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** Config-file sections by provider name. */
  readonly providers?: Readonly<Record<string, ProviderConfig>> | undefined
  /** Which vector-store provider serves each named store (default: the first configured one, e.g. Qdrant with QDRANT_URL). */
  readonly stores?: Readonly<Record<string, ProviderConfig>> | undefined
  /** More catalogue entries (providers of your own; an entry replaces a built-in one of the same kind and id). */
  readonly catalogue?: ReadonlyArray<Entry> | undefined
  /** The policy of providers that configure none (default {@link Reliability.defaultPolicy}). */
  readonly policy?: Reliability.Policy | undefined
  /**
   * Data protection: every language model is served through this governance policy (personal data masked or refused
   * before the call, prompt limits, per workflow and step), and logs and spans are masked. A `Cipher` and a vault are
   * needed by reversible policies. Loaded only when given.
   */
  readonly governance?: {
    readonly policy: GovernancePolicy
    readonly cipher?: CipherShape | undefined
    readonly vault?: PiiVaultShape | undefined
  } | undefined
  /**
   * State shared with the other workers through Redis (loaded only when given): `limits` counts every provider's rate
   * limits in Redis (they hold across processes), `cache` keeps every response cache there. Default: both in memory.
   */
  readonly responseCache?: {
    /** Entries per response cache (default 1000), the configuration file's `cache.max_entries`. */
    readonly capacity?: number | undefined
    /** Lifetime of an entry when the cache sets none (a step's `cache:` without `ttl`), `cache.ttl`. */
    readonly ttl?: Duration.Input | undefined
  } | undefined
  readonly sharedState?: {
    readonly limits?: { readonly url: string; readonly prefix?: string | undefined } | undefined
    readonly cache?: { readonly url: string; readonly prefix?: string | undefined } | undefined
  } | undefined
}

/** The services, and the secret values they were built with (for redaction in logs). */
export interface Resolved {
  readonly layer: Layer.Layer<any, any, never>
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
}

type SecretReader = (reference: string) => Effect.Effect<Redacted.Redacted<string>, unknown>

// The Secrets service is loaded only when a secret is read: a run that calls no provider never loads it.
const secretReader = (env: Readonly<Record<string, string | undefined>>, scope: Scope.Scope): Effect.Effect<Effect.Effect<SecretReader>> =>
  Effect.cached(
    Effect.promise(() => import("../secrets/Secrets.ts")).pipe(
      Effect.flatMap((m) => m.make()),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({ ...env })),
      Effect.map((s) => (reference: string) => s.resolve(reference)),
      Scope.provide(scope)
    )
  )

type Outcome = { readonly _tag: "Ready"; readonly settings: Settings } | { readonly _tag: "Missing"; readonly hint: string }

/** The settings of `entry`: config values first, then environment variables, then defaults; secrets resolved. */
const settingsOf = (
  entry: Entry,
  name: string,
  config: ProviderConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
  readSecret: Effect.Effect<SecretReader>,
  used: Array<Redacted.Redacted<string>>
): Effect.Effect<Outcome, ProviderConfigInvalid> =>
  Effect.gen(function*() {
    const values: Record<string, string> = {}
    const secrets: Record<string, Redacted.Redacted<string>> = {}
    const absent: Array<string> = []
    for (const s of entry.settings) {
      const given = config?.settings?.[s.key]
      const fromEnv = env[s.env] !== undefined && env[s.env] !== "" ? env[s.env] : undefined
      if (s.secret) {
        const reference = given ?? (fromEnv !== undefined ? `env:${s.env}` : undefined)
        if (reference === undefined) {
          if (s.required) absent.push(s.env)
          continue
        }
        const read = yield* readSecret
        secrets[s.key] = yield* read(reference).pipe(
          Effect.mapError((e) =>
            new ProviderConfigInvalid({ provider: name, setting: s.key, message: e instanceof Error ? e.message : String(e) })
          )
        )
        used.push(secrets[s.key]!)
      } else {
        const v = given ?? fromEnv ?? s.default
        if (v === undefined) {
          if (s.required) absent.push(s.env)
        } else values[s.key] = v
      }
    }
    if (absent.length > 0) return { _tag: "Missing", hint: `set ${absent.join(" and ")}` } as const
    const settings: Settings = {
      secrets,
      values,
      apiKey: secrets["api_key"],
      model: values["model"],
      baseUrl: values["base_url"]
    }
    return { _tag: "Ready", settings } as const
  })

/** The Layer serving every requirement, or every missing piece at once. */
export const resolve = Effect.fnUntraced(function*(requirements: Requirements, options: ServicesOptions = {}) {
  const env = options.env ?? {}
  const table = [...Catalogue.entries, ...(options.catalogue ?? [])]
  const readSecret = yield* secretReader(env, yield* Scope.Scope)
  const secrets: Array<Redacted.Redacted<string>> = []
  const missing: Array<MissingService> = []
  const layers: Array<Layer.Layer<any, any, never>> = []
  const policyOf = (c: ProviderConfig | undefined) => c?.policy ?? options.policy ?? Reliability.defaultPolicy
  const unknown = (kind: MissingService["kind"], name: string, steps: ReadonlyArray<string>) =>
    missing.push({ kind, name, steps, hint: `no such ${kind === "vector" ? "vector store provider" : "provider"} in the catalogue (${Catalogue.ids(kind === "action" ? "llm" : kind, table).join(", ")})` })

  // Governance is loaded only when configured (the detectors pull in libphonenumber).
  const governed = options.governance === undefined || requirements.providers.size === 0 ? undefined : yield* Effect.promise(async () => {
    const [G, C, V] = await Promise.all([import("../governance/Governance.ts"), import("../governance/Cipher.ts"), import("../governance/PiiVault.ts")])
    const g = options.governance!
    const own = Layer.mergeAll(
      g.cipher === undefined ? Layer.empty : Layer.succeed(C.Cipher, g.cipher),
      g.vault === undefined ? Layer.empty : Layer.succeed(V.PiiVault, g.vault)
    )
    return { wrap: G.wrap, layer: G.layer(g.policy).pipe(Layer.provide(own)) }
  })
  // Shared state in Redis, loaded only when configured (the Redis client is not part of every run).
  const shared = options.sharedState === undefined || (options.sharedState.limits === undefined && options.sharedState.cache === undefined)
    ? undefined
    : yield* Effect.promise(() => import("../shared-state/index.ts"))
  const limitsLayer = shared === undefined || options.sharedState?.limits === undefined
    ? undefined
    : shared.SharedLimits.layer(options.sharedState.limits) as Layer.Layer<never, unknown, never>
  const withLimits = <A, E, R>(layer: Layer.Layer<A, E, R>): Layer.Layer<A, E, R> => (limitsLayer === undefined ? layer : layer.pipe(Layer.provide(limitsLayer)) as Layer.Layer<A, E, R>)
  if (options.responseCache !== undefined) layers.push(Layer.succeed(ResponseCache.Defaults, options.responseCache) as unknown as Layer.Layer<any, any, never>)
  if (shared !== undefined && options.sharedState?.cache !== undefined) layers.push(shared.SharedCache.layer(options.sharedState.cache) as Layer.Layer<any, any, never>)
  for (const [name, steps] of requirements.providers) {
    const config = options.providers?.[name]
    const entry = Catalogue.find("llm", config?.use ?? name, table)
    if (entry === undefined) {
      unknown("llm", name, steps)
      continue
    }
    const s = yield* settingsOf(entry, name, config, env, readSecret, secrets)
    if (s._tag === "Missing") missing.push({ kind: "llm", name, steps, hint: s.hint })
    else {
      const llm = withLimits(Reliability.layerLlm(policyOf(config), name, entry.build(s.settings)))
      layers.push(governed === undefined ? llm : governed.wrap(name).pipe(Layer.provide(llm), Layer.provide(governed.layer)))
    }
  }
  for (const [name, steps] of requirements.embeddingProviders) {
    const config = options.providers?.[name]
    const entry = Catalogue.find("embeddings", config?.use ?? name, table)
    if (entry === undefined) {
      unknown("embeddings", name, steps)
      continue
    }
    const s = yield* settingsOf(entry, name, config, env, readSecret, secrets)
    if (s._tag === "Missing") missing.push({ kind: "embeddings", name, steps, hint: s.hint })
    else {
      layers.push(Embeddings.layerFromEmbeddingModel(name).pipe(
        Layer.provide(withLimits(Reliability.layerEmbeddings(policyOf(config), name))),
        Layer.provide(entry.build(s.settings))
      ))
    }
  }
  for (const [store, steps] of requirements.stores) {
    const config = options.stores?.[store]
    // A store named after a provider (`database: pinecone`) is that provider's; otherwise the configured `use`, else
    // the first provider whose required settings are present (providers that need none are never a silent fallback).
    const named = Catalogue.find("vector", store, table)
    const candidates = config?.use !== undefined
      ? [Catalogue.find("vector", config.use, table)]
      : named !== undefined
      ? [named]
      : Catalogue.ofKind("vector", table).filter((e) => e.settings.some((x) => x.required && x.default === undefined))
    if (candidates[0] === undefined) {
      unknown("vector", store, steps)
      continue
    }
    let built = false
    const hints: Array<string> = []
    for (const entry of candidates) {
      const s = yield* settingsOf(entry!, store, config, env, readSecret, secrets)
      if (s._tag === "Missing") {
        hints.push(s.hint)
        continue
      }
      layers.push(entry!.build(store, s.settings) as Layer.Layer<any, any, never>)
      built = true
      break
    }
    if (!built) missing.push({ kind: "vector", name: store, steps, hint: hints.join(", or ") })
  }
  for (const [name, steps] of requirements.rerankers ?? new Map<string, ReadonlyArray<string>>()) {
    // A re-ranker is its provider's (`reranker: cohere`), or the configured `use`.
    const config = options.providers?.[name]
    const entry = Catalogue.find("llm", config?.use ?? name, table)
    if (entry?.buildReranker === undefined) {
      const able = Catalogue.ofKind("llm", table).filter((e) => e.buildReranker !== undefined).map((e) => e.id)
      missing.push({ kind: "llm", name, steps, hint: `no re-ranker "${name}" in the catalogue (re-rankers: mmr, ${able.join(", ")})` })
      continue
    }
    const s = yield* settingsOf(entry, name, config, env, readSecret, secrets)
    if (s._tag === "Missing") missing.push({ kind: "llm", name, steps, hint: s.hint })
    else layers.push(entry.buildReranker(name, s.settings) as Layer.Layer<any, any, never>)
  }
  if (missing.length > 0) return yield* new ServicesMissing({ missing })
  // The Governance service itself, and the masked logs and spans, for the whole run.
  if (governed !== undefined) layers.push(governed.layer as Layer.Layer<any, any, never>)
  return {
    layer: layers.length === 0 ? (Layer.empty as unknown as Layer.Layer<any, any, never>) : Layer.mergeAll(...(layers as [Layer.Layer<any, any, never>])),
    secrets
  } satisfies Resolved
})

/**
 * The small runtime YAML workflows need, shared by generated code and the interpreter: template rendering and filters,
 * transforms, branch case selection, conditions, custom-action shape and a per-process step cache.
 *
 * @example
 * ```ts
 * import * as Y from "llm-orchestrator/yaml"
 * Y.str({ a: 1 })                    // '{"a":1}'
 * Y.join(["a", "b"], " / ")          // "a / b"
 * Y.pick("maybe", ["yes", "default"]) // "default"
 * ```
 */
import { Duration, Effect, Schema } from "effect"
import { YamlValueError } from "../../codegen/values.ts"
import * as Priority from "../reliability/Priority.ts"
import * as ResponseCache from "../reliability/ResponseCache.ts"

export * from "../../codegen/values.ts"

/**
 * What a custom action (`type: action`) must provide: a function from its resolved parameters to a result.
 *
 * @example
 * ```ts
 * const log: ActionShape = { run: (params) => Effect.log(JSON.stringify(params)) }
 * ```
 */
export interface ActionShape<P = Readonly<Record<string, unknown>>> {
  readonly run: (params: P) => Effect.Effect<unknown, unknown>
}


/**
 * Which errors a YAML step's `retry` retries: all but those that say they are not retryable (a bad request, filtered
 * content, too long a prompt), which would fail the same way again.
 *
 * @example
 * ```ts
 * shouldRetry(new RateLimited({ provider: "openai", message: "429" })) // true
 * ```
 */
export const shouldRetry = (error: unknown): boolean =>
  !(typeof error === "object" && error !== null && (error as { readonly retryable?: unknown }).retryable === false)

/**
 * Decodes a value with the step's output Schema (transforms and actions return untyped values).
 *
 * @example
 * ```ts
 * const label = yield* Y.as(Schema.Literals(["positive", "negative"]), "positive")
 * ```
 */
export const as = <A>(schema: Schema.Codec<A, any, never, never>, v: unknown): Effect.Effect<A, YamlValueError> =>
  Schema.decodeUnknownEffect(schema)(v).pipe(
    Effect.mapError((e) => new YamlValueError({ message: `output does not match its declared type: ${e.message}` }))
  )

// One response cache per step (and TTL, capacity) and storage: LRU-bounded, with hit/miss metrics and
// CacheHit/CacheMiss events (which the engine reports as ProviderEvents of the step). Keyed by the context's storage
// factory too: a Redis storage is bound to its run's connection, which closes with the run.
let caches = new WeakMap<object, Map<string, ResponseCache.ResponseCache>>()

// The context's defaults (the configuration file's `cache: { ttl, max_entries }`) apply when the step sets no TTL.
const cacheFor = (step: string, ttlMillis: number | undefined): Effect.Effect<ResponseCache.ResponseCache> =>
  Effect.flatMap(Effect.all([Effect.service(ResponseCache.Defaults), Effect.service(ResponseCache.StorageFactory)]), ([defaults, factory]) => {
    const capacity = defaults.capacity ?? 1000
    const ttl = ttlMillis ?? (defaults.ttl === undefined ? Infinity : Duration.toMillis(Duration.fromInputUnsafe(defaults.ttl)))
    const id = `${step}\u0000${ttl}\u0000${capacity}`
    let byStep = caches.get(factory)
    if (byStep === undefined) caches.set(factory, (byStep = new Map()))
    const existing = byStep.get(id)
    if (existing !== undefined) return Effect.succeed(existing)
    return Effect.tap(
      ResponseCache.make({ name: step, capacity, ttl }),
      (cache) => Effect.sync(() => byStep.set(id, cache))
    )
  })

/**
 * Caches a step's successful result (for `ttlMillis`, or for the life of the process), keyed by the step and its
 * resolved parameters, so repeated runs with the same prompt do not call the provider again. At most 1,000 entries per
 * step (least recently used go first).
 *
 * @example
 * ```ts
 * const answer = yield* Y.cached("answer", { prompt }, 60_000, Llm.generate({ provider: "openai", model: "gpt-4", prompt }))
 * ```
 */
export const cached = <A, E, R>(
  step: string,
  params: unknown,
  ttlMillis: number | undefined,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.flatMap(cacheFor(step, ttlMillis), (cache) => cache.cached({ provider: "yaml", model: step, prompt: params })(effect))

/**
 * Runs a step's call with the step's `priority` (the order it takes behind a saturated rate limit; see `Priority`).
 *
 * @example
 * ```ts
 * const answer = yield* Y.withPriority(1, Llm.generate({ provider: "openai", model: "gpt-4", prompt }))
 * ```
 */
export const withPriority = <A, E, R>(priority: number, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Priority.with(priority)(effect)

/**
 * Empties the step caches (tests).
 *
 * @example
 * ```ts
 * afterEach(() => Y.clearCache())
 * ```
 */
export const clearCache = (): void => {
  caches = new WeakMap()
}
export * from "./ragSteps.ts"

/**
 * Opt-in response cache: key = SHA-256 of provider, model, prompt and parameters; entries expire after a TTL; the
 * least recently used entry is evicted past `capacity`. Only successes are stored. Hits and misses are counted
 * (`stats`, `llm_cache_hits_total` / `llm_cache_misses_total`) and emitted as `CacheHit` / `CacheMiss` events.
 * Time comes from effect's `Clock` (TestClock-friendly).
 *
 * @example
 * ```ts
 * import { ResponseCache } from "llm-orchestrator/reliability"
 * const cache = yield* ResponseCache.make({ capacity: 500, ttl: "10 minutes" })
 * // per step: wrap just the calls that may be cached
 * const answer = yield* cache.cached({ provider: "openai", model: "gpt-4o", prompt, params: { temperature: 0 } })(
 *   Llm.generate({ provider: "openai", model: "gpt-4o", prompt, temperature: 0 })
 * )
 * // or a whole LanguageModel: generateText / generateObject are cached, streams are not
 * const cachedModel = cache.wrapLanguageModel("openai", model)
 * ```
 */
import { Clock, Duration, Effect, Metric } from "effect"
import type { LanguageModel } from "effect/ai"
import { createHash } from "node:crypto"
import { GenerationOptions } from "../llm/GenerationOptions.ts"
import * as ReliabilityEvent from "./ReliabilityEvent.ts"
import * as ReliabilityMetrics from "./ReliabilityMetrics.ts"

/**
 * What identifies a response.
 *
 * @example
 * ```ts
 * const parts: ResponseCache.KeyParts = { provider: "openai", model: "gpt-4o", prompt, params: { temperature: 0 } }
 * ResponseCache.key(parts) // the same string for equal parts
 * ```
 */
export interface KeyParts {
  readonly provider: string
  readonly model: string
  readonly prompt: unknown
  readonly params?: unknown
}

/**
 * Cache counters.
 *
 * @example
 * ```ts
 * const { hits, misses, size }: ResponseCache.Stats = yield* cache.stats
 * ```
 */
export interface Stats {
  readonly hits: number
  readonly misses: number
  readonly size: number
}

/**
 * A response cache; see the module doc.
 *
 * @example
 * ```ts
 * const cache: ResponseCache.ResponseCache = yield* ResponseCache.make({ name: "answers", capacity: 100 })
 * const answer = yield* cache.cached({ provider: "openai", model: "gpt-4o", prompt })(call)
 * ```
 */
export interface ResponseCache {
  readonly name: string
  readonly cached: (parts: KeyParts) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly wrapLanguageModel: (provider: string, model: LanguageModel.LanguageModel) => LanguageModel.LanguageModel
  readonly stats: Effect.Effect<Stats>
  readonly clear: Effect.Effect<void>
}

const schemaIds = new WeakMap<object, number>()
let nextSchemaId = 0
const stable = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.map(stable)
  if (typeof u === "object" && u !== null) {
    if ("ast" in u) {
      // a Schema: identify it by object identity (its JSON form is not stable)
      let id = schemaIds.get(u)
      if (id === undefined) schemaIds.set(u, id = nextSchemaId++)
      return { schema: id }
    }
    return Object.fromEntries(Object.keys(u).sort().map((k) => [k, stable((u as Record<string, unknown>)[k])]))
  }
  return u
}

/**
 * The cache key of `parts` (hex SHA-256 of their canonical JSON).
 *
 * @example
 * ```ts
 * ResponseCache.key({ provider: "openai", model: "gpt-4o", prompt: "hi", params: { temperature: 0 } }) // hex sha-256
 * ```
 */
export const key = (parts: KeyParts): string => hash([parts.provider, parts.model, parts.prompt, parts.params ?? null])

/**
 * Hex SHA-256 of the canonical JSON of `value` (object keys sorted at every depth, Schemas by identity).
 *
 * @example
 * ```ts
 * ResponseCache.hash({ b: 1, a: 2 }) === ResponseCache.hash({ a: 2, b: 1 }) // true
 * ```
 */
export const hash = (value: unknown): string => createHash("sha256").update(JSON.stringify(stable(value)) ?? "undefined").digest("hex")

/**
 * A new cache (default capacity 1000 entries, TTL 1 hour).
 *
 * @example
 * ```ts
 * const cache = yield* ResponseCache.make({ name: "answers", capacity: 500, ttl: "10 minutes" })
 * ```
 */
export const make = (options: { readonly name?: string; readonly capacity?: number; readonly ttl?: Duration.Input } = {}) =>
  Effect.sync((): ResponseCache => {
    const name = options.name ?? "responses"
    const capacity = Math.max(1, options.capacity ?? 1000)
    const ttlMillis = Duration.toMillis(Duration.fromInputUnsafe(options.ttl ?? "1 hour"))
    // Map keeps insertion order: re-inserting on hit makes the first key the least recently used
    const entries = new Map<string, { readonly value: unknown; readonly expiresAt: number }>()
    let hits = 0
    let misses = 0
    const attrs = { cache: name }

    const cached: ResponseCache["cached"] = (parts) => (self) =>
      Effect.gen(function*() {
        const k = key(parts)
        const now = yield* Clock.currentTimeMillis
        const entry = entries.get(k)
        if (entry !== undefined && entry.expiresAt > now) {
          entries.delete(k)
          entries.set(k, entry)
          hits++
          yield* Metric.update(ReliabilityMetrics.cacheHits.pipe(Metric.withAttributes(attrs)), 1)
          yield* ReliabilityEvent.emit({ _tag: "CacheHit", cache: name, key: k })
          return entry.value as Effect.Success<typeof self>
        }
        if (entry !== undefined) entries.delete(k)
        misses++
        yield* Metric.update(ReliabilityMetrics.cacheMisses.pipe(Metric.withAttributes(attrs)), 1)
        yield* ReliabilityEvent.emit({ _tag: "CacheMiss", cache: name, key: k })
        const value = yield* self
        const stored = yield* Clock.currentTimeMillis
        entries.set(k, { value, expiresAt: stored + ttlMillis })
        while (entries.size > capacity) entries.delete(entries.keys().next().value!)
        return value
      })

    const wrapLanguageModel: ResponseCache["wrapLanguageModel"] = (provider, model) => {
      const through = (method: "generateText" | "generateObject") => (o: Record<string, unknown>) =>
        Effect.flatMap(GenerationOptions, (settings) =>
          cached({
            provider,
            model: settings.model,
            prompt: o.prompt,
            params: { method, settings, schema: o.schema, objectName: o.objectName, toolkit: o.toolkit === undefined ? null : "toolkit" }
          })((model[method] as any)(o) as Effect.Effect<unknown, unknown, unknown>))
      return { ...model, generateText: through("generateText") as any, generateObject: through("generateObject") as any }
    }

    return {
      name,
      cached,
      wrapLanguageModel,
      stats: Effect.sync(() => ({ hits, misses, size: entries.size })),
      clear: Effect.sync(() => entries.clear())
    }
  })

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
import { Clock, Context, Duration, Effect, Metric, Option, Schema } from "effect"
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

/**
 * Where a cache keeps its entries. The default keeps them in this process's memory (values as they are);
 * `SharedCache.layer` (llm-orchestrator/shared-state) provides one in Redis, shared by every worker, whose values
 * travel as JSON (`serializes: true`).
 *
 * @example
 * ```ts
 * const storage: ResponseCache.Storage = { serializes: false, get, set, size, clear }
 * ```
 */
export interface Storage {
  /** Whether values are stored as JSON (then responses are stored as their parts, and Schemas keyed by their JSON Schema). */
  readonly serializes: boolean
  /** The value under `key` if present and fresh (and marks it recently used). */
  readonly get: (key: string) => Effect.Effect<Option.Option<unknown>>
  /** Stores `value` for `ttlMillis` (Infinity: no expiry), evicting the least recently used entries past the capacity. */
  readonly set: (key: string, value: unknown, ttlMillis: number) => Effect.Effect<void>
  readonly size: Effect.Effect<number>
  readonly clear: Effect.Effect<void>
}

/**
 * Makes the storage of each new cache (`name`, `capacity`); the default is {@link memoryStorage}. Every
 * `ResponseCache.make` (and so the YAML steps' `cache:`) uses the factory of its context.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provideService(ResponseCache.StorageFactory, (name, capacity) => myStorage(name, capacity)))
 * ```
 */
export const StorageFactory: Context.Reference<(name: string, capacity: number) => Storage> = Context.Reference<(name: string, capacity: number) => Storage>(
  "llm-orchestrator/reliability/ResponseCache/StorageFactory",
  { defaultValue: () => memoryStorage }
)

/**
 * The defaults of the caches made in this context, for what a cache does not set itself: `capacity` (entries per
 * cache, default 1000) and `ttl` (default: 1 hour for `make`, no expiry for the YAML steps' `cache:` without a
 * `ttl`). The configuration file's `cache: { ttl, max_entries }` sets them; they apply to the memory and the Redis
 * storage alike.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provideService(ResponseCache.Defaults, { capacity: 200, ttl: "10 minutes" }))
 * ```
 */
export const Defaults: Context.Reference<{ readonly capacity?: number | undefined; readonly ttl?: Duration.Input | undefined }> = Context.Reference<
  { readonly capacity?: number | undefined; readonly ttl?: Duration.Input | undefined }
>("llm-orchestrator/reliability/ResponseCache/Defaults", { defaultValue: () => ({}) })

/**
 * In-memory storage: a `Map` in insertion order (re-inserted on a hit, so the first key is the least recently used),
 * expiry by effect's `Clock` (TestClock-friendly).
 *
 * @example
 * ```ts
 * const storage = ResponseCache.memoryStorage("answers", 500)
 * ```
 */
export const memoryStorage = (_name: string, capacity: number): Storage => {
  const entries = new Map<string, { readonly value: unknown; readonly expiresAt: number }>()
  return {
    serializes: false,
    get: (k) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const entry = entries.get(k)
        if (entry === undefined) return Option.none()
        entries.delete(k)
        if (entry.expiresAt <= now) return Option.none()
        entries.set(k, entry)
        return Option.some(entry.value)
      }),
    set: (k, value, ttlMillis) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        entries.delete(k)
        entries.set(k, { value, expiresAt: now + ttlMillis })
        while (entries.size > capacity) entries.delete(entries.keys().next().value!)
      }),
    size: Effect.sync(() => entries.size),
    clear: Effect.sync(() => entries.clear())
  }
}

const schemaIds = new WeakMap<object, number>()
let nextSchemaId = 0
const stableWith = (schemaKey: (schema: object) => unknown) => {
  const stable = (u: unknown): unknown => {
    if (Array.isArray(u)) return u.map(stable)
    if (typeof u === "object" && u !== null) {
      if ("ast" in u) return { schema: schemaKey(u) }
      return Object.fromEntries(Object.keys(u).sort().map((k) => [k, stable((u as Record<string, unknown>)[k])]))
    }
    return u
  }
  return stable
}
// in one process a Schema is identified by object identity (its JSON form is not stable across builds of one schema)
const stable = stableWith((u) => {
  let id = schemaIds.get(u)
  if (id === undefined) schemaIds.set(u, id = nextSchemaId++)
  return id
})
// across processes identity means nothing: a Schema is identified by its JSON Schema document
const stableAcrossProcesses = stableWith((u) => {
  try {
    return JSON.stringify(Schema.toJsonSchemaDocument(u as Schema.Constraint))
  } catch {
    return String((u as { ast?: unknown }).ast)
  }
})

/**
 * The cache key of `parts` (hex SHA-256 of their canonical JSON).
 *
 * @example
 * ```ts
 * ResponseCache.key({ provider: "openai", model: "gpt-4o", prompt: "hi", params: { temperature: 0 } }) // hex sha-256
 * ```
 */
export const key = (parts: KeyParts): string => hash([parts.provider, parts.model, parts.prompt, parts.params ?? null])

/** The key of `parts` with Schemas named by their JSON Schema (for storage shared across processes). */
const sharedKey = (parts: KeyParts): string =>
  createHash("sha256").update(JSON.stringify(stableAcrossProcesses([parts.provider, parts.model, parts.prompt, parts.params ?? null])) ?? "undefined").digest("hex")

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
 * A new cache (default capacity 1000 entries, TTL 1 hour; see {@link Defaults} for a context's own defaults).
 *
 * @example
 * ```ts
 * const cache = yield* ResponseCache.make({ name: "answers", capacity: 500, ttl: "10 minutes" })
 * ```
 */
export const make = (options: { readonly name?: string; readonly capacity?: number; readonly ttl?: Duration.Input } = {}): Effect.Effect<ResponseCache> =>
  Effect.map(Effect.all([Effect.service(StorageFactory), Effect.service(Defaults)]), ([factory, defaults]): ResponseCache => {
    const name = options.name ?? "responses"
    const capacity = Math.max(1, options.capacity ?? defaults.capacity ?? 1000)
    const ttlMillis = Duration.toMillis(Duration.fromInputUnsafe(options.ttl ?? defaults.ttl ?? "1 hour"))
    const storage = factory(name, capacity)
    const keyOf = storage.serializes ? sharedKey : key
    let hits = 0
    let misses = 0
    const attrs = { cache: name }

    const cached: ResponseCache["cached"] = (parts) => (self) =>
      Effect.gen(function*() {
        const k = keyOf(parts)
        const entry = yield* storage.get(k)
        if (Option.isSome(entry)) {
          hits++
          yield* Metric.update(ReliabilityMetrics.cacheHits.pipe(Metric.withAttributes(attrs)), 1)
          yield* ReliabilityEvent.emit({ _tag: "CacheHit", cache: name, key: k })
          return entry.value as Effect.Success<typeof self>
        }
        misses++
        yield* Metric.update(ReliabilityMetrics.cacheMisses.pipe(Metric.withAttributes(attrs)), 1)
        yield* ReliabilityEvent.emit({ _tag: "CacheMiss", cache: name, key: k })
        const value = yield* self
        yield* storage.set(k, value, ttlMillis)
        return value
      })

    const wrapLanguageModel: ResponseCache["wrapLanguageModel"] = (provider, model) => {
      const through = (method: "generateText" | "generateObject") => (o: Record<string, unknown>) =>
        Effect.flatMap(GenerationOptions, (settings) => {
          const parts: KeyParts = {
            provider,
            model: settings.model,
            prompt: o.prompt,
            params: { method, settings, schema: o.schema, objectName: o.objectName, toolkit: o.toolkit === undefined ? null : "toolkit" }
          }
          const call = (model[method] as any)(o) as Effect.Effect<any, unknown, unknown>
          if (!storage.serializes) return cached(parts)(call)
          // stored as JSON: the response as its parts (and an object's value in its encoded form), rebuilt on the way out
          const schema = o.schema as Schema.Codec<unknown, unknown> | undefined
          const toPlain = (res: any) =>
            method === "generateObject" && schema !== undefined
              ? Effect.map(Schema.encodeUnknownEffect(schema)(res.value), (value) => ({ content: res.content, value }))
              : Effect.succeed({ content: res.content })
          // effect/ai's response classes, loaded when a serialized response is first rebuilt (not by every importer)
          const fromPlain = (plain: { readonly content: Array<any>; readonly value?: unknown }) =>
            Effect.flatMap(Effect.promise(() => import("effect/ai")), ({ LanguageModel: LM }) =>
              method === "generateObject" && schema !== undefined
                ? Effect.map(Schema.decodeUnknownEffect(schema)(plain.value), (value) => new LM.GenerateObjectResponse(value, plain.content))
                : Effect.succeed(new LM.GenerateTextResponse(plain.content)))
          return Effect.flatMap(cached(parts)(Effect.flatMap(call, (res) => Effect.orDie(toPlain(res)))), (plain) => Effect.orDie(fromPlain(plain)))
        })
      return { ...model, generateText: through("generateText") as any, generateObject: through("generateObject") as any }
    }

    return {
      name,
      cached,
      wrapLanguageModel,
      stats: Effect.map(storage.size, (size) => ({ hits, misses, size })),
      clear: storage.clear
    }
  })

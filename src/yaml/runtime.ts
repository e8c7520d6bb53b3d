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
import { Effect, Schema } from "effect"
import * as ResponseCache from "../reliability/ResponseCache.ts"

/**
 * A value that should have been a list, vector or given shape was not.
 *
 * @example
 * ```ts
 * Effect.try({ try: () => Y.list(42, "over"), catch: (e) => e as YamlValueError }) // "over must be a list, got number"
 * ```
 */
export class YamlValueError extends Schema.TaggedError<YamlValueError>()("YamlValueError", {
  message: Schema.String
}) {}

/**
 * What a custom action (`type: action`) must provide: a function from its resolved parameters to a result.
 *
 * @example
 * ```ts
 * const log: ActionShape = { run: (params) => Effect.log(JSON.stringify(params)) }
 * ```
 */
export interface ActionShape {
  readonly run: (params: Readonly<Record<string, unknown>>) => Effect.Effect<unknown, unknown>
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
 * Text of a value inside a template: strings as they are, null/undefined as "", anything else as JSON.
 *
 * @example
 * ```ts
 * Y.str(null) // ""
 * Y.str([1, 2]) // "[1,2]"
 * ```
 */
export const str = (v: unknown): string =>
  typeof v === "string" ? v : v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v)

/**
 * Reads `path` (field names and indexes) from a value; undefined when absent.
 *
 * @example
 * ```ts
 * Y.get({ docs: [{ title: "A" }] }, ["docs", 0, "title"]) // "A"
 * ```
 */
export const get = (v: unknown, path: ReadonlyArray<string | number>): unknown => {
  let cur = v
  for (const seg of path) {
    if (cur === null || cur === undefined) return undefined
    if (Array.isArray(cur) && seg === "length") return cur.length
    cur = (cur as Record<string | number, unknown>)[seg]
  }
  return cur
}

/**
 * `| json`
 *
 * @example
 * ```ts
 * Y.json({ a: 1 }) // '{"a":1}'
 * ```
 */
export const json = (v: unknown): string => JSON.stringify(v) ?? "null"
/**
 * `| join(sep)`: items rendered with {@link str}; default separator ", ".
 *
 * @example
 * ```ts
 * Y.join(["a", 1]) // "a, 1"
 * ```
 */
export const join = (v: unknown, sep: string = ", "): string => (Array.isArray(v) ? v.map(str).join(sep) : str(v))
/**
 * `| default(x)`: `x` when the value is null, undefined or "".
 *
 * @example
 * ```ts
 * Y.withDefault("", "you") // "you"
 * ```
 */
export const withDefault = <A, B>(v: A, d: B): A | B => (v === null || v === undefined || (v as unknown) === "" ? d : v)
/**
 * `| upper`
 *
 * @example
 * ```ts
 * Y.upper("ok") // "OK"
 * ```
 */
export const upper = (v: unknown): string => str(v).toUpperCase()
/**
 * `| lower`
 *
 * @example
 * ```ts
 * Y.lower("OK") // "ok"
 * ```
 */
export const lower = (v: unknown): string => str(v).toLowerCase()
/**
 * `| trim`
 *
 * @example
 * ```ts
 * Y.trim("  hi ") // "hi"
 * ```
 */
export const trim = (v: unknown): string => str(v).trim()
/**
 * `| length` (also the `length` transform).
 *
 * @example
 * ```ts
 * Y.length([1, 2, 3]) // 3
 * Y.length({ a: 1 }) // 1
 * ```
 */
export const length = (v: unknown): number =>
  Array.isArray(v) ? v.length : typeof v === "string" ? v.length : v !== null && typeof v === "object" ? Object.keys(v).length : 0

/**
 * A list value (map `over`), or a clear error.
 *
 * @example
 * ```ts
 * Y.list([1, 2]) // [1, 2]
 * Y.list("x", "over") // throws YamlValueError "over must be a list, got string"
 * ```
 */
export const list = (v: unknown, what = "value"): ReadonlyArray<unknown> => {
  if (Array.isArray(v)) return v
  throw new YamlValueError({ message: `${what} must be a list, got ${v === null ? "null" : typeof v}` })
}

/**
 * A vector (vector_search `query`), or a clear error.
 *
 * @example
 * ```ts
 * Y.vector([0.1, 0.2]) // [0.1, 0.2]
 * ```
 */
export const vector = (v: unknown, what = "query"): ReadonlyArray<number> => {
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return v
  throw new YamlValueError({ message: `${what} must be a vector of numbers (embed the text first)` })
}

/**
 * The branch case for a value: itself when it names a case, else "default" when there is one, else itself (the engine reports the unknown case).
 *
 * @example
 * ```ts
 * Y.pick("safe", ["safe", "unsafe"]) // "safe"
 * ```
 */
export const pick = <const K extends string>(v: unknown, cases: ReadonlyArray<K>): K => {
  const s = str(v)
  if ((cases as ReadonlyArray<string>).includes(s)) return s as K
  if ((cases as ReadonlyArray<string>).includes("default")) return "default" as K
  return s as K
}

/**
 * Truthiness of a condition without an operator.
 *
 * @example
 * ```ts
 * Y.truthy("false") // false
 * Y.truthy([1]) // true
 * ```
 */
export const truthy = (v: unknown): boolean =>
  !(v === false || v === null || v === undefined || v === 0 || v === "" || v === "false" || (Array.isArray(v) && v.length === 0))

/**
 * `left op right` of a condition; numbers compare as numbers (numeric strings included).
 *
 * @example
 * ```ts
 * Y.compare("8", ">=", 8) // true
 * ```
 */
export const compare = (left: unknown, op: "==" | "!=" | "<" | "<=" | ">" | ">=", right: unknown): boolean => {
  const num = (x: unknown) => (typeof x === "number" ? x : typeof x === "string" && x.trim() !== "" ? Number(x) : NaN)
  switch (op) {
    case "==":
      return left === right || str(left) === str(right)
    case "!=":
      return !(left === right || str(left) === str(right))
    case "<":
      return num(left) < num(right)
    case "<=":
      return num(left) <= num(right)
    case ">":
      return num(left) > num(right)
    case ">=":
      return num(left) >= num(right)
  }
}

/**
 * `concat`: lists are concatenated; when every input is text, texts are joined with a blank line.
 *
 * @example
 * ```ts
 * Y.concat(["a", "b"]) // "a\n\nb"
 * Y.concat([[1], 2]) // [1, 2]
 * ```
 */
export const concat = (xs: ReadonlyArray<unknown>): unknown => {
  if (xs.every((x) => typeof x === "string")) return xs.join("\n\n")
  return xs.flatMap((x) => (Array.isArray(x) ? x : [x]))
}
/**
 * `merge`: objects merged left to right.
 *
 * @example
 * ```ts
 * Y.merge([{ a: 1 }, { b: 2 }]) // { a: 1, b: 2 }
 * ```
 */
export const merge = (xs: ReadonlyArray<unknown>): Record<string, unknown> =>
  Object.assign({}, ...xs.filter((x) => x !== null && typeof x === "object" && !Array.isArray(x)))
/**
 * `json_parse`
 *
 * @example
 * ```ts
 * Y.jsonParse('{"a":1}') // { a: 1 }
 * ```
 */
export const jsonParse = (v: unknown): unknown => {
  if (typeof v !== "string") return v
  try {
    return JSON.parse(v)
  } catch {
    throw new YamlValueError({ message: `json_parse: not JSON: ${v.slice(0, 60)}` })
  }
}
/**
 * `first`
 *
 * @example
 * ```ts
 * Y.first([3, 4]) // 3
 * ```
 */
export const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v)

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

// One response cache per step (and TTL): LRU-bounded, with hit/miss metrics and CacheHit/CacheMiss events (which the
// engine reports as ProviderEvents of the step).
const caches = new Map<string, ResponseCache.ResponseCache>()

const cacheFor = (step: string, ttlMillis: number | undefined): Effect.Effect<ResponseCache.ResponseCache> =>
  Effect.suspend(() => {
    const id = `${step}\u0000${ttlMillis ?? "forever"}`
    const existing = caches.get(id)
    if (existing !== undefined) return Effect.succeed(existing)
    return Effect.tap(
      ResponseCache.make({ name: step, capacity: 1000, ttl: ttlMillis ?? "Infinity" }),
      (cache) => Effect.sync(() => caches.set(id, cache))
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
 * Empties the step caches (tests).
 *
 * @example
 * ```ts
 * afterEach(() => Y.clearCache())
 * ```
 */
export const clearCache = (): void => caches.clear()

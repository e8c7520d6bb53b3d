/**
 * A small payload filter language shared by every vector store: equality match, match any of several values, numeric
 * range, and `must` / `should` / `must_not` combinations (nestable). The shape is a subset of Qdrant's filter JSON, so
 * the Qdrant adapter sends it almost as is, YAML workflows can spell it the way Qdrant's docs do, and the in-memory store
 * evaluates it with the same semantics:
 * - `must`: every condition holds; `should`: at least one holds (when non-empty); `must_not`: none holds.
 * - `key` is a payload field, dotted for nested objects (`"meta.lang"`).
 * - When the payload value is an array, a condition holds if it holds for any element (Qdrant's rule).
 * - A missing field fails `match`/`range` (so it passes `must_not`).
 *
 * @example
 * ```ts
 * import { Filter } from "llm-orchestrator"
 * const filter = Filter.all(
 *   Filter.match("lang", "en"),
 *   Filter.anyOf("tag", ["api", "guide"]),
 *   Filter.range("year", { gte: 2020 }),
 *   Filter.none(Filter.match("draft", true))
 * )
 * // { must: [{ key: "lang", match: { value: "en" } }, ...] }
 * ```
 */

/**
 * A value an equality match compares with. Qdrant matches strings, integers and booleans exactly.
 *
 * @example
 * ```ts
 * const v: Filter.MatchValue = "en"
 * ```
 */
export type MatchValue = string | number | boolean

/**
 * `payload[key] === value` (or any element equals it, for an array field).
 *
 * @example
 * ```ts
 * const c: Filter.MatchCondition = { key: "lang", match: { value: "en" } }
 * ```
 */
export interface MatchCondition {
  readonly key: string
  readonly match: { readonly value: MatchValue }
}

/**
 * `payload[key]` is one of `any` (or any element is, for an array field).
 *
 * @example
 * ```ts
 * const c: Filter.MatchAnyCondition = { key: "tag", match: { any: ["api", "guide"] } }
 * ```
 */
export interface MatchAnyCondition {
  readonly key: string
  readonly match: { readonly any: ReadonlyArray<string | number> }
}

/**
 * Bounds of a numeric range; omitted bounds are open.
 *
 * @example
 * ```ts
 * const r: Filter.Range = { gte: 2020, lt: 2025 }
 * ```
 */
export interface Range {
  readonly gt?: number
  readonly gte?: number
  readonly lt?: number
  readonly lte?: number
}

/**
 * `payload[key]` is a number within the bounds (or any element is, for an array field).
 *
 * @example
 * ```ts
 * const c: Filter.RangeCondition = { key: "year", range: { gte: 2020 } }
 * ```
 */
export interface RangeCondition {
  readonly key: string
  readonly range: Range
}

/**
 * One clause of a filter: a field condition or a nested filter.
 *
 * @example
 * ```ts
 * const c: Filter.Condition = { should: [{ key: "a", match: { value: 1 } }, { key: "b", match: { value: 2 } }] }
 * ```
 */
export type Condition = MatchCondition | MatchAnyCondition | RangeCondition | Filter

/**
 * A payload filter (see the module description for the semantics). `{}` matches everything.
 *
 * @example
 * ```ts
 * const f: Filter.Filter = { must: [{ key: "lang", match: { value: "en" } }], must_not: [{ key: "draft", match: { value: true } }] }
 * ```
 */
export interface Filter {
  readonly must?: ReadonlyArray<Condition>
  readonly should?: ReadonlyArray<Condition>
  readonly must_not?: ReadonlyArray<Condition>
}

/**
 * Equality condition.
 *
 * @example
 * ```ts
 * Filter.match("lang", "en") // { key: "lang", match: { value: "en" } }
 * ```
 */
export const match = (key: string, value: MatchValue): MatchCondition => ({ key, match: { value } })

/**
 * "One of these values" condition.
 *
 * @example
 * ```ts
 * Filter.anyOf("tag", ["api", "guide"]) // { key: "tag", match: { any: ["api", "guide"] } }
 * ```
 */
export const anyOf = (key: string, values: ReadonlyArray<string | number>): MatchAnyCondition => ({
  key,
  match: { any: values }
})

/**
 * Numeric range condition.
 *
 * @example
 * ```ts
 * Filter.range("year", { gte: 2020, lt: 2025 })
 * ```
 */
export const range = (key: string, bounds: Range): RangeCondition => ({ key, range: bounds })

/**
 * Every condition must hold (`must`).
 *
 * @example
 * ```ts
 * Filter.all(Filter.match("lang", "en"), Filter.range("year", { gte: 2020 }))
 * ```
 */
export const all = (...conditions: ReadonlyArray<Condition>): Filter => ({ must: conditions })

/**
 * At least one condition must hold (`should`).
 *
 * @example
 * ```ts
 * Filter.some(Filter.match("lang", "en"), Filter.match("lang", "fr"))
 * ```
 */
export const some = (...conditions: ReadonlyArray<Condition>): Filter => ({ should: conditions })

/**
 * No condition may hold (`must_not`).
 *
 * @example
 * ```ts
 * Filter.none(Filter.match("draft", true))
 * ```
 */
export const none = (...conditions: ReadonlyArray<Condition>): Filter => ({ must_not: conditions })

/**
 * A filter that is not well formed; `path` names the offending place (`filter.must[1].range.gte`).
 *
 * @example
 * ```ts
 * try { Filter.compile({ must: [{ key: "x" } as never] }) } catch (e) { (e as Filter.InvalidFilter).path } // "filter.must[0]"
 * ```
 */
export class InvalidFilter extends Error {
  readonly path: string
  readonly reason: string
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`)
    this.path = path
    this.reason = reason
    this.name = "InvalidFilter"
  }
}

/**
 * A filter compiled for evaluation against payloads.
 *
 * @example
 * ```ts
 * const keep: Filter.Predicate = Filter.compile(Filter.all(Filter.match("lang", "en")))
 * ```
 */
export type Predicate = (payload: Readonly<Record<string, unknown>>) => boolean

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const isFiniteNumber = (u: unknown): u is number => typeof u === "number" && Number.isFinite(u)
const isMatchValue = (u: unknown): u is MatchValue =>
  typeof u === "string" || typeof u === "boolean" || isFiniteNumber(u)

// True when `test` holds for some value at `segments` (from index i) under `value`. Arrays count as their elements,
// at the leaf and on the way (like Qdrant's `a[].b`). No allocation: this runs once per candidate row in a search.
const someValue = (value: unknown, segments: ReadonlyArray<string>, i: number, test: (v: unknown) => boolean): boolean => {
  if (Array.isArray(value)) {
    for (const item of value) if (someValue(item, segments, i, test)) return true
    return false
  }
  if (i === segments.length) return test(value)
  if (!isRecord(value) || !Object.hasOwn(value, segments[i]!)) return false
  return someValue(value[segments[i]!], segments, i + 1, test)
}

const keyOf = (condition: Record<string, unknown>, path: string): ReadonlyArray<string> => {
  const key = condition["key"]
  if (typeof key !== "string" || key.length === 0) throw new InvalidFilter(`${path}.key`, "expected a non-empty string")
  return key.split(".")
}

/**
 * What a backend supplies to compile filters to its own language with {@link fold}: one case per condition kind and
 * one for the `must` / `should` / `must_not` combination (each list undefined when the clause is absent). `key` is the
 * dotted payload key, `segments` its parts.
 *
 * @example
 * ```ts
 * const toText: Filter.Visitor<string> = {
 *   match: (key, _s, v) => `${key} = ${JSON.stringify(v)}`,
 *   any: (key, _s, vs) => `${key} in ${JSON.stringify(vs)}`,
 *   range: (key, _s, r) => `${key} in ${JSON.stringify(r)}`,
 *   bool: (must, should, not) => [must?.join(" and "), should?.join(" or "), not && `not (${not.join(" or ")})`].filter(Boolean).join(" and ")
 * }
 * ```
 */
export type Visitor<A> = {
  readonly match: (key: string, segments: ReadonlyArray<string>, value: MatchValue) => A
  readonly any: (key: string, segments: ReadonlyArray<string>, values: ReadonlyArray<string | number>) => A
  readonly range: (key: string, segments: ReadonlyArray<string>, bounds: Range) => A
  readonly bool: (must: ReadonlyArray<A> | undefined, should: ReadonlyArray<A> | undefined, mustNot: ReadonlyArray<A> | undefined) => A
}

// One validating walk, shared by the in-memory evaluator and the Qdrant encoder, so both reject the same filters.
const walk = <A>(filter: unknown, path: string, visitor: Visitor<A>): A => {
  if (!isRecord(filter)) throw new InvalidFilter(path, "expected an object")
  const clauses = (name: "must" | "should" | "must_not"): ReadonlyArray<A> | undefined => {
    const list = filter[name]
    if (list === undefined) return undefined
    if (!Array.isArray(list)) throw new InvalidFilter(`${path}.${name}`, "expected an array of conditions")
    return list.map((c, i) => condition(c, `${path}.${name}[${i}]`, visitor))
  }
  for (const k of Object.keys(filter)) {
    if (k !== "must" && k !== "should" && k !== "must_not") {
      throw new InvalidFilter(`${path}.${k}`, "unknown filter clause (expected must, should or must_not)")
    }
  }
  return visitor.bool(clauses("must"), clauses("should"), clauses("must_not"))
}

const condition = <A>(c: unknown, path: string, visitor: Visitor<A>): A => {
  if (!isRecord(c)) throw new InvalidFilter(path, "expected a condition object")
  if (!("key" in c)) {
    if ("must" in c || "should" in c || "must_not" in c) return walk(c, path, visitor)
    throw new InvalidFilter(path, "expected a condition with key and match/range, or a nested filter")
  }
  const segments = keyOf(c, path)
  const key = c["key"] as string
  const m = c["match"]
  const r = c["range"]
  if (m !== undefined) {
    if (!isRecord(m)) throw new InvalidFilter(`${path}.match`, "expected { value } or { any }")
    if ("value" in m) {
      if (!isMatchValue(m["value"])) throw new InvalidFilter(`${path}.match.value`, "expected a string, number or boolean")
      return visitor.match(key, segments, m["value"])
    }
    if ("any" in m) {
      const values = m["any"]
      if (!Array.isArray(values) || !values.every((v) => typeof v === "string" || isFiniteNumber(v))) {
        throw new InvalidFilter(`${path}.match.any`, "expected an array of strings or numbers")
      }
      return visitor.any(key, segments, values as ReadonlyArray<string | number>)
    }
    throw new InvalidFilter(`${path}.match`, "expected { value } or { any }")
  }
  if (r !== undefined) {
    if (!isRecord(r)) throw new InvalidFilter(`${path}.range`, "expected { gt?, gte?, lt?, lte? }")
    const bounds: { gt?: number; gte?: number; lt?: number; lte?: number } = {}
    for (const [name, v] of Object.entries(r)) {
      if (name !== "gt" && name !== "gte" && name !== "lt" && name !== "lte") {
        throw new InvalidFilter(`${path}.range.${name}`, "unknown bound (expected gt, gte, lt or lte)")
      }
      if (v === undefined) continue
      if (!isFiniteNumber(v)) throw new InvalidFilter(`${path}.range.${name}`, "expected a finite number")
      bounds[name] = v
    }
    return visitor.range(key, segments, bounds)
  }
  throw new InvalidFilter(path, `condition on "${key}" needs match or range`)
}

const evaluator: Visitor<Predicate> = {
  match: (_key, segments, value) => {
    const test = (v: unknown) => v === value
    return (payload) => someValue(payload, segments, 0, test)
  },
  any: (_key, segments, values) => {
    const set = new Set<unknown>(values)
    const test = (v: unknown) => set.has(v)
    return (payload) => someValue(payload, segments, 0, test)
  },
  range: (_key, segments, { gt, gte, lt, lte }) => {
    const test = (v: unknown) =>
      isFiniteNumber(v) &&
      (gt === undefined || v > gt) && (gte === undefined || v >= gte) &&
      (lt === undefined || v < lt) && (lte === undefined || v <= lte)
    return (payload) => someValue(payload, segments, 0, test)
  },
  bool: (must, should, mustNot) => (payload) =>
    (must === undefined || must.every((p) => p(payload))) &&
    (should === undefined || should.length === 0 || should.some((p) => p(payload))) &&
    (mustNot === undefined || !mustNot.some((p) => p(payload)))
}

/**
 * Validates a filter (throwing {@link InvalidFilter} like {@link compile}) and folds it with `visitor`: how each store
 * adapter compiles the one filter language to its own (SQL, Pinecone metadata filters, Chroma where, ...), with the
 * same validation everywhere.
 *
 * @example
 * ```ts
 * const sql = Filter.fold(filter, mySqlVisitor)
 * ```
 */
export const fold = <A>(filter: Filter, visitor: Visitor<A>, path = "filter"): A => walk(filter, path, visitor)

/**
 * A compiled condition of a backend, or a constant: `true` is "no constraint", `false` "matches nothing". The
 * constants are folded away by {@link connectives}, so a compiler never emits `$and: []` or `x and true`.
 *
 * @example
 * ```ts
 * const n: Filter.Folded<string> = false // e.g. `anyOf("tag", [])`
 * ```
 */
export type Folded<N> = N | boolean

/**
 * `and` / `or` over folded nodes for a backend's own conjunction and disjunction (`$and` lists, SQL text, ...):
 * constants absorb or vanish, a single node stands alone, and `combine` only sees two or more real nodes.
 *
 * @example
 * ```ts
 * const { and, or } = Filter.connectives<string>((ns) => `(${ns.join(" and ")})`, (ns) => `(${ns.join(" or ")})`)
 * and(["a", true, "b"]) // "(a and b)"
 * or(["a", true]) // true
 * ```
 */
export const connectives = <N>(
  conjunction: (nodes: ReadonlyArray<N>) => N,
  disjunction: (nodes: ReadonlyArray<N>) => N
): {
  readonly and: (nodes: ReadonlyArray<Folded<N>>) => Folded<N>
  readonly or: (nodes: ReadonlyArray<Folded<N>>) => Folded<N>
} => ({
  and: (nodes) => {
    if (nodes.includes(false)) return false
    const rest = nodes.filter((n): n is N => n !== true)
    return rest.length === 0 ? true : rest.length === 1 ? rest[0]! : conjunction(rest)
  },
  or: (nodes) => {
    if (nodes.includes(true)) return true
    const rest = nodes.filter((n): n is N => n !== false)
    return rest.length === 0 ? false : rest.length === 1 ? rest[0]! : disjunction(rest)
  }
})

/**
 * A condition compiled for a backend without a general `not` (Pinecone, Chroma, Weaviate): its positive form and its
 * negation, each written with the backend's negated operators (`$ne`, `$nin`, "missing", ...).
 *
 * @example
 * ```ts
 * const c: Filter.Signed<object> = { pos: { lang: { $eq: "en" } }, neg: { lang: { $ne: "en" } } }
 * ```
 */
export interface Signed<N> {
  readonly pos: Folded<N>
  readonly neg: Folded<N>
}

/**
 * The `bool` case of a {@link Visitor} for backends with a `not` (Milvus, SQL): `must` and-ed, a non-empty `should`
 * or-ed, each `must_not` negated.
 *
 * @example
 * ```ts
 * const bool = Filter.boolWithNot(and, or, (n) => (n === true ? false : n === false ? true : `(not ${n})`))
 * ```
 */
export const boolWithNot = <N>(
  and: (nodes: ReadonlyArray<Folded<N>>) => Folded<N>,
  or: (nodes: ReadonlyArray<Folded<N>>) => Folded<N>,
  not: (node: Folded<N>) => Folded<N>
): Visitor<Folded<N>>["bool"] =>
(must, should, mustNot) =>
  and([...(must ?? []), ...(should !== undefined && should.length > 0 ? [or(should)] : []), ...(mustNot ?? []).map(not)])

/**
 * The `bool` case of a {@link Visitor} over {@link Signed} conditions (De Morgan): the positive form is
 * `and(must.pos, or(should.pos), mustNot.neg)`, the negation `or(must.neg, and(should.neg), mustNot.pos)`, so a
 * `must_not` anywhere in the tree needs only the backend's negated leaf operators.
 *
 * @example
 * ```ts
 * const { and, or } = Filter.connectives<object>((ns) => ({ $and: ns }), (ns) => ({ $or: ns }))
 * const bool = Filter.deMorgan(and, or)
 * ```
 */
export const deMorgan = <N>(
  and: (nodes: ReadonlyArray<Folded<N>>) => Folded<N>,
  or: (nodes: ReadonlyArray<Folded<N>>) => Folded<N>
): Visitor<Signed<N>>["bool"] =>
(must, should, mustNot) => {
  const someShould = should !== undefined && should.length > 0
  return {
    pos: and([...(must ?? []).map((m) => m.pos), ...(someShould ? [or(should.map((s) => s.pos))] : []), ...(mustNot ?? []).map((m) => m.neg)]),
    neg: or([...(must ?? []).map((m) => m.neg), ...(someShould ? [and(should.map((s) => s.neg))] : []), ...(mustNot ?? []).map((m) => m.pos)])
  }
}

/**
 * Validates a filter and compiles it to a payload predicate (used by the in-memory store). Throws {@link InvalidFilter}
 * naming the bad place when the filter is not well formed (e.g. a YAML typo).
 *
 * @example
 * ```ts
 * const keep = Filter.compile(Filter.all(Filter.match("lang", "en")))
 * keep({ lang: "en" }) // true
 * ```
 */
export const compile = (filter: Filter): Predicate => walk(filter, "filter", evaluator)

const encoder: Visitor<Record<string, unknown>> = {
  match: (key, _segments, value) => ({ key, match: { value } }),
  any: (key, _segments, values) => ({ key, match: { any: [...values] } }),
  range: (key, _segments, bounds) => ({ key, range: { ...bounds } }),
  bool: (must, should, mustNot) => ({
    ...(must === undefined ? {} : { must }),
    ...(should === undefined ? {} : { should }),
    ...(mustNot === undefined ? {} : { must_not: mustNot })
  })
}

/**
 * Checks that an untrusted value (a filter read from YAML or JSON) is a well-formed filter and returns it normalised
 * (only the fields this language defines). Throws {@link InvalidFilter} whose `path` starts with `path`, so a caller can
 * point at the place in its own file, e.g. `steps.search_docs.filter.must[0].range.gte`.
 *
 * @example
 * ```ts
 * const filter = Filter.validate(yamlValue, "steps.search_docs.filter")
 * ```
 */
export const validate = (u: unknown, path = "filter"): Filter => walk(u, path, encoder) as Filter

/**
 * Validates a filter and encodes it as Qdrant filter JSON (only the fields this language defines). Throws
 * {@link InvalidFilter} like {@link compile}.
 *
 * @example
 * ```ts
 * Filter.toQdrant(Filter.all(Filter.range("year", { gte: 2020 })))
 * // { must: [{ key: "year", range: { gte: 2020 } }] }
 * ```
 */
export const toQdrant = (filter: Filter): Record<string, unknown> => walk(filter, "filter", encoder)

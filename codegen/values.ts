/**
 * What YAML values mean at run time, as plain functions: template text, paths, filters, transforms, conditions and
 * branch case selection. The one implementation both back ends use: the interpreter calls these functions through the
 * lowered workflow's tables (`filters.ts`, `transforms.ts`), and generated code calls the same functions as `Y.<name>`
 * (re-exported by `llm-orchestrator/yaml`).
 *
 * @example
 * ```ts
 * import * as Y from "llm-orchestrator/yaml"
 * Y.str({ a: 1 })                    // '{"a":1}'
 * Y.join(["a", "b"], " / ")          // "a / b"
 * Y.pick("maybe", ["yes", "default"]) // "default"
 * ```
 */
import { Schema } from "effect"

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

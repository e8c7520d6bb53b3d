/**
 * The static types the validator tracks for inputs and step outputs, built from the format's type language.
 *
 * @example
 * ```ts
 * fromTypeSpec({ enum: ["safe", "block"] })   // { kind: "literal", values: ["safe", "block"] }
 * showType({ kind: "array", items: { kind: "string" } })  // "string[]"
 * ```
 */
import type { TypeSpec } from "./WorkflowFile.ts"

/**
 * One property of an object {@link Type}: its type and whether it may be absent.
 *
 * @example
 * ```ts
 * const f: Field = { type: T.string, optional: true }
 * ```
 */
export interface Field {
  readonly type: Type
  readonly optional: boolean
}

/**
 * A static type the validator tracks: a primitive, a literal union, an array or an object (open when extra keys are allowed).
 *
 * @example
 * ```ts
 * const t: Type = { kind: "array", items: { kind: "string" } }
 * showType(t) // "string[]"
 * ```
 */
export type Type =
  | { readonly kind: "string" | "number" | "integer" | "boolean" | "unknown" | "null" }
  | { readonly kind: "literal"; readonly values: ReadonlyArray<string | number | boolean> }
  | { readonly kind: "array"; readonly items: Type }
  | { readonly kind: "object"; readonly fields: Readonly<Record<string, Field>>; readonly open: boolean }

/**
 * Constructors of {@link Type} values, so analysis code reads like the types it builds.
 *
 * @example
 * ```ts
 * const t = T.object({ score: { type: T.number, optional: false } })
 * showType(t) // "{ score: number }"
 * ```
 */
export const T = {
  string: { kind: "string" } as Type,
  number: { kind: "number" } as Type,
  integer: { kind: "integer" } as Type,
  boolean: { kind: "boolean" } as Type,
  unknown: { kind: "unknown" } as Type,
  null: { kind: "null" } as Type,
  array: (items: Type): Type => ({ kind: "array", items }),
  object: (fields: Record<string, Field>, open = false): Type => ({ kind: "object", fields, open }),
  literal: (values: ReadonlyArray<string | number | boolean>): Type => ({ kind: "literal", values })
}

/**
 * The type of one vector search hit (mirrors the VectorStore SearchHit).
 *
 * @example
 * ```ts
 * showType(hitType) // "{ id: unknown, score: number, payload: object }"
 * ```
 */
export const hitType: Type = T.object({
  id: { type: T.unknown, optional: false },
  score: { type: T.number, optional: false },
  payload: { type: T.object({}, true), optional: false }
})

/**
 * The {@link Type} a type-language spec of a workflow file (`inputs`, `output_schema`) denotes.
 *
 * @example
 * ```ts
 * fromTypeSpec("string") // { kind: "string" }
 * fromTypeSpec({ type: "array", items: "number" }) // { kind: "array", items: { kind: "number" } }
 * ```
 */
export const fromTypeSpec = (spec: TypeSpec): Type => {
  if (typeof spec === "string") {
    switch (spec) {
      case "array":
        return T.array(T.unknown)
      case "object":
        return T.object({}, true)
      default:
        return { kind: spec }
    }
  }
  if (spec.enum !== undefined) return T.literal(spec.enum)
  const kind = spec.type ?? (spec.properties !== undefined ? "object" : spec.items !== undefined ? "array" : "unknown")
  switch (kind) {
    case "array":
      return T.array(spec.items === undefined ? T.unknown : fromTypeSpec(spec.items))
    case "object": {
      const required = new Set(spec.required ?? Object.keys(spec.properties ?? {}))
      const fields: Record<string, Field> = {}
      for (const [k, v] of Object.entries(spec.properties ?? {})) fields[k] = { type: fromTypeSpec(v), optional: !required.has(k) }
      return T.object(fields, spec.properties === undefined)
    }
    default:
      return { kind }
  }
}

/**
 * A {@link Type} as TypeScript-like text, for diagnostics ("expected number, got string").
 *
 * @example
 * ```ts
 * showType(T.array(T.literal(["a", "b"]))) // '("a" | "b")[]'
 * ```
 */
export const showType = (t: Type): string => {
  switch (t.kind) {
    case "literal":
      return t.values.map((v) => JSON.stringify(v)).join(" | ")
    case "array": {
      const inner = showType(t.items)
      return t.items.kind === "literal" ? `(${inner})[]` : `${inner}[]`
    }
    case "object": {
      const fs = Object.entries(t.fields).map(([k, f]) => `${k}${f.optional ? "?" : ""}: ${showType(f.type)}`)
      return fs.length === 0 ? "object" : `{ ${fs.join(", ")}${t.open ? ", ..." : ""} }`
    }
    default:
      return t.kind
  }
}

/**
 * Whether a value of this type may be a list (unknown counts: the runtime decides), e.g. for a map's `over`.
 *
 * @example
 * ```ts
 * isArrayLike(T.array(T.string)) // true
 * isArrayLike(T.string) // false
 * ```
 */
export const isArrayLike = (t: Type) => t.kind === "array" || t.kind === "unknown"
/**
 * Whether a value of this type may be a number (number, integer, numeric literals or unknown), e.g. for `<`/`>=` conditions.
 *
 * @example
 * ```ts
 * isNumeric(T.integer) // true
 * isNumeric(T.literal(["a"])) // false
 * ```
 */
export const isNumeric = (t: Type) =>
  t.kind === "number" || t.kind === "integer" || t.kind === "unknown" || (t.kind === "literal" && t.values.every((v) => typeof v === "number"))
/**
 * Whether a value of this type may be a string (string, string literals or unknown), e.g. for text filters.
 *
 * @example
 * ```ts
 * isText(T.literal(["safe", "block"])) // true
 * isText(T.number) // false
 * ```
 */
export const isText = (t: Type) =>
  t.kind === "string" || t.kind === "unknown" || (t.kind === "literal" && t.values.every((v) => typeof v === "string"))

/**
 * Whether a value of type `p` can be used where `e` is expected (lenient where the runtime decides: unknown on either
 * side is fine, and a number may fill an integer slot).
 *
 * @example
 * ```ts
 * assignable(T.string, T.integer) // false
 * assignable(T.literal(["a"]), T.string) // true
 * ```
 */
export const assignable = (p: Type, e: Type): boolean => {
  if (p.kind === "unknown" || e.kind === "unknown") return true
  switch (e.kind) {
    case "string":
      return p.kind === "string" || (p.kind === "literal" && p.values.every((v) => typeof v === "string"))
    case "number":
    case "integer":
      return p.kind === "number" || p.kind === "integer" || (p.kind === "literal" && p.values.every((v) => typeof v === "number"))
    case "boolean":
      return p.kind === "boolean" || (p.kind === "literal" && p.values.every((v) => typeof v === "boolean"))
    case "null":
      return p.kind === "null"
    case "literal":
      return p.kind === "literal" && p.values.every((v) => e.values.includes(v))
    case "array":
      return p.kind === "array" && assignable(p.items, e.items)
    case "object":
      if (p.kind !== "object") return false
      for (const [k, f] of Object.entries(e.fields)) {
        const pf = p.fields[k]
        if (pf === undefined) {
          if (!f.optional && !p.open) return false
        } else if (!assignable(pf.type, f.type)) return false
      }
      return true
  }
}

const req = (type: Type): Field => ({ type, optional: false })

/**
 * One chunk of a `chunk` step.
 *
 * @example
 * ```ts
 * showType(chunkType) // "{ text: string, source: string, index: number, ... }"
 * ```
 */
export const chunkType: Type = T.object({
  text: req(T.string),
  source: req(T.string),
  index: req(T.number),
  start: req(T.number),
  end: req(T.number),
  tokens: req(T.number),
  headings: req(T.array(T.string))
})

/**
 * What an `ingest` step did.
 *
 * @example
 * ```ts
 * showType(ingestType) // "{ documents: number, unchanged: number, ... }"
 * ```
 */
export const ingestType: Type = T.object(Object.fromEntries(
  ["documents", "unchanged", "added", "replaced", "chunks", "deleted", "embedded"].map((k) => [k, req(T.number)])
))

/**
 * The packed context of a `context` step: its text, size and numbered citations.
 *
 * @example
 * ```ts
 * showType(contextType) // "{ text: string, tokens: number, max_tokens: number, citations: ..., dropped: number }"
 * ```
 */
export const contextType: Type = T.object({
  text: req(T.string),
  tokens: req(T.number),
  max_tokens: req(T.number),
  citations: req(T.array(T.object({
    n: req(T.number),
    source: req(T.string),
    document_id: req(T.string),
    start: req(T.number),
    end: req(T.number),
    score: req(T.number),
    text: req(T.string)
  }))),
  dropped: req(T.number)
})

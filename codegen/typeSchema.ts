/**
 * Runtime Effect Schema of a static {@link Type} (what the generated `schemaCode` text builds, as a value).
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(typeSchema({ kind: "literal", values: ["a", "b"] }))("a")
 * ```
 */
import { Schema } from "effect"
import type { Type } from "./Type.ts"

/**
 * The Effect Schema that checks values of a static {@link Type} at run time (step outputs, inputs of interpreted files).
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(typeSchema(T.array(T.number)))([1, 2]) // [1, 2]
 * ```
 */
export const typeSchema = (t: Type): Schema.Codec<unknown, unknown> => {
  const s = build(t)
  return s as unknown as Schema.Codec<unknown, unknown>
}

const build = (t: Type): Schema.Top => {
  switch (t.kind) {
    case "string":
      return Schema.String
    case "number":
      return Schema.Number
    case "integer":
      return Schema.Int
    case "boolean":
      return Schema.Boolean
    case "null":
      return Schema.Null
    case "unknown":
      return Schema.Unknown
    case "literal":
      return Schema.Literals(t.values)
    case "array":
      return Schema.Array(build(t.items) as Schema.Codec<unknown>)
    case "object": {
      const entries = Object.entries(t.fields)
      if (entries.length === 0) return Schema.Record(Schema.String, Schema.Unknown)
      const fields: Record<string, Schema.Top> = {}
      for (const [k, f] of entries) {
        const inner = build(f.type) as Schema.Codec<unknown>
        fields[k] = f.optional ? Schema.optionalKey(inner) : inner
      }
      return Schema.Struct(fields as Schema.Struct.Fields)
    }
  }
}

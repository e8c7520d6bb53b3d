/**
 * The `transform` step's functions, one entry each: what they take, their result type, and what they do. The analyzer
 * calls `type`, the interpreter `run`, and generated code the same function as `Y.<runtime>(...)`.
 *
 * @example
 * ```ts
 * transforms.concat.run([["a"], ["b"]])      // ["a", "b"]
 * transforms.length.type([T.array(T.string)]) // T.integer
 * ```
 */
import { T, type Type } from "./Type.ts"
import * as V from "./values.ts"
import type { transformFunctions } from "./WorkflowFile.ts"

/**
 * A transform function's name.
 *
 * @example
 * ```ts
 * const f: TransformName = "json_parse"
 * ```
 */
export type TransformName = (typeof transformFunctions)[number]

/**
 * One transform function.
 *
 * @example
 * ```ts
 * const t: TransformDef = transforms.first
 * t.takes // "value": the step's `input` (or its first `inputs` entry)
 * ```
 */
export interface TransformDef {
  readonly name: TransformName
  /**
   * What it is applied to: the list of `inputs` (or `[input]`), one value (`input`, else the first of `inputs`), or the
   * rendered `template`.
   */
  readonly takes: "list" | "value" | "template"
  /** The result type, from the types of `inputs` (or `[input]`). */
  readonly type: (inputs: ReadonlyArray<Type>) => Type
  /** Name of the function in `values.ts` (generated code calls `Y.<runtime>`); undefined: the argument itself. */
  readonly runtime: "concat" | "merge" | "jsonParse" | "length" | "first" | undefined
  readonly run: (arg: unknown) => unknown
}

const same = (a: Type, b: Type) => JSON.stringify(a) === JSON.stringify(b)

/**
 * Every transform function by name.
 *
 * @example
 * ```ts
 * transforms.template.takes // "template"
 * ```
 */
export const transforms: { readonly [K in TransformName]: TransformDef } = {
  concat: {
    name: "concat",
    takes: "list",
    type: (types) => {
      if (types.length > 0 && types.every((t) => t.kind === "array")) {
        const items = types.map((t) => (t as { readonly items: Type }).items)
        return T.array(items.every((i) => same(i, items[0]!)) ? items[0]! : T.unknown)
      }
      if (types.length > 0 && types.every((t) => t.kind === "string" || t.kind === "literal")) return T.string
      return T.array(T.unknown)
    },
    runtime: "concat",
    run: (xs) => V.concat(xs as ReadonlyArray<unknown>)
  },
  merge: { name: "merge", takes: "list", type: () => T.object({}, true), runtime: "merge", run: (xs) => V.merge(xs as ReadonlyArray<unknown>) },
  template: { name: "template", takes: "template", type: () => T.string, runtime: undefined, run: (s) => s },
  json_parse: { name: "json_parse", takes: "value", type: () => T.unknown, runtime: "jsonParse", run: V.jsonParse },
  length: { name: "length", takes: "value", type: () => T.integer, runtime: "length", run: V.length },
  first: { name: "first", takes: "value", type: (types) => (types[0]?.kind === "array" ? types[0].items : T.unknown), runtime: "first", run: V.first },
  identity: { name: "identity", takes: "value", type: (types) => types[0] ?? T.unknown, runtime: undefined, run: (v) => v }
}

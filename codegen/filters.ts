/**
 * The template filters (`{{ value | name(args) }}`), one entry each: how the validator types them, and what they do at
 * run time. The analyzer calls `type`, the interpreter calls `run`, and generated code calls the same function as
 * `Y.<runtime>(value, ...runtimeArgs(args))`, so the three cannot disagree.
 *
 * @example
 * ```ts
 * filters.upper.type(T.integer, [])              // T.string
 * filters.join.run(["a", "b"], [" / "])          // "a / b"
 * filters.default.runtimeArgs([])                // [null]
 * ```
 */
import { assignable, isArrayLike, showType, T, type Type } from "./Type.ts"
import type { FilterName, Literal } from "./Template.ts"
import * as V from "./values.ts"

/**
 * One filter: its typing, its run-time function and how its arguments are passed to it.
 *
 * @example
 * ```ts
 * const f: FilterDef = filters.length
 * f.type(T.array(T.string), [], "docs") // T.integer
 * ```
 */
export interface FilterDef {
  readonly name: FilterName
  /**
   * The type of `value | name(args)` for a value of type `input` (named `label` in messages), or why the filter does
   * not apply.
   */
  readonly type: (input: Type, args: ReadonlyArray<Literal>, label: string) => Type | { readonly error: string }
  /** Name of the function in `values.ts` (generated code calls `Y.<runtime>`). */
  readonly runtime: keyof typeof V
  /** The arguments passed to the run-time function after the value. */
  readonly runtimeArgs: (args: ReadonlyArray<Literal>) => ReadonlyArray<unknown>
  /** Applies the filter. */
  readonly run: (value: unknown, args: ReadonlyArray<Literal>) => unknown
}

const literalType = (v: Literal): Type => (v === null ? T.null : T.literal([v]))

const text = (name: "json" | "upper" | "lower" | "trim"): FilterDef => ({
  name,
  type: () => T.string,
  runtime: name,
  runtimeArgs: () => [],
  run: (v) => V[name](v)
})

/**
 * Every filter by name.
 *
 * @example
 * ```ts
 * Object.keys(filters) // ["json", "join", "default", "upper", "lower", "trim", "length"]
 * ```
 */
export const filters: { readonly [K in FilterName]: FilterDef } = {
  json: text("json"),
  join: {
    name: "join",
    type: (t, _args, label) => (isArrayLike(t) ? T.string : { error: `filter join needs a list, but ${label} is ${showType(t)}` }),
    runtime: "join",
    runtimeArgs: (args) => (args.length > 0 ? [String(args[0])] : []),
    run: (v, args) => V.join(v, args.length > 0 ? String(args[0]) : undefined)
  },
  default: {
    name: "default",
    // The value when it is there, else the argument: the value's type when the argument fits it, else unknown.
    type: (t, args) =>
      args.length !== 1
        ? { error: `filter default takes one argument: default("value")` }
        : assignable(literalType(args[0]!), t)
        ? t
        : T.unknown,
    runtime: "withDefault",
    runtimeArgs: (args) => [args[0] ?? null],
    run: (v, args) => V.withDefault(v, args[0] ?? null)
  },
  upper: text("upper"),
  lower: text("lower"),
  trim: text("trim"),
  length: {
    name: "length",
    type: () => T.integer,
    runtime: "length",
    runtimeArgs: () => [],
    run: (v) => V.length(v)
  }
}

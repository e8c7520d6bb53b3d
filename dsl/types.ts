/**
 * Type-level machinery of the builder. Outputs accumulate as a union of small `Entry<Id, A>` records (cheaper for the
 * checker than a growing intersection); each compile-time check is a parameter type that equals the argument when it is
 * valid and a message string when it is not, so the compiler prints the message as the expected type. Context that a
 * message needs (the known ids) travels as a type argument, never joined into a string on the happy path.
 */

/**
 * One step's output in the accumulated union: `Entry<"embed", ReadonlyArray<number>>`.
 *
 * @example
 * ```ts
 * type E = Entry<"embed", ReadonlyArray<number>> // { readonly id: "embed"; readonly value: ReadonlyArray<number> }
 * ```
 */
export interface Entry<Id extends string, A> {
  readonly id: Id
  readonly value: A
}

/**
 * The ids of a union of entries.
 *
 * @example
 * ```ts
 * type Ids = IdsOf<Entry<"a", number> | Entry<"b", string>> // "a" | "b"
 * ```
 */
export type IdsOf<V> = V extends { readonly id: infer K extends string } ? K : never

/**
 * The output type of id `K` in a union of entries.
 *
 * @example
 * ```ts
 * type B = Lookup<Entry<"a", number> | Entry<"b", string>, "b"> // string
 * ```
 */
export type Lookup<V, K> = V extends Entry<infer Id, infer A> ? (K extends Id ? A : never) : never

/**
 * The record of outputs of a union of entries: `{ embed: ...; search: ... }`.
 *
 * @example
 * ```ts
 * type O = Outputs<Entry<"a", number> | Entry<"b", string>> // { readonly a: number; readonly b: string }
 * ```
 */
export type Outputs<Out> = { readonly [P in Out & Entry<string, unknown> as P["id"]]: P["value"] }

/**
 * Shown when a need names no earlier step; the second argument lists the ids that are known at that point.
 *
 * @example
 * ```ts
 * type M = UnknownStep<"serach", "embed" | "search"> // "Unknown step 'serach'" (with the known ids attached)
 * ```
 */
export type UnknownStep<S extends string, Known extends string> = `Unknown step '${S}'` & { readonly __knownSteps?: Known }

/**
 * Each need must name an earlier step (so a cycle cannot be written).
 *
 * @example
 * ```ts
 * type Ok = CheckNeeds<["a"], "a" | "b"> // readonly ["a"]
 * type Bad = CheckNeeds<["c"], "a" | "b"> // readonly [UnknownStep<"c", "a" | "b">]
 * ```
 */
export type CheckNeeds<Needs extends ReadonlyArray<string>, Known extends string> = {
  readonly [K in keyof Needs]: Needs[K] extends Known ? Needs[K] : UnknownStep<Needs[K], Known>
}

/**
 * A new id must not be `input` nor repeat an earlier id.
 *
 * @example
 * ```ts
 * type Ok = CheckId<"c", "a" | "b"> // "c"
 * type Dup = CheckId<"a", "a" | "b"> // "Duplicate step id 'a'"
 * ```
 */
export type CheckId<Id extends string, Known extends string> = Id extends "input" ? `Step id 'input' is reserved for the workflow input`
  : string extends Id ? `Step id must be a string literal`
  : Id extends Known ? `Duplicate step id '${Id}'`
  : Id

type LastOf<U> = (U extends unknown ? (x: () => U) => void : never) extends (x: infer L) => void ? L extends () => infer R ? R : never
  : never

/**
 * Joins a small union of strings with ", " (used for branch cases only: never on the per-step happy path).
 *
 * @example
 * ```ts
 * type S = Join<"a" | "b"> // "a, b"
 * ```
 */
export type Join<U extends string, Acc extends string = ""> = [U] extends [never] ? Acc
  : LastOf<U> extends infer L extends string ? Join<Exclude<U, L>, Acc extends "" ? L : `${L}, ${Acc}`>
  : Acc

/**
 * A branch must cover every value its `on` can return, and nothing else.
 *
 * @example
 * ```ts
 * type Missing = CheckBranch<"route", never, "safe" | "unsafe", { safe: unknown }> // "Branch 'route' is missing case(s): unsafe"
 * ```
 */
export type CheckBranch<Id extends string, Known extends string, L extends string, Cases> = CheckId<Id, Known> extends Id
  ? [Exclude<L, keyof Cases>] extends [never]
    ? [Exclude<keyof Cases, L>] extends [never] ? Id
    : `Branch '${Id}' has unknown case(s): ${Join<Exclude<keyof Cases, L> & string>}`
  : `Branch '${Id}' is missing case(s): ${Join<Exclude<L, keyof Cases>>}`
  : CheckId<Id, Known>

/**
 * The context handed to a step: the workflow input plus exactly the declared needs.
 *
 * @example
 * ```ts
 * type C = Ctx<{ q: string }, Entry<"a", number> | Entry<"b", string>, "a"> // { readonly input: { q: string }; readonly a: number }
 * ```
 */
export type Ctx<I, V, N extends string> = { readonly [K in "input" | N]: K extends "input" ? I : Lookup<V, K> }

/**
 * A loop state inferred as a single literal (`initial: () => 0`) is widened to its primitive (`number`).
 *
 * @example
 * ```ts
 * type S = Widen<0> // number
 * ```
 */
export type Widen<S> = S extends string ? string : S extends number ? number : S extends boolean ? boolean : S

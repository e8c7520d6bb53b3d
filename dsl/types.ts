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
 * Each need must name an earlier step (so a cycle cannot be written). A need that does not is checked against a message
 * that carries the ids known at that point: `"Unknown step 'serach' in needs" & { "known steps here"?: "embed" | "search" }`.
 * The list is a type, not joined into the text: the compiler instantiates this type for every step while it infers
 * the needs, and a joined list would cost a join per step on the happy path.
 *
 * @example
 * ```ts
 * type Ok = CheckNeeds<["a"], "a" | "b"> // readonly ["a"]
 * type Bad = CheckNeeds<["c"], "a" | "b"> // readonly ["Unknown step 'c' in needs" & { "known steps here"?: "a" | "b" }]
 * ```
 */
export type CheckNeeds<Needs extends ReadonlyArray<string>, Known extends string> = {
  readonly [K in keyof Needs]: Needs[K] extends Known ? Needs[K]
    : & `Unknown step '${Needs[K]}' in needs`
      & { readonly "known steps here"?: [Known] extends [never] ? "none (no step comes before this one)" : Known }
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

/** How many ids a message lists before it cuts the list with "…". */
export type MaxListed = 10

/**
 * Like {@link Join}, listing at most {@link MaxListed} members (the last ones, after "…, "): safe on a union of
 * thousands of ids. For error messages only.
 *
 * @example
 * ```ts
 * type S = JoinCapped<"a" | "b"> // "a, b"
 * ```
 */
export type JoinCapped<U extends string, Acc extends string = "", N extends ReadonlyArray<0> = []> = [U] extends [never] ? Acc
  : N["length"] extends MaxListed ? `…, ${Acc}`
  : LastOf<U> extends infer L extends string ? JoinCapped<Exclude<U, L>, Acc extends "" ? L : `${L}, ${Acc}`, [...N, 0]>
  : Acc

/**
 * A branch must cover every value its `on` can return, and nothing else.
 *
 * @example
 * ```ts
 * type Missing = CheckBranch<"route", never, "safe" | "unsafe", { safe: unknown }> // "Branch 'route' is missing case(s) for: unsafe (...)"
 * ```
 */
export type CheckBranch<Id extends string, Known extends string, L extends string, Cases> = CheckId<Id, Known> extends Id
  // Before the cases are inferred the compiler checks the id against their constraint (any name): let that pass.
  ? string extends keyof Cases ? Id
  : [Exclude<L, keyof Cases>] extends [never]
    ? [Exclude<keyof Cases, L>] extends [never] ? Id
    : DeadCases<Id, Exclude<keyof Cases, L> & string>
  : `Branch '${Id}' is missing case(s) for: ${Join<Exclude<L, keyof Cases>>} (each value 'on' can return needs a case)`
  : CheckId<Id, Known>

/**
 * The message for branch cases that `on` can never return (dead code), shared by the builder and the record form.
 *
 * @example
 * ```ts
 * type M = DeadCases<"route", "maybe"> // "Branch 'route' has case(s) that 'on' never returns: maybe (remove them, or return them from 'on')"
 * ```
 */
export type DeadCases<Id extends string, Dead extends string> =
  `Branch '${Id}' has case(s) that 'on' never returns: ${Join<Dead>} (remove them, or return them from 'on')`

/**
 * The key of the hint added to every `ctx` type, so that "Property 'x' does not exist on type ..." also says how to
 * make it exist. Optional and `never`: it cannot be read as a value.
 *
 * @example
 * ```ts
 * // Property 'embed' does not exist on type '{ readonly input: ...; readonly search: string; } &
 * //   { readonly "(to read another step's output, add its id to needs)"?: never; }'
 * ```
 */
export type NeedsHint = "(to read another step's output, add its id to needs)"

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
 * The body of a loop must return its state type (what `initial` returns, widened): checked on the loop's id, so the
 * message is one sentence instead of a comparison of two Effect types.
 *
 * @example
 * ```ts
 * type Bad = CheckLoop<"refine", never, string, { text: string }> // "Loop 'refine': its body must return the state type that 'initial' returns"
 * ```
 */
export type CheckLoop<Id extends string, Known extends string, A, S> = CheckId<Id, Known> extends Id
  ? [A] extends [S | NotInferredYet] ? Id : `Loop '${Id}': its body must return the state type that 'initial' returns (the state cannot change type)`
  : CheckId<Id, Known>

declare const NotInferredYet: unique symbol
/**
 * The default of a type parameter inferred from a callback's return type. The compiler first checks the arguments
 * that are not callbacks, with such parameters at their default: a check on an earlier argument must let this type
 * pass, or it would fail before the callback is even looked at.
 *
 * @example
 * ```ts
 * // loop<..., A2 = NotInferredYet>(id: CheckLoop<Id, Known, A2, S>, options, body: (...) => Effect<A2>)
 * ```
 */
export interface NotInferredYet {
  readonly [NotInferredYet]: "the type of a callback's result, before inference"
}

/**
 * A loop state inferred as a single literal (`initial: () => 0`) is widened to its primitive (`number`).
 *
 * @example
 * ```ts
 * type S = Widen<0> // number
 * ```
 */
export type Widen<S> = S extends string ? string : S extends number ? number : S extends boolean ? boolean : S

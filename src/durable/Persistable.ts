/**
 * The compile-time half of "a step's output must be storable": a durable run stores each step's output in its
 * journal, encoded with the step's output Schema, or as JSON when the step declares none (a `step` without `output`, a
 * `map`, a `loop`). For those, the value's type must be JSON: `Durable.start` / `run` / `register` on a workflow
 * whose such step returns a function, a Date, a Map or Set, a bigint, an Effect, a Promise, a typed array or a
 * possibly-`undefined` value does not compile, and the message names the step, where in the value, and the fix. The
 * steps inside branch cases and called sub-workflows are checked too (each is journaled on its own), named by their
 * path: `route/bug/draft`, `research/search`.
 *
 * Types cannot tell a plain object from a class instance with only data fields: such an instance still fails when the
 * step returns, with `NotPersistable` (see `codec.ts`), before anything is stored.
 *
 * @example
 * ```ts
 * const wf = Workflow.make("w", { input: Schema.Struct({}) }).step("at", () => Effect.sync(() => new Date()))
 * // Durable.start(wf, {}) does not compile:
 * // "Step 'at' cannot be stored by a durable run: value is a Date. Declare `output: <Schema>` on it ..."
 * type P = Durable.Problems<typeof wf> // that message
 * ```
 */
import type { Effect } from "effect"
import type { JsonEntry, NestedEntry, Scoped, Workflow } from "../../dsl/Workflow.ts"

type Depth = ReadonlyArray<0>

/** Where in `T` a value stops being JSON (`value.items[number].at is a Date`), as a union of reasons; never when JSON. */
type NonJson<T, P extends string, D extends Depth> = 0 extends 1 & T ? never
  : unknown extends T ? never
  // Deep enough: the rest is checked when the step returns.
  : D["length"] extends 6 ? never
  : T extends string | number | boolean | null | undefined ? never
  : T extends bigint ? `${P} is a bigint`
  : T extends symbol ? `${P} is a symbol`
  : T extends (...args: ReadonlyArray<never>) => unknown ? `${P} is a function`
  : T extends Date ? `${P} is a Date`
  : T extends ReadonlyMap<unknown, unknown> ? `${P} is a Map`
  : T extends ReadonlySet<unknown> ? `${P} is a Set`
  : T extends Effect.Effect<unknown, unknown, unknown> ? `${P} is an Effect (yield* it inside the step)`
  : T extends PromiseLike<unknown> ? `${P} is a Promise`
  : T extends ArrayBufferView | ArrayBufferLike ? `${P} is binary data`
  : T extends ReadonlyArray<infer E> ? NonJson<E, `${P}[number]`, [...D, 0]>
  : T extends object ? { [K in keyof T & string]-?: NonJson<T[K], `${P}.${K}`, [...D, 0]> }[keyof T & string]
  : never

type Reasons<A> = 0 extends 1 & A ? never
  : unknown extends A ? never
  : (undefined extends A ? "value may be undefined" : never) | NonJson<A, "value", []>

type Message<Id extends string, Why extends string> =
  `Step '${Id}' cannot be stored by a durable run: ${Why}. Declare \`output: <Schema>\` on it (a Schema encodes the value to JSON), or return JSON (strings, numbers, booleans, null, arrays, plain objects)`

type OutOf<W> = W extends Workflow<any, any, infer Out, any, any, any, any> ? Out : never

/** The messages of the entries `Out` whose steps sit at `Path` (`""` at the top, `"route/bug/"` in a branch case). */
type EntryProblems<Out, Path extends string, D extends Depth> = Out extends JsonEntry<infer Id, infer A>
  ? Reasons<A> extends infer Why extends string ? [Why] extends [never] ? never : Message<`${Path}${Id}`, Why> : never
  // A branch's cases and a sub-workflow's steps are journaled one by one too, under `branch/case/step`, `call/step`.
  : D["length"] extends 8 ? never
  : Out extends NestedEntry<infer Id, any, any, infer Inner>
    ? Inner extends Scoped<infer Prefix, infer InnerOut> ? EntryProblems<InnerOut, `${Path}${Id}/${Prefix}`, [...D, 0]> : never
  : never

/**
 * The steps of `W` whose output a durable run cannot store, one message each, naming the step by its path (`at`,
 * `route/bug/draft` in a branch case, `research/search` in a sub-workflow); `never` when every output can be.
 *
 * @example
 * ```ts
 * type P = Durable.Problems<typeof wf> // "Step 'at' cannot be stored by a durable run: value is a Date. ..."
 * ```
 */
export type Problems<W> = EntryProblems<OutOf<W>, "", []>

/**
 * `W` when every step output of it can be stored by a durable run, else the messages of {@link Problems} (so passing
 * the workflow does not compile, and the compiler prints them).
 *
 * @example
 * ```ts
 * declare const start: <W extends Workflow.Any>(workflow: Durable.Persistable<W>) => void
 * ```
 */
export type Persistable<W> = [Problems<W>] extends [never] ? W : Problems<W>

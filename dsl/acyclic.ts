/**
 * Type-level acyclicity of a record-form workflow. Two encodings, both sound:
 *
 * - **Without `levels`** (hand-written records): Kahn's algorithm as a tail-recursive conditional type. Each round
 *   removes the steps whose needs are all done; the rounds are as many as the longest chain of needs, each costs the
 *   steps left. Cheap for the records people write by hand (a 100-step record adds a few ms); past {@link MaxRounds}
 *   rounds the check stops and asks for `levels` rather than fail with TS2589. On the 1,000-step generated module
 *   (10 chains of 100) it doubled the check time, so generated code does not use it.
 * - **With `levels`** (generated code, very large records): a number per step, greater than the numbers of its needs
 *   (the codegen emits each step's depth). A cycle cannot be numbered that way, and each need is one comparison of two
 *   numbers, so the check is linear whatever the depth of the graph (about 60 ms for 1,000 steps). A topological
 *   `order` tuple was tried first: walking it needs a tuple slice per step, and each slice length is a new tuple type
 *   with that many type parameters, which is quadratic (0.3 M types and +1 s at 1,000 steps).
 *
 * Only the error path prints a cycle: when a step is stuck, a walk along stuck needs finds a node that repeats, and the
 * message flags that one step (not every step of the cycle) with the path, capped at {@link MaxPath} ids.
 */
import type { JoinCapped } from "./types.ts"

/**
 * The graph of a record: each step id mapped to the needs that are step ids (external ids and unknown needs are left
 * out: they cannot be part of a cycle, and unknown needs have their own message).
 *
 * @example
 * ```ts
 * type G = NeedGraph<{ a: { needs: ["b"] }; b: {} }> // { a: "b"; b: never }
 * ```
 */
export type NeedGraph<Steps> = {
  readonly [K in keyof Steps]: Steps[K] extends { readonly needs: ReadonlyArray<infer N> } ? Extract<N, keyof Steps> : never
}

/**
 * Longest chain of needs checked without `levels`; a deeper record gets a message asking for `levels` (see
 * `Workflow.fromRecord`), since the per-round cost grows with the depth.
 */
export type MaxRounds = 200

/** Ids printed in a cycle before it is cut with "…". */
export type MaxPath = 8

type ReadyOf<G, Left extends keyof G, Done> = { [K in Left]: [G[K]] extends [Done] ? K : never }[Left]

type Kahn<G, Left extends keyof G, Done, Rounds extends ReadonlyArray<0>> = [Left] extends [never] ? never
  : Rounds["length"] extends MaxRounds ? { readonly tooDeep: true }
  : ReadyOf<G, Left, Done> extends infer Ready extends keyof G
    ? [Ready] extends [never] ? { readonly stuck: Left } : Kahn<G, Exclude<Left, Ready>, Done | Ready, [...Rounds, 0]>
  : never

type LastOf<U> = (U extends unknown ? (x: () => U) => void : never) extends (x: infer L) => void ? L extends () => infer R ? R
  : never
  : never

/** From a stuck step, follow stuck needs until a step repeats; returns the path from the repeated step back to it. */
type FindCycle<G, Stuck extends keyof G, At extends keyof G, Path extends ReadonlyArray<keyof G>> = At extends Path[number]
  ? [...DropUntil<Path, At>, At]
  : FindCycle<G, Stuck, LastOf<Extract<G[At], Stuck>> & keyof G, [...Path, At]>

type DropUntil<Path extends ReadonlyArray<unknown>, At> = Path extends readonly [infer H, ...infer T]
  ? H extends At ? Path : DropUntil<T, At>
  : Path

type Arrows<P extends ReadonlyArray<unknown>, N extends ReadonlyArray<0> = []> = P extends readonly [infer H extends string, ...infer T]
  ? T extends readonly [] ? H
  : N["length"] extends MaxPath ? `${H} -> …`
  : `${H} -> ${Arrows<T, [...N, 0]>}`
  : ""

/**
 * The step flagged for a cycle (one of its nodes) and the message written on its `needs`.
 *
 * @example
 * ```ts
 * type C = CycleOf<NeedGraph<{ a: { needs: ["b"] }; b: { needs: ["a"] } }>, "a" | "b">
 * // { readonly step: "a"; readonly message: "Cycle in needs: a -> b -> a (remove one of these needs)" }
 * ```
 */
export type CycleOf<G, Stuck extends keyof G> = FindCycle<G, Stuck, LastOf<Stuck> & keyof G, []> extends
  infer C extends ReadonlyArray<unknown>
  ? { readonly step: C[0]; readonly message: `Cycle in needs: ${Arrows<C>} (remove one of these needs)` }
  : never

/**
 * What is wrong with the graph: `{ step, message }` for the step to flag, `{ levels }` for a message on `levels`
 * itself, or `never` when the graph is acyclic (and `levels`, when given, numbers every step above its needs).
 *
 * @example
 * ```ts
 * type Ok = GraphProblem<{ a: { needs: ["b"] }; b: {} }, undefined> // never
 * type Bad = GraphProblem<{ a: { needs: ["a"] } }, undefined> // { step: "a"; message: "Cycle in needs: a -> a (...)" }
 * ```
 */
export type GraphProblem<Steps, Levels> = [Levels] extends [undefined] ? KahnProblem<NeedGraph<Steps>>
  : LevelsProblem<NeedGraph<Steps>, Levels>

type KahnProblem<G> = Kahn<G, keyof G, never, []> extends infer R
  ? [R] extends [never] ? never
  : R extends { readonly stuck: infer S extends keyof G } ? CycleOf<G, S>
  : {
    readonly levels:
      `Needs nested deeper than ${MaxRounds} steps: pass 'levels' (a number per step, above its needs' numbers) for a linear check`
  }
  : never

type DigitBelow = {
  "0": never
  "1": "0"
  "2": "0" | "1"
  "3": "0" | "1" | "2"
  "4": "0" | "1" | "2" | "3"
  "5": "0" | "1" | "2" | "3" | "4"
  "6": "0" | "1" | "2" | "3" | "4" | "5"
  "7": "0" | "1" | "2" | "3" | "4" | "5" | "6"
  "8": "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7"
  "9": "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8"
}
type LengthOrder<A extends string, B extends string> = A extends `${infer _}${infer AR}`
  ? B extends `${infer _}${infer BR}` ? LengthOrder<AR, BR> : "longer"
  : B extends "" ? "same"
  : "shorter"
type DigitsBelow<A extends string, B extends string> = A extends `${infer a}${infer AR}`
  ? B extends `${infer b}${infer BR}` ? a extends b ? DigitsBelow<AR, BR> : a extends DigitBelow[b & keyof DigitBelow] ? true : false
  : false
  : false

/**
 * `A < B` for non-negative integer literals, digit by digit (a handful of instantiations, whatever the values).
 *
 * @example
 * ```ts
 * type T = Below<9, 10> // true
 * type F = Below<10, 10> // false
 * ```
 */
export type Below<A extends number, B extends number> = LengthOrder<`${A}`, `${B}`> extends infer O
  ? O extends "shorter" ? true : O extends "same" ? DigitsBelow<`${A}`, `${B}`> : false
  : never

// (`K extends keyof Levels ? Levels[K]` rather than `Levels[K & keyof Levels]`: intersecting with a 1,000-key union
// distributes over it, once per step.)
type NotAbove<G, Levels> = {
  readonly [K in keyof G]: K extends keyof Levels ? NeedsNotBelow<G[K], Levels, Levels[K] & number> : never
}
type NeedsNotBelow<N, Levels, Level extends number> = N extends keyof Levels
  ? Below<Levels[N] & number, Level> extends true ? never : N
  : never

type LevelsProblem<G, Levels> = NotAbove<G, Levels> extends infer Bad
  ? [Bad[keyof Bad]] extends [never] ? never
  : KahnProblem<G> extends infer P ? [P] extends [never] ? {
        readonly [K in keyof Bad]: [Bad[K]] extends [never] ? never : {
          readonly step: K
          readonly message: `'levels' must number '${K & string}' above its need(s) ${JoinCapped<Bad[K] & string>}`
        }
      }[keyof Bad]
    : P
  : never
  : never

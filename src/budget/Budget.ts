/**
 * Budgets: a cap on what a run (or any effect) may spend on language-model and embedding calls, in US dollars and/or
 * tokens, aggregated over everything inside it (parallel steps, map items, sub-workflows). Each call reserves its worst
 * case before it is sent and settles after (see `BudgetLedger`), so the budget stops a runaway loop or a wide fan-out
 * at the call that would pass it, never after the money is spent: that call fails with `BudgetExceeded` (naming the
 * step and the spend) and a `BudgetExceeded` reliability event is published.
 *
 * A budget is a plain value; `Workflow.execute(wf, input, { budget })` applies it per run, {@link limit} around any
 * effect, and YAML workflows take the same `budget: { usd, tokens }` key.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Budget } from "llm-orchestrator/budget"
 * const capped = Workflow.execute(wf, input).pipe(Budget.limit({ usd: 0.5, tokens: 200_000 }))
 * const [result, spend] = yield* Budget.track({ usd: 0.5 }, Workflow.execute(wf, input))
 * spend.usd // what the run spent
 * ```
 */
import { Effect, Schema } from "effect"
import { CallGate, none } from "../llm/CallGate.ts"
import { Prices } from "../providers/Pricing.ts"
import * as BudgetLedger from "./BudgetLedger.ts"

/**
 * A budget: limits plus how to bound calls that set no output limit.
 *
 * @example
 * ```ts
 * const budget: Budget.Budget = { usd: 0.5, tokens: 200_000, maxOutputTokens: 2048 }
 * ```
 */
export interface Budget extends BudgetLedger.Limits {
  /** Output limit for chat calls that set none (default 4096); such calls are sent with it. */
  readonly maxOutputTokens?: number | undefined
}

/**
 * The Schema of a budget in YAML and settings files: `{ usd?: number > 0, tokens?: integer > 0, maxOutputTokens?: integer > 0 }`,
 * at least one of `usd` and `tokens`.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(Budget.Schema)({ usd: 0.5, tokens: 200000 })
 * ```
 */
export const Schema_ = Schema.Struct({
  usd: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0))),
  tokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
  maxOutputTokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0)))
}).check(Schema.makeFilter((b) => b.usd !== undefined || b.tokens !== undefined || "a budget needs usd or tokens"))
  .annotate({ identifier: "Budget", description: "Spending limits of one run: US dollars and/or tokens" })
export { Schema_ as Schema }

/**
 * A ledger for `budget` at the prices in context (`Pricing.Prices`), charged inside the current gate too (so budgets
 * nest: the inner one and the outer one must both admit each call).
 *
 * @example
 * ```ts
 * const ledger = yield* Budget.ledger({ usd: 1 })
 * ```
 */
export const ledger = (budget: Budget): Effect.Effect<BudgetLedger.Ledger> =>
  Effect.withFiber((fiber) => {
    const parent = fiber.getRef(CallGate)
    return Effect.succeed(BudgetLedger.make(budget, {
      prices: fiber.getRef(Prices),
      defaultMaxTokens: budget.maxOutputTokens,
      parent: parent === none ? undefined : parent
    }))
  })

/**
 * Runs `self` under `budget` and returns its result with what it spent (also when it fails, through `onSpend`).
 *
 * @example
 * ```ts
 * const [outputs, spend] = yield* Budget.track({ tokens: 50_000 }, Workflow.run(wf, input))
 * ```
 */
export const track = <A, E, R>(
  budget: Budget,
  self: Effect.Effect<A, E, R>,
  options?: { readonly onSpend?: ((spend: BudgetLedger.Spend) => Effect.Effect<void>) | undefined }
): Effect.Effect<readonly [A, BudgetLedger.Spend], E, R> =>
  Effect.flatMap(ledger(budget), (l) =>
    self.pipe(
      Effect.provideService(CallGate, l.gate()),
      Effect.onExit(() => (options?.onSpend === undefined ? Effect.void : options.onSpend(l.spend()))),
      Effect.map((a) => [a, l.spend()] as const)
    ))

/**
 * Runs `self` under `budget`: every language-model and embedding call inside it is charged to one ledger, and a call
 * that does not fit fails with `BudgetExceeded` before it is sent.
 *
 * @example
 * ```ts
 * Workflow.run(wf, input).pipe(Budget.limit({ usd: 0.25 }))
 * ```
 */
export const limit = (budget: Budget) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.map(track(budget, self), ([a]) => a)

/**
 * A workflow's daily budget: a cap on what all of one workflow's runs may spend in a day (UTC), in US dollars and/or
 * tokens, kept in the run store so it holds across restarts and across every process that shares the store (servers,
 * workers). Like a run's budget (`BudgetLedger`), each call reserves its worst case before it is sent and settles to
 * its real usage after, but the check-and-add is one statement in the store (`RunStore.reserveSpend`), so two
 * processes never both take the last room. A call that does not fit fails with `BudgetExceeded` (`budget: "daily"`,
 * naming the step, the workflow, the day and the spend) before anything is sent, and the run fails with it.
 *
 * The day is read from the `Clock` when each call is admitted: a run that crosses midnight charges its later calls to
 * the new day. A call in flight when its process dies keeps its reservation for the rest of that day (it may have
 * been sent; the budget errs on the side of not overspending).
 *
 * @example
 * ```ts
 * import { DailyBudget } from "llm-orchestrator/budget"
 * const gate = DailyBudget.gate(store, { workflow: "triage", usd: 5 }, { prices: Pricing.defaults, clock })
 * yield* Workflow.run(wf, input).pipe(Effect.provideService(CallGate.CallGate, gate))
 * ```
 */
import { type Clock, Context, Effect, Schema } from "effect"
import type { Admission, Call, Gate } from "../llm/CallGate.ts"
import { BudgetExceeded, type Usage } from "../llm/LlmError.ts"
import type { PriceTable } from "../providers/Pricing.ts"
import * as ReliabilityEvent from "../reliability/ReliabilityEvent.ts"
import type { RunStoreShape, SpendAmount, SpendKey, SpendRow } from "../store/RunStoreShape.ts"
import { formatUsd, priceOf, worstCase } from "./BudgetLedger.ts"

/**
 * The daily limits of one workflow; either or both.
 *
 * @example
 * ```ts
 * const daily: DailyBudget.Daily = { workflow: "triage", usd: 5, tokens: 2_000_000 }
 * ```
 */
export interface Daily {
  readonly workflow: string
  readonly usd?: number | undefined
  readonly tokens?: number | undefined
  /** Output limit for chat calls that set none (default 4096); such calls are sent with it. */
  readonly maxOutputTokens?: number | undefined
}

/**
 * The Schema of a daily budget in settings (`{ usd?, tokens?, maxOutputTokens? }`, at least one of `usd` and `tokens`),
 * without the workflow (the key it is configured under).
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(DailyBudget.Limits)({ usd: 5 })
 * ```
 */
export const Limits = Schema.Struct({
  usd: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0))),
  tokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
  maxOutputTokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0)))
}).check(Schema.makeFilter((b) => b.usd !== undefined || b.tokens !== undefined || "a daily budget needs usd or tokens"))
  .annotate({ identifier: "DailyBudget", description: "Spending limits of one workflow per day (UTC): US dollars and/or tokens" })
/** The type of {@link Limits}. */
export type Limits = typeof Limits.Type

/**
 * The daily budgets of the workflows a server starts runs of, by workflow name (`serve`'s `server.daily_budgets`,
 * `Backend.layer({ dailyBudgets })`); none by default.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provideService(DailyBudget.Configured, { triage: { usd: 5 } }))
 * ```
 */
export const Configured: Context.Reference<Readonly<Record<string, Limits>>> = Context.Reference("llm-orchestrator/DailyBudget/Configured", {
  defaultValue: () => ({})
})

/**
 * The UTC day (`YYYY-MM-DD`) of an instant.
 *
 * @example
 * ```ts
 * DailyBudget.dayOf(Date.UTC(2026, 11, 1, 23, 59)) // "2026-12-01"
 * ```
 */
export const dayOf = (millis: number): string => new Date(millis).toISOString().slice(0, 10)

/**
 * The store ledger of `workflow`'s daily budget on `day`.
 *
 * @example
 * ```ts
 * yield* store.spend(DailyBudget.keyOf("triage", "2026-12-01"))
 * ```
 */
export const keyOf = (workflow: string, day: string): SpendKey => ({ scope: `workflow:${workflow}`, day })

/**
 * What a workflow's daily budget stands at on `day` (today by the `Clock` when absent).
 *
 * @example
 * ```ts
 * const today = yield* DailyBudget.status(store, { workflow: "triage", usd: 5 })
 * today.spentUsd // 1.23
 * ```
 */
export const status = (store: RunStoreShape, daily: Daily, clock: Clock.Clock, day?: string | undefined) =>
  Effect.gen(function*() {
    const d = day ?? dayOf(clock.currentTimeMillisUnsafe())
    const row = yield* store.spend(keyOf(daily.workflow, d))
    return {
      workflow: daily.workflow,
      day: d,
      ...(daily.usd === undefined ? {} : { limitUsd: daily.usd }),
      ...(daily.tokens === undefined ? {} : { limitTokens: daily.tokens }),
      spentUsd: row?.spentUsd ?? 0,
      spentTokens: row?.spentTokens ?? 0,
      reservedUsd: row?.reservedUsd ?? 0,
      reservedTokens: row?.reservedTokens ?? 0,
      calls: row?.calls ?? 0,
      refused: row?.refused ?? 0
    }
  })

const zero: SpendAmount = { usd: 0, tokens: 0 }

/**
 * The gate of `daily` on `store`: every call through it reserves its worst case in today's ledger, or is refused.
 * A store that cannot be reached refuses nothing silently: the call dies with the store's error.
 *
 * @example
 * ```ts
 * const gate = DailyBudget.gate(store, { workflow: "triage", usd: 5 }, { prices, clock })
 * ```
 */
export const gate = (
  store: RunStoreShape,
  daily: Daily,
  options: { readonly prices: PriceTable; readonly clock: Clock.Clock; readonly defaultMaxTokens?: number | undefined }
): Gate => {
  const defaultMaxTokens = options.defaultMaxTokens ?? daily.maxOutputTokens ?? 4096
  const limits = { usd: daily.usd, tokens: daily.tokens }

  const refuse = (call: Call, stepId: string | undefined, day: string, row: SpendRow, amount: SpendAmount) => {
    // The limit the call would pass (USD first, as the run's budget checks it).
    const overUsd = daily.usd !== undefined && row.spentUsd + row.reservedUsd + amount.usd > daily.usd + 1e-9
    const limit = overUsd || daily.tokens === undefined ? "usd" as const : "tokens" as const
    const limitValue = limit === "usd" ? daily.usd! : daily.tokens!
    const where = stepId === undefined ? "" : ` in step '${stepId}'`
    const detail = limit === "usd"
      ? `spent ${formatUsd(row.spentUsd)} and ${formatUsd(row.reservedUsd)} reserved of ${formatUsd(limitValue)} today; this call may cost up to ${formatUsd(amount.usd)}`
      : `spent ${row.spentTokens} and ${row.reservedTokens} reserved of ${limitValue} tokens today; this call may use up to ${amount.tokens}`
    const error = new BudgetExceeded({
      provider: call.provider,
      model: call.model,
      message: `Budget exceeded${where}: the daily budget of workflow '${daily.workflow}' for ${day} refused ${call.operation} ${call.model} before sending (${detail})`,
      ...(stepId === undefined ? {} : { stepId }),
      limit,
      limitValue,
      spentUsd: row.spentUsd,
      spentTokens: row.spentTokens,
      reservedUsd: row.reservedUsd,
      reservedTokens: row.reservedTokens,
      requestedUsd: amount.usd,
      requestedTokens: amount.tokens,
      budget: "daily",
      workflow: daily.workflow,
      day
    })
    return Effect.andThen(ReliabilityEvent.emit({ _tag: "BudgetExceeded", error }), Effect.fail(error))
  }

  return {
    admit: (call, stepId) =>
      Effect.gen(function*() {
        const worst = worstCase(call, options.prices, defaultMaxTokens)
        const amount: SpendAmount = { usd: worst.usd, tokens: worst.tokens }
        const at = options.clock.currentTimeMillisUnsafe()
        const day = dayOf(at)
        const key = keyOf(daily.workflow, day)
        const reserved = yield* Effect.orDie(store.reserveSpend(key, limits, amount, at))
        if (!reserved.admitted) return yield* refuse(call, stepId, day, reserved.row, amount)
        let open = true
        // Settled into the day it was reserved in, whenever the call ends.
        const close = (spent: SpendAmount) =>
          Effect.suspend(() => {
            if (!open) return Effect.void
            open = false
            return Effect.orDie(store.settleSpend(key, amount, spent, options.clock.currentTimeMillisUnsafe()))
          })
        return {
          maxTokens: call.operation === "chat" && call.maxTokens === undefined ? worst.output : undefined,
          settle: (usage: Usage, model: string) =>
            close({ usd: priceOf(options.prices, model, usage.inputTokens, usage.outputTokens), tokens: usage.inputTokens + usage.outputTokens }),
          release: close(zero)
        } satisfies Admission
      })
  }
}

/**
 * The ledger of one budget: what finished calls spent and what calls in flight have reserved. Every call reserves its
 * worst case before it is sent (its output-token limit and estimated input at the model's price) and settles to its
 * real usage when it ends; a call whose worst case does not fit next to the spend and the other reservations is
 * refused with `BudgetExceeded`, so a runaway loop or a wide fan-out makes no call past the limit. Reservation is a
 * synchronous check-and-add, so concurrent calls (parallel steps, map items) can never both take the last room.
 *
 * Invariant: `spent + reserved <= limit` after every admission; a call that reports more than its worst case (a
 * provider ignoring the limit) is charged in full and the calls after it are refused.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BudgetLedger } from "llm-orchestrator/budget"
 * const ledger = BudgetLedger.make({ usd: 0.5 }, { prices: Pricing.defaults })
 * const admission = yield* ledger.admit({ operation: "chat", provider: "openai", model: "gpt-4o", maxTokens: 500, inputTokens: 200 }, "answer")
 * yield* admission.settle({ inputTokens: 180, outputTokens: 90 }, "gpt-4o")
 * ledger.spend().usd // 0.00135
 * ```
 */
import { Effect } from "effect"
import type { Admission, Call, Gate } from "../llm/CallGate.ts"
import { BudgetExceeded, type LlmError, type Usage } from "../llm/LlmError.ts"
import { lookup, type PriceTable } from "../providers/Pricing.ts"
import * as ReliabilityEvent from "../reliability/ReliabilityEvent.ts"

/**
 * The limits of a budget; either or both.
 *
 * @example
 * ```ts
 * const limits: BudgetLedger.Limits = { usd: 0.5, tokens: 200_000 }
 * ```
 */
export interface Limits {
  /** At most this many US dollars, at the price table's prices. */
  readonly usd?: number | undefined
  /** At most this many tokens, input and output together. */
  readonly tokens?: number | undefined
}

/**
 * How the ledger prices calls.
 *
 * @example
 * ```ts
 * const options: BudgetLedger.Options = { prices: Pricing.table({ "my-model": { input: 1, output: 4 } }), defaultMaxTokens: 2048 }
 * ```
 */
export interface Options {
  readonly prices: PriceTable
  /**
   * The output limit given to chat calls that set none (default 4096), so their worst case is bounded: the call is
   * sent with it.
   */
  readonly defaultMaxTokens?: number | undefined
  /** An enclosing gate each call must pass too (a budget inside another, e.g. per run inside per workflow per day). */
  readonly parent?: Gate | undefined
}

/**
 * A ledger's totals.
 *
 * @example
 * ```ts
 * const { usd, tokens, calls }: BudgetLedger.Spend = ledger.spend()
 * ```
 */
export interface Spend {
  readonly usd: number
  readonly tokens: number
  readonly reservedUsd: number
  readonly reservedTokens: number
  /** Calls admitted. */
  readonly calls: number
  /** Calls refused. */
  readonly refused: number
}

/**
 * One budget's ledger; create with {@link make}.
 *
 * @example
 * ```ts
 * const gate: CallGate.Gate = ledger.gate("summarise")   // calls through it are charged to this ledger, named "summarise"
 * ```
 */
export interface Ledger {
  readonly limits: Limits
  /** Reserves `call`'s worst case (or refuses it, naming `stepId`). */
  readonly admit: (call: Call, stepId?: string | undefined) => Effect.Effect<Admission, LlmError>
  /** A gate charging this ledger, with `stepId` in its refusals. */
  readonly gate: (stepId?: string | undefined) => Gate
  readonly spend: () => Spend
}

// Float sums of prices drift by ~1e-17; a call that fits exactly must not be refused for it.
const epsilon = 1e-9

/**
 * USD of `input` and `output` tokens of `model` at `prices` (0 for a model the table does not know).
 *
 * @example
 * ```ts
 * BudgetLedger.priceOf(Pricing.defaults, "gpt-4o", 1000, 200) // 0.0045
 * ```
 */
export const priceOf = (prices: PriceTable, model: string, input: number, output: number): number => {
  const price = lookup(prices, model)
  return price === undefined ? 0 : (input * price.input + output * price.output) / 1_000_000
}

/**
 * The worst case of `call`: its output-token limit (`defaultMaxTokens` for a chat call that sets none, 0 for
 * embeddings), and what input and output may cost and count.
 *
 * @example
 * ```ts
 * BudgetLedger.worstCase({ operation: "chat", provider: "openai", model: "gpt-4o", maxTokens: 400, inputTokens: 100 }, Pricing.defaults, 4096)
 * // { output: 400, usd: 0.00425, tokens: 500 }
 * ```
 */
export const worstCase = (call: Call, prices: PriceTable, defaultMaxTokens: number): { readonly output: number; readonly usd: number; readonly tokens: number } => {
  const output = call.operation === "embeddings" ? 0 : call.maxTokens ?? defaultMaxTokens
  return { output, usd: priceOf(prices, call.model, call.inputTokens, output), tokens: call.inputTokens + output }
}

/**
 * A USD amount as refusals print it.
 *
 * @example
 * ```ts
 * BudgetLedger.formatUsd(0.0045) // "$0.004500"
 * ```
 */
export const formatUsd = (usd: number) => `$${usd.toFixed(usd < 0.01 ? 6 : 4)}`
const fmt = formatUsd

/**
 * A ledger for `limits`.
 *
 * @example
 * ```ts
 * const ledger = BudgetLedger.make({ tokens: 10_000 }, { prices: Pricing.defaults })
 * ```
 */
export const make = (limits: Limits, options: Options): Ledger => {
  const defaultMaxTokens = options.defaultMaxTokens ?? 4096
  const parent = options.parent
  let spentUsd = 0
  let spentTokens = 0
  let reservedUsd = 0
  let reservedTokens = 0
  let calls = 0
  let refused = 0

  const costOf = (model: string, input: number, output: number) => priceOf(options.prices, model, input, output)

  const refuse = (call: Call, stepId: string | undefined, limit: "usd" | "tokens", requestedUsd: number, requestedTokens: number) => {
    refused++
    const limitValue = limit === "usd" ? limits.usd! : limits.tokens!
    const where = stepId === undefined ? "" : ` in step '${stepId}'`
    const detail = limit === "usd"
      ? `spent ${fmt(spentUsd)} and ${fmt(reservedUsd)} reserved of ${fmt(limitValue)}; this call may cost up to ${fmt(requestedUsd)}`
      : `spent ${spentTokens} and ${reservedTokens} reserved of ${limitValue} tokens; this call may use up to ${requestedTokens}`
    const error = new BudgetExceeded({
      provider: call.provider,
      model: call.model,
      message: `Budget exceeded${where}: ${call.operation} ${call.model} refused before sending (${detail})`,
      ...(stepId === undefined ? {} : { stepId }),
      limit,
      limitValue,
      spentUsd,
      spentTokens,
      reservedUsd,
      reservedTokens,
      requestedUsd,
      requestedTokens
    })
    return Effect.andThen(ReliabilityEvent.emit({ _tag: "BudgetExceeded", error }), Effect.fail(error))
  }

  const admitHere = (call: Call, stepId: string | undefined): Effect.Effect<Admission, BudgetExceeded> => {
    const { output, usd: worstUsd, tokens: worstTokens } = worstCase(call, options.prices, defaultMaxTokens)
    if (limits.usd !== undefined && spentUsd + reservedUsd + worstUsd > limits.usd + epsilon) {
      return refuse(call, stepId, "usd", worstUsd, worstTokens)
    }
    if (limits.tokens !== undefined && spentTokens + reservedTokens + worstTokens > limits.tokens) {
      return refuse(call, stepId, "tokens", worstUsd, worstTokens)
    }
    reservedUsd += worstUsd
    reservedTokens += worstTokens
    calls++
    let open = true
    const unreserve = () => {
      reservedUsd = Math.max(0, reservedUsd - worstUsd)
      reservedTokens = Math.max(0, reservedTokens - worstTokens)
    }
    return Effect.succeed({
      maxTokens: call.operation === "chat" && call.maxTokens === undefined ? output : undefined,
      settle: (usage: Usage, model: string) =>
        Effect.sync(() => {
          if (!open) return
          open = false
          unreserve()
          spentUsd += costOf(model, usage.inputTokens, usage.outputTokens)
          spentTokens += usage.inputTokens + usage.outputTokens
        }),
      release: Effect.sync(() => {
        if (!open) return
        open = false
        unreserve()
      })
    })
  }

  const admit: Ledger["admit"] = parent === undefined ? admitHere : (call, stepId) =>
    Effect.flatMap(admitHere(call, stepId), (here) =>
      Effect.matchEffect(parent.admit(call, stepId), {
        // the enclosing budget refused: give this one's reservation back
        onFailure: (e) => Effect.andThen(here.release, Effect.fail(e)),
        onSuccess: (there) =>
          Effect.succeed<Admission>({
            maxTokens: here.maxTokens ?? there.maxTokens,
            settle: (usage, model) => Effect.andThen(here.settle(usage, model), there.settle(usage, model)),
            release: Effect.andThen(here.release, there.release)
          })
      }))

  return {
    limits,
    admit,
    gate: (stepId) => ({ admit: (call) => admit(call, stepId) }),
    spend: () => ({ usd: spentUsd, tokens: spentTokens, reservedUsd, reservedTokens, calls, refused })
  }
}

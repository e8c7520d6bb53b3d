/**
 * The gate every language-model and embedding call passes before it is sent: `admit` sees what the call will be (the
 * provider, model, token limit and an input estimate) and either lets it through, with an {@link Admission} to settle
 * once the usage is known, or refuses it with an `LlmError` (a budget refuses with `BudgetExceeded`). It is a
 * `Context.Reference` whose default admits everything at no cost, so calls outside any budget pay nothing; budgets
 * (`src/budget`) provide one.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CallGate } from "llm-orchestrator"
 * const counting: CallGate.Gate = {
 *   admit: (call) => Effect.sync(() => { console.log("sending", call.model); return CallGate.open })
 * }
 * program.pipe(Effect.provideService(CallGate.CallGate, counting))
 * ```
 */
import { Context, Effect } from "effect"
import type { LlmError, Usage } from "./LlmError.ts"

/**
 * What a call will be, as the gate sees it before sending.
 *
 * @example
 * ```ts
 * const call: CallGate.Call = { operation: "chat", provider: "openai", model: "gpt-4o-mini", maxTokens: 200, inputTokens: 40 }
 * ```
 */
export interface Call {
  readonly operation: "chat" | "embeddings"
  readonly provider: string
  readonly model: string
  /** The call's output-token limit, when it has one. */
  readonly maxTokens: number | undefined
  /** An estimate of the input tokens (from the prompt's length). */
  readonly inputTokens: number
}

/**
 * A call let through. `maxTokens`, when set, is the output limit the call must be sent with (a budget sets it on calls
 * that have none, so their worst case is bounded); `settle` runs once with the call's real usage, `release` when the
 * call failed before producing any.
 *
 * @example
 * ```ts
 * const admission = yield* gate.admit(call)
 * yield* admission.settle({ inputTokens: 12, outputTokens: 30 }, "gpt-4o-mini")
 * ```
 */
export interface Admission {
  readonly maxTokens: number | undefined
  readonly settle: (usage: Usage, model: string) => Effect.Effect<void>
  readonly release: Effect.Effect<void>
}

/**
 * A gate: admits or refuses each call.
 *
 * @example
 * ```ts
 * const refuseAll: CallGate.Gate = { admit: (call) => Effect.fail(new InvalidRequest({ provider: call.provider, message: "closed" })) }
 * ```
 */
export interface Gate {
  /** `stepId`: the step making the call, for a refusal to name (an enclosing budget hears it from the inner one). */
  readonly admit: (call: Call, stepId?: string | undefined) => Effect.Effect<Admission, LlmError>
}

/**
 * The admission of a gate that watches nothing.
 *
 * @example
 * ```ts
 * const gate: CallGate.Gate = { admit: () => Effect.succeed(CallGate.open) }
 * ```
 */
export const open: Admission = { maxTokens: undefined, settle: () => Effect.void, release: Effect.void }

const admitAll = Effect.succeed(open)

/**
 * A gate that admits every call (the default).
 *
 * @example
 * ```ts
 * Effect.provideService(program, CallGate.CallGate, CallGate.none)
 * ```
 */
export const none: Gate = { admit: () => admitAll }

/**
 * The current gate. Default: {@link none}.
 *
 * @example
 * ```ts
 * const gate = yield* CallGate.CallGate
 * ```
 */
export const CallGate: Context.Reference<Gate> = Context.Reference<Gate>("llm-orchestrator/CallGate", {
  defaultValue: () => none
})

/**
 * A rough input-token estimate of a prompt or input: about three characters per token (a little above what English
 * text averages, so the estimate leans high); the settled usage replaces it.
 *
 * @example
 * ```ts
 * CallGate.estimateTokens("x".repeat(300)) // 100
 * ```
 */
export const estimateTokens = (input: unknown): number => {
  const text = typeof input === "string" ? input : JSON.stringify(input) ?? ""
  return Math.max(1, Math.ceil(text.length / 3))
}

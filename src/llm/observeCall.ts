/**
 * What happens around every language-model and embedding call the `Llm` and `Embeddings` helpers make: the call passes
 * the current {@link CallGate} (a budget may refuse it before anything is sent, or set its output limit), runs inside a
 * GenAI client span (`chat gpt-4o`, with the conventions' attributes), and when it ends the gate is settled with the
 * real usage and the GenAI metrics are recorded. Everything is read from the fiber once per call.
 *
 * @example
 * ```ts
 * import { observeCall } from "llm-orchestrator"
 * const answer = observeCall(
 *   { operation: "chat", provider: "cohere", model: "command-r", maxTokens: 200, inputTokens: 40 },
 *   (maxTokens) => myClient.generate({ maxTokens }),
 *   (res) => ({ usage: res.usage, model: res.model })
 * )
 * ```
 */
import { Cause, Clock, Effect, Exit, Stream, Tracer } from "effect"
import * as GenAiMetrics from "../telemetry/GenAiMetrics.ts"
import * as GenAiSpan from "../telemetry/GenAiSpan.ts"
import { CurrentVersion, names } from "../telemetry/Semconv.ts"
import { type Admission, type Call, CallGate } from "./CallGate.ts"
import type { LlmError, Usage } from "./LlmError.ts"

/**
 * A call as the gate, the span and the metrics see it.
 *
 * @example
 * ```ts
 * const spec: CallSpec = { operation: "chat", provider: "openai", model: "gpt-4o", maxTokens: 100, inputTokens: 12, temperature: 0 }
 * ```
 */
export interface CallSpec extends Call {
  readonly temperature?: number | undefined
  readonly topP?: number | undefined
  readonly stopSequences?: ReadonlyArray<string> | undefined
  /** Prompt and system text: on the span only when content capture is on. */
  readonly prompt?: unknown
  readonly system?: string | undefined
}

/**
 * What a finished call reports.
 *
 * @example
 * ```ts
 * const outcome: CallOutcome = { usage: { inputTokens: 12, outputTokens: 40 }, model: "gpt-4o-2024-08-06", finishReason: "stop" }
 * ```
 */
export interface CallOutcome {
  readonly usage: Usage
  /** The model that answered, when the provider says (else the requested one). */
  readonly model?: string | undefined
  readonly finishReason?: string | undefined
  readonly output?: unknown
}

const errorTypeOf = (cause: Cause.Cause<unknown>): string => {
  const failure = cause.reasons.find((r) => r._tag === "Fail")
  if (failure !== undefined && failure._tag === "Fail") {
    const e = failure.error
    if (typeof e === "object" && e !== null && "_tag" in e) return String((e as { _tag: unknown })._tag)
    return "_OTHER"
  }
  return Cause.hasInterruptsOnly(cause) ? "interrupted" : "_OTHER"
}

/**
 * Runs one call through the gate, a GenAI span and the metrics. `run` receives the output limit to send (the call's
 * own, or the one the gate sets); `outcomeOf` reads usage and response details from the result.
 *
 * @example
 * ```ts
 * observeCall(spec, (maxTokens) => provider.generateText({ ...request, maxTokens }), (res) => ({ usage: res.usage, finishReason: res.finishReason }))
 * ```
 */
export const observeCall = <A, E, R>(
  spec: CallSpec,
  run: (maxTokens: number | undefined) => Effect.Effect<A, E, R>,
  outcomeOf: (a: A) => CallOutcome
): Effect.Effect<A, E | LlmError, R> =>
  Effect.withFiber((fiber) => {
    const table = names(fiber.getRef(CurrentVersion))
    const capture = fiber.getRef(GenAiSpan.CaptureContent)
    const gate = fiber.getRef(CallGate)
    const clock = fiber.getRef(Clock.Clock)
    return Effect.useSpan(GenAiSpan.spanName(spec), {
      kind: "client",
      attributes: GenAiSpan.requestAttributes(table, spec, { capture })
    }, (span) => {
      const startedAt = clock.currentTimeNanosUnsafe()
      const finish = (outcome: CallOutcome | undefined, errorType: string | undefined) => {
        if (outcome !== undefined) {
          const attributes = GenAiSpan.responseAttributes(table, outcome, { capture })
          for (const key in attributes) span.attribute(key, attributes[key])
        }
        if (errorType !== undefined) span.attribute(table.attributes.errorType, errorType)
        return GenAiMetrics.record(table.version, {
          operation: spec.operation,
          provider: spec.provider,
          requestModel: spec.model,
          responseModel: outcome?.model,
          errorType,
          durationSeconds: Number(clock.currentTimeNanosUnsafe() - startedAt) / 1e9,
          usage: outcome?.usage
        })
      }
      return Effect.flatMap(gate.admit(spec), (admission: Admission) => {
        if (admission.maxTokens !== undefined && spec.maxTokens === undefined) {
          span.attribute(table.attributes.requestMaxTokens, admission.maxTokens)
        }
        return Effect.onExit(run(spec.maxTokens ?? admission.maxTokens), (exit: Exit.Exit<A, E>) => {
          if (Exit.isSuccess(exit)) {
            const outcome = outcomeOf(exit.value)
            return Effect.andThen(admission.settle(outcome.usage, outcome.model ?? spec.model), finish(outcome, undefined))
          }
          // A failed call is not billed by the providers; an interrupted one may have been, so its reservation stays.
          const interrupted = Cause.hasInterruptsOnly(exit.cause)
          return Effect.andThen(interrupted ? Effect.void : admission.release, finish(undefined, errorTypeOf(exit.cause)))
        })
      }).pipe(Effect.tapError((e) => {
        // refused by the gate: the span and the metrics still show the call, with its error type
        const tag = typeof e === "object" && e !== null && "_tag" in e ? String((e as { _tag: unknown })._tag) : "_OTHER"
        return tag === "BudgetExceeded" ? finish(undefined, tag) : Effect.void
      }))
    })
  })

/**
 * {@link observeCall} for a stream of parts: the span lasts as long as the stream, and `outcomeOf` returns the outcome
 * from the part that carries the usage (undefined for the others).
 *
 * @example
 * ```ts
 * observeStream(spec, (maxTokens) => provider.streamText({ ...request, maxTokens }), (part) => part._tag === "Finish" ? { usage: part.usage } : undefined)
 * ```
 */
export const observeStream = <A, E, R>(
  spec: CallSpec,
  run: (maxTokens: number | undefined) => Stream.Stream<A, E, R>,
  outcomeOf: (part: A) => CallOutcome | undefined
): Stream.Stream<A, E | LlmError, R> =>
  Stream.unwrap(Effect.withFiber((fiber) => {
    const table = names(fiber.getRef(CurrentVersion))
    const capture = fiber.getRef(GenAiSpan.CaptureContent)
    const gate = fiber.getRef(CallGate)
    const clock = fiber.getRef(Clock.Clock)
    return Effect.map(Effect.makeSpanScoped(GenAiSpan.spanName(spec), {
      kind: "client",
      attributes: GenAiSpan.requestAttributes(table, spec, { capture })
    }), (span) => {
      const startedAt = clock.currentTimeNanosUnsafe()
      let outcome: CallOutcome | undefined
      let settled = false
      const finish = (errorType: string | undefined) => {
        if (outcome !== undefined) {
          const attributes = GenAiSpan.responseAttributes(table, outcome, { capture })
          for (const key in attributes) span.attribute(key, attributes[key])
        }
        if (errorType !== undefined) span.attribute(table.attributes.errorType, errorType)
        return GenAiMetrics.record(table.version, {
          operation: spec.operation,
          provider: spec.provider,
          requestModel: spec.model,
          responseModel: outcome?.model,
          errorType,
          durationSeconds: Number(clock.currentTimeNanosUnsafe() - startedAt) / 1e9,
          usage: outcome?.usage
        })
      }
      return Stream.unwrap(Effect.map(gate.admit(spec), (admission) =>
        run(spec.maxTokens ?? admission.maxTokens).pipe(
          Stream.tap((part) => {
            const found = outcomeOf(part)
            if (found === undefined || settled) return Effect.void
            outcome = found
            settled = true
            return admission.settle(found.usage, found.model ?? spec.model)
          }),
          Stream.onExit((exit) => {
            if (Exit.isSuccess(exit)) return finish(undefined)
            const interrupted = Cause.hasInterruptsOnly(exit.cause)
            return Effect.andThen(settled || interrupted ? Effect.void : admission.release, finish(errorTypeOf(exit.cause)))
          })
        ))).pipe(Stream.provideService(Tracer.ParentSpan, span))
    })
  }))

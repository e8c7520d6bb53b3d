/**
 * Failover: an ordered list of providers/models, each with its own attempts and schedule, run as an effect
 * `ExecutionPlan`. The plan moves to the next step only for provider failures (retryable errors and open circuits);
 * a bad request fails at once. Every move is a `Failover` event and counts in `llm_failovers_total`, and
 * {@link run} returns which step served the call and the failovers on the way, for the run result.
 *
 * @example
 * ```ts
 * import { Context } from "effect"
 * import { LanguageModel } from "effect/ai"
 * import { Failover } from "llm-orchestrator/reliability"
 * const served = yield* Failover.run([
 *   { name: "openai/gpt-4o", provide: Context.make(LanguageModel.LanguageModel, openai), attempts: 2 },
 *   { name: "anthropic/claude-sonnet-4-5", provide: Context.make(LanguageModel.LanguageModel, claude) }
 * ], LanguageModel.generateText({ prompt: "hi" }))
 * served.value.text; served.servedBy; served.failovers   // [{ from: "openai/gpt-4o", to: "anthropic/...", error }]
 * ```
 */
import { Cause, Context, Effect, ExecutionPlan, Layer, Metric, type Schedule, Stream } from "effect"
import type { LanguageModel } from "effect/ai"
import * as Llm from "../llm/Llm.ts"
import type { LlmError } from "../llm/LlmError.ts"
import { LlmProvider, type LlmProviderShape } from "../llm/LlmProvider.ts"
import type { TextStreamPart } from "../llm/LlmRequest.ts"
import { classify } from "../providers/ErrorMapping.ts"
import { isCircuitOpen, WhenOpen } from "./CircuitOpen.ts"
import * as Reliability from "./Reliability.ts"
import * as ReliabilityEvent from "./ReliabilityEvent.ts"
import * as ReliabilityMetrics from "./ReliabilityMetrics.ts"
import { shouldRetry } from "./Retry.ts"

/**
 * One step of a failover list: a name (for events and results) and what it provides.
 *
 * @example
 * ```ts
 * const primary: Failover.Step<LanguageModel.LanguageModel> = { name: "openai", provide: OpenAi.layer(options), attempts: 2 }
 * ```
 */
export interface Step<S> {
  readonly name: string
  readonly provide: Context.Context<S> | Layer.Layer<S>
  /** Attempts on this step before moving on (default 1; the step's own policy may retry inside each attempt). */
  readonly attempts?: number | undefined
  /** Delay between this step's attempts. */
  readonly schedule?: Schedule.Schedule<any, unknown> | undefined
}

/**
 * One move to the next step.
 *
 * @example
 * ```ts
 * served.failovers.map((f: Failover.FailoverRecord) => `${f.from} -> ${f.to}: ${f.error?._tag}`)
 * ```
 */
export interface FailoverRecord {
  readonly from: string
  readonly to: string
  readonly error: LlmError | undefined
}

/**
 * A result and how it was obtained.
 *
 * @example
 * ```ts
 * const served: Failover.Served<string> = yield* Failover.run(steps, LanguageModel.generateText({ prompt: "hi" }).pipe(Effect.map((r) => r.text)))
 * served.servedBy // name of the step that answered
 * ```
 */
export interface Served<A> {
  readonly value: A
  /** Name of the step that served the call. */
  readonly servedBy: string
  readonly failovers: ReadonlyArray<FailoverRecord>
  /** Attempts over all steps. */
  readonly attempts: number
}

/**
 * True when moving to another provider may help (provider failures, not bad requests).
 *
 * @example
 * ```ts
 * Failover.shouldFailover(new InvalidRequest({ provider: "openai", message: "bad" })) // false
 * ```
 */
export const shouldFailover = (error: unknown): boolean => isCircuitOpen(error) || shouldRetry(error)

const failFast = <S>(provide: Context.Context<S> | Layer.Layer<S>): Context.Context<S> | Layer.Layer<S> =>
  Layer.isLayer(provide)
    ? Layer.merge(provide as Layer.Layer<S>, Layer.succeed(WhenOpen, "fail" as const)) as Layer.Layer<S>
    : Context.add(provide as Context.Context<S>, WhenOpen, "fail")

/**
 * Runs `self` over `steps` in order; see the module doc.
 *
 * @example
 * ```ts
 * const { value, servedBy, failovers } = yield* Failover.run([primaryStep, backupStep], LanguageModel.generateText({ prompt }))
 * ```
 */
export const run = <S, A, E, R>(
  steps: readonly [Step<S>, ...Array<Step<S>>],
  self: Effect.Effect<A, E, R>
): Effect.Effect<Served<A>, E, Exclude<R, S>> =>
  Effect.suspend(() => {
    const failovers: Array<FailoverRecord> = []
    let current = 0
    let attempts = 0
    let lastError: LlmError | undefined
    const plan = ExecutionPlan.make(
      ...(steps.map((s, i) => ({
        // every entry but the last fails fast at an open circuit, so the next provider takes over at once
        provide: i === steps.length - 1 ? s.provide : failFast(s.provide),
        attempts: s.attempts ?? 1,
        while: (e: unknown) => shouldFailover(e),
        ...(s.schedule === undefined ? {} : { schedule: s.schedule })
      })) as unknown as [ExecutionPlan.make.Step])
    )
    const onEvent = (event: ExecutionPlan.Event<unknown>) =>
      Effect.gen(function*() {
        if (event._tag === "AttemptStart") {
          attempts++
          if (event.stepIndex !== current) {
            const record = { from: steps[current]!.name, to: steps[event.stepIndex]!.name, error: lastError }
            failovers.push(record)
            current = event.stepIndex
            yield* ReliabilityEvent.emit({ _tag: "Failover", ...record })
            yield* Metric.update(ReliabilityMetrics.failovers.pipe(Metric.withAttributes({ from: record.from, to: record.to })), 1)
          }
        } else if (event._tag === "AttemptFailure") {
          const failure = Cause.findErrorOption(event.cause)
          lastError = failure._tag === "Some" ? classify(failure.value) : undefined
        }
      })
    return Effect.withExecutionPlan(self as Effect.Effect<A, any, any>, plan as any, { onEvent }).pipe(
      Effect.map((value): Served<A> => ({ value, servedBy: steps[current]!.name, failovers, attempts }))
    ) as Effect.Effect<Served<A>, E, Exclude<R, S>>
  })

/**
 * Like {@link run} but returns only the value.
 *
 * @example
 * ```ts
 * LanguageModel.generateText({ prompt }).pipe(Failover.withFailover([primaryStep, backupStep]))
 * ```
 */
export const withFailover = <S>(steps: readonly [Step<S>, ...Array<Step<S>>]) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, S>> =>
  Effect.map(run(steps, self), (s) => s.value)

/**
 * One provider of a {@link layer}: a name, the `LanguageModel` layer serving it (run under `policy`), or none to use
 * the named provider `LlmProvider<provider>` already in context (with whatever policy it was built with).
 *
 * @example
 * ```ts
 * const primary: Failover.Entry = { provider: "openai", layer: OpenAi.layer({ model: "gpt-4o-mini", apiKey }) }
 * const backup: Failover.Entry = { provider: "anthropic", layer: Anthropic.layer({ model: "claude-haiku-4-5", apiKey }), model: "claude-haiku-4-5" }
 * const mocked: Failover.Entry = { provider: "cheap" } // MockLlm.layer("cheap", ...) provided elsewhere
 * ```
 */
export type Entry = {
  /** Name in events, run results, errors and metrics; also the circuit of this entry's breaker. */
  readonly provider: string
  /** Model id sent to this provider (default: the model the call asks for). Set it when vendors differ. */
  readonly model?: string | undefined
  /** Attempts on this entry before moving on (default 1; its policy retries inside each attempt). */
  readonly attempts?: number | undefined
  /** Delay between this entry's attempts. */
  readonly schedule?: Schedule.Schedule<any, unknown> | undefined
} & (
  | {
    readonly layer: Layer.Layer<LanguageModel.LanguageModel, any, any>
    /** The policy of this entry's calls (default `Reliability.defaultPolicy`; `false`: none). */
    readonly policy?: Reliability.Policy | false | undefined
  }
  | { readonly layer?: undefined; readonly policy?: undefined }
)

/**
 * What a {@link layer} over `Entries` needs: the requirements of their layers, and the named providers of the entries
 * without one.
 *
 * @example
 * ```ts
 * type R = Failover.EntriesRequirement<[{ provider: "openai"; layer: Layer.Layer<LanguageModel.LanguageModel> }, { provider: "cheap" }]>
 * // LlmProvider<"cheap">
 * ```
 */
export type EntriesRequirement<Entries extends ReadonlyArray<Entry>> = Entries[number] extends infer E
  ? E extends { readonly layer: Layer.Layer<any, any, infer R> } ? R
  : E extends { readonly provider: infer N extends string } ? LlmProvider<N>
  : never
  : never

/**
 * The errors building the layers of `Entries` may fail with.
 *
 * @example
 * ```ts
 * type E = Failover.EntriesError<[{ provider: "openai"; layer: Layer.Layer<LanguageModel.LanguageModel, ConfigError> }]> // ConfigError
 * ```
 */
export type EntriesError<Entries extends ReadonlyArray<Entry>> = Entries[number] extends infer E
  ? E extends { readonly layer: Layer.Layer<any, infer Err, any> } ? Err : never
  : never

interface EntryService {
  readonly shape: LlmProviderShape
  readonly model: string | undefined
}

// The entry serving the current failover step (each step provides its own).
class CurrentEntry extends Context.Service<CurrentEntry, EntryService>()("llm-orchestrator/reliability/Failover/CurrentEntry") {}

const withModel = <Req extends { readonly model: string }>(request: Req, model: string | undefined): Req =>
  model === undefined ? request : { ...request, model }

/**
 * The named provider `name` served by `entries` in order: every call (text, object, stream) goes to the first entry
 * and moves to the next on a provider failure (retryable errors after the entry's own retries, open circuits at once;
 * never on a bad request). Each entry with a `layer` gets its own guard under its `policy` (default
 * `Reliability.defaultPolicy`). Each move is a `Failover` event, so a workflow step records it in
 * `RunResult.steps[id].failovers`. A stream fails over only before its first part arrives.
 *
 * @example
 * ```ts
 * import { Failover } from "llm-orchestrator/reliability"
 * const Main = Failover.layer("main", [
 *   { provider: "openai", layer: OpenAi.layer({ model: "gpt-4o-mini", apiKey: openaiKey }) },
 *   { provider: "anthropic", layer: Anthropic.layer({ model: "claude-haiku-4-5", apiKey: anthropicKey }), model: "claude-haiku-4-5" }
 * ])
 * Llm.generate({ provider: "main", model: "gpt-4o-mini", prompt: "hi" }).pipe(Effect.provide(Main))
 * ```
 */
export const layer = <const Name extends string, const Entries extends readonly [Entry, ...Array<Entry>]>(
  name: Name,
  entries: Entries
): Layer.Layer<LlmProvider<Name>, EntriesError<Entries>, EntriesRequirement<Entries>> =>
  Layer.effect(
    LlmProvider.key(name),
    Effect.gen(function*() {
      const served: Array<EntryService> = []
      for (const entry of entries) {
        if (entry.layer === undefined) {
          served.push({ shape: yield* LlmProvider.key(entry.provider), model: entry.model })
          continue
        }
        const policy = entry.policy ?? Reliability.defaultPolicy
        const provider = policy === false
          ? Llm.layer(entry.provider, entry.layer)
          : Reliability.layerLlm(policy, entry.provider, entry.layer)
        const context = yield* Layer.build(provider)
        served.push({ shape: Context.get(context, LlmProvider.key(entry.provider)), model: entry.model })
      }
      const steps = entries.map((entry, i): Step<CurrentEntry> => ({
        name: entry.provider,
        provide: Context.make(CurrentEntry, served[i]!),
        attempts: entry.attempts,
        schedule: entry.schedule
      })) as unknown as readonly [Step<CurrentEntry>, ...Array<Step<CurrentEntry>>]
      const over = withFailover(steps)

      const streamFrom = (i: number, request: Parameters<LlmProviderShape["streamText"]>[0]): Stream.Stream<TextStreamPart, LlmError> =>
        Stream.suspend(() => {
          const { shape, model } = served[i]!
          const stream = shape.streamText(withModel(request, model))
          if (i === served.length - 1) return stream
          let started = false
          return stream.pipe(
            Stream.tap(() => Effect.sync(() => void (started = true))),
            Stream.provideService(WhenOpen, "fail"),
            Stream.catchCause((cause) => {
              const error = Cause.findErrorOption(cause)
              if (started || error._tag === "None" || !shouldFailover(error.value)) return Stream.failCause(cause)
              const record = { from: entries[i]!.provider, to: entries[i + 1]!.provider, error: classify(error.value) }
              return Stream.unwrap(
                Effect.gen(function*() {
                  yield* ReliabilityEvent.emit({ _tag: "Failover", ...record })
                  yield* Metric.update(ReliabilityMetrics.failovers.pipe(Metric.withAttributes({ from: record.from, to: record.to })), 1)
                  return streamFrom(i + 1, request)
                })
              )
            })
          )
        })

      const shape: LlmProviderShape = {
        name,
        generateText: (request) => over(Effect.flatMap(CurrentEntry, (e) => e.shape.generateText(withModel(request, e.model)))),
        generateObject: (request) => over(Effect.flatMap(CurrentEntry, (e) => e.shape.generateObject(withModel(request, e.model)))),
        streamText: (request) => streamFrom(0, request)
      }
      return shape
    })
  ) as Layer.Layer<LlmProvider<Name>, EntriesError<Entries>, EntriesRequirement<Entries>>

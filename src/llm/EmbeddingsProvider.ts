/**
 * Embedding provider identity in the type (like {@link LlmProvider}): `Embeddings.embed({ provider: "openai", ... })`
 * requires `EmbeddingsProvider<"openai">`. {@link makeEmbeddingsProvider} turns a batch `embedMany` into a provider
 * whose single `embed` calls made at the same moment are batched into one `embedMany` call (a `RequestResolver`).
 *
 * @example
 * ```ts
 * const provider = yield* makeEmbeddingsProvider("local", ({ inputs }) =>
 *   Effect.succeed({ embeddings: inputs.map((t) => [t.length]), usage: { inputTokens: 0, outputTokens: 0 } }))
 * yield* Effect.all([provider.embed({ model: "m", input: "a" }), provider.embed({ model: "m", input: "b" })], { concurrency: 2 })
 * // one embedMany call with inputs ["a", "b"]
 * ```
 */
import { Context, Effect, Exit, Request, RequestResolver } from "effect"
import type { LlmError, Usage } from "./LlmError.ts"
import { InvalidOutput } from "./LlmError.ts"
import { CurrentStep } from "../telemetry/Correlation.ts"

/**
 * Identifier of the embedding provider named `Name`; `key` is what missing-requirement messages print.
 *
 * @example
 * ```ts
 * type R = EmbeddingsProvider<"openai"> // printed as "Embeddings/openai" when a Layer does not provide it
 * ```
 */
export interface EmbeddingsProvider<Name extends string> {
  readonly key: `Embeddings/${Name}`
}

/**
 * The requirement of a call to embedding provider(s) `N` (distributes over unions).
 *
 * @example
 * ```ts
 * type R = EmbeddingsProviderFor<"openai" | "local"> // EmbeddingsProvider<"openai"> | EmbeddingsProvider<"local">
 * ```
 */
export type EmbeddingsProviderFor<N extends string> = N extends string ? EmbeddingsProvider<N> : never

/**
 * A batch embedding request.
 *
 * @example
 * ```ts
 * const { embeddings } = yield* provider.embedMany({ model: "text-embedding-3-small", inputs: ["a", "b"] })
 * ```
 */
export interface EmbedManyRequest {
  readonly model: string
  readonly inputs: ReadonlyArray<string>
  /**
   * The step path each input was embedded for, when the runs record it (a batch of single `embed` calls can mix
   * steps); absent otherwise. Mocks use it to fail the calls of one step.
   */
  readonly steps?: ReadonlyArray<string | undefined> | undefined
}

/**
 * Result of {@link EmbedManyRequest}: one vector per input, in input order.
 *
 * @example
 * ```ts
 * const res: EmbedManyResponse = yield* provider.embedMany({ model: "m", inputs: ["a", "b"] })
 * res.embeddings.length // 2
 * ```
 */
export interface EmbedManyResponse {
  readonly embeddings: ReadonlyArray<ReadonlyArray<number>>
  readonly usage: Usage
}

/**
 * Result of one batched `embed`: its vector and its share of the batch's usage.
 *
 * @example
 * ```ts
 * const { embedding, usage }: EmbedResponse = yield* provider.embed({ model: "m", input: "a" })
 * ```
 */
export interface EmbedResponse {
  readonly embedding: ReadonlyArray<number>
  readonly usage: Usage
}

/**
 * What an embedding provider implements; build it with {@link makeEmbeddingsProvider}.
 *
 * @example
 * ```ts
 * const provider: EmbeddingsProviderShape = yield* EmbeddingsProvider.key("openai")
 * const { embedding } = yield* provider.embed({ model: "text-embedding-3-small", input: "hello" })
 * ```
 */
export interface EmbeddingsProviderShape {
  readonly name: string
  /** One text; concurrent calls with the same model share one `embedMany`. */
  readonly embed: (request: { readonly model: string; readonly input: string }) => Effect.Effect<EmbedResponse, LlmError>
  /** Many texts in one provider call. */
  readonly embedMany: (request: EmbedManyRequest) => Effect.Effect<EmbedManyResponse, LlmError>
}

const keys = new Map<string, Context.Service<any, EmbeddingsProviderShape>>()

/** The service key of embedding provider `name` (memoised per name). */
const key = <const Name extends string>(name: Name): Context.Service<EmbeddingsProvider<Name>, EmbeddingsProviderShape> => {
  let k = keys.get(name)
  if (k === undefined) {
    k = Context.Service<EmbeddingsProvider<Name>, EmbeddingsProviderShape>(`llm-orchestrator/Embeddings/${name}`)
    keys.set(name, k)
  }
  return k
}

/**
 * Namespace of {@link EmbeddingsProvider} helpers.
 *
 * @example
 * ```ts
 * const provider = yield* EmbeddingsProvider.key("openai") // the service of provider "openai"
 * ```
 */
export const EmbeddingsProvider = { key } as const

class EmbedRequest extends Request.Class<{ readonly model: string; readonly input: string }, EmbedResponse, LlmError> {}

// Splits a batch's token count over its inputs by length, so per-call usage sums to the batch's usage.
const shareUsage = (usage: Usage, inputs: ReadonlyArray<string>): Array<Usage> => {
  const total = inputs.reduce((n, s) => n + s.length, 0)
  let given = 0
  return inputs.map((s, i) => {
    const inputTokens = i === inputs.length - 1
      ? usage.inputTokens - given
      : total === 0
      ? Math.floor(usage.inputTokens / inputs.length)
      : Math.floor((usage.inputTokens * s.length) / total)
    given += inputTokens
    return { inputTokens, outputTokens: 0 }
  })
}

/**
 * Options of {@link makeEmbeddingsProvider}.
 *
 * @example
 * ```ts
 * const options: EmbeddingsProviderOptions = { maxBatchSize: 2048 }
 * ```
 */
export interface EmbeddingsProviderOptions {
  /** Largest batch sent to the provider (e.g. 2048 for OpenAI). Default: unlimited. */
  readonly maxBatchSize?: number
}

/**
 * Builds a provider from a batch `embedMany`; single `embed` calls issued at the same moment (same model) are batched.
 *
 * @example
 * ```ts
 * Layer.effect(EmbeddingsProvider.key("openai"), makeEmbeddingsProvider("openai", (req) => callSdk(req)))
 * ```
 */
export const makeEmbeddingsProvider = (
  name: string,
  embedMany: (request: EmbedManyRequest) => Effect.Effect<EmbedManyResponse, LlmError>,
  options?: EmbeddingsProviderOptions
): Effect.Effect<EmbeddingsProviderShape> =>
  Effect.sync(() => {
    const checked = (request: EmbedManyRequest): Effect.Effect<EmbedManyResponse, LlmError> =>
      request.inputs.length === 0
        ? Effect.succeed({ embeddings: [], usage: { inputTokens: 0, outputTokens: 0 } })
        : Effect.flatMap(embedMany(request), (res) =>
          res.embeddings.length === request.inputs.length
            ? Effect.succeed(res)
            : Effect.fail(
              new InvalidOutput({
                provider: name,
                message: `expected ${request.inputs.length} embeddings, got ${res.embeddings.length}`,
                raw: ""
              })
            ))
    let resolver = RequestResolver.makeGrouped<EmbedRequest, string>({
      key: (entry) => entry.request.model,
      resolver: (entries, model) => {
        const inputs = entries.map((e) => e.request.input)
        // each entry keeps its caller's context: the step it embeds for, when the run records steps
        const steps = entries.map((e) => Context.get(e.context as Context.Context<never>, CurrentStep)?.stepId)
        return checked(steps.some((x) => x !== undefined) ? { model, inputs, steps } : { model, inputs }).pipe(
          Effect.match({
            onFailure: (error) => {
              for (const e of entries) e.completeUnsafe(Exit.fail(error))
            },
            onSuccess: (res) => {
              const usages = shareUsage(res.usage, inputs)
              entries.forEach((e, i) =>
                e.completeUnsafe(Exit.succeed({ embedding: res.embeddings[i]!, usage: usages[i]! }))
              )
            }
          })
        )
      }
    })
    if (options?.maxBatchSize !== undefined) resolver = RequestResolver.batchN(resolver, options.maxBatchSize)
    return {
      name,
      embed: (request) => Effect.request(new EmbedRequest(request), resolver),
      embedMany: checked
    }
  })

/**
 * Mock embedding providers for tests: vectors from the deterministic {@link OfflineEmbedding} (or your function),
 * with latency, failure injection and recording of every provider call (one record per batch — so a test can check
 * that concurrent `embed` calls were batched).
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { MockEmbeddings, MockRecorder } from "llm-orchestrator/testing"
 * const TestLayer = MockEmbeddings.layer("openai", { dimensions: 64 }).pipe(Layer.provideMerge(MockRecorder.layer))
 * ```
 */
import { Clock, Effect, Layer } from "effect"
import { EmbeddingsProvider, type EmbedManyResponse, makeEmbeddingsProvider } from "../llm/EmbeddingsProvider.ts"
import type { LlmError } from "../llm/LlmError.ts"
import { MockRecorder, type MockRecorderShape } from "./MockRecorder.ts"
import { CurrentStep } from "../telemetry/Correlation.ts"
import { applyLatency, type Failures, type LatencyOption, makeFailuresInjector } from "./MockScript.ts"
import * as OfflineEmbedding from "./OfflineEmbedding.ts"
import { estimateTokens } from "./OfflineEmbedding.ts"

/**
 * What the mock's functions receive: one provider (batch) call.
 *
 * @example
 * ```ts
 * MockEmbeddings.layer("openai", { failures: { error: (req: MockEmbedRequest) => new ProviderTimeout({ provider: req.provider, message: "slow" }), firstN: 1 } })
 * ```
 */
export interface MockEmbedRequest {
  readonly provider: string
  /** 1-based provider call (batch) number. */
  readonly call: number
  readonly model: string
  readonly inputs: ReadonlyArray<string>
  /** The step path of each input, when the run records steps (always under `Workflow.test` with a step rule). */
  readonly steps: ReadonlyArray<string | undefined>
}

/**
 * Options of {@link MockEmbeddings.layer}.
 *
 * @example
 * ```ts
 * const options: MockEmbeddingsOptions = { dimensions: 64, latency: "50 millis" }
 * ```
 */
export interface MockEmbeddingsOptions {
  /** Vector of one text. Default: `OfflineEmbedding.embed(text, { dimensions })`. */
  readonly embed?: (text: string, model: string) => ReadonlyArray<number>
  /** Dimensions of the default offline embedding (default 256). */
  readonly dimensions?: number
  readonly latency?: LatencyOption<MockEmbedRequest>
  /**
   * Failure injection: one rule or a list; a rule with `step` fails the provider calls holding an input of that step
   * (a batch of concurrent `embed` calls fails as a whole, as a real provider call does).
   */
  readonly failures?: Failures<MockEmbedRequest>
  /** Largest batch per provider call. */
  readonly maxBatchSize?: number
}

const make = (name: string, options: MockEmbeddingsOptions, recorder: MockRecorderShape) => {
  let calls = 0
  const inject = makeFailuresInjector(name, options.failures)
  const vector = options.embed ??
    ((text: string) => OfflineEmbedding.embed(text, options.dimensions === undefined ? undefined : { dimensions: options.dimensions }))
  return makeEmbeddingsProvider(
    name,
    ({ inputs, model, steps: batchSteps }) =>
      Effect.gen(function*() {
        const call = ++calls
        // a batch tells each input's step; a direct embedMany runs in its caller's fiber
        const current = batchSteps === undefined ? (yield* CurrentStep)?.stepId : undefined
        const steps = batchSteps ?? inputs.map(() => current)
        const request: MockEmbedRequest = { provider: name, call, model, inputs, steps }
        const finish = recorder.start({
          provider: name,
          call,
          kind: "embedMany",
          model,
          prompt: inputs.join("\n"),
          system: undefined,
          inputs,
          temperature: undefined,
          maxTokens: undefined,
          stopSequences: undefined,
          startedAt: yield* Clock.currentTimeMillis
        })
        const result = yield* Effect.gen(function*() {
          yield* applyLatency(options.latency, request, call)
          const injected = inject(request, call, steps)
          if (injected !== undefined) return yield* Effect.fail<LlmError>(injected)
          const res: EmbedManyResponse = {
            embeddings: inputs.map((t) => vector(t, model)),
            usage: { inputTokens: inputs.reduce((n, t) => n + estimateTokens(t), 0), outputTokens: 0 }
          }
          return res
        }).pipe(Effect.exit)
        const now = yield* Clock.currentTimeMillis
        if (result._tag === "Success") finish(now, { _tag: "Success", output: result.value.embeddings, usage: result.value.usage })
        else {
          const fail = result.cause.reasons.find((r) => r._tag === "Fail")
          if (fail !== undefined && fail._tag === "Fail") finish(now, { _tag: "Failure", error: fail.error })
        }
        return yield* result
      }),
    options.maxBatchSize === undefined ? undefined : { maxBatchSize: options.maxBatchSize }
  )
}

/**
 * A mock embedding provider Layer named `name`, recording into the {@link MockRecorder} it requires.
 *
 * @example
 * ```ts
 * MockEmbeddings.layer("openai", { failures: { firstN: 1, error: "timeout" } })
 * ```
 */
export const layer = <const N extends string>(
  name: N,
  options: MockEmbeddingsOptions = {}
): Layer.Layer<EmbeddingsProvider<N>, never, MockRecorder> =>
  Layer.effect(EmbeddingsProvider.key(name), Effect.flatMap(MockRecorder, (rec) => make(name, options, rec)))

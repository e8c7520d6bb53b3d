/**
 * Records every request a mock provider receives and what it answered, in call order across providers, so tests can
 * assert on prompts, call counts, order and timing (start/end on the Effect `Clock`, so TestClock times).
 *
 * @example
 * ```ts
 * const recorder = yield* MockRecorder
 * recorder.count("openai")                 // 2
 * recorder.prompts("anthropic")[0]        // "The user's message has positive sentiment..."
 * recorder.calls({ provider: "openai" })[0].model
 * ```
 */
import { Context, Layer } from "effect"
import type { LlmError, Usage } from "../llm/LlmError.ts"

/**
 * The kind of provider call.
 *
 * @example
 * ```ts
 * recorder.calls({ kind: "generateObject" satisfies MockCallKind }).length
 * ```
 */
export type MockCallKind = "generateText" | "generateObject" | "streamText" | "embedMany"

/**
 * One recorded provider call. `finishedAt`/`outcome` are undefined while the call is in flight.
 *
 * @example
 * ```ts
 * const [first]: ReadonlyArray<RecordedCall> = recorder.calls({ provider: "openai" })
 * first?.outcome?._tag // "Success"
 * ```
 */
export interface RecordedCall {
  /** Position in the recorder over all providers, from 0. */
  readonly index: number
  readonly provider: string
  /** 1-based call number for this provider. */
  readonly call: number
  readonly kind: MockCallKind
  readonly model: string
  /** The prompt's user/assistant text (for embeddings: the inputs joined with "\n"). */
  readonly prompt: string
  readonly system: string | undefined
  /** Embedding inputs (embedMany only). */
  readonly inputs: ReadonlyArray<string> | undefined
  readonly temperature: number | undefined
  readonly maxTokens: number | undefined
  readonly stopSequences: ReadonlyArray<string> | undefined
  readonly startedAt: number
  readonly finishedAt: number | undefined
  readonly outcome:
    | { readonly _tag: "Success"; readonly output: unknown; readonly usage: Usage }
    | { readonly _tag: "Failure"; readonly error: LlmError }
    | undefined
}

/**
 * Filter for {@link MockRecorderShape.calls}.
 *
 * @example
 * ```ts
 * recorder.prompts({ provider: "anthropic", model: "claude-sonnet-4-5" } satisfies CallFilter)
 * ```
 */
export interface CallFilter {
  readonly provider?: string
  readonly kind?: MockCallKind
  readonly model?: string
}

/**
 * The recorder; reading is synchronous.
 *
 * @example
 * ```ts
 * const recorder: MockRecorderShape = yield* MockRecorder
 * recorder.usage("openai") // summed usage of the successful openai calls
 * ```
 */
export interface MockRecorderShape {
  /** Calls matching `filter`, in start order. */
  readonly calls: (filter?: CallFilter) => ReadonlyArray<RecordedCall>
  /** Prompts of the calls matching `filter` (a provider name is a shortcut for `{ provider }`). */
  readonly prompts: (filter?: string | CallFilter) => ReadonlyArray<string>
  /** Number of calls matching `filter` (a provider name is a shortcut for `{ provider }`). */
  readonly count: (filter?: string | CallFilter) => number
  /** Provider names in call order, e.g. `["openai", "anthropic"]`. */
  readonly order: () => ReadonlyArray<string>
  /** Summed usage of the successful calls matching `filter`. */
  readonly usage: (filter?: string | CallFilter) => Usage
  /** Forgets everything recorded so far. */
  readonly clear: () => void
  /** Used by mocks: starts a record (returns a completion callback). */
  readonly start: (
    call: Omit<RecordedCall, "index" | "finishedAt" | "outcome">
  ) => (finishedAt: number, outcome: NonNullable<RecordedCall["outcome"]>) => void
}

const toFilter = (f: string | CallFilter | undefined): CallFilter | undefined =>
  typeof f === "string" ? { provider: f } : f

/**
 * Creates a fresh recorder (not a service; see {@link MockRecorder}).
 *
 * @example
 * ```ts
 * const recorder = makeMockRecorder()
 * recorder.calls().length // 0
 * ```
 */
export const makeMockRecorder = (): MockRecorderShape => {
  let records: Array<{ -readonly [K in keyof RecordedCall]: RecordedCall[K] }> = []
  const calls = (filter?: CallFilter): ReadonlyArray<RecordedCall> =>
    records.filter((r) =>
      (filter?.provider === undefined || r.provider === filter.provider) &&
      (filter?.kind === undefined || r.kind === filter.kind) &&
      (filter?.model === undefined || r.model === filter.model)
    )
  return {
    calls,
    prompts: (f) => calls(toFilter(f)).map((r) => r.prompt),
    count: (f) => calls(toFilter(f)).length,
    order: () => records.map((r) => r.provider),
    usage: (f) =>
      calls(toFilter(f)).reduce(
        (u, r) =>
          r.outcome?._tag === "Success"
            ? { inputTokens: u.inputTokens + r.outcome.usage.inputTokens, outputTokens: u.outputTokens + r.outcome.usage.outputTokens }
            : u,
        { inputTokens: 0, outputTokens: 0 }
      ),
    clear: () => {
      records = []
    },
    start: (call) => {
      const record = { ...call, index: records.length, finishedAt: undefined, outcome: undefined } as {
        -readonly [K in keyof RecordedCall]: RecordedCall[K]
      }
      records.push(record)
      return (finishedAt, outcome) => {
        record.finishedAt = finishedAt
        record.outcome = outcome
      }
    }
  }
}

/**
 * The recorder shared by the mock Layers of a test. `Mock.layer(...)` provides one; with single mock Layers use
 * `Layer.provideMerge(MockRecorder.layer)`.
 *
 * @example
 * ```ts
 * const TestLayer = MockLlm.layer("openai", { responses: "hi" }).pipe(Layer.provideMerge(MockRecorder.layer))
 * ```
 */
export class MockRecorder extends Context.Service<MockRecorder, MockRecorderShape>()("llm-orchestrator/MockRecorder") {
  /** A fresh, empty recorder per Layer build. */
  static readonly layer: Layer.Layer<MockRecorder> = Layer.sync(MockRecorder, makeMockRecorder)
}

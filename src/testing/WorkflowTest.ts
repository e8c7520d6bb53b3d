/**
 * `Workflow.test`: the one call a workflow test needs. It takes the mocks as a plain object whose type is computed from
 * the workflow's own requirements (so a missing or misspelt mock is a short compile error on the mock itself), runs the
 * workflow on the test clock, advancing it whenever the run only waits on the clock (retry backoffs, timeouts, mock
 * latency), and returns the run's result together with the {@link MockRecorder}.
 *
 * @example
 * ```ts
 * it.effect("labels and replies", () =>
 *   Effect.gen(function*() {
 *     const { outputs, recorder } = yield* Workflow.test(triage, { issue: "crash" }, {
 *       llm: { cheap: { responses: "bug" }, primary: { responses: "Sorry!" } }
 *     })
 *     assert.strictEqual(outputs.label, "bug")
 *     assert.strictEqual(recorder.count("primary"), 1)
 *   }))
 * ```
 */
import { Clock, Duration, Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import type { Any, EncodedInputOf, ErrorOf, OutputsOf, RequirementsOf, StepPathsOf } from "../../dsl/Workflow.ts"
import type { StepFailedWith, WorkflowInputError } from "../engine/errors.ts"
import { execute, type ExecuteOptions } from "../engine/run.ts"
import type { RunResult, StepRecord } from "../engine/RunResult.ts"
import type { EmbeddingsProvider } from "../llm/EmbeddingsProvider.ts"
import type { LlmProvider } from "../llm/LlmProvider.ts"
import * as Correlation from "../telemetry/Correlation.ts"
import * as Mock from "./Mock.ts"
import type { MockEmbeddingsOptions } from "./MockEmbeddings.ts"
import type { MockLlmOptions } from "./MockLlm.ts"
import { MockRecorder, type MockRecorderShape } from "./MockRecorder.ts"

/**
 * The LLM provider names a requirement union holds.
 *
 * @example
 * ```ts
 * type N = LlmNamesOf<LlmProvider<"cheap"> | LlmProvider<"primary">> // "cheap" | "primary"
 * ```
 */
export type LlmNamesOf<R> = R extends LlmProvider<infer N> ? N : never

/**
 * The embedding provider names a requirement union holds.
 *
 * @example
 * ```ts
 * type N = EmbeddingsNamesOf<EmbeddingsProvider<"openai">> // "openai"
 * ```
 */
export type EmbeddingsNamesOf<R> = R extends EmbeddingsProvider<infer N> ? N : never

/**
 * The requirements mocks cannot serve (vector stores, your own services): they come from `layer`.
 *
 * @example
 * ```ts
 * type O = OtherRequirementsOf<LlmProvider<"a"> | VectorStoreFor<"docs">> // VectorStoreFor<"docs">
 * ```
 */
export type OtherRequirementsOf<R> = Exclude<R, LlmProvider<any> | EmbeddingsProvider<any> | MockRecorder>

/**
 * The mocks of a test of a workflow requiring `R`: one entry per LLM and embedding provider it calls (each is required;
 * an unknown name is an excess property), and a `layer` for whatever else it requires.
 *
 * @example
 * ```ts
 * const mocks: TestMocks<Workflow.RequirementsOf<typeof triage>> = { llm: { cheap: { responses: "bug" }, primary: {} } }
 * ```
 */
export type TestMocks<R, LE = never> =
  & ([LlmNamesOf<R>] extends [never] ? { readonly llm?: { readonly [K in never]: MockLlmOptions } }
    : { readonly llm: { readonly [K in LlmNamesOf<R>]: MockLlmOptions } })
  & ([EmbeddingsNamesOf<R>] extends [never] ? { readonly embeddings?: { readonly [K in never]: MockEmbeddingsOptions } }
    : { readonly embeddings: { readonly [K in EmbeddingsNamesOf<R>]: MockEmbeddingsOptions } })
  & ([OtherRequirementsOf<R>] extends [never] ? { readonly layer?: Layer.Layer<never, LE, MockRecorder> }
    : { readonly layer: Layer.Layer<OtherRequirementsOf<R>, LE, MockRecorder> })
  & {
    /** Record into this recorder instead of a fresh one (to read it after a run that fails). */
    readonly recorder?: MockRecorderShape | undefined
  }

/**
 * Options of {@link test}: those of a run, plus how the clock moves.
 *
 * @example
 * ```ts
 * Workflow.test(wf, input, mocks, { clock: "manual" }) // the test forks the run and calls TestClock.adjust itself
 * ```
 */
export interface TestOptions extends ExecuteOptions {
  /**
   * `"auto"` (default): whenever the run only waits on the clock, the test clock jumps to the next wake-up, so retry
   * backoffs, timeouts and mock latency take no real time and timings in the result are exact. Keep it for runs whose
   * only waiting is on mocks and the clock. `"manual"`: the clock moves only when the test adjusts it (the test forks
   * `Workflow.test` and calls `TestClock.adjust`); use it for runs that wait on real I/O.
   */
  readonly clock?: "auto" | "manual" | undefined
}

/**
 * What {@link test} returns: the run's result, with the step records keyed by the workflow's step paths (a step
 * inside a branch case is `"route/bug/draft"`), and the recorder the mocks recorded into.
 *
 * @example
 * ```ts
 * const { outputs, steps, recorder } = yield* Workflow.test(wf, input, mocks)
 * steps["route/bug/draft"]?.attempts
 * ```
 */
export interface TestResult<W> extends Omit<RunResult<OutputsOf<W>>, "steps"> {
  readonly steps: { readonly [P in StepPathsOf<W>]?: StepRecord }
  readonly recorder: MockRecorderShape
}

const isTestClock = (clock: Clock.Clock): clock is TestClock.TestClock =>
  typeof (clock as Partial<TestClock.TestClock>).adjust === "function"

// One turn of the host's event loop: lets promises and I/O callbacks of the run make progress.
const macrotask = Effect.callback<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

const settle = Effect.andThen(Effect.repeat(Effect.yieldNow, { times: 8 }), macrotask)

/**
 * Runs `effect` on `clock` (a TestClock), moving the clock to the next pending wake-up whenever the effect's fibers
 * have all settled and it is not done. Sleeps are seen through a Clock wrapper that notes each deadline.
 */
const autoAdvance = <A, E, R>(clock: TestClock.TestClock, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const deadlines: Array<number> = []
    const tracking: Clock.Clock = {
      currentTimeMillisUnsafe: () => clock.currentTimeMillisUnsafe(),
      currentTimeMillis: clock.currentTimeMillis,
      currentTimeNanosUnsafe: () => clock.currentTimeNanosUnsafe(),
      currentTimeNanos: clock.currentTimeNanos,
      monotonicTimeNanosUnsafe: () => clock.monotonicTimeNanosUnsafe(),
      monotonicTimeNanos: clock.monotonicTimeNanos,
      sleep: (duration) =>
        Effect.suspend(() => {
          const deadline = clock.currentTimeMillisUnsafe() + Duration.toMillis(duration)
          deadlines.push(deadline)
          return Effect.ensuring(
            clock.sleep(duration),
            Effect.sync(() => {
              const i = deadlines.indexOf(deadline)
              if (i !== -1) deadlines.splice(i, 1)
            })
          )
        })
    }
    const fiber = yield* Effect.forkChild(Effect.provideService(effect, Clock.Clock, tracking))
    let idle = 0
    while (fiber.pollUnsafe() === undefined) {
      const before = deadlines.length
      yield* settle
      if (fiber.pollUnsafe() !== undefined) break
      // Advance only once nothing moved during a whole settle: every fiber is waiting.
      if (deadlines.length !== before || deadlines.length === 0) {
        // Waiting on something other than the clock (real I/O, a Deferred): give it real time.
        if (deadlines.length === 0 && ++idle > 2) yield* clock.withLive(Effect.sleep("1 millis"))
        continue
      }
      idle = 0
      const next = Math.min(...deadlines)
      yield* clock.adjust(Math.max(0, next - clock.currentTimeMillisUnsafe()))
    }
    return yield* Fiber.join(fiber)
  })

/**
 * Tests a workflow: runs it with the given mocks (their type is computed from the workflow, so a missing mock is the
 * compile error `Property 'primary' is missing in type ...` on the mocks), on the test clock (advanced automatically
 * unless `clock: "manual"`), and returns its result with typed step records and the {@link MockRecorder}.
 * Works under `it.effect` (uses its TestClock), `it.live` and plain `Effect.runPromise` (a fresh TestClock).
 *
 * @example
 * ```ts
 * const { outputs, steps, recorder } = yield* Workflow.test(triage, { issue: "crash" }, {
 *   llm: { cheap: { responses: "bug" }, primary: { responses: "Sorry!", failures: { step: "reply", firstN: 1 } } }
 * })
 * ```
 */
export const test = <W extends Any, LE = never>(
  workflow: W,
  input: EncodedInputOf<W>,
  mocks: TestMocks<RequirementsOf<W>, LE>,
  options?: TestOptions
): Effect.Effect<TestResult<W>, WorkflowInputError | StepFailedWith<ErrorOf<W>> | LE> => {
  const { clock: mode, ...runOptions } = options ?? {}
  const spec = mocks as {
    readonly llm?: Readonly<Record<string, MockLlmOptions>>
    readonly embeddings?: Readonly<Record<string, MockEmbeddingsOptions>>
    readonly layer?: Layer.Layer<any, LE, MockRecorder>
    readonly recorder?: MockRecorderShape | undefined
  }
  const recorderLayer = spec.recorder === undefined ? MockRecorder.layer : Layer.succeed(MockRecorder, spec.recorder)
  // Correlation on: mocks see which step calls them (`MockRequest.step`, step-targeted failures).
  const mockLayer = Layer.merge(Mock.layerWith(spec, recorderLayer), Layer.succeed(Correlation.Enabled, true))
  const layer = spec.layer === undefined ? mockLayer : Layer.merge(mockLayer, Layer.provide(spec.layer, mockLayer))
  const run = Effect.gen(function*() {
    const result = yield* execute(workflow, input, runOptions)
    const recorder = yield* MockRecorder
    return { ...result, recorder } as unknown as TestResult<W>
  })
  const onClock = Effect.clockWith((clock) => {
    if (isTestClock(clock)) return mode === "manual" ? run : autoAdvance(clock, run)
    // Not under it.effect: a fresh TestClock for this run.
    return Effect.provide(
      Effect.clockWith((fresh) => (mode === "manual" || !isTestClock(fresh) ? run : autoAdvance(fresh, run))),
      TestClock.layer()
    )
  })
  return Effect.provide(onClock, layer) as Effect.Effect<TestResult<W>, WorkflowInputError | StepFailedWith<ErrorOf<W>> | LE>
}

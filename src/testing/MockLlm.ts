/**
 * Scripted language-model providers for tests — the documented way to test workflows.
 *
 * `MockLlm.layer("openai", options)` serves provider "openai" with scripted answers: a fixed reply, a list consumed in
 * order, or a function of the request (prompt, model, schema, ...). Structured-output replies are checked against the
 * step's Schema. Latency and failures can be injected; every call is recorded in the {@link MockRecorder}.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { MockLlm, MockRecorder, RateLimited } from "llm-orchestrator/testing"
 * const TestLayer = Layer.mergeAll(
 *   MockLlm.layer("openai", { responses: ["positive", "negative"] }),
 *   MockLlm.layer("anthropic", { responses: (req) => `Thanks! (${req.prompt.length} chars)`, latency: "1 second" })
 * ).pipe(Layer.provideMerge(MockRecorder.layer))
 * ```
 */
import { Clock, Effect, Layer, Schema, Stream } from "effect"
import { Prompt } from "effect/ai"
import { InvalidOutput, InvalidRequest, isLlmError, type LlmError, ProviderUnavailable, type Usage } from "../llm/LlmError.ts"
import { LlmProvider, type LlmProviderShape } from "../llm/LlmProvider.ts"
import type { LlmCallOptions, ObjectRequest, ObjectResponse, TextRequest, TextResponse, TextStreamPart } from "../llm/LlmRequest.ts"
import { MockRecorder, type MockCallKind, type MockRecorderShape } from "./MockRecorder.ts"
import { CurrentStep } from "../telemetry/Correlation.ts"
import { applyLatency, type Failures, type LatencyOption, makeFailuresInjector, stepPathOf } from "./MockScript.ts"
import { estimateTokens } from "./OfflineEmbedding.ts"

/**
 * What a scripted reply function receives.
 *
 * @example
 * ```ts
 * MockLlm.layer("openai", { responses: (req: MockRequest) => (req.call === 1 ? "first" : `again: ${req.prompt}`) })
 * ```
 */
export interface MockRequest {
  readonly provider: string
  readonly kind: Exclude<MockCallKind, "embedMany">
  /** 1-based call number for this provider (failed calls count). */
  readonly call: number
  /**
   * Path of the step making the call (`"draft"`, `"route/bug/draft"`), when the run tells mocks (it does under
   * `Workflow.test`, and whenever a failure rule targets a step); undefined otherwise.
   */
  readonly step: string | undefined
  readonly model: string
  /** The prompt's user/assistant text. */
  readonly prompt: string
  readonly system: string | undefined
  /** The requested Schema (generateObject only). */
  readonly schema: Schema.Top | undefined
  readonly temperature: number | undefined
  readonly maxTokens: number | undefined
  readonly stopSequences: ReadonlyArray<string> | undefined
}

const ReplyTypeId = Symbol.for("llm-orchestrator/MockReply")

/**
 * An explicit reply built with {@link MockLlm.text}, {@link MockLlm.value} or {@link MockLlm.fail}.
 *
 * @example
 * ```ts
 * MockLlm.layer("openai", { responses: [MockLlm.text("hi", { usage: { inputTokens: 3, outputTokens: 1 } }), MockLlm.value({ score: 9 })] })
 * ```
 */
export type MockReply =
  | { readonly [ReplyTypeId]: "text"; readonly text: string; readonly usage: Usage | undefined }
  | { readonly [ReplyTypeId]: "value"; readonly value: unknown; readonly usage: Usage | undefined }
  | { readonly [ReplyTypeId]: "fail"; readonly error: LlmError }

/**
 * One scripted answer. A string is the model's raw text (for structured output it is parsed as JSON — or, failing
 * that, decoded as the bare string — like a real provider, so unparsable text gives `InvalidOutput`). An `LlmError`
 * fails the call. Any other value is a structured value that must satisfy the step's Schema (checked: a mismatch is a
 * defect naming the provider and call, so a wrong mock cannot be silently retried).
 *
 * @example
 * ```ts
 * const answers: ReadonlyArray<MockAnswer> = ["text", { score: 9 }, new RateLimited({ provider: "openai", message: "429" })]
 * ```
 */
export type MockAnswer = string | LlmError | MockReply | number | boolean | object | null

/**
 * The scripted answers of a provider.
 *
 * @example
 * ```ts
 * const responses: MockResponses = (req) => (req.prompt.includes("refund") ? "negative" : "positive")
 * ```
 */
export type MockResponses =
  | MockAnswer
  | ReadonlyArray<MockAnswer>
  | ((request: MockRequest) => MockAnswer | Effect.Effect<MockAnswer, LlmError>)

/**
 * Options of {@link MockLlm.layer}.
 *
 * @example
 * ```ts
 * const options: MockLlmOptions = { responses: ["a", "b"], whenExhausted: "cycle", latency: "1 second", failures: { firstN: 1, error: "timeout" } }
 * ```
 */
export interface MockLlmOptions {
  /** Default: echo the prompt back. A list is consumed in order (see `whenExhausted`). */
  readonly responses?: MockResponses
  /** After the last listed response: "fail" (default; a defect), "repeat-last" or "cycle". */
  readonly whenExhausted?: "fail" | "repeat-last" | "cycle"
  readonly latency?: LatencyOption<MockRequest>
  /** Failure injection: one rule or a list of rules; a rule with `step` fails only that step's calls. */
  readonly failures?: Failures<MockRequest>
  /** Usage per call. Default: 1 token per 4 characters of prompt (+ system) in, of answer out (rounded up). */
  readonly usage?: Usage | ((request: MockRequest, output: string) => Usage)
}

/**
 * The user/assistant text of a raw prompt, and its system message if any.
 *
 * @example
 * ```ts
 * renderPrompt("hello") // { text: "hello", system: undefined }
 * ```
 */
export const renderPrompt = (raw: LlmCallOptions["prompt"]): { readonly text: string; readonly system: string | undefined } => {
  if (typeof raw === "string") return { text: raw, system: undefined }
  const prompt = Prompt.make(raw)
  const texts: Array<string> = []
  let system: string | undefined
  for (const m of prompt.content) {
    if (m.role === "system") system = system === undefined ? m.content : `${system}\n${m.content}`
    else if (m.role === "user" || m.role === "assistant") {
      for (const p of m.content) if (p.type === "text") texts.push(p.text)
    }
  }
  return { text: texts.join("\n"), system }
}

const isReply = (u: unknown): u is MockReply => typeof u === "object" && u !== null && ReplyTypeId in u

const toReply = (a: MockAnswer): MockReply =>
  isReply(a)
    ? a
    : typeof a === "string"
    ? { [ReplyTypeId]: "text", text: a, usage: undefined }
    : isLlmError(a)
    ? { [ReplyTypeId]: "fail", error: a }
    : { [ReplyTypeId]: "value", value: a, usage: undefined }

/**
 * Thrown (as a defect) when the script itself is wrong: exhausted list, value not matching the Schema.
 *
 * @example
 * ```ts
 * // MockLlm.layer("openai", { responses: ["one"] }): the second call dies with
 * // MockScriptError { provider: "openai", call: 2, message: ... } (a defect: fix the script, not the code)
 * ```
 */
export class MockScriptError extends Schema.TaggedError<MockScriptError>()("MockScriptError", {
  provider: Schema.String,
  call: Schema.Number,
  message: Schema.String
}) {}

export const make = (name: string, options: MockLlmOptions, recorder: MockRecorderShape): LlmProviderShape => {
  let calls = 0
  let consumed = 0
  const inject = makeFailuresInjector(name, options.failures)

  const nextAnswer = (request: MockRequest): Effect.Effect<MockAnswer, LlmError> => {
    const r = options.responses
    if (r === undefined) return Effect.succeed(request.prompt)
    if (typeof r === "function") {
      const out = (r as (req: MockRequest) => MockAnswer | Effect.Effect<MockAnswer, LlmError>)(request)
      return Effect.isEffect(out) ? (out as Effect.Effect<MockAnswer, LlmError>) : Effect.succeed(out as MockAnswer)
    }
    if (!Array.isArray(r)) return Effect.succeed(r as MockAnswer)
    const list = r as ReadonlyArray<MockAnswer>
    const i = consumed++
    if (i < list.length) return Effect.succeed(list[i]!)
    const mode = options.whenExhausted ?? "fail"
    if (mode === "repeat-last" && list.length > 0) return Effect.succeed(list[list.length - 1]!)
    if (mode === "cycle" && list.length > 0) return Effect.succeed(list[i % list.length]!)
    return Effect.die(
      new MockScriptError({
        provider: name,
        call: request.call,
        message: `MockLlm("${name}"): ${list.length} scripted response(s) exhausted at call ${request.call} ` +
          `(model ${request.model}, prompt ${JSON.stringify(request.prompt.slice(0, 80))})`
      })
    )
  }

  const usageOf = (request: MockRequest, output: string, override: Usage | undefined): Usage =>
    override ?? (typeof options.usage === "function"
      ? options.usage(request, output)
      : options.usage ?? {
        inputTokens: estimateTokens(request.prompt) + (request.system === undefined ? 0 : estimateTokens(request.system)),
        outputTokens: estimateTokens(output)
      })

  // One call: record, sleep, maybe fail, then resolve the scripted reply with `handle`.
  const run = <A extends { readonly usage: Usage }>(
    kind: MockRequest["kind"],
    req: LlmCallOptions,
    schema: Schema.Top | undefined,
    handle: (reply: MockReply, request: MockRequest) => Effect.Effect<A, LlmError>,
    output: (a: A) => unknown
  ): Effect.Effect<A, LlmError> =>
    Effect.gen(function*() {
      const call = ++calls
      const rendered = renderPrompt(req.prompt)
      const current = (yield* CurrentStep)?.stepId
      const step = current === undefined ? undefined : stepPathOf(current)
      const request: MockRequest = {
        provider: name,
        kind,
        call,
        step,
        model: req.model,
        prompt: rendered.text,
        system: req.system ?? rendered.system,
        schema,
        temperature: req.temperature,
        maxTokens: req.maxTokens,
        stopSequences: req.stopSequences
      }
      const finish = recorder.start({
        provider: name,
        call,
        kind,
        model: req.model,
        prompt: request.prompt,
        system: request.system,
        inputs: undefined,
        temperature: req.temperature,
        maxTokens: req.maxTokens,
        stopSequences: req.stopSequences,
        startedAt: yield* Clock.currentTimeMillis
      })
      const result = yield* Effect.gen(function*() {
        yield* applyLatency(options.latency, request, call)
        const injected = inject(request, call, step)
        if (injected !== undefined) return yield* Effect.fail(injected)
        const reply = toReply(yield* nextAnswer(request))
        if (reply[ReplyTypeId] === "fail") return yield* Effect.fail(reply.error)
        return yield* handle(reply, request)
      }).pipe(Effect.exit)
      const now = yield* Clock.currentTimeMillis
      if (result._tag === "Success") {
        finish(now, { _tag: "Success", output: output(result.value), usage: result.value.usage })
      } else {
        const error = result.cause.reasons.find((r) => r._tag === "Fail")
        if (error !== undefined && error._tag === "Fail") finish(now, { _tag: "Failure", error: error.error })
      }
      return yield* result
    })

  const textOf = (reply: MockReply): string =>
    reply[ReplyTypeId] === "text" ? reply.text : reply[ReplyTypeId] === "value" ? JSON.stringify(reply.value) : ""

  const generateText = (req: TextRequest): Effect.Effect<TextResponse, LlmError> =>
    run("generateText", req, undefined, (reply, request) => {
      const text = textOf(reply)
      const usage = usageOf(request, text, reply[ReplyTypeId] === "fail" ? undefined : reply.usage)
      return Effect.succeed({ text, usage, finishReason: "stop" as const })
    }, (r) => r.text)

  const generateObject = <A, I>(req: ObjectRequest<A, I>): Effect.Effect<ObjectResponse<A>, LlmError> =>
    run("generateObject", req, req.schema, (reply, request) => {
      const decode = (u: unknown) => Schema.decodeUnknownEffect(req.schema)(u) as Effect.Effect<A, Schema.SchemaError>
      const encode = (u: unknown) => Schema.encodeUnknownEffect(req.schema)(u) as Effect.Effect<I, Schema.SchemaError>
      if (reply[ReplyTypeId] === "value") {
        // a scripted value must satisfy the Schema: encode it (validates the Type side), decode it back
        return encode(reply.value).pipe(
          Effect.flatMap((encoded) => Effect.map(decode(encoded), (value) => ({ value, encoded }))),
          Effect.map(({ encoded, value }) => {
            const raw = JSON.stringify(encoded)
            return { value, raw, usage: usageOf(request, raw, reply.usage) }
          }),
          Effect.catch((issue) =>
            Effect.die(
              new MockScriptError({
                provider: name,
                call: request.call,
                message: `MockLlm("${name}") call ${request.call}: scripted value ${JSON.stringify(reply.value)} ` +
                  `does not satisfy the requested Schema: ${issue.message}`
              })
            )
          )
        )
      }
      const raw = textOf(reply)
      const usage = usageOf(request, raw, reply[ReplyTypeId] === "text" ? reply.usage : undefined)
      let parsed: unknown = raw
      try {
        parsed = JSON.parse(raw)
      } catch {
        // not JSON: try the bare text (convenient for string / literal schemas)
      }
      return decode(parsed).pipe(
        Effect.catch((e) => parsed === raw ? Effect.fail(e) : decode(raw)),
        Effect.map((value) => ({ value, raw, usage })),
        Effect.mapError(() =>
          new InvalidOutput({ provider: name, message: `output does not match the requested schema`, raw })
        )
      )
    }, (r) => r.value)

  const streamText = (req: TextRequest): Stream.Stream<TextStreamPart, LlmError> =>
    Stream.unwrap(
      Effect.map(generateTextFor("streamText", req), (res) => {
        const deltas = res.text.match(/\S+\s*|\s+/g) ?? []
        const parts: Array<TextStreamPart> = deltas.map((text) => ({ _tag: "Delta", text }))
        parts.push({ _tag: "Finish", usage: res.usage, finishReason: "stop" })
        return Stream.fromIterable(parts)
      })
    )

  const generateTextFor = (kind: "streamText", req: TextRequest) =>
    run(kind, req, undefined, (reply, request) => {
      const text = textOf(reply)
      return Effect.succeed({ text, usage: usageOf(request, text, reply[ReplyTypeId] === "fail" ? undefined : reply.usage) })
    }, (r) => r.text)

  return { name, generateText, generateObject, streamText }
}

/**
 * A scripted provider Layer named `name`, recording into the {@link MockRecorder} it requires.
 *
 * @example
 * ```ts
 * MockLlm.layer("openai", { responses: (req) => req.prompt.includes("refund") ? "negative" : "positive" })
 * ```
 */
export const layer = <const N extends string>(
  name: N,
  options: MockLlmOptions = {}
): Layer.Layer<LlmProvider<N>, never, MockRecorder> =>
  Layer.effect(LlmProvider.key(name), Effect.map(MockRecorder, (rec) => make(name, options, rec)))

/**
 * A reply with explicit text (and optional usage).
 *
 * @example
 * ```ts
 * MockLlm.text("Hello", { usage: { inputTokens: 10, outputTokens: 2 } })
 * ```
 */
export const text = (text: string, options?: { readonly usage?: Usage }): MockReply => ({
  [ReplyTypeId]: "text",
  text,
  usage: options?.usage
})

/**
 * A structured reply (must satisfy the step's Schema), with optional usage.
 *
 * @example
 * ```ts
 * MockLlm.value({ score: 9, notes: "good" })
 * ```
 */
export const value = (value: unknown, options?: { readonly usage?: Usage }): MockReply => ({
  [ReplyTypeId]: "value",
  value,
  usage: options?.usage
})

/**
 * A failing reply.
 *
 * @example
 * ```ts
 * MockLlm.fail(new RateLimited({ provider: "openai", message: "slow down", retryAfterMillis: 500 }))
 * ```
 */
export const fail = (error: LlmError): MockReply => ({ [ReplyTypeId]: "fail", error })

/**
 * Options of {@link MockLlm.fromFunction}: the provider options besides `responses`, and how a thrown error maps.
 *
 * @example
 * ```ts
 * const options: FromFunctionOptions = { latency: "200 millis", retryable: (e) => e instanceof TransientError }
 * ```
 */
export interface FromFunctionOptions extends Omit<MockLlmOptions, "responses" | "whenExhausted"> {
  /**
   * Whether a thrown error is worth retrying: it becomes `ProviderUnavailable` (retryable) when true, `InvalidRequest`
   * (never retried) when false. Default: the error's own `retryable` flag (`{ retryable: true }`), else false.
   */
  readonly retryable?: ((error: unknown) => boolean) | undefined
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error)

/**
 * Wraps an existing function (a shared fake, a recorded fixture) as a provider's script. What it returns (or resolves
 * to) is the answer, as in `responses`; what it throws (or rejects with) fails the call: an `LlmError` as it is, any
 * other error as `ProviderUnavailable` when it is retryable (its `retryable: true` flag, or the `retryable` option)
 * and `InvalidRequest` when not, so the step's `retry: { while: isRetryable }` treats it like a real provider's.
 *
 * @example
 * ```ts
 * const fake = async (req: MockRequest) => {
 *   if (req.prompt.includes("outage")) throw Object.assign(new Error("503"), { retryable: true })
 *   return `echo: ${req.prompt}`
 * }
 * Workflow.test(wf, input, { llm: { main: MockLlm.fromFunction(fake) } })
 * ```
 */
export const fromFunction = (
  fn: (request: MockRequest) => MockAnswer | PromiseLike<MockAnswer>,
  options: FromFunctionOptions = {}
): MockLlmOptions => {
  const { retryable, ...rest } = options
  const isRetryableError = retryable ?? ((e: unknown) => typeof e === "object" && e !== null && (e as { retryable?: unknown }).retryable === true)
  const toError = (request: MockRequest, error: unknown): LlmError =>
    isLlmError(error)
      ? error
      : isRetryableError(error)
      ? new ProviderUnavailable({ provider: request.provider, message: messageOf(error) })
      : new InvalidRequest({ provider: request.provider, message: messageOf(error) })
  return {
    ...rest,
    responses: (request) =>
      Effect.tryPromise({
        try: async () => await fn(request),
        catch: (error) => toError(request, error)
      })
  }
}

/**
 * Data protection applied to LLM calls and stored values: the `Governance` service applies a {@link Policy} to every
 * call of a provider it wraps (personal data masked or refused before the call, prompt limits, placeholders restored
 * in the answer where the policy is reversible), masks logs and spans, and protects stored step inputs and outputs
 * (mask, keep or encrypt) for the run store.
 *
 * A workflow opts in with one layer: `Governance.layerLlm(policy, "openai", OpenAiLive)` serves provider `openai`
 * through the policy (or `Governance.wrap("openai")` over an existing provider, with `Governance.layer(policy)`).
 * Put it outside `Reliability`: a refused call is never retried, and masked prompts are what the cache keys on.
 * Errors name the step: the layer turns on step correlation (`Correlation.Enabled`), so runs tell the policy which
 * run and step each call comes from (`Correlation.CurrentStep`).
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Governance } from "llm-orchestrator/governance"
 * const policy = Governance.policy({ pii: { prompt: "mask" }, limits: { promptTokens: 8_000, outputTokens: 800 } })
 * const Providers = Governance.layerLlm(policy, "openai", OpenAi.layerLlm("openai", { model: "gpt-4o-mini", apiKey }))
 * Workflow.run(wf, input).pipe(Effect.provide(Providers))
 * ```
 */
import { Context, Effect, Layer, Metric, Option, Schema, Stream } from "effect"
import { Prompt } from "effect/ai"
import * as Correlation from "../telemetry/Correlation.ts"
import { type LlmError, PiiRefused, PromptLimitExceeded, type Usage } from "../llm/LlmError.ts"
import { LlmProvider, type LlmProviderShape } from "../llm/LlmProvider.ts"
import type { LlmCallOptions, TextStreamPart } from "../llm/LlmRequest.ts"
import { Cipher } from "./Cipher.ts"
import type { CipherError } from "./CipherError.ts"
import * as Detectors from "./Detectors.ts"
import type { Detector } from "./Pii.ts"
import { PiiVault } from "./PiiVault.ts"
import * as PiiVaultModule from "./PiiVault.ts"
import { allDetectors, detectorsFor, estimateTokens, type Limits, type PiiSettings, type Policy, settingsFor } from "./Policy.ts"
import * as Redaction from "./Redaction.ts"
import * as Telemetry from "./Telemetry.ts"

export { allDetectors, defaultPolicy, detectorsFor, estimateTokens, policy, settingsFor } from "./Policy.ts"
export type { BuiltinDetector, Limits, PiiSettings, Policy, PromptAction, Rules, StorageAction } from "./Policy.ts"

/**
 * The policy cannot be applied as configured (e.g. it encrypts but no `Cipher` is provided).
 *
 * @example
 * ```ts
 * Governance.layer(policy).pipe(Layer.catchTag("GovernanceConfigError", (e) => Layer.die(e.message)))
 * ```
 */
export class GovernanceConfigError extends Schema.TaggedError<GovernanceConfigError>()("GovernanceConfigError", {
  message: Schema.String
}) {}

/**
 * Where a stored value belongs (its encryption context and which step's settings apply).
 *
 * @example
 * ```ts
 * const where: StoredAt = { runId: "run-1", workflow: "support", stepId: "answer", field: "output" }
 * ```
 */
export interface StoredAt {
  readonly runId: string
  readonly workflow: string
  readonly stepId: string
  readonly field: "input" | "output"
}

/**
 * A step input or output as the store keeps it.
 *
 * @example
 * ```ts
 * const stored: StoredValue = { _tag: "Encrypted", envelope: "enc:v1:k1:…", keyId: "k1" }
 * ```
 */
export type StoredValue =
  | { readonly _tag: "Plain"; readonly value: unknown }
  | { readonly _tag: "Encrypted"; readonly envelope: string; readonly keyId: string }

/**
 * What the service offers.
 *
 * @example
 * ```ts
 * const governance = yield* Governance.Governance
 * const stored = yield* governance.protect(output, { runId, workflow: "support", stepId: "answer", field: "output" })
 * ```
 */
export interface GovernanceShape {
  readonly policy: Policy
  /** A provider whose calls go through the policy. */
  readonly wrapLlmProvider: (shape: LlmProviderShape) => LlmProviderShape
  /** `text` with personal data replaced by labels, as logs get it. */
  readonly maskText: (text: string) => string
  /** A step input or output as it may be stored (the step's `storage` action). */
  readonly protect: (value: unknown, where: StoredAt) => Effect.Effect<StoredValue>
  /** The value back from what {@link protect} returned. */
  readonly unprotect: (stored: StoredValue, where: StoredAt) => Effect.Effect<unknown, CipherError>
  /** `text` with the run's placeholders replaced by the originals (reversible policies; unchanged otherwise). */
  readonly reveal: (runId: string, text: string) => Effect.Effect<string, CipherError>
  /** Deletes what the service keeps for the run (the originals of its placeholders). */
  readonly forgetRun: (runId: string) => Effect.Effect<void>
}

/**
 * The service.
 *
 * @example
 * ```ts
 * const masked = yield* Governance.Governance.use((g) => Effect.succeed(g.maskText("ada@example.com")))
 * ```
 */
export class Governance extends Context.Service<Governance, GovernanceShape>()("llm-orchestrator/Governance") {}

/**
 * Pieces of personal data masked in prompts.
 *
 * @example
 * ```ts
 * // governance_pii_masked_total 3
 * ```
 */
export const piiMasked = Metric.counter("governance_pii_masked_total", { description: "Personal data replaced by placeholders in prompts", incremental: true })

/**
 * Calls refused by the policy (PII or prompt limits), by reason.
 *
 * @example
 * ```ts
 * // governance_calls_refused_total{reason="promptTokens"} 1
 * ```
 */
export const callsRefused = Metric.counter("governance_calls_refused_total", { description: "LLM calls refused before they were sent", incremental: true })

// ---- prompts as strings ---------------------------------------------------------------------------------------

type Walk = (s: string) => string

const mapPart = (part: any, f: Walk): any => {
  switch (part?.type) {
    case "text":
    case "reasoning":
      return { ...part, text: f(part.text) }
    case "tool-call":
      return { ...part, params: Redaction.mapStrings(part.params, f) }
    case "tool-result":
      return { ...part, result: Redaction.mapStrings(part.result, f) }
    default:
      return part // files, approvals: not text
  }
}

const mapMessage = (message: any, f: Walk): any =>
  typeof message.content === "string"
    ? { ...message, content: f(message.content) }
    : Array.isArray(message.content)
    ? { ...message, content: message.content.map((p: unknown) => mapPart(p, f)) }
    : message

/** Every string of a prompt through `f` (system text, message text, reasoning, tool parameters and results). */
const mapPrompt = (prompt: Prompt.RawInput, f: Walk, encode: (p: Prompt.Prompt) => { readonly content: ReadonlyArray<unknown> }): Prompt.RawInput => {
  if (typeof prompt === "string") return f(prompt)
  const messages = isPrompt(prompt) ? encode(prompt).content : [...(prompt as Iterable<unknown>)]
  return messages.map((m) => mapMessage(m, f)) as ReadonlyArray<Prompt.MessageEncoded>
}
const isPrompt = (u: unknown): u is Prompt.Prompt => Prompt.isPrompt(u)

// ---- per-run state ----------------------------------------------------------------------------------------------

interface RunCounters {
  tokens: number
  readonly numbering: Redaction.Numbering
}

const resolvedCache = new WeakMap<Policy, Map<string, { readonly pii: PiiSettings; readonly limits: Limits; readonly detectors: ReadonlyArray<Detector> }>>()

const fmt = (n: number) => n.toLocaleString("en-US")

type Step = Correlation.StepCorrelation

const where = (provider: string, step: Step | undefined) =>
  step === undefined || step.stepId === undefined
    ? `A call to ${provider} outside a workflow step`
    : `Step '${step.stepId}' of workflow '${step.workflow}'`

/** Runs whose counters are kept (per-run prompt totals and placeholder numbering); the oldest are dropped beyond it. */
const maxRuns = 10_000

/**
 * Builds the service. Encryption (`storage: "encrypt"`) and reversible redaction need a `Cipher` in context (and use
 * the `PiiVault` in context, or an in-memory one); the build fails with {@link GovernanceConfigError} naming what is
 * missing.
 *
 * @example
 * ```ts
 * const governance = yield* Governance.make(policy)
 * const openai = governance.wrapLlmProvider(yield* LlmProvider.key("openai"))
 * ```
 */
export const make = Effect.fnUntraced(function*(policy: Policy) {
  const encodePrompt = Schema.encodeSync(Prompt.Prompt) as (p: Prompt.Prompt) => { readonly content: ReadonlyArray<unknown> }
  const cipherOption = yield* Effect.serviceOption(Cipher)
  const vaultOption = yield* Effect.serviceOption(PiiVault)

  const everywhere = [policy.pii, ...Object.values(policy.steps).map((r) => r.pii), ...Object.values(policy.workflows).flatMap((w) => [w.pii, ...Object.values(w.steps ?? {}).map((r) => r.pii)])]
  const needsVault = everywhere.some((p) => p?.reversible === true || p?.restoreOutput === true)
  const needsCipher = needsVault || everywhere.some((p) => p?.storage === "encrypt")
  if (needsCipher && Option.isNone(cipherOption)) {
    return yield* new GovernanceConfigError({
      message: `the policy ${needsVault ? "keeps originals (reversible / restoreOutput)" : "encrypts stored values (storage: encrypt)"} but no Cipher is provided: add Cipher.layer({ current, keys }) (keys from Secrets) below Governance.layer`
    })
  }
  const cipher = Option.getOrUndefined(cipherOption)
  const vault = Option.isSome(vaultOption)
    ? vaultOption.value
    : needsVault && cipher !== undefined
    ? yield* Effect.provideService(PiiVaultModule.make(PiiVaultModule.memoryStore()), Cipher, cipher)
    : undefined

  const telemetryDetectors = allDetectors(policy)
  let cache = resolvedCache.get(policy)
  if (cache === undefined) resolvedCache.set(policy, cache = new Map())
  const resolved = (step: { readonly workflow: string; readonly stepId: string | undefined } | undefined) => {
    const key = step === undefined ? "" : `${step.workflow}\u0000${step.stepId ?? ""}`
    let r = cache!.get(key)
    if (r === undefined) {
      const s = settingsFor(policy, step?.workflow, step?.stepId)
      r = { ...s, detectors: detectorsFor(s.pii) }
      cache!.set(key, r)
    }
    return r
  }

  // by run id, oldest first (a Map keeps insertion order); a step's counters live on its correlation record, which
  // the engine creates per step execution
  const runs = new Map<string, RunCounters>()
  const steps = new WeakMap<Step, { tokens: number }>()
  const runCounters = (runId: string) => {
    let c = runs.get(runId)
    if (c === undefined) {
      runs.set(runId, c = { tokens: 0, numbering: Redaction.numbering() })
      if (runs.size > maxRuns) runs.delete(runs.keys().next().value!)
    }
    return c
  }
  const stepCounters = (step: Step) => {
    let c = steps.get(step)
    if (c === undefined) steps.set(step, c = { tokens: 0 })
    return c
  }

  interface Prepared<R extends LlmCallOptions> {
    readonly request: R
    /** Puts originals back into answer text (identity unless the policy restores output). */
    readonly restore: (text: string) => Effect.Effect<string>
    readonly restoring: boolean
    /** Corrects the step and run totals with the tokens the provider reported. */
    readonly settle: (usage: Usage) => void
  }

  const prepare = <R extends LlmCallOptions>(provider: string, request: R): Effect.Effect<Prepared<R>, LlmError> =>
    Effect.flatMap(Correlation.CurrentStep, (correlation: Step | undefined) =>
      Effect.suspend((): Effect.Effect<Prepared<R>, LlmError> => {
        // outside a step (the run's own fiber) there is a run but no step
        const step = correlation?.stepId === undefined ? undefined : correlation
        const { pii, limits, detectors } = resolved(correlation)
        const runId = correlation?.runId
        const counters = runId === undefined ? undefined : runCounters(runId)
        const numbering = counters?.numbering ?? Redaction.numbering()
        const local = new Map<string, string>()
        const fresh: Array<{ placeholder: string; original: string }> = []
        const kinds = new Set<string>()
        let maskedCount = 0
        let chars = 0
        const counted = policy.countTokens === estimateTokens ? undefined : ([] as Array<string>)
        const reversible = pii.reversible || pii.restoreOutput
        const visit: Walk = (s) => {
          if (pii.prompt === "allow" || s.length === 0) {
            chars += s.length
            counted?.push(s)
            return s
          }
          const found = Detectors.detect(s, detectors)
          if (found.length === 0) {
            chars += s.length
            counted?.push(s)
            return s
          }
          for (const m of found) kinds.add(m.kind)
          if (pii.prompt === "refuse") return s
          maskedCount += found.length
          const out = Redaction.replace(s, found, (m, original) => {
            const { placeholder, fresh: isNew } = numbering.assign(m.kind, original)
            if (reversible) {
              local.set(placeholder, original)
              if (isNew) fresh.push({ placeholder, original })
            }
            return placeholder
          })
          chars += out.length
          counted?.push(out)
          return out
        }
        const prompt = mapPrompt(request.prompt, visit, encodePrompt)
        const system = request.system === undefined ? undefined : visit(request.system)
        if (kinds.size > 0 && pii.prompt === "refuse") {
          const list = [...kinds].sort()
          return Effect.andThen(
            Metric.update(callsRefused.pipe(Metric.withAttributes({ reason: "pii" })), 1),
            Effect.fail(new PiiRefused({
              provider,
              ...(step?.stepId === undefined ? {} : { step: step.stepId }),
              kinds: list,
              message: `${where(provider, step)}: the prompt contains personal data (${list.join(", ")}) and the policy refuses it`
            }))
          )
        }
        // limits, on what would be sent
        const tokens = counted === undefined ? Math.ceil(chars / 4) : policy.countTokens(counted.join("\n"))
        const refuse = (limit: PromptLimitExceeded["limit"], count: number, max: number, what: string) =>
          Effect.andThen(
            Metric.update(callsRefused.pipe(Metric.withAttributes({ reason: limit })), 1),
            Effect.fail(new PromptLimitExceeded({
              provider,
              ...(step?.stepId === undefined ? {} : { step: step.stepId }),
              limit,
              tokens: count,
              max,
              message: `${where(provider, step)}: ${what} (${limit} ${fmt(max)}); refused before the call`
            }))
          )
        if (limits.promptTokens !== undefined && tokens > limits.promptTokens) {
          return refuse("promptTokens", tokens, limits.promptTokens, `the prompt has ~${fmt(tokens)} tokens, more than the limit`)
        }
        const stepState = step === undefined ? undefined : stepCounters(step)
        if (limits.stepPromptTokens !== undefined && stepState !== undefined && stepState.tokens + tokens > limits.stepPromptTokens) {
          return refuse("stepPromptTokens", stepState.tokens + tokens, limits.stepPromptTokens, `the step's prompts would reach ~${fmt(stepState.tokens + tokens)} tokens`)
        }
        if (limits.runPromptTokens !== undefined && counters !== undefined && counters.tokens + tokens > limits.runPromptTokens) {
          return refuse("runPromptTokens", counters.tokens + tokens, limits.runPromptTokens, `the run's prompts would reach ~${fmt(counters.tokens + tokens)} tokens`)
        }
        let maxTokens = request.maxTokens
        if (limits.outputTokens !== undefined) {
          if (maxTokens !== undefined && maxTokens > limits.outputTokens) {
            return refuse("outputTokens", maxTokens, limits.outputTokens, `the call asks for up to ${fmt(maxTokens)} output tokens`)
          }
          maxTokens ??= limits.outputTokens
        }
        // reserve now (concurrent steps of the run see it), correct with the reported usage later
        if (stepState !== undefined) stepState.tokens += tokens
        if (counters !== undefined) counters.tokens += tokens
        const settle = (usage: Usage) => {
          const actual = usage.inputTokens
          if (!(actual > 0)) return
          if (stepState !== undefined) stepState.tokens += actual - tokens
          if (counters !== undefined) counters.tokens += actual - tokens
        }
        const masked: R = {
          ...request,
          prompt,
          ...(system === undefined ? {} : { system }),
          ...(maxTokens === undefined ? {} : { maxTokens })
        }
        const restoring = pii.restoreOutput
        const restore = (text: string): Effect.Effect<string> => {
          if (!pii.restoreOutput) return Effect.succeed(text)
          const wanted = Redaction.placeholdersIn(text)
          if (wanted.length === 0) return Effect.succeed(text)
          const missing = wanted.filter((p) => !local.has(p))
          const fromVault = missing.length === 0 || vault === undefined || runId === undefined
            ? Effect.succeed(new Map<string, string>() as ReadonlyMap<string, string>)
            : vault.lookup(runId, missing).pipe(Effect.orElseSucceed(() => new Map<string, string>()))
          return Effect.map(fromVault, (found) => Redaction.restore(text, (p) => local.get(p) ?? found.get(p)))
        }
        // one update per call: attributes per kind would cost a metric key (a JSON string) per update
        const metrics = maskedCount === 0 ? Effect.void : Metric.update(piiMasked, maskedCount)
        const store = fresh.length > 0 && vault !== undefined && runId !== undefined ? vault.put(runId, fresh) : Effect.void
        return Effect.as(Effect.andThen(metrics, store), { request: masked, restore, restoring, settle })
      }))

  const restoreStream = (stream: Stream.Stream<TextStreamPart, LlmError>, restore: (t: string) => Effect.Effect<string>) => {
    // a placeholder may be split across deltas: hold back a tail that could be the start of one
    let carry = ""
    const partial = /\[[A-Z0-9_]*$/
    return stream.pipe(
      Stream.mapEffect((part): Effect.Effect<ReadonlyArray<TextStreamPart>> => {
        if (part._tag === "Delta") {
          const text = carry + part.text
          const tail = partial.exec(text)
          const hold = tail !== null && tail[0].length <= 48 ? tail[0] : ""
          carry = hold
          const emit = text.slice(0, text.length - hold.length)
          return emit === "" ? Effect.succeed([]) : Effect.map(restore(emit), (t) => [{ _tag: "Delta" as const, text: t }])
        }
        const rest = carry
        carry = ""
        return rest === "" ? Effect.succeed([part]) : Effect.map(restore(rest), (t) => [{ _tag: "Delta" as const, text: t }, part])
      }),
      Stream.flattenIterable
    )
  }

  // The provider's native effect/ai model is not passed on: `Llm.withLanguageModel` would call it directly, past the
  // policy. Without it, withLanguageModel builds a model over the governed calls (text, structured output, streams;
  // tool calling through withLanguageModel is not available on a governed provider).
  const wrapLlmProvider: GovernanceShape["wrapLlmProvider"] = ({ languageModel: _native, ...shape }) => ({
    ...shape,
    generateText: (request) =>
      Effect.flatMap(prepare(shape.name, request), (p) =>
        shape.generateText(p.request).pipe(
          Effect.tap((res) => Effect.sync(() => p.settle(res.usage))),
          Effect.flatMap((res) => p.restoring ? Effect.map(p.restore(res.text), (text) => ({ ...res, text })) : Effect.succeed(res))
        )),
    generateObject: (request) =>
      Effect.flatMap(prepare(shape.name, request), (p) =>
        shape.generateObject(p.request).pipe(
          Effect.tap((res) => Effect.sync(() => p.settle(res.usage))),
          Effect.flatMap((res) => {
            if (!p.restoring) return Effect.succeed(res)
            return Effect.gen(function*() {
              const raw = yield* p.restore(res.raw)
              // strings inside the decoded value, one lookup per distinct placeholder
              const wanted = new Map<string, string>()
              Redaction.mapStrings(res.value, (s) => {
                for (const ph of Redaction.placeholdersIn(s)) wanted.set(ph, ph)
                return s
              })
              for (const ph of wanted.keys()) wanted.set(ph, yield* p.restore(ph))
              const value = Redaction.mapStrings(res.value, (s) => Redaction.restore(s, (ph) => wanted.get(ph))) as typeof res.value
              return { ...res, raw, value }
            })
          })
        )),
    streamText: (request) =>
      Stream.unwrap(Effect.map(prepare(shape.name, request), (p) => {
        const stream = shape.streamText(p.request).pipe(Stream.tap((part) => part._tag === "Finish" ? Effect.sync(() => p.settle(part.usage)) : Effect.void))
        return p.restoring ? restoreStream(stream, p.restore) : stream
      }))
  })

  const maskText = (text: string) => Redaction.maskText(text, telemetryDetectors)

  const contextOf = (w: StoredAt) => `run:${w.runId}/step:${w.stepId}/${w.field}`

  const protect: GovernanceShape["protect"] = (value, at) =>
    Effect.suspend((): Effect.Effect<StoredValue> => {
      const { pii, detectors } = resolved({ workflow: at.workflow, stepId: at.stepId })
      switch (pii.storage) {
        case "keep":
          return Effect.succeed({ _tag: "Plain" as const, value })
        case "mask":
          return Effect.succeed({ _tag: "Plain" as const, value: Redaction.mapStrings(value, (s) => Redaction.maskText(s, detectors)) })
        case "encrypt":
          return Effect.map(cipher!.encryptJson(value, contextOf(at)), (envelope) => ({ _tag: "Encrypted" as const, envelope, keyId: cipher!.currentKeyId }))
      }
    })

  const unprotect: GovernanceShape["unprotect"] = (stored, at) =>
    stored._tag === "Plain"
      ? Effect.succeed(stored.value)
      : cipher === undefined
      ? Effect.die(new GovernanceConfigError({ message: "an encrypted stored value needs a Cipher to be read" }))
      : cipher.decryptJson(stored.envelope, contextOf(at))

  return Governance.of({
    policy,
    wrapLlmProvider,
    maskText,
    protect,
    unprotect,
    reveal: (runId, text) => vault === undefined ? Effect.succeed(text) : vault.reveal(runId, text),
    forgetRun: (runId) =>
      Effect.suspend(() => {
        runs.delete(runId)
        return vault === undefined ? Effect.void : vault.forget(runId)
      })
  })
})

/**
 * The service for `policy`, with logs and spans masked and runs providing the current step to it.
 *
 * @example
 * ```ts
 * const GovernanceLive = Governance.layer(policy).pipe(Layer.provide(CipherLive))
 * ```
 */
export const layer = (policy: Policy): Layer.Layer<Governance, GovernanceConfigError> =>
  Layer.mergeAll(
    Layer.effect(Governance, make(policy)),
    Layer.succeed(Correlation.Enabled, true),
    Telemetry.layer(allDetectors(policy))
  )

/**
 * Serves provider `name` through the `Governance` in context (wraps the provider `name` below it).
 *
 * @example
 * ```ts
 * Governance.wrap("openai").pipe(Layer.provide(OpenAiLive), Layer.provideMerge(Governance.layer(policy)))
 * ```
 */
export const wrap = <const N extends string>(name: N): Layer.Layer<LlmProvider<N>, never, LlmProvider<N> | Governance> =>
  Layer.effect(
    LlmProvider.key(name),
    Effect.gen(function*() {
      const inner = yield* LlmProvider.key(name)
      const governance = yield* Governance
      return governance.wrapLlmProvider(inner)
    })
  )

/**
 * Provider `name` from `provider` (a layer serving it), through `policy`: the one layer a workflow needs to opt in.
 * Also provides the `Governance` service (for `protect`, `reveal`) and the masked logs and spans.
 *
 * @example
 * ```ts
 * const openai = Governance.layerLlm(policy, "openai", OpenAi.layerLlm("openai", { model: "gpt-4o-mini", apiKey }))
 * Workflow.run(wf, input).pipe(Effect.provide(openai))
 * ```
 */
export const layerLlm = <const N extends string, E, R>(
  policy: Policy,
  name: N,
  provider: Layer.Layer<LlmProvider<N>, E, R>
): Layer.Layer<LlmProvider<N> | Governance, E | GovernanceConfigError, Exclude<R, never>> =>
  wrap(name).pipe(Layer.provide(provider), Layer.provideMerge(layer(policy)))

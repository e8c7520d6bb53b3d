/**
 * A data-protection policy as a plain value: which personal data to look for, what to do with it in each place
 * (before the provider call, in stored inputs and outputs), and prompt limits; with overrides per workflow and per
 * step. {@link policy} fills in the defaults; `Governance.layer` applies it.
 *
 * | place | actions | default |
 * |-------|---------|---------|
 * | prompt (before the provider call) | `mask` (numbered placeholders), `refuse` (`PiiRefused`), `allow` | `mask` |
 * | logs and spans | always masked (labels) | |
 * | stored inputs and outputs | `mask` (labels), `keep`, `encrypt` (AES-256-GCM envelope) | `mask` |
 * | originals of masked prompt data | `reversible: true` keeps them encrypted per run; `restoreOutput: true` puts them back into the answer | off |
 *
 * @example
 * ```ts
 * import { Governance } from "llm-orchestrator/governance"
 * const policy = Governance.policy({
 *   pii: { prompt: "mask", storage: "encrypt", patterns: { "employee-id": /\bEMP-\d{6}\b/ } },
 *   limits: { promptTokens: 8_000, runPromptTokens: 200_000, outputTokens: 1_000 },
 *   workflows: { "support-reply": { pii: { reversible: true, restoreOutput: true } } },
 *   steps: { classify: { pii: { prompt: "refuse" } } }
 * })
 * ```
 */
import type { CountryCode } from "libphonenumber-js/max"
import * as Detectors from "./Detectors.ts"
import type { Detector } from "./Pii.ts"

/**
 * What happens to personal data in a prompt.
 *
 * @example
 * ```ts
 * const action: PromptAction = "refuse"
 * ```
 */
export type PromptAction = "mask" | "refuse" | "allow"

/**
 * What happens to personal data in stored step inputs and outputs.
 *
 * @example
 * ```ts
 * const action: StorageAction = "encrypt"
 * ```
 */
export type StorageAction = "mask" | "keep" | "encrypt"

/**
 * The built-in detectors.
 *
 * @example
 * ```ts
 * const detect: ReadonlyArray<BuiltinDetector> = ["email", "card"]
 * ```
 */
export type BuiltinDetector = "email" | "phone" | "card" | "iban"

/**
 * Personal-data settings.
 *
 * @example
 * ```ts
 * const pii: PiiSettings = { ...Governance.defaultPolicy.pii, prompt: "refuse" }
 * ```
 */
export interface PiiSettings {
  /** Built-in detectors to run. Default: all four. */
  readonly detect: ReadonlyArray<BuiltinDetector>
  /** Your own kinds: name -> regular expression. */
  readonly patterns: Readonly<Record<string, RegExp | string>>
  /** National numbering plans for phone numbers (international ones are always found). Default US, GB, DE, FR, IN, BR. */
  readonly phoneRegions: ReadonlyArray<CountryCode>
  readonly prompt: PromptAction
  readonly storage: StorageAction
  /** Keep the originals of masked prompt data, encrypted, per run (needs a `Cipher`). */
  readonly reversible: boolean
  /** Replace placeholders in the model's answer by the originals (implies `reversible`). */
  readonly restoreOutput: boolean
}

/**
 * Prompt limits, in tokens (estimated with the policy's `countTokens` before the call; the provider's reported input
 * tokens replace the estimate in the step and run totals after it).
 *
 * @example
 * ```ts
 * const limits: Limits = { promptTokens: 8_000, stepPromptTokens: 40_000, runPromptTokens: 200_000, outputTokens: 1_000 }
 * ```
 */
export interface Limits {
  /** The largest prompt one call may send. */
  readonly promptTokens?: number | undefined
  /** All prompts of one step execution together (loops, retries and multi-call steps). */
  readonly stepPromptTokens?: number | undefined
  /** All prompts of one run together. */
  readonly runPromptTokens?: number | undefined
  /** The most output tokens a call may ask for; a call that asks for none is given this as its `maxTokens`. */
  readonly outputTokens?: number | undefined
}

/**
 * Overrides for a workflow or a step.
 *
 * @example
 * ```ts
 * const rules: Rules = { pii: { prompt: "allow" }, limits: { promptTokens: 32_000 } }
 * ```
 */
export interface Rules {
  readonly pii?: Partial<PiiSettings> | undefined
  readonly limits?: Limits | undefined
}

/**
 * A complete policy.
 *
 * @example
 * ```ts
 * const p: Policy = Governance.policy({ pii: { storage: "encrypt" } })
 * ```
 */
export interface Policy {
  readonly pii: PiiSettings
  readonly limits: Limits
  /** Overrides by step id (the step's path, e.g. `review/draft` inside a branch), in every workflow. */
  readonly steps: Readonly<Record<string, Rules>>
  /** Overrides by workflow name, with their own step overrides. */
  readonly workflows: Readonly<Record<string, Rules & { readonly steps?: Readonly<Record<string, Rules>> | undefined }>>
  /** Token count of a text. Default: 4 characters per token, rounded up. */
  readonly countTokens: (text: string) => number
}

/**
 * Characters / 4, rounded up: the usual estimate for English with GPT and Claude tokenizers. Pass your tokenizer as
 * `countTokens` for exact limits.
 *
 * @example
 * ```ts
 * Governance.estimateTokens("x".repeat(10)) // 3
 * ```
 */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4)

/**
 * The default policy: every detector, prompts masked, stored values masked, not reversible, no limits.
 *
 * @example
 * ```ts
 * Governance.layer(Governance.defaultPolicy)
 * ```
 */
export const defaultPolicy: Policy = {
  pii: {
    detect: ["email", "phone", "card", "iban"],
    patterns: {},
    phoneRegions: Detectors.defaultPhoneRegions,
    prompt: "mask",
    storage: "mask",
    reversible: false,
    restoreOutput: false
  },
  limits: {},
  steps: {},
  workflows: {},
  countTokens: estimateTokens
}

/**
 * {@link defaultPolicy} with `overrides` (`pii` and `limits` merged field by field).
 *
 * @example
 * ```ts
 * Governance.policy({ pii: { prompt: "refuse" }, limits: { outputTokens: 500 } })
 * ```
 */
export const policy = (overrides: {
  readonly pii?: Partial<PiiSettings> | undefined
  readonly limits?: Limits | undefined
  readonly steps?: Policy["steps"] | undefined
  readonly workflows?: Policy["workflows"] | undefined
  readonly countTokens?: ((text: string) => number) | undefined
} = {}): Policy => ({
  pii: { ...defaultPolicy.pii, ...overrides.pii },
  limits: { ...overrides.limits },
  steps: overrides.steps ?? {},
  workflows: overrides.workflows ?? {},
  countTokens: overrides.countTokens ?? estimateTokens
})

/**
 * The settings that apply in `workflow` / `step`: the policy, then the workflow's overrides, the step's, and the
 * workflow's step overrides.
 *
 * @example
 * ```ts
 * Governance.settingsFor(policy, "support-reply", "draft").pii.prompt
 * ```
 */
export const settingsFor = (policy: Policy, workflow: string | undefined, step: string | undefined): { readonly pii: PiiSettings; readonly limits: Limits } => {
  const wf = workflow === undefined ? undefined : policy.workflows[workflow]
  const layers: Array<Rules | undefined> = [wf, step === undefined ? undefined : policy.steps[step], step === undefined ? undefined : wf?.steps?.[step]]
  let pii = policy.pii
  let limits = policy.limits
  for (const r of layers) {
    if (r?.pii !== undefined) pii = { ...pii, ...r.pii }
    if (r?.limits !== undefined) limits = { ...limits, ...r.limits }
  }
  return { pii, limits }
}

/**
 * The detectors of `pii`.
 *
 * @example
 * ```ts
 * Governance.detectorsFor(policy.pii).map((d) => d.kind) // ["email", "card", "iban", "phone", "employee-id"]
 * ```
 */
export const detectorsFor = (pii: PiiSettings): ReadonlyArray<Detector> => {
  const out: Array<Detector> = []
  if (pii.detect.includes("email")) out.push(Detectors.email)
  if (pii.detect.includes("card")) out.push(Detectors.card())
  if (pii.detect.includes("iban")) out.push(Detectors.iban)
  if (pii.detect.includes("phone")) out.push(Detectors.phone({ regions: pii.phoneRegions }))
  for (const [kind, pattern] of Object.entries(pii.patterns)) out.push(Detectors.pattern(kind, pattern))
  return out
}

/**
 * Every detector the policy uses anywhere (what logs and spans are masked with).
 *
 * @example
 * ```ts
 * Telemetry.layer(Governance.allDetectors(policy))
 * ```
 */
export const allDetectors = (policy: Policy): ReadonlyArray<Detector> => {
  const builtins = new Set<BuiltinDetector>(policy.pii.detect)
  const patterns: Record<string, RegExp | string> = { ...policy.pii.patterns }
  const regions = new Set(policy.pii.phoneRegions)
  const visit = (r: Rules | undefined) => {
    for (const d of r?.pii?.detect ?? []) builtins.add(d)
    Object.assign(patterns, r?.pii?.patterns)
    for (const c of r?.pii?.phoneRegions ?? []) regions.add(c)
  }
  Object.values(policy.steps).forEach(visit)
  for (const wf of Object.values(policy.workflows)) {
    visit(wf)
    Object.values(wf.steps ?? {}).forEach(visit)
  }
  return detectorsFor({ ...policy.pii, detect: [...builtins], patterns, phoneRegions: [...regions] })
}

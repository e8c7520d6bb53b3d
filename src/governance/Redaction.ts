/**
 * Replacing personal data in text: by a label (`[EMAIL]`, for logs and spans) or by a numbered placeholder
 * (`[EMAIL_1]`, for prompts: the model can still tell two addresses apart, and a reversible policy can put the
 * originals back into its answer). Numbering is per run and stable: the same address is `[EMAIL_1]` in every call of
 * the run. The index behind it keys on an HMAC of each value (with a per-process random key), not the value.
 *
 * @example
 * ```ts
 * import { Detectors, Redaction } from "llm-orchestrator/governance"
 * Redaction.maskText("mail ada@example.com", Detectors.defaults) // "mail [EMAIL]"
 * ```
 */
import { createHmac, createSecretKey, randomBytes } from "node:crypto"
import * as Detectors from "./Detectors.ts"
import type { Detector, PiiMatch } from "./Pii.ts"

/**
 * The placeholder name of a kind: upper case, non-alphanumerics as `_` (`employee-id` -> `EMPLOYEE_ID`).
 *
 * @example
 * ```ts
 * Redaction.tagOf("employee-id") // "EMPLOYEE_ID"
 * ```
 */
export const tagOf = (kind: string): string => kind.toUpperCase().replace(/[^A-Z0-9]+/g, "_")

/**
 * `text` with each match replaced by `replacement(match, original)`.
 *
 * @example
 * ```ts
 * Redaction.replace("a@b.co x", [{ kind: "email", start: 0, end: 6 }], (m) => `[${m.kind}]`) // "[email] x"
 * ```
 */
export const replace = (
  text: string,
  matches: ReadonlyArray<PiiMatch>,
  replacement: (match: PiiMatch, original: string) => string
): string => {
  if (matches.length === 0) return text
  let out = ""
  let at = 0
  for (const m of matches) {
    out += text.slice(at, m.start) + replacement(m, text.slice(m.start, m.end))
    at = m.end
  }
  return out + text.slice(at)
}

/**
 * `text` with personal data replaced by labels (`[EMAIL]`, `[CARD]`, …): what logs and spans get.
 *
 * @example
 * ```ts
 * Redaction.maskText("card 4111 1111 1111 1111", Detectors.defaults) // "card [CARD]"
 * ```
 */
export const maskText = (text: string, detectors: ReadonlyArray<Detector> = Detectors.defaults): string =>
  replace(text, Detectors.detect(text, detectors), (m) => `[${tagOf(m.kind)}]`)

/**
 * `value` with every string inside (arrays and plain objects, to any depth) passed through `f`; other values as is.
 *
 * @example
 * ```ts
 * Redaction.mapStrings({ to: ["a@b.co"] }, (s) => s.toUpperCase()) // { to: ["A@B.CO"] }
 * ```
 */
export const mapStrings = (value: unknown, f: (s: string) => string): unknown => {
  if (typeof value === "string") return f(value)
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f))
  if (typeof value === "object" && value !== null && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, f)
    return out
  }
  return value
}

/**
 * Numbered placeholders for one run (or one call outside runs).
 *
 * @example
 * ```ts
 * const n = Redaction.numbering()
 * n.assign("email", "ada@example.com") // { placeholder: "[EMAIL_1]", fresh: true }
 * n.assign("email", "ada@example.com") // { placeholder: "[EMAIL_1]", fresh: false }
 * ```
 */
export interface Numbering {
  readonly assign: (kind: string, original: string) => { readonly placeholder: string; readonly fresh: boolean }
}

// a KeyObject made once: createHmac with raw bytes converts them on every call (~30 µs)
const indexKey = createSecretKey(randomBytes(32))

/**
 * A fresh {@link Numbering}.
 *
 * @example
 * ```ts
 * const n = Redaction.numbering()
 * ```
 */
export const numbering = (): Numbering => {
  const counters = new Map<string, number>()
  const index = new Map<string, string>()
  return {
    assign: (kind, original) => {
      const tag = tagOf(kind)
      const digest = createHmac("sha256", indexKey).update(tag).update("\u0000").update(original).digest("base64")
      const known = index.get(digest)
      if (known !== undefined) return { placeholder: known, fresh: false }
      const n = (counters.get(tag) ?? 0) + 1
      counters.set(tag, n)
      const placeholder = `[${tag}_${n}]`
      index.set(digest, placeholder)
      return { placeholder, fresh: true }
    }
  }
}

/**
 * The numbered placeholders (`[EMAIL_1]`) in a text.
 *
 * @example
 * ```ts
 * "to [EMAIL_1] and [EMAIL_2]".match(Redaction.placeholderPattern) // ["[EMAIL_1]", "[EMAIL_2]"]
 * ```
 */
export const placeholderPattern = /\[[A-Z][A-Z0-9_]*_\d+\]/g

/**
 * `text` with each placeholder that `lookup` knows replaced by its original.
 *
 * @example
 * ```ts
 * Redaction.restore("Hi [EMAIL_1]", (p) => p === "[EMAIL_1]" ? "ada@example.com" : undefined) // "Hi ada@example.com"
 * ```
 */
export const restore = (text: string, lookup: (placeholder: string) => string | undefined): string =>
  text.replace(placeholderPattern, (p) => lookup(p) ?? p)

/**
 * The placeholders in `text`, each once.
 *
 * @example
 * ```ts
 * Redaction.placeholdersIn("[CARD_1] [CARD_1] [IBAN_2]") // ["[CARD_1]", "[IBAN_2]"]
 * ```
 */
export const placeholdersIn = (text: string): Array<string> => [...new Set(text.match(placeholderPattern) ?? [])]

/**
 * The built-in personal-data detectors and {@link detect}, which runs several over a text and keeps the longest of
 * overlapping matches.
 *
 * - **email**: `local@domain.tld` found by expanding around each `@` (linear in the text): an ASCII or Unicode local
 *   part of at most 64 characters, a domain of two or more labels and an alphabetic top-level domain.
 * - **phone**: runs of digits written like phone numbers, validated with Google's libphonenumber metadata (the
 *   `libphonenumber-js` port, full metadata): international numbers (`+49 30 901820`) anywhere, national ones
 *   (`(415) 555-2671`, `030 901820`, `0049 …`) valid in one of `regions` (default US, GB, DE, FR, IN, BR). Dates,
 *   versions, year ranges, decimals, ZIP+4 codes and identifiers are not; a bare run of digits is one only after a
 *   phone word ("call", "tel:").
 * - **card**: 13 to 19 digits, optionally in the groups cards are printed in (4-4-4-4, 4-6-5, 4-6-4), passing the
 *   Luhn check and starting with a known issuer prefix (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay,
 *   Maestro, Mir, RuPay).
 * - **iban**: a registry country code, two check digits and the country's length, spaced or not, passing MOD 97-10.
 * - **pattern**: your own regular expression (`employee-id`, ticket numbers, national ids).
 *
 * @example
 * ```ts
 * import { Detectors } from "llm-orchestrator/governance"
 * const found = Detectors.detect("Card 4111 1111 1111 1111, mail ada@example.com", Detectors.defaults)
 * found.map((m) => m.kind) // ["card", "email"]
 * ```
 */
import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max"
import * as Checksums from "./Checksums.ts"
import type { Detector, PiiMatch } from "./Pii.ts"

// ---- email ----------------------------------------------------------------------------------------------------

const isAsciiAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
const letter = /\p{L}|\p{N}/u
const isLocal = (text: string, i: number) => {
  const c = text.charCodeAt(i)
  if (isAsciiAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45) return true // . _ % + -
  return c > 127 && letter.test(text[i]!)
}
const isLabel = (text: string, i: number) => {
  const c = text.charCodeAt(i)
  if (isAsciiAlnum(c) || c === 45) return true // -
  return c > 127 && letter.test(text[i]!)
}

const findEmails = (text: string): Array<PiiMatch> => {
  const out: Array<PiiMatch> = []
  let from = 0
  let lastEnd = 0
  for (;;) {
    const at = text.indexOf("@", from)
    if (at < 0) return out
    from = at + 1
    if (at < lastEnd) continue
    // local part: back from "@"
    let start = at
    while (start > lastEnd && at - start < 64 && isLocal(text, start - 1)) start--
    if (start > 0 && start > lastEnd && isLocal(text, start - 1) && at - start >= 64) continue // local part too long
    while (start < at && text.charCodeAt(start) === 46) start++ // leading dots
    if (start === at || text.charCodeAt(at - 1) === 46) continue
    const local = text.slice(start, at)
    if (local.includes("..")) continue
    // domain: labels separated by single dots
    let end = at + 1
    let lastDot = -1
    let labelStart = end
    let ok = true
    while (end < text.length && end - at <= 254) {
      if (isLabel(text, end)) {
        end++
        continue
      }
      if (text.charCodeAt(end) === 46 && end > labelStart && end + 1 < text.length && isLabel(text, end + 1)) {
        lastDot = end
        end++
        labelStart = end
        continue
      }
      break
    }
    if (lastDot < 0) continue
    // the labels: none empty, none starting or ending with "-"
    const domain = text.slice(at + 1, end)
    for (const label of domain.split(".")) {
      if (label === "" || label.startsWith("-") || label.endsWith("-")) ok = false
    }
    if (!ok) continue
    const tld = text.slice(lastDot + 1, end)
    if (!(/^\p{L}{2,63}$/u.test(tld) || /^xn--[a-z0-9-]{2,59}$/i.test(tld))) continue
    out.push({ kind: "email", start, end })
    lastEnd = end
    from = end
  }
}

/**
 * E-mail addresses.
 *
 * @example
 * ```ts
 * Detectors.email.find("write to ada.lovelace+ai@example.co.uk.") // [{ kind: "email", start: 9, end: 37 }]
 * ```
 */
export const email: Detector = { kind: "email", find: findEmails }

// ---- payment cards ----------------------------------------------------------------------------------------------

interface Issuer {
  readonly prefixes: ReadonlyArray<readonly [number, number]>
  readonly lengths: ReadonlyArray<number>
}
const range = (from: number, to: number = from) => [from, to] as const
const issuers: ReadonlyArray<Issuer> = [
  { prefixes: [range(4)], lengths: [13, 16, 19] }, // Visa
  { prefixes: [range(51, 55), range(2221, 2720)], lengths: [16] }, // Mastercard
  { prefixes: [range(34), range(37)], lengths: [15] }, // American Express
  { prefixes: [range(6011), range(644, 649), range(65), range(622126, 622925)], lengths: [16, 17, 18, 19] }, // Discover
  { prefixes: [range(3528, 3589)], lengths: [16, 17, 18, 19] }, // JCB
  { prefixes: [range(300, 305), range(36), range(38, 39)], lengths: [14, 15, 16, 17, 18, 19] }, // Diners Club
  { prefixes: [range(62)], lengths: [16, 17, 18, 19] }, // UnionPay
  { prefixes: [range(5018), range(5020), range(5038), range(5893), range(6304), range(6759), range(6761, 6763)], lengths: [13, 14, 15, 16, 17, 18, 19] }, // Maestro
  { prefixes: [range(2200, 2204)], lengths: [16, 17, 18, 19] }, // Mir
  { prefixes: [range(60), range(81, 82), range(508)], lengths: [16] } // RuPay
]

/**
 * True when `digits` starts with a known card issuer prefix and has a length that issuer uses.
 *
 * @example
 * ```ts
 * Detectors.knownIssuer("378282246310005") // true (American Express)
 * Detectors.knownIssuer("1234567812345670") // false
 * ```
 */
export const knownIssuer = (digits: string): boolean =>
  issuers.some((issuer) =>
    issuer.lengths.includes(digits.length) &&
    issuer.prefixes.some(([from, to]) => {
      const p = Number(digits.slice(0, String(from).length))
      return p >= from && p <= to
    })
  )

// the groups cards are printed in: 4-4-4-4(-3), 4-6-5 (Amex), 4-6-4 (Diners)
const printedGroups = (groups: ReadonlyArray<string>): boolean => {
  if (groups.length === 1) return true
  const sizes = groups.map((g) => g.length)
  if (sizes.length === 3 && sizes[0] === 4 && sizes[1] === 6 && (sizes[2] === 5 || sizes[2] === 4)) return true
  for (let i = 0; i < sizes.length - 1; i++) if (sizes[i] !== 4) return false
  const last = sizes[sizes.length - 1]!
  return last >= 1 && last <= 4
}

const cardCandidates = /(?<![\w.+\-])\d(?:[ -]?\d){12,22}(?![\w])/g

const findCards = (options: { readonly requireIssuer: boolean }) => (text: string): Array<PiiMatch> => {
  const out: Array<PiiMatch> = []
  cardCandidates.lastIndex = 0
  for (let m = cardCandidates.exec(text); m !== null; m = cardCandidates.exec(text)) {
    const candidate = m[0]
    // a run continued by ".<digit>" or ",<digit>" is a number with decimals, not a card
    const next = text.charCodeAt(m.index + candidate.length)
    const after = text.charCodeAt(m.index + candidate.length + 1)
    if ((next === 46 || next === 44) && after >= 48 && after <= 57) continue
    const separators = candidate.replace(/\d/g, "")
    if (separators !== "" && separators !== separators[0]!.repeat(separators.length)) continue // mixed " " and "-"
    const groups = separators === "" ? [candidate] : candidate.split(separators[0]!)
    // the longest run of whole groups that is a card (a card may be followed or preceded by other numbers)
    let found: { readonly from: number; readonly to: number } | undefined
    for (let size = groups.length; size >= 1 && found === undefined; size--) {
      for (let from = 0; from + size <= groups.length; from++) {
        const part = groups.slice(from, from + size)
        const digits = part.join("")
        if (digits.length < 13 || digits.length > 19 || !printedGroups(part)) continue
        if (!Checksums.luhn(digits) || (options.requireIssuer && !knownIssuer(digits))) continue
        found = { from, to: from + size }
        break
      }
    }
    if (found === undefined) continue
    const sep = separators === "" ? 0 : 1
    let start = m.index
    for (let g = 0; g < found.from; g++) start += groups[g]!.length + sep
    let end = start
    for (let g = found.from; g < found.to; g++) end += groups[g]!.length + (g > found.from ? sep : 0)
    out.push({ kind: "card", start, end })
  }
  return out
}

/**
 * Payment card numbers (Luhn check; with `requireIssuer` (default) also a known issuer prefix and length).
 *
 * @example
 * ```ts
 * Detectors.card().find("paid with 5555-5555-5555-4444") // [{ kind: "card", start: 10, end: 29 }]
 * ```
 */
export const card = (options: { readonly requireIssuer?: boolean } = {}): Detector => ({
  kind: "card",
  find: findCards({ requireIssuer: options.requireIssuer ?? true })
})

// ---- IBAN -------------------------------------------------------------------------------------------------------

const ibanCandidates = /(?<![\p{L}\p{N}])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}/gu

const findIbans = (text: string): Array<PiiMatch> => {
  const out: Array<PiiMatch> = []
  ibanCandidates.lastIndex = 0
  for (let m = ibanCandidates.exec(text); m !== null; m = ibanCandidates.exec(text)) {
    const candidate = m[0]
    const country = candidate.slice(0, 2).toUpperCase()
    const length = Checksums.ibanLengths[country]
    if (length === undefined) {
      ibanCandidates.lastIndex = m.index + 1
      continue
    }
    // take exactly the country's length of characters; what follows must not continue the code
    let count = 0
    let end = 0
    while (end < candidate.length && count < length) {
      if (candidate[end] !== " ") count++
      end++
    }
    const following = text[m.index + end]
    if (count === length && (following === undefined || !/[\p{L}\p{N}]/u.test(following))) {
      const compact = candidate.slice(0, end).replaceAll(" ", "").toUpperCase()
      if (Checksums.iban(compact)) {
        out.push({ kind: "iban", start: m.index, end: m.index + end })
        ibanCandidates.lastIndex = m.index + end
        continue
      }
    }
    ibanCandidates.lastIndex = m.index + 1
  }
  return out
}

/**
 * International bank account numbers (IBAN registry length per country, MOD 97-10).
 *
 * @example
 * ```ts
 * Detectors.iban.find("IBAN DE89 3704 0044 0532 0130 00, thanks") // [{ kind: "iban", start: 5, end: 32 }]
 * ```
 */
export const iban: Detector = { kind: "iban", find: findIbans }

// ---- phone ------------------------------------------------------------------------------------------------------

// runs of digits with the separators phone numbers are written with; only runs of 7+ digits go to libphonenumber
const phoneRuns = /[+(]?\d[\d \t().\/\u00a0-]{5,40}\d/g
const brackets = /^[\[(]+|[\])]+$/g
const dateLike = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}(?!\d)|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$)/
const separator = /[ \t().\/\u00a0-]/

const version = /^v?\d{1,3}\.\d{1,3}\.\d{1,3}(?!\d)/
const compactDate = /^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$/
const ascending = "01234567890123456789"
const descending = "98765432109876543210"
const decimal = /^\d+[.,]\d+$/
const cue = /\b(?:tel|phone|call|mobile|cell|fax|whats ?app|sms|tél|telefon|handy|ruf)\.?\s*(?:no\.?|number|#)?\s*:?\s*$/i
const yearRange = /^(?:19|20)\d{2}\s*[-–]\s*(?:19|20)\d{2}$/

// A run of only dates, versions and decimals ("1.13.15 / 8.10.2026", changelog lines) is not parsed at all.
const worthParsing = (run: string): boolean => {
  // "1 1 1 1 1 1 1": numbers are written in groups of two digits and more (a "1" or "0" prefix at most twice)
  let single = 0
  for (const group of run.split(/\D+/)) if (group.length === 1 && ++single > 2) return false
  for (const token of run.split(/[\s/]+/)) {
    const t = token.replace(brackets, "")
    if (/\d/.test(t) && !dateLike.test(t) && !version.test(t) && !decimal.test(t) && !yearRange.test(t)) return true
  }
  return false
}

// Whether a number libphonenumber accepted is written like a phone number. International numbers (+, 00) are. A
// national number needs separators: a bare run of digits is an id (issue, order, account numbers, timestamps) far
// more often, unless a word says it is a phone number ("call 4155552671", "tel: 030901820"; see `add`). Never a phone number: dates, year ranges, versions, decimals,
// anything with a run of blanks (table columns).
const year = /^(?:19|20)\d{2}$/
const plausible = (found: string): boolean => {
  const core = found.replace(brackets, "")
  const groups = core.split(/\D+/).filter((g) => g !== "")
  if (groups.length > 1 && groups.at(-1)!.length === 1) return false // "227.7202-1": a citation, not a number
  if (groups.every((g) => year.test(g))) return false // "2016 2017"
  if (groups.length === 2 && /^\d+-\d+$/.test(core) && groups[0]!.length === groups[1]!.length && groups[0]!.length >= 4 && Number(groups[0]) < Number(groups[1])) return false // "60000-64999"
  if (/^\d{1,3}\/(?:19|20)\d{2}$/.test(core)) return false // "633/1941": a law and its year
  if (/\s{2,}|\t|\.\.|\s\/|\/\s/.test(core) || yearRange.test(core) || decimal.test(core) || dateLike.test(core)) return false
  for (const token of core.split(/\s+/)) {
    if (dateLike.test(token.replace(brackets, "")) || version.test(token)) return false
  }
  for (const part of core.split(/[\s/.-]+/)) if (compactDate.test(part)) return false
  const digitsOnly = core.replace(/\D/g, "")
  if (/(\d)\1{5}/.test(digitsOnly) || (digitsOnly.length >= 8 && (ascending.includes(digitsOnly) || descending.includes(digitsOnly)))) return false
  if (groups.length > 2 && groups.every((g) => g === groups[0])) return false // "61 61 61 61"
  if (core.startsWith("+") || core.startsWith("00")) return true
  let digits = 0
  for (let i = 0; i < core.length; i++) {
    const c = core.charCodeAt(i)
    if (c >= 48 && c <= 57) digits++
  }
  return separator.test(core)
}

/**
 * The national numbering plans {@link phone} checks by default.
 *
 * @example
 * ```ts
 * Detectors.phone({ regions: [...Detectors.defaultPhoneRegions, "ES", "IT"] })
 * ```
 */
export const defaultPhoneRegions: ReadonlyArray<CountryCode> = ["US", "GB", "DE", "FR", "IN", "BR"]

/**
 * Phone numbers: international ones anywhere, national ones valid in one of `regions`.
 *
 * @example
 * ```ts
 * Detectors.phone({ regions: ["DE"] }).find("ruf an: 030 901820") // [{ kind: "phone", start: 8, end: 18 }]
 * ```
 */
export const phone = (options: { readonly regions?: ReadonlyArray<CountryCode> } = {}): Detector => {
  const regions = options.regions ?? defaultPhoneRegions
  const validIn = (candidate: string): boolean =>
    candidate.startsWith("+")
      ? parsePhoneNumberFromString(candidate)?.isValid() === true
      : regions.some((region) => parsePhoneNumberFromString(candidate, region)?.isValid() === true)
  return {
    kind: "phone",
    find: (text) => {
      const out: Array<PiiMatch> = []
      // Each run is checked as a whole, then without its first or last blank-separated group ("2024-01-15 030 901820",
      // "030 901820 12"): libphonenumber's parser validates a candidate in ~10 µs per region. Its text matcher is 10x
      // slower and ~0.3 MB/s on digit-dense text, so it is not used.
      const accept = (s: number, e: number): boolean => {
        while (s < e && (text[s] === "[" || text[s] === " " || (text[s] === "(" && !text.slice(s, e).includes(")")))) s++
        while (e > s && (text[e - 1] === "]" || text[e - 1] === " " || (text[e - 1] === ")" && !text.slice(s, e - 1).includes("(")))) e--
        // part of a word or identifier (CVE-2022-32206, build_4155552671): not a number on its own
        const before = s > 0 ? text[s - 1]! : ""
        if (/[\p{L}\p{N}_/=#&]/u.test(before) || ((before === "-" || before === ".") && s > 1 && /[\p{L}\p{N}]/u.test(text[s - 2]!))) return false
        if (/^\.\p{L}/u.test(text.slice(e, e + 2))) return false // "960229.html": a file name
        const found = text.slice(s, e)
        if (found.replace(/\D/g, "").length < 7) return false
        // a US ZIP+4 after a state code ("Boston, MA 02110-1301") is an address
        if (/^\d{5}-\d{4}$/.test(found) && /\b[A-Z]{2},?\s{1,8}$/.test(text.slice(Math.max(0, s - 12), s))) return false
        if (!plausible(found) && !(/^\d{7,12}$/.test(found) && cue.test(text.slice(Math.max(0, s - 24), s)))) return false
        // past the budget (digit-dense text: tables, logs), a number written like a phone number is reported unvalidated:
        // over-redaction, never seconds of CPU
        if (--budget >= 0 && !validIn(found)) return false
        out.push({ kind: "phone", start: s, end: e })
        return true
      }
      let budget = 2_000 + Math.floor(text.length / 100)
      phoneRuns.lastIndex = 0
      // libphonenumber's parser throws and catches an error for each number it rejects: without stack traces that
      // costs a tenth (restored below; nothing else runs meanwhile, the loop is synchronous)
      const stackTraceLimit = Error.stackTraceLimit
      Error.stackTraceLimit = 0
      try {
        scan()
      } finally {
        Error.stackTraceLimit = stackTraceLimit
      }
      return out

      function scan() {
        for (let m = phoneRuns.exec(text); m !== null; m = phoneRuns.exec(text)) {
          const run = m[0]
          let digits = 0
          for (let i = 0; i < run.length; i++) {
            const c = run.charCodeAt(i)
            if (c >= 48 && c <= 57) digits++
          }
          if (digits < 7 || !worthParsing(run)) continue
          const start = m.index
          const end = m.index + run.length
          if (accept(start, end)) continue
          const firstBlank = run.search(/\s/)
          if (firstBlank < 0) continue
          const lastBlank = run.length - 1 - [...run].reverse().join("").search(/\s/)
          if (accept(start + firstBlank + 1, end)) continue
          if (accept(start, start + lastBlank)) continue
          if (lastBlank > firstBlank) accept(start + firstBlank + 1, start + lastBlank)
        }
      }
    }
  }
}

// ---- patterns ---------------------------------------------------------------------------------------------------

/**
 * Your own kind of personal data, found by a regular expression (the `g` flag is added).
 *
 * @example
 * ```ts
 * Detectors.pattern("employee-id", /\bEMP-\d{6}\b/).find("EMP-004211 asked") // [{ kind: "employee-id", start: 0, end: 10 }]
 * ```
 */
export const pattern = (kind: string, source: RegExp | string): Detector => {
  const base = typeof source === "string" ? new RegExp(source) : source
  const regex = new RegExp(base.source, base.flags.includes("g") ? base.flags : `${base.flags}g`)
  return {
    kind,
    find: (text) => {
      const out: Array<PiiMatch> = []
      regex.lastIndex = 0
      for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
        if (m[0].length === 0) {
          regex.lastIndex++
          continue
        }
        out.push({ kind, start: m.index, end: m.index + m[0].length })
      }
      return out
    }
  }
}

// ---- together ---------------------------------------------------------------------------------------------------

/**
 * The built-in detectors with their defaults: email, card, iban, phone.
 *
 * @example
 * ```ts
 * Detectors.detect(text, Detectors.defaults)
 * ```
 */
export const defaults: ReadonlyArray<Detector> = [email, card(), iban, phone()]

/**
 * Runs `detectors` over `text`; overlapping matches keep the longest (the first detector on a tie), in text order.
 *
 * @example
 * ```ts
 * Detectors.detect("IBAN DE89370400440532013000", Detectors.defaults) // one "iban" match, not a phone inside it
 * ```
 */
export const detect = (text: string, detectors: ReadonlyArray<Detector>): Array<PiiMatch> => {
  const all: Array<PiiMatch> = []
  // Phone detection is the slow one (libphonenumber): it runs last, on the text with what the others found blanked
  // out, so a card number or an IBAN is not parsed again as a phone number.
  const late: Array<Detector> = []
  for (const d of detectors) {
    if (d.kind === "phone") {
      late.push(d)
      continue
    }
    const found = d.find(text)
    for (let i = 0; i < found.length; i++) all.push(found[i]!)
  }
  if (late.length > 0) {
    let rest = text
    if (all.length > 0) {
      let blanked = ""
      let at = 0
      for (const m of [...all].sort((a, b) => a.start - b.start)) {
        if (m.start < at) continue
        blanked += text.slice(at, m.start) + " ".repeat(m.end - m.start)
        at = m.end
      }
      rest = blanked + text.slice(at)
    }
    for (const d of late) {
      const found = d.find(rest)
      for (let i = 0; i < found.length; i++) all.push(found[i]!)
    }
  }
  if (all.length <= 1) return all
  all.sort((a, b) => a.start - b.start || (b.end - b.start) - (a.end - a.start))
  const kept: Array<PiiMatch> = []
  for (const m of all) {
    const last = kept[kept.length - 1]
    if (last === undefined || m.start >= last.end) {
      kept.push(m)
    } else if (m.end - m.start > last.end - last.start) {
      kept[kept.length - 1] = m
    }
  }
  return kept
}

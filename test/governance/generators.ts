/**
 * Generators of valid and invalid personal data for the detector property tests. Check digits are computed here
 * independently of src/governance (BigInt MOD 97, a textbook Luhn), so the tests do not check the code against itself.
 */
import { Arbitrary, Result, Schema } from "effect"
import examples from "libphonenumber-js/examples.mobile.json" with { type: "json" }
import { type CountryCode, getExampleNumber, isValidPhoneNumber, parsePhoneNumberFromString } from "libphonenumber-js/max"
import { seededRandom } from "../../src/testing/index.ts"

const seeds = Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 2 ** 31 - 1 })))
const pick = <A>(r: () => number, xs: ReadonlyArray<A>): A => xs[Math.floor(r() * xs.length)]!
const digits = (r: () => number, n: number) => Array.from({ length: n }, () => String(Math.floor(r() * 10))).join("")

/** Prose around a value, without digits or "@" (so nothing else can match). */
const words = ["please", "send", "the", "invoice", "to", "our", "customer", "today", "thanks", "regards", "note:", "ref", "and", "or", "—", "(see", "attached)"]
const sentence = (r: () => number, n: number) => Array.from({ length: n }, () => pick(r, words)).join(" ")
export interface Embedded {
  readonly text: string
  readonly value: string
  readonly start: number
}
const embed = (r: () => number, value: string): Embedded => {
  const before = `${sentence(r, 1 + Math.floor(r() * 6))} `
  const after = pick(r, [" ", ", ", ". ", "; ", " ("]) + sentence(r, Math.floor(r() * 6))
  return { text: before + value + after, value, start: before.length }
}

// ---- cards ------------------------------------------------------------------------------------------------------

const luhnDigit = (body: string): string => {
  // the digit that makes body+digit pass: double every second digit from the right of the full number
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i])
    if (i % 2 === 0) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return String((10 - (sum % 10)) % 10)
}

const cardPrefixes: ReadonlyArray<readonly [prefix: string, length: number, name: string]> = [
  ["4", 16, "visa"], ["4", 13, "visa"], ["51", 16, "mastercard"], ["55", 16, "mastercard"], ["2221", 16, "mastercard"],
  ["2720", 16, "mastercard"], ["34", 15, "amex"], ["37", 15, "amex"], ["6011", 16, "discover"], ["65", 16, "discover"],
  ["3528", 16, "jcb"], ["3589", 16, "jcb"], ["36", 14, "diners"], ["62", 16, "unionpay"], ["2200", 16, "mir"]
]

const format = (r: () => number, number: string): string => {
  const style = pick(r, ["plain", "space", "dash"] as const)
  if (style === "plain") return number
  const sep = style === "space" ? " " : "-"
  if (number.length === 15) return [number.slice(0, 4), number.slice(4, 10), number.slice(10)].join(sep)
  if (number.length === 14) return [number.slice(0, 4), number.slice(4, 10), number.slice(10)].join(sep)
  return number.match(/.{1,4}/g)!.join(sep)
}

/** A valid card number (known issuer prefix, Luhn check digit), printed plain or grouped, inside prose. */
export const validCard = Arbitrary.map(seeds, (seed) => {
  const r = seededRandom(seed)
  const [prefix, length] = pick(r, cardPrefixes)
  const body = prefix + digits(r, length - prefix.length - 1)
  return embed(r, format(r, body + luhnDigit(body)))
})

/** A card number with one digit changed (Luhn catches every single-digit error), printed and embedded. */
export const invalidCard = Arbitrary.map(seeds, (seed) => {
  const r = seededRandom(seed)
  const [prefix, length] = pick(r, cardPrefixes)
  const body = prefix + digits(r, length - prefix.length - 1)
  const number = body + luhnDigit(body)
  const at = Math.floor(r() * number.length)
  const changed = String((Number(number[at]) + 1 + Math.floor(r() * 9)) % 10)
  return embed(r, format(r, number.slice(0, at) + changed + number.slice(at + 1)))
})

// ---- IBANs ------------------------------------------------------------------------------------------------------

// lengths from the SWIFT IBAN registry (a subset, written out here independently of the detector's table)
const ibanCountries: ReadonlyArray<readonly [string, number]> = [
  ["DE", 22], ["FR", 27], ["GB", 22], ["ES", 24], ["IT", 27], ["NL", 18], ["BE", 16], ["CH", 21], ["AT", 20], ["PL", 28],
  ["SE", 24], ["NO", 15], ["DK", 18], ["FI", 18], ["IE", 22], ["PT", 25], ["LU", 20], ["MT", 31], ["SA", 24], ["BR", 29]
]
const checkDigits = (country: string, bban: string): string => {
  const numeric = (bban + country + "00").replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55))
  return String(98n - (BigInt(numeric) % 97n)).padStart(2, "0")
}
const formatIban = (r: () => number, compact: string) => r() < 0.5 ? compact : compact.match(/.{1,4}/g)!.join(" ")

/** A valid IBAN (digits-only BBAN, registry length, MOD 97-10 check digits), compact or in groups of four. */
export const validIban = Arbitrary.map(seeds, (seed) => {
  const r = seededRandom(seed)
  const [country, length] = pick(r, ibanCountries)
  const bban = digits(r, length - 4)
  return embed(r, formatIban(r, country + checkDigits(country, bban) + bban))
})

/** A valid IBAN with one digit changed (MOD 97-10 catches every single-digit substitution). */
export const invalidIban = Arbitrary.map(seeds, (seed) => {
  const r = seededRandom(seed)
  const [country, length] = pick(r, ibanCountries)
  const bban = digits(r, length - 4)
  const compact = country + checkDigits(country, bban) + bban
  const at = 2 + Math.floor(r() * (compact.length - 2))
  const changed = String((Number(compact[at]) + 1 + Math.floor(r() * 9)) % 10)
  return embed(r, formatIban(r, compact.slice(0, at) + changed + compact.slice(at + 1)))
})

// ---- e-mail -----------------------------------------------------------------------------------------------------

const lower = "abcdefghijklmnopqrstuvwxyz"
const atom = (r: () => number, alphabet: string, min: number, max: number) =>
  Array.from({ length: min + Math.floor(r() * (max - min + 1)) }, () => alphabet[Math.floor(r() * alphabet.length)]).join("")
const label = (r: () => number) => {
  const inner = atom(r, lower + "0123456789-", 0, 8)
  return atom(r, lower + "0123456789", 1, 1) + inner.replace(/-$/, "x")
}

/** A valid address: dotted local part with + % _ -, two to four domain labels, an alphabetic TLD. */
export const validEmail = Arbitrary.map(seeds, (seed) => {
  const r = seededRandom(seed)
  const local = Array.from({ length: 1 + Math.floor(r() * 3) }, () => atom(r, lower + "0123456789_%+-", 1, 8)).join(".")
  const domain = Array.from({ length: 1 + Math.floor(r() * 3) }, () => label(r)).join(".")
  return embed(r, `${local}@${domain}.${atom(r, lower, 2, 6)}`)
})

/** Not an address: no dot in the domain, a numeric TLD, "..", a label starting with "-", nothing before "@". */
export const invalidEmail = Arbitrary.map(seeds, (seed) => {
  const r = seededRandom(seed)
  const local = atom(r, lower, 1, 8)
  const domain = label(r)
  const broken = pick(r, [
    `${local}@${domain}`,
    `${local}@${domain}.${atom(r, "0123456789", 2, 3)}`,
    `${local}..${local}@${domain}.com`,
    `${local}@-${domain}.com`,
    `@${domain}.com`,
    `${local}@${domain}..com`
  ])
  return embed(r, broken)
})

// ---- phones -----------------------------------------------------------------------------------------------------

export const phoneRegions: ReadonlyArray<CountryCode> = ["US", "GB", "DE", "FR", "IN", "BR"]

/** A valid mobile number of a default region (libphonenumber's example with its last digits varied, kept when still valid), national or international format. */
export const validPhone = Arbitrary.filterMap(seeds, (seed) => {
  const r = seededRandom(seed)
  const region = pick(r, phoneRegions)
  const example = getExampleNumber(region, examples as never)!
  const national = String(example.nationalNumber)
  const varied = national.slice(0, -3) + digits(r, 3)
  const parsed = parsePhoneNumberFromString(varied, region)
  if (parsed === undefined || !isValidPhoneNumber(varied, region)) return Result.fail(seed)
  const text = r() < 0.5 ? parsed.formatNational() : parsed.formatInternational()
  return Result.succeed(embed(r, text))
})

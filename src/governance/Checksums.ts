/**
 * The check digits of payment card numbers (Luhn, ISO/IEC 7812) and IBANs (ISO 13616, ISO 7064 MOD 97-10), and the
 * IBAN length of each country of the SWIFT IBAN registry. The detectors use them to tell a card number or an IBAN
 * from any other run of digits.
 *
 * @example
 * ```ts
 * import { Checksums } from "llm-orchestrator/governance"
 * Checksums.luhn("4111111111111111") // true
 * Checksums.iban("DE89370400440532013000") // true
 * ```
 */

/**
 * True when `digits` (0-9 only) passes the Luhn check.
 *
 * @example
 * ```ts
 * Checksums.luhn("79927398713") // true
 * Checksums.luhn("79927398710") // false
 * ```
 */
export const luhn = (digits: string): boolean => {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return digits.length > 0 && sum % 10 === 0
}

/**
 * IBAN length per country code (SWIFT IBAN registry).
 *
 * @example
 * ```ts
 * Checksums.ibanLengths.DE // 22
 * ```
 */
export const ibanLengths: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30,
  KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20,
  MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22,
  RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30
}

/**
 * The ISO 7064 MOD 97-10 remainder of an IBAN (upper case, no spaces), rearranged as the standard says (first four
 * characters moved to the end, letters as 10..35). A valid IBAN gives 1.
 *
 * @example
 * ```ts
 * Checksums.mod97("GB82WEST12345698765432") // 1
 * ```
 */
export const mod97 = (iban: string): number => {
  let remainder = 0
  const n = iban.length
  for (let k = 0; k < n; k++) {
    const c = iban.charCodeAt((k + 4) % n)
    if (c >= 48 && c <= 57) {
      remainder = (remainder * 10 + (c - 48)) % 97
    } else if (c >= 65 && c <= 90) {
      remainder = (remainder * 100 + (c - 55)) % 97
    } else {
      return -1
    }
  }
  return remainder
}

/**
 * True when `compact` (upper case, no spaces) is an IBAN: a registry country, that country's length, two check
 * digits, and MOD 97-10 remainder 1. (The per-country BBAN layout is not checked.)
 *
 * @example
 * ```ts
 * Checksums.iban("DE89370400440532013000") // true
 * Checksums.iban("DE89370400440532013001") // false
 * ```
 */
export const iban = (compact: string): boolean => {
  const length = ibanLengths[compact.slice(0, 2)]
  if (length === undefined || compact.length !== length) return false
  const c2 = compact.charCodeAt(2)
  const c3 = compact.charCodeAt(3)
  if (c2 < 48 || c2 > 57 || c3 < 48 || c3 > 57) return false
  return mod97(compact) === 1
}

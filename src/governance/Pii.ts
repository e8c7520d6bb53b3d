/**
 * Personal data found in text: what kind (`email`, `phone`, `card`, `iban`, or a configured pattern's name) and
 * where. Detectors find matches; redaction replaces them.
 *
 * @example
 * ```ts
 * import { Detectors } from "llm-orchestrator/governance"
 * Detectors.detect("mail ada@example.com", Detectors.defaults) // [{ kind: "email", start: 5, end: 20 }]
 * ```
 */

/**
 * A kind of personal data: the built-in ones, or the name of a configured pattern.
 *
 * @example
 * ```ts
 * const kinds: ReadonlyArray<PiiKind> = ["email", "card", "employee-id"]
 * ```
 */
export type PiiKind = "email" | "phone" | "card" | "iban" | (string & {})

/**
 * One match: `text.slice(start, end)` is the personal data.
 *
 * @example
 * ```ts
 * const m: PiiMatch = { kind: "email", start: 5, end: 20 }
 * ```
 */
export interface PiiMatch {
  readonly kind: PiiKind
  readonly start: number
  readonly end: number
}

/**
 * Finds one kind of personal data. `find` must be linear in the text (no backtracking blow-ups on long inputs) and
 * return matches in order.
 *
 * @example
 * ```ts
 * const ticket: Detector = Detectors.pattern("ticket", /\bTCK-\d{6}\b/)
 * ```
 */
export interface Detector {
  readonly kind: PiiKind
  readonly find: (text: string) => Array<PiiMatch>
}

/**
 * "did you mean" suggestions from Levenshtein distance.
 *
 * @example
 * ```ts
 * didYouMean("anthropc", ["openai", "anthropic"]) // ' (did you mean "anthropic"?)'
 * ```
 */
/** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("lable" -> "label" is 1). */
const distance = (a: string, b: string): number => {
  const d: Array<Array<number>> = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The closest candidate within a distance proportional to the name's length, if any.
 *
 * @example
 * ```ts
 * closest("anthropc", ["openai", "anthropic"]) // "anthropic"
 * closest("xyz", ["openai"]) // undefined
 * ```
 */
export const closest = (
  name: string,
  candidates: Iterable<string>,
  limit: number = Math.max(1, Math.floor(name.length / 3))
): string | undefined => {
  let best: string | undefined
  let bestD = Infinity
  const lower = name.toLowerCase()
  for (const c of candidates) {
    // the distance is at least the difference in length: skip what cannot be within the limit (a 3,000-character
    // unknown name against short candidates cost ~35 ms per call, seconds for a file of them)
    if (Math.abs(name.length - c.length) > limit) continue
    const d = distance(lower, c.toLowerCase())
    if (d < bestD && d <= limit) {
      best = c
      bestD = d
    }
  }
  return best
}

/**
 * ` (did you mean "x"?)` or the empty string.
 *
 * @example
 * ```ts
 * `unknown provider "anthropc"${didYouMean("anthropc", knownProviders)}` // 'unknown provider "anthropc" (did you mean "anthropic"?)'
 * ```
 */
export const didYouMean = (name: string, candidates: Iterable<string>): string => {
  const c = closest(name, candidates)
  return c === undefined ? "" : ` (did you mean "${c}"?)`
}

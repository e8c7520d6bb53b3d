/**
 * "did you mean" suggestions from Levenshtein distance.
 *
 * @example
 * ```ts
 * didYouMean("anthropc", ["openai", "anthropic"]) // ' (did you mean "anthropic"?)'
 * ```
 */
const distance = (a: string, b: string): number => {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]!
}

/** The closest candidate within a distance proportional to the name's length, if any. */
export const closest = (name: string, candidates: Iterable<string>): string | undefined => {
  let best: string | undefined
  let bestD = Infinity
  const limit = Math.max(1, Math.floor(name.length / 3))
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase())
    if (d < bestD && d <= limit) {
      best = c
      bestD = d
    }
  }
  return best
}

/** ` (did you mean "x"?)` or the empty string. */
export const didYouMean = (name: string, candidates: Iterable<string>): string => {
  const c = closest(name, candidates)
  return c === undefined ? "" : ` (did you mean "${c}"?)`
}

/**
 * Durations as the format writes them ("30s", "500 millis", "2m") normalised to Effect's `Duration.Input` strings.
 *
 * @example
 * ```ts
 * toDurationInput("30s")  // "30 seconds"
 * toMillis("2m")          // 120000
 * ```
 */
const units: ReadonlyArray<readonly [RegExp, string, number]> = [
  [/^(ms|millis|milliseconds?)$/, "millis", 1],
  [/^(s|secs?|seconds?)$/, "seconds", 1000],
  [/^(m|mins?|minutes?)$/, "minutes", 60_000],
  [/^(h|hours?)$/, "hours", 3_600_000]
]

const split = (text: string): readonly [number, string, number] => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/.exec(text)
  if (m === null) throw new Error(`not a duration: "${text}"`)
  const unit = units.find(([re]) => re.test(m[2]!))
  if (unit === undefined) throw new Error(`not a duration unit: "${m[2]}"`)
  return [Number(m[1]), unit[1], unit[2]]
}

/**
 * `"30s"` -> `"30 seconds"`.
 *
 * @example
 * ```ts
 * toDurationInput("500ms") // "500 millis" (an Effect Duration input)
 * ```
 */
export const toDurationInput = (text: string): `${number} ${"millis" | "seconds" | "minutes" | "hours"}` => {
  const [n, unit] = split(text)
  return `${n} ${unit}` as `${number} ${"millis" | "seconds" | "minutes" | "hours"}`
}

/**
 * `"2m"` -> `120000`.
 *
 * @example
 * ```ts
 * toMillis("30 seconds") // 30000
 * ```
 */
export const toMillis = (text: string): number => {
  const [n, , factor] = split(text)
  return n * factor
}

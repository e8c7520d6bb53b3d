/** Seeded single-value edits of YAML sources, shared by the tests that need many valid variations of the examples. */
import { parse, stringify } from "yaml"

/**
 * Yields `tries` variations: source `i % sources.length` with one value (picked by a seeded LCG) replaced by one of
 * `values`. The same seed always gives the same sequence.
 */
export function* mutations(
  sources: ReadonlyArray<string>,
  values: ReadonlyArray<unknown>,
  seed: number,
  tries: number
): Generator<{ readonly i: number; readonly text: string }> {
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  for (let i = 0; i < tries; i++) {
    const doc = parse(sources[i % sources.length]!) as unknown
    const slots: Array<[Record<string | number, unknown>, string | number]> = []
    const walk = (v: unknown) => {
      if (v !== null && typeof v === "object") {
        for (const k of Object.keys(v)) {
          slots.push([v as Record<string, unknown>, Array.isArray(v) ? Number(k) : k])
          walk((v as Record<string, unknown>)[k])
        }
      }
    }
    walk(doc)
    const [o, k] = slots[Math.floor(random() * slots.length)]!
    o[k] = values[Math.floor(random() * values.length)]
    yield { i, text: stringify(doc) }
  }
}

// Seeded pseudo-random data for reproducible vector tests and benchmarks (mulberry32 + Box–Muller).
import { seededRandom } from "../../src/testing/index.ts"
export const prng: (seed: number) => () => number = seededRandom

export const gaussianVector = (next: () => number, dimension: number): Array<number> =>
  Array.from({ length: dimension }, () => {
    const u = 1 - next()
    const v = next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  })

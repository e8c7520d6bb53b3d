/** W4: map over 100 items with concurrency 10, then reduce. */
import { Effect } from "effect"
import { Workflow } from "../../src/index.ts"
import type { Mock } from "./mock.ts"
import { Input, input, type MakeWorkload } from "./Workload.ts"

const ITEMS: ReadonlyArray<string> = Array.from({ length: 100 }, (_, i) => `item-${i}`)
const CONCURRENCY = 10

/** Hand-written bounded-concurrency map for async/await: `limit` workers pulling the next index; keeps input order. */
const mapLimit = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (a: A) => Promise<B>): Promise<Array<B>> => {
  const out = new Array<B>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await f(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

export const w4: MakeWorkload = (mock: Mock) => {
  const llm = mock.effect
  const wf = Workflow.make("w4", { input: Input })
    .map("mapped", { needs: [], over: () => ITEMS, concurrency: CONCURRENCY }, (item) => llm("other", item))
    .step("reduced", { needs: ["mapped"] }, (ctx) => llm("generate", ctx.mapped.join("")))

  const handWritten = Effect.gen(function*() {
    const mapped = yield* Effect.forEach(ITEMS, (item) => llm("other", item), { concurrency: CONCURRENCY })
    const reduced = yield* llm("generate", mapped.join(""))
    return { mapped, reduced }
  })

  const ask = mock.promise
  const handWrittenAsync = async () => {
    const mapped = await mapLimit(ITEMS, CONCURRENCY, (item) => ask("other", item))
    const reduced = await ask("generate", mapped.join(""))
    return { mapped, reduced }
  }

  return {
    name: "W4",
    description: "map over 100 items (concurrency 10), then reduce",
    steps: ITEMS.length + 1,
    workflow: wf,
    input,
    ours: () => Workflow.run(wf, input),
    effect: () => handWritten,
    async: handWrittenAsync
  }
}

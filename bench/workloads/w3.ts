/** W3: 50 steps in 10 layers of 5; each step needs all 5 steps of the layer before. */
import { Effect } from "effect"
import { Workflow } from "../../src/index.ts"
import type { Mock } from "./mock.ts"
import { Input, input, type MakeWorkload } from "./Workload.ts"

const LAYERS = 10
const WIDTH = 5
const idOf = (layer: number, slot: number) => `l${layer}s${slot}`

/** The builder seen without its compile-time checks (ids are computed here, so they are not literals). */
interface Untyped {
  step(id: string, options: { readonly needs: ReadonlyArray<string> }, run: (ctx: any) => Effect.Effect<string>): Untyped
}

export const w3: MakeWorkload = (mock: Mock) => {
  const llm = mock.effect
  let builder = Workflow.make("w3", { input: Input }) as unknown as Untyped
  for (let layer = 0; layer < LAYERS; layer++) {
    const needs = layer === 0 ? [] : Array.from({ length: WIDTH }, (_, slot) => idOf(layer - 1, slot))
    for (let slot = 0; slot < WIDTH; slot++) {
      builder = builder.step(
        idOf(layer, slot),
        { needs },
        layer === 0
          ? (ctx) => llm("other", ctx.input.query)
          : (ctx) => llm("other", ctx[needs[0]!] + ctx[needs[1]!] + ctx[needs[2]!] + ctx[needs[3]!] + ctx[needs[4]!])
      )
    }
  }
  const wf = builder as unknown as Workflow.Workflow<{ readonly query: string }, { readonly query: string }, never, never, never>

  const slots = Array.from({ length: WIDTH }, (_, slot) => slot)
  const handWritten = Effect.gen(function*() {
    let prev = yield* Effect.all(slots.map(() => llm("other", input.query)), { concurrency: "unbounded" })
    for (let layer = 1; layer < LAYERS; layer++) {
      const p = prev
      prev = yield* Effect.all(slots.map(() => llm("other", p[0]! + p[1]! + p[2]! + p[3]! + p[4]!)), { concurrency: "unbounded" })
    }
    return prev
  })

  const ask = mock.promise
  const handWrittenAsync = async () => {
    let prev = await Promise.all(slots.map(() => ask("other", input.query)))
    for (let layer = 1; layer < LAYERS; layer++) {
      const p = prev
      prev = await Promise.all(slots.map(() => ask("other", p[0]! + p[1]! + p[2]! + p[3]! + p[4]!)))
    }
    return prev
  }

  return {
    name: "W3",
    description: "50 steps, 10 layers of 5, each needing the whole previous layer",
    steps: LAYERS * WIDTH,
    workflow: wf,
    input,
    ours: () => Workflow.run(wf, input),
    effect: () => handWritten,
    async: handWrittenAsync
  }
}

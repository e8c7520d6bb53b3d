/** W1: three sequential steps (a -> b -> c). */
import { Effect } from "effect"
import { Workflow } from "../../src/index.ts"
import type { Mock } from "./mock.ts"
import { Input, input, type MakeWorkload } from "./Workload.ts"

export const w1: MakeWorkload = (mock: Mock) => {
  const llm = mock.effect
  const wf = Workflow.make("w1", { input: Input })
    .step("a", (ctx) => llm("other", ctx.input.query))
    .step("b", { needs: ["a"] }, (ctx) => llm("other", ctx.a))
    .step("c", { needs: ["b"] }, (ctx) => llm("other", ctx.b))

  const handWritten = Effect.gen(function*() {
    const a = yield* llm("other", input.query)
    const b = yield* llm("other", a)
    const c = yield* llm("other", b)
    return { a, b, c }
  })

  const ask = mock.promise
  const handWrittenAsync = async () => {
    const a = await ask("other", input.query)
    const b = await ask("other", a)
    const c = await ask("other", b)
    return { a, b, c }
  }

  return {
    name: "W1",
    description: "3 sequential steps",
    steps: 3,
    workflow: wf,
    input,
    ours: () => Workflow.run(wf, input),
    effect: () => handWritten,
    async: handWrittenAsync
  }
}

/** W2: embed, then two parallel searches, then merge, then generate (a small RAG). */
import { Effect } from "effect"
import { Workflow } from "../../src/index.ts"
import type { Mock } from "./mock.ts"
import { Input, input, type MakeWorkload } from "./Workload.ts"

export const w2: MakeWorkload = (mock: Mock) => {
  const llm = mock.effect
  const wf = Workflow.make("w2", { input: Input })
    .step("embed", (ctx) => llm("embed", ctx.input.query))
    .step("docs", { needs: ["embed"] }, (ctx) => llm("search", ctx.embed))
    .step("code", { needs: ["embed"] }, (ctx) => llm("search", ctx.embed))
    .step("merged", { needs: ["docs", "code"] }, (ctx) => llm("merge", ctx.docs + ctx.code))
    .step("answer", { needs: ["merged"] }, (ctx) => llm("generate", ctx.merged))

  const handWritten = Effect.gen(function*() {
    const embed = yield* llm("embed", input.query)
    const [docs, code] = yield* Effect.all([llm("search", embed), llm("search", embed)], { concurrency: "unbounded" })
    const merged = yield* llm("merge", docs + code)
    const answer = yield* llm("generate", merged)
    return { embed, docs, code, merged, answer }
  })

  const ask = mock.promise
  const handWrittenAsync = async () => {
    const embed = await ask("embed", input.query)
    const [docs, code] = await Promise.all([ask("search", embed), ask("search", embed)])
    const merged = await ask("merge", docs + code)
    const answer = await ask("generate", merged)
    return { embed, docs, code, merged, answer }
  }

  return {
    name: "W2",
    description: "embed -> 2 parallel searches -> merge -> generate",
    steps: 5,
    workflow: wf,
    input,
    ours: () => Workflow.run(wf, input),
    effect: () => handWritten,
    async: handWrittenAsync
  }
}

/**
 * A YAML workflow's `budget:` through the run pipeline, with the OpenAI SDK talking to a local server speaking its
 * wire format: the run stops before the request that could pass the limit, and a successful run reports its cost per
 * step and in total. A `fallback` entry with a cheaper model takes over a call the budget refuses.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Pipeline } from "../../src/pipeline/index.ts"
import * as OpenAi from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const dir = mkdtempSync(join(tmpdir(), "obs-budget-"))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

// Four chained gpt-4o calls of at most 500 output tokens. Each really uses 1000 in / 500 out: $0.0075 at $2.5 / $10
// per million; each reserves ~$0.005 beforehand (500 out plus a ~10-token prompt estimate).
const chain = (budget: string, fallback = "") => `
name: capped
${budget}
steps:
${["a", "b", "c", "d"].map((id, i) => `  - id: ${id}
    type: llm
    provider: openai
    model: gpt-4o
    max_tokens: 500
    prompt: "step ${id}${i === 0 ? "" : ` after {{ ${["a", "b", "c"][i - 1]} }}`}"
    output: ${id}${fallback}`).join("\n")}
outputs:
  last: "{{ d }}"
`

const run = (path: string, url: string) =>
  Effect.result(Pipeline.runFile(path, { input: {}, env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: `${url}/v1` } }))

describe("a YAML workflow's budget", () => {
  it.live("stops the run before the request that could pass it, naming the step and the spend", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => OpenAi.chat("ok", { model: "gpt-4o", usage: { prompt_tokens: 1000, completion_tokens: 500 } }))
      const result = yield* run(file("capped.yaml", chain("budget: { usd: 0.02 }")), server.url)
      assert.strictEqual(result._tag, "Failure")
      const e = result._tag === "Failure" ? result.failure : undefined
      assert.strictEqual(e?._tag, "RunFailed")
      // spent $0.0075 after a, $0.015 after b: c's worst case ($0.005) would pass $0.02
      assert.strictEqual(server.requests.length, 2)
      assert.include(e?._tag === "RunFailed" ? e.message : "", "Budget exceeded in step 'c'")
      assert.include(e?._tag === "RunFailed" ? e.message : "", "spent $0.0150")
      assert.deepStrictEqual(server.requests.map((r) => (r.body as { max_tokens?: number; max_completion_tokens?: number }).max_tokens ?? (r.body as { max_completion_tokens?: number }).max_completion_tokens), [500, 500])
    }).pipe(Effect.scoped))

  it.live("a run within its budget reports the cost of each step and of the run", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => OpenAi.chat("ok", { model: "gpt-4o", usage: { prompt_tokens: 1000, completion_tokens: 500 } }))
      const result = yield* run(file("roomy.yaml", chain("budget: { usd: 1, tokens: 10000 }")), server.url)
      assert.strictEqual(result._tag, "Success")
      const report = result._tag === "Success" ? result.success : undefined
      assert.strictEqual(server.requests.length, 4)
      assert.closeTo(report!.steps["a"]!.costUsd!, 0.0075, 1e-12)
      assert.closeTo(report!.costUsd!, 0.03, 1e-12)
      assert.deepInclude(report!.usage, { inputTokens: 4000, outputTokens: 2000, calls: 4 })
      assert.deepInclude(report!.budget, { tokens: 6000, calls: 4, refused: 0 })
    }).pipe(Effect.scoped))

  it.live("a fallback entry with a cheaper model takes over the calls the budget refuses", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start((req) => {
        const model = (req.body as { model: string }).model
        return OpenAi.chat(`from ${model}`, { model, usage: { prompt_tokens: 1000, completion_tokens: 500 } })
      })
      const fallback = `
    fallback:
      - provider: openai
        model: gpt-4o-mini`
      const result = yield* run(file("fallback.yaml", chain("budget: { usd: 0.02 }", fallback)), server.url)
      assert.strictEqual(result._tag, "Success", JSON.stringify(result))
      // gpt-4o for a and b; c and d do not fit at gpt-4o prices, and gpt-4o-mini ($0.15 / $0.6) does
      assert.deepStrictEqual(server.requests.map((r) => (r.body as { model: string }).model), ["gpt-4o", "gpt-4o", "gpt-4o-mini", "gpt-4o-mini"])
      assert.deepStrictEqual(result._tag === "Success" ? result.success.outputs : undefined, { last: "from gpt-4o-mini" })
    }).pipe(Effect.scoped))

  it("a budget without limits is a located validation error", () =>
    Effect.gen(function*() {
      const result = yield* Effect.result(Pipeline.load(file("bad.yaml", chain("budget: { max_output_tokens: 100 }"))))
      assert.strictEqual(result._tag, "Failure")
      const problems = result._tag === "Failure" && result.failure._tag === "WorkflowInvalid" ? result.failure.problems : []
      assert.match(problems.join("\n"), /bad\.yaml:3:\d+.*a budget needs usd or tokens/)
    }).pipe(Effect.runPromise))
})

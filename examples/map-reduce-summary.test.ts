import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Workflow } from "../src/index.ts"
import type { RecordedCall } from "../src/testing/index.ts"
import { chunkDocument, concurrency, mapReduceSummary, prompts } from "./map-reduce-summary.ts"

const tokens = (s: string) => Math.ceil(s.length / 4)
const paragraphs = Array.from({ length: 7 }, (_, i) => `Paragraph ${i + 1}. ${"lorem ipsum ".repeat(20).trim()}.`)
const document = paragraphs.join("\n\n")

// Largest number of calls in flight at once, from the recorded start/end times.
const maxInFlight = (calls: ReadonlyArray<RecordedCall>) =>
  Math.max(...calls.map((c) => calls.filter((o) => o.startedAt <= c.startedAt && c.startedAt < o.finishedAt!).length))

describe("examples/map-reduce-summary", () => {
  it("chunks on paragraph boundaries within the size limit", () => {
    assert.deepStrictEqual(chunkDocument("a\n\nb\n\n\nc", 4), ["a\n\nb", "c"])
    assert.deepStrictEqual(chunkDocument("long paragraph\n\nx", 5), ["long paragraph", "x"])
    assert.deepStrictEqual(chunkDocument(document, 300).length, 7)
  })

  it.effect("summarizes 7 chunks at most 3 at a time, in order, then reduces", () =>
    Effect.gen(function*() {
      // the test clock moves by itself while the calls sleep their latency: timings below are exact
      const { recorder, ...result } = yield* Workflow.test(mapReduceSummary, { document, maxChunkChars: 300 }, {
        llm: {
          openai: { responses: (req) => `S${/part (\d+) of/.exec(req.prompt)?.[1]}`, latency: "1 second" },
          anthropic: { responses: "The whole summary.", latency: "1 second" }
        }
      })

      assert.strictEqual(result.outputs.chunk.length, 7)
      assert.deepStrictEqual(result.outputs.summaries, ["S1", "S2", "S3", "S4", "S5", "S6", "S7"])
      assert.strictEqual(result.outputs.summary, "The whole summary.")

      // concurrency limit: never more than 3 chunk calls in flight, in ceil(7 / 3) = 3 waves of 1 s
      const chunkCalls = recorder.calls({ provider: "openai" })
      assert.strictEqual(maxInFlight(chunkCalls), concurrency)
      assert.deepStrictEqual(chunkCalls.map((c) => c.startedAt - result.startedAt), [0, 0, 0, 1000, 1000, 1000, 2000])
      assert.strictEqual(result.durationMillis, 4000)

      // prompts: system prompt, settings and part numbers on every chunk call; the reduce lists summaries in order
      const chunks = result.outputs.chunk
      assert.deepStrictEqual(chunkCalls.map((c) => c.prompt), chunks.map((chunk, i) => prompts.chunk(chunk, i, 7)))
      assert.isTrue(chunkCalls.every((c) => c.system === prompts.system && c.temperature === 0 && c.maxTokens === 120))
      assert.deepStrictEqual(recorder.prompts("anthropic"), [prompts.reduce(["S1", "S2", "S3", "S4", "S5", "S6", "S7"])])

      // token totals: the map step carries the 7 chunk calls, the reduce step its own
      const mapUsage = result.steps.summaries?.usage
      const expectedMapIn = chunks.reduce((n, chunk, i) => n + tokens(prompts.chunk(chunk, i, 7)) + tokens(prompts.system), 0)
      assert.deepStrictEqual([mapUsage?.calls, mapUsage?.inputTokens, mapUsage?.outputTokens], [7, expectedMapIn, 7])
      assert.strictEqual(result.usage.calls, 8)
      assert.strictEqual(
        result.usage.inputTokens,
        expectedMapIn + tokens(prompts.reduce(["S1", "S2", "S3", "S4", "S5", "S6", "S7"]))
      )
    }))

  it.effect("a failing chunk call fails the map step", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Workflow.test(mapReduceSummary, { document, maxChunkChars: 300 }, {
        llm: { openai: { failures: { calls: [5], error: "timeout" } }, anthropic: {} }
      }))
      assert.strictEqual(error._tag, "StepFailed")
      if (error._tag !== "StepFailed") return
      assert.include(error.stepId, "summaries")
      assert.strictEqual(error.error._tag, "ProviderTimeout")
    }))
})

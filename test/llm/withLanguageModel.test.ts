import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema, Stream } from "effect"
import { LanguageModel, type Response } from "effect/ai"
import { GenerationOptions } from "../../src/llm/GenerationOptions.ts"
import * as Llm from "../../src/llm/Llm.ts"
import { trackUsage } from "../../src/llm/Usage.ts"
import { Mock, MockRecorder } from "../../src/testing/index.ts"

describe("Llm.withLanguageModel", () => {
  it.effect("gives effect/ai code a mock provider: text, objects, streams, recorded and accounted", () =>
    Effect.gen(function*() {
      const layer = Mock.layer({ llm: { cheap: { responses: ["plain", `{"n":3}`, "a b c"] } } })
      const [[text, obj, streamed, calls], usage] = yield* trackUsage(
        Effect.gen(function*() {
          const program = Effect.gen(function*() {
            const text = (yield* LanguageModel.generateText({ prompt: "hi" })).text
            const obj = (yield* LanguageModel.generateObject({ prompt: "n?", schema: Schema.Struct({ n: Schema.Number }) })).value
            const deltas = yield* LanguageModel.streamText({ prompt: "stream" }).pipe(
              Stream.filter((p): p is Response.TextDeltaPart => p.type === "text-delta"),
              Stream.map((p) => p.delta),
              Stream.runCollect
            )
            return [text, obj, Array.from(deltas).join("")] as const
          })
          const out = yield* Llm.withLanguageModel({ provider: "cheap", model: "tiny", temperature: 0.5 }, program)
          return [...out, (yield* MockRecorder).calls()] as const
        }).pipe(Effect.provide(layer))
      )
      assert.strictEqual(text, "plain")
      assert.deepStrictEqual(obj, { n: 3 })
      assert.strictEqual(streamed, "a b c")
      assert.deepStrictEqual(calls.map((c) => [c.kind, c.model, c.temperature, c.prompt]), [
        ["generateText", "tiny", 0.5, "hi"],
        ["generateText", "tiny", 0.5, "n?"],
        ["streamText", "tiny", 0.5, "stream"]
      ])
      assert.strictEqual(usage.calls, 3)
      assert.deepStrictEqual(usage.entries.map((e) => [e.provider, e.model]), [["cheap", "tiny"], ["cheap", "tiny"], ["cheap", "tiny"]])
    }))

  it.effect("hands out the native effect/ai model of a wrapped provider, with settings and usage", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const native = yield* LanguageModel.make({
        generateText: () =>
          Effect.gen(function*() {
            seen.push((yield* GenerationOptions).model)
            const parts: Array<Response.PartEncoded> = [
              { type: "text", text: "native" },
              { type: "finish", reason: "stop", usage: { inputTokens: { total: 7 }, outputTokens: { total: 2 } } }
            ]
            return parts
          }),
        streamText: () => Stream.empty
      })
      const [res, usage] = yield* trackUsage(
        Llm.withLanguageModel({ provider: "openai", model: "gpt-4o" }, LanguageModel.generateText({ prompt: "x" })).pipe(
          Effect.provide(Llm.layer("openai", native))
        )
      )
      assert.strictEqual(res.text, "native")
      assert.deepStrictEqual(seen, ["gpt-4o"])
      assert.deepStrictEqual([usage.inputTokens, usage.outputTokens, usage.entries[0]?.model], [7, 2, "gpt-4o"])
    }))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema } from "effect"
import { Workflow } from "../../src/index.ts"
import { Llm } from "../../src/llm/index.ts"
import { Anthropic, OpenAi, Pricing } from "../../src/providers/index.ts"
import * as AnthropicWire from "../support/wire/anthropic.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

describe("Pricing", () => {
  it("exact id, then longest prefix; overrides win; unknown models are unpriced", () => {
    const table = Pricing.table({ "gpt-4o": { input: 5, output: 15 }, "my-model": { input: 1, output: 1 } })
    assert.deepStrictEqual(Pricing.lookup(table, "gpt-4o-mini"), { input: 0.15, output: 0.6 })
    assert.deepStrictEqual(Pricing.lookup(table, "gpt-4o-2024-08-06"), { input: 5, output: 15 }, "snapshot -> prefix, overridden")
    assert.deepStrictEqual(Pricing.lookup(table, "claude-sonnet-4-5-20250929"), { input: 3, output: 15 })
    assert.deepStrictEqual(Pricing.estimate(table, "nope", { inputTokens: 10, outputTokens: 10 }), { usd: 0, priced: false })
    assert.closeTo(Pricing.estimate(table, "my-model", { inputTokens: 500_000, outputTokens: 500_000 }).usd, 1, 1e-12)
  })

  it.live("cost per step and per run of a real workflow over both adapters", () =>
    Effect.gen(function*() {
      const o = yield* WireServer.start(() => Wire.chat("draft", { model: "gpt-4o", usage: { prompt_tokens: 1000, completion_tokens: 500 } }))
      const a = yield* WireServer.start(() => AnthropicWire.text("final", { usage: { input_tokens: 2000, output_tokens: 1000 } }))
      const wf = Workflow.make("priced", { input: Schema.Struct({ q: Schema.String }) })
        .step("draft", (ctx) => Llm.generate({ provider: "openai", model: "gpt-4o", prompt: ctx.input.q }))
        .step("final", { needs: ["draft"] }, (ctx) => Llm.generate({ provider: "anthropic", model: "claude-sonnet-4-5", prompt: ctx.draft }))
      const result = yield* Workflow.execute(wf, { q: "hi" }).pipe(Effect.provide(Layer.mergeAll(
        OpenAi.layerLlm("openai", { model: "gpt-4o", apiKey: Redacted.make("k"), baseUrl: `${o.url}/v1` }),
        Anthropic.layerLlm("anthropic", { model: "claude-sonnet-4-5", apiKey: Redacted.make("k"), baseUrl: a.url })
      )))
      const cost = Pricing.costOfRun(Pricing.table(), result)
      const draft = (1000 * 2.5 + 500 * 10) / 1e6
      const final = (2000 * 3 + 1000 * 15) / 1e6
      assert.closeTo(cost.steps["draft"]!, draft, 1e-12)
      assert.closeTo(cost.steps["final"]!, final, 1e-12)
      assert.closeTo(cost.usd, draft + final, 1e-12)
      assert.deepStrictEqual(cost.unpriced, [])
    }))
})

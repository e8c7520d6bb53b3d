import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Llm, Workflow } from "../../src/index.ts"
import { SpanRecorder, Telemetry, Waterfall } from "../../src/telemetry/index.ts"
import * as Mock from "../../src/testing/Mock.ts"

const Input = Schema.Struct({ q: Schema.String })

describe("run --trace waterfall", () => {
  it.effect("the span tree of a run, indented, with durations and bars on the run's time axis", () =>
    Effect.gen(function*() {
      const recorder = SpanRecorder.make()
      const wf = Workflow.make("rag", { input: Input })
        .step("embed", () => Effect.sleep("1 second"))
        .step("answer", { needs: ["embed"] }, (ctx) =>
          Effect.andThen(Effect.sleep("2 seconds"), Llm.generate({ provider: "openai", model: "gpt-4o", prompt: ctx.input.q })))
        .step("fail", { needs: ["embed"] }, () => Effect.andThen(Effect.sleep("4 seconds"), Effect.fail("nope")))
      const fiber = yield* Effect.forkChild(
        Effect.exit(Workflow.execute(wf, { q: "hi" })).pipe(
          Effect.provide(Mock.layer({ llm: { openai: { responses: "ok", latency: "1 second", usage: { inputTokens: 12, outputTokens: 3 } } } })),
          Effect.provide(Telemetry.layer({ recorder, env: {} }))
        )
      )
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      // 5 s over 20 columns: 4 columns a second
      const line = (name: string, time: string, from: number, to: number) =>
        `${name.padEnd(32)}  ${time}  ${" ".repeat(from)}${"█".repeat(to - from)}`
      assert.strictEqual(
        Waterfall.render(recorder.spans(), { width: 20 }),
        [
          line("✗ invoke_workflow rag", "5.00s", 0, 20),
          line("  workflow.step embed", "1.00s", 0, 4),
          line("  workflow.step answer", "3.00s", 4, 16),
          line("    chat gpt-4o (12 -> 3 tokens)", "1.00s", 12, 16),
          line("  ✗ workflow.step fail", "4.00s", 4, 20),
          ""
        ].join("\n")
      )
    }))

  it("rows: an LLM span shows its tokens; a span whose parent was not recorded is a root", () => {
    const rows: ReadonlyArray<Waterfall.Row> = [
      { id: "r", parentId: "remote-caller", name: "invoke_workflow w", startNanos: 0n, endNanos: 4_000_000n, failed: false, attributes: {} },
      { id: "c", parentId: "r", name: "chat gpt-4o", startNanos: 2_000_000n, endNanos: 4_000_000n, failed: false, attributes: { "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 3 } }
    ]
    assert.strictEqual(
      Waterfall.render(rows, { width: 4 }),
      "invoke_workflow w               4.0ms  ████\n  chat gpt-4o (12 -> 3 tokens)  2.0ms    ██\n"
    )
    assert.strictEqual(Waterfall.render([]), "")
  })
})

/**
 * Every example runs offline in the suite: `llm-orchestrator test <example>` must pass all the cases of its sidecar.
 * Plus the interpreter on its own: sub-workflow mocks, provider failover through real (mock) provider layers.
 */
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { analyzeFile } from "../../codegen/index.ts"
import { execute } from "../../src/engine/run.ts"
import { InvalidRequest, ProviderUnavailable } from "../../src/llm/LlmError.ts"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import * as MockLlm from "../../src/testing/MockLlm.ts"
import { MockRecorder } from "../../src/testing/MockRecorder.ts"
import { interpret } from "../../src/yaml/interpret.ts"
import { clearCache } from "../../src/yaml/runtime.ts"

const root = join(import.meta.dirname, "..", "..")
const examples = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".yaml") && !/\.(test|mock|input)\.yaml$/.test(f)).sort()

const cli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const cap = Output.capture()
    const code = yield* runWith(args, cap.layer)
    return { code, stdout: cap.stdout.join("\n") }
  })

describe("examples", () => {
  it("include the seed files and map-reduce, iterative refinement, provider failover", () => {
    for (const f of ["content-moderation.yaml", "parallel-rag.yaml", "sentiment-analysis.yaml", "map-reduce.yaml", "iterative-refinement.yaml", "provider-failover.yaml"]) {
      assert.include(examples, f)
    }
  })

  for (const file of examples) {
    it.live(`${file}: every case of its test file passes`, () =>
      Effect.gen(function*() {
        const r = yield* cli(["test", join(root, "examples", file)])
        assert.strictEqual(r.code, 0, r.stdout)
        assert.match(r.stdout, /\n(\d+) passed, 0 failed$/)
        assert.isAtLeast(Number(/(\d+) passed/.exec(r.stdout)![1]), 2)
      }))
  }

  it.live("a wrong expectation fails its case with the difference", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "llmo-"))
      const sidecar = join(dir, "wrong.test.yaml")
      writeFileSync(sidecar, `workflow: ${join(root, "examples", "sentiment-analysis.yaml")}\ncases:\n  - name: expects the wrong label\n    input: { text: hi }\n    mocks: { extract_sentiment: negative, generate_response: ok }\n    expect:\n      outputs: { sentiment: positive }\n`)
      const r = yield* cli(["test", sidecar])
      assert.strictEqual(r.code, 1)
      assert.include(r.stdout, `✗ expects the wrong label\n    outputs.sentiment: expected "positive", got "negative"`)
    }))
})

describe("interpreter", () => {
  it.live("sub-workflows: mocked by '<call id>/<step id>', or as a whole inside a map", () =>
    Effect.gen(function*() {
      const a = analyzeFile(join(root, "test", "codegen", "fixtures", "calls.yaml"))
      const { workflow, problems } = interpret(a, {
        mocks: {
          one: [{ summary: "A" }, { summary: "B" }],
          "whole/summarize": "A and B",
          store: { url: "https://r/1" },
          write: "REPORT"
        }
      })
      assert.deepStrictEqual(problems, [])
      const result = (yield* (execute(workflow, { docs: ["a", "b"] }) as Effect.Effect<any, unknown>)) as {
        outputs: Record<string, any>
      }
      assert.deepStrictEqual(result.outputs["per_doc"], ["0: A", "1: B"])
      assert.deepStrictEqual(result.outputs["_outputs"], { report: "REPORT", first: "A and B" })
    }))

  it.live("provider failover: openai is down, the anthropic fallback answers; the answer is cached", () =>
    Effect.gen(function*() {
      clearCache()
      const a = analyzeFile(join(root, "examples", "provider-failover.yaml"))
      const { workflow } = interpret(a, { mocks: { classify: "confident" } })
      const down = new ProviderUnavailable({ provider: "openai", message: "503" })
      const layer = Layer.mergeAll(
        MockLlm.layer("openai", { responses: () => down }),
        MockLlm.layer("anthropic", { responses: ["Paris."] })
      ).pipe(Layer.provideMerge(MockRecorder.layer))
      const run = () => (execute(workflow, { question: "Capital of France?" }) as Effect.Effect<any, unknown, any>)
      const first = yield* run().pipe(Effect.provide(layer)) as Effect.Effect<any>
      assert.strictEqual(first.outputs["_outputs"].answer, "Paris.")
      // The fallback answers within the first attempt (retry is for when every provider fails); the second run is served
      // from the cache: anthropic has no answer left, so a provider call would fail.
      assert.strictEqual(first.steps["answer_question"].attempts, 1)
      const second = yield* run().pipe(Effect.provide(Layer.mergeAll(
        MockLlm.layer("openai", { responses: () => down }),
        MockLlm.layer("anthropic", { responses: [] })
      ).pipe(Layer.provideMerge(MockRecorder.layer)))) as Effect.Effect<any>
      assert.strictEqual(second.outputs["_outputs"].answer, "Paris.")
    }))

  it.live("provider failover: a bad request is neither retried nor failed over (it would fail the same way)", () =>
    Effect.gen(function*() {
      clearCache()
      const a = analyzeFile(join(root, "examples", "provider-failover.yaml"))
      const { workflow } = interpret(a, { mocks: { classify: "confident" } })
      const bad = new InvalidRequest({ provider: "openai", message: "unknown model", status: 400 })
      const layer = Layer.mergeAll(
        MockLlm.layer("openai", { responses: () => bad }),
        MockLlm.layer("anthropic", { responses: ["should not be asked"] })
      ).pipe(Layer.provideMerge(MockRecorder.layer))
      const [exit, openaiCalls, anthropicCalls] = yield* Effect.gen(function*() {
        const exit = yield* Effect.exit(execute(workflow, { question: "?" }) as Effect.Effect<any, unknown, any>)
        const recorder = yield* MockRecorder
        return [exit, recorder.count("openai"), recorder.count("anthropic")] as const
      }).pipe(Effect.provide(layer)) as Effect.Effect<readonly [any, number, number]>
      assert.isTrue(exit._tag === "Failure")
      assert.include(JSON.stringify(exit), "InvalidRequest")
      assert.strictEqual(openaiCalls, 1) // not retried either: `retry` skips errors marked not retryable
      assert.strictEqual(anthropicCalls, 0)
    }))
})

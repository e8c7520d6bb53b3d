// The snippets quoted by docs/testing.md (between `#region name` / `#endregion` markers). The last test checks that
// the document quotes them verbatim, so the doc cannot drift from code that compiles and passes.
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect, Fiber, Layer, Schedule, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Workflow } from "../../src/index.ts"
import { Embeddings, isRetryable, Llm, RateLimited } from "../../src/llm/index.ts"
import { Mock, MockEmbeddings, MockLlm, MockRecorder, OfflineEmbedding } from "../../src/testing/index.ts"
import { VectorStore } from "../../src/vector/index.ts"

// #region workflow
const Label = Schema.Literals(["bug", "feature", "question"])

const triage = Workflow.make("triage", { input: Schema.Struct({ issue: Schema.String }) })
  .step("label", (ctx) =>
    Llm.generateObject({ provider: "cheap", model: "gpt-4o-mini", prompt: `Label this issue: ${ctx.input.issue}`, schema: Label }))
  .step("reply", { needs: ["label"] }, (ctx) =>
    Llm.generate({ provider: "primary", model: "claude-sonnet-4-5", system: "Be kind.", prompt: `Reply to this ${ctx.label}: ${ctx.input.issue}` }))
// #endregion workflow

describe("docs/testing.md snippets", () => {
  // #region first-test
  it.effect("labels and replies", () =>
    Effect.gen(function*() {
      const outputs = yield* Workflow.run(triage, { issue: "The app crashes on start" })
      assert.deepStrictEqual(outputs, { label: "bug", reply: "Sorry! We're on it." })
    }).pipe(Effect.provide(Mock.layer({
      llm: {
        cheap: { responses: "bug" },
        primary: { responses: "Sorry! We're on it." }
      }
    }))))
  // #endregion first-test

  it.effect("scripted answers", () =>
    Effect.gen(function*() {
      // #region scripts
      const layer = Mock.layer({
        llm: {
          // a list, consumed in order (a further call is a defect naming the provider and call)
          cheap: { responses: ["bug", "question"] },
          // a function of the request: prompt, system, model, schema, call number, settings
          primary: { responses: (req) => (req.prompt.includes("bug") ? "Sorry!" : `Answering: ${req.prompt}`) }
        }
      })
      // explicit replies: text with usage, a structured value (checked against the step's Schema), a failure
      const replies = [
        MockLlm.text("bug", { usage: { inputTokens: 120, outputTokens: 1 } }),
        MockLlm.value("feature"),
        MockLlm.fail(new RateLimited({ provider: "cheap", message: "slow down", retryAfterMillis: 500 }))
      ]
      // #endregion scripts
      const first = yield* Workflow.run(triage, { issue: "crash" }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(first, { label: "bug", reply: "Sorry!" })
      const scripted = yield* Effect.flip(Workflow.run(triage, { issue: "x" }).pipe(
        Effect.andThen(Workflow.run(triage, { issue: "y" })),
        Effect.andThen(Workflow.run(triage, { issue: "z" })),
        Effect.provide(Mock.layer({ llm: { cheap: { responses: replies }, primary: {} } }))
      ))
      assert.strictEqual(scripted._tag, "StepFailed")
    }))

  // #region recorder
  it.effect("sends the right prompts, in order", () =>
    Effect.gen(function*() {
      const result = yield* Workflow.execute(triage, { issue: "Add dark mode" })
      const recorder = yield* MockRecorder
      assert.deepStrictEqual(recorder.order(), ["cheap", "primary"])
      assert.deepStrictEqual(recorder.prompts("primary"), ["Reply to this feature: Add dark mode"])
      const [reply] = recorder.calls({ provider: "primary" })
      assert.strictEqual(reply?.system, "Be kind.")
      assert.strictEqual(reply?.model, "claude-sonnet-4-5")
      // token usage: per step and per run (mock usage = 1 token per 4 characters unless scripted)
      assert.strictEqual(result.steps["label"]?.usage?.calls, 1)
      assert.deepStrictEqual(recorder.usage(), { inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens })
    }).pipe(Effect.provide(Mock.layer({ llm: { cheap: { responses: "feature" }, primary: { responses: "Noted!" } } }))))
  // #endregion recorder

  // #region latency
  it.effect("both providers are called in parallel", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("fanout", { input: Schema.Struct({ q: Schema.String }) })
        .step("a", (ctx) => Llm.generate({ provider: "cheap", model: "m", prompt: ctx.input.q }))
        .step("b", (ctx) => Llm.generate({ provider: "primary", model: "m", prompt: ctx.input.q }))
      const fiber = yield* Workflow.execute(wf, { q: "hi" }).pipe(Effect.forkChild)
      yield* TestClock.adjust("2 seconds")                       // virtual time: the test takes milliseconds
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.durationMillis, 2000)            // not 3000: the calls overlapped
    }).pipe(Effect.provide(Mock.layer({
      llm: { cheap: { latency: "1 second" }, primary: { latency: "2 seconds" } }
    }))))
  // #endregion latency

  // #region failures
  it.effect("retries rate limits", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("robust", { input: Schema.Struct({ q: Schema.String }) })
        .step("answer", { retry: { schedule: Schedule.spaced("1 second"), times: 3, while: isRetryable } }, (ctx) =>
          Llm.generate({ provider: "primary", model: "m", prompt: ctx.input.q }))
      const fiber = yield* Workflow.execute(wf, { q: "hi" }).pipe(Effect.forkChild)
      yield* TestClock.adjust("2 seconds")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.outputs.answer, "finally")
      assert.strictEqual(result.steps["answer"]?.attempts, 3)
    }).pipe(Effect.provide(Mock.layer({
      llm: { primary: { responses: "finally", failures: { firstN: 2, error: "rate-limited", retryAfterMillis: 1000 } } }
    }))))
  // #endregion failures

  it.effect("other failure options", () =>
    Effect.gen(function*() {
      // #region failure-options
      const flaky = Mock.layer({
        llm: {
          // 20 % of calls fail with a server error; the same seed gives the same failures on every run
          cheap: { responses: "bug", failures: { probability: 0.2, seed: 42, error: "server-error" } },
          // exactly the 2nd call times out; error kinds: "rate-limited" | "timeout" | "server-error" | "invalid-output"
          primary: { responses: "ok", failures: { calls: [2], error: "timeout" } }
        }
      })
      // #endregion failure-options
      const outcomes = yield* Effect.forEach([1, 2, 3], () => Effect.result(Workflow.run(triage, { issue: "i" }))).pipe(
        Effect.provide(flaky)
      )
      assert.deepStrictEqual(outcomes.map((o) => o._tag), ["Success", "Failure", "Success"])
    }))

  // #region embeddings
  it.effect("retrieval works offline", () =>
    Effect.gen(function*() {
      yield* VectorStore.createCollection({ store: "docs", collection: "faq", dimension: 256, distance: "cosine" })
      yield* VectorStore.upsert({
        store: "docs",
        collection: "faq",
        points: [
          { id: "reset", vector: OfflineEmbedding.embed("How to reset your password"), payload: {} },
          { id: "billing", vector: OfflineEmbedding.embed("Update billing and invoices"), payload: {} }
        ]
      })
      const [q1, q2] = yield* Effect.all([
        Embeddings.embed({ provider: "openai", model: "text-embedding-3-small", input: "I forgot my password" }),
        Embeddings.embed({ provider: "openai", model: "text-embedding-3-small", input: "Where is my invoice?" })
      ], { concurrency: 2 })
      const hits = yield* VectorStore.search({ store: "docs", collection: "faq", vector: q1!, topK: 1 })
      assert.strictEqual(hits[0]?.id, "reset")
      assert.strictEqual(q2!.length, 256)
      // the two concurrent embed calls were batched into one provider call
      assert.strictEqual((yield* MockRecorder).count({ kind: "embedMany" }), 1)
    }).pipe(Effect.provide(Layer.mergeAll(
      VectorStore.layerMemory("docs"),
      MockEmbeddings.layer("openai").pipe(Layer.provideMerge(MockRecorder.layer))
    ))))
  // #endregion embeddings

  it("docs/testing.md quotes these snippets verbatim", () => {
    const source = readFileSync(new URL(import.meta.url), "utf8")
    const doc = readFileSync(new URL("../../docs/testing.md", import.meta.url), "utf8")
    const regions = new Map<string, string>()
    for (const m of source.matchAll(/\/\/ #region ([\w-]+)\n([\s\S]*?)\n\s*\/\/ #endregion \1/g)) {
      const lines = m[2]!.split("\n")
      const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length))
      regions.set(m[1]!, lines.map((l) => l.slice(indent)).join("\n"))
    }
    const quoted = [...doc.matchAll(/<!-- snippet: ([\w-]+) -->\n```ts\n([\s\S]*?)\n```/g)]
    assert.isAtLeast(quoted.length, 7)
    for (const [, name, body] of quoted) {
      assert.isTrue(regions.has(name!), `unknown snippet ${name}`)
      assert.strictEqual(body, regions.get(name!), `docs/testing.md snippet "${name}" differs from the test file`)
    }
  })
})

// #region missing-mock
// A workflow needs the Layers of every provider it calls: leaving one out is a compile error, like any missing Layer.
export const forgotPrimary = Workflow.run(triage, { issue: "x" }).pipe(
  Effect.provide(Mock.layer({ llm: { cheap: { responses: "bug" } } }))
)
// @ts-expect-error -- Llm/primary is not provided
export const checked: Effect.Effect<unknown, unknown, never> = forgotPrimary
// #endregion missing-mock

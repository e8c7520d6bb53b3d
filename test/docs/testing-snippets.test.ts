// The snippets quoted by docs/testing.md (between `#region name` / `#endregion` markers). The last test checks that
// the document quotes them verbatim, so the doc cannot drift from code that compiles and passes.
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect, Fiber, Layer, Schedule, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Workflow } from "../../src/index.ts"
import { Embeddings, isRetryable, Llm, RateLimited } from "../../src/llm/index.ts"
import { makeMockRecorder, Mock, MockEmbeddings, MockLlm, MockRecorder, type MockRequest, OfflineEmbedding } from "../../src/testing/index.ts"
import { VectorStore } from "../../src/vector/index.ts"

// #region workflow
const cheap = Llm.model("cheap", "gpt-4o-mini")
const primary = Llm.model("primary", "claude-sonnet-4-5")
const Label = Schema.Literals(["bug", "feature", "question"])

const triage = Workflow.make("triage", { input: Schema.Struct({ issue: Schema.String }) })
  .step("label", (ctx) => Llm.generateObject({ ...cheap, prompt: `Label this issue: ${ctx.input.issue}`, schema: Label }))
  .step("reply", { needs: ["label"] }, (ctx) =>
    Llm.generate({ ...primary, system: "Be kind.", prompt: `Reply to this ${ctx.label}: ${ctx.input.issue}` }))
// #endregion workflow

describe("docs/testing.md snippets", () => {
  // #region first-test
  it.effect("labels and replies", () =>
    Effect.gen(function*() {
      const { outputs, recorder } = yield* Workflow.test(triage, { issue: "The app crashes on start" }, {
        llm: {
          cheap: { responses: "bug" },
          primary: { responses: "Sorry! We're on it." }
        }
      })
      assert.deepStrictEqual(outputs, { label: "bug", reply: "Sorry! We're on it." })
      assert.deepStrictEqual(recorder.order(), ["cheap", "primary"])
    }))
  // #endregion first-test

  it.effect("scripted answers", () =>
    Effect.gen(function*() {
      // #region scripts
      const llm = {
        // a list, consumed in order (a further call is a defect naming the provider and call)
        cheap: { responses: ["bug", "question"] },
        // a function of the request: prompt, system, model, schema, call number, calling step, settings
        primary: { responses: (req: MockRequest) => (req.prompt.includes("bug") ? "Sorry!" : `Answering: ${req.prompt}`) }
      }
      // explicit replies: text with usage, a structured value (checked against the step's Schema), a failure
      const replies = [
        MockLlm.text("bug", { usage: { inputTokens: 120, outputTokens: 1 } }),
        MockLlm.value("feature"),
        MockLlm.fail(new RateLimited({ provider: "cheap", message: "slow down", retryAfterMillis: 500 }))
      ]
      // #endregion scripts
      const first = yield* Workflow.test(triage, { issue: "crash" }, { llm })
      assert.deepStrictEqual(first.outputs, { label: "bug", reply: "Sorry!" })
      const scripted = yield* Effect.flip(Workflow.run(triage, { issue: "x" }).pipe(
        Effect.andThen(Workflow.run(triage, { issue: "y" })),
        Effect.andThen(Workflow.run(triage, { issue: "z" })),
        Effect.provide(Mock.layer({ llm: { cheap: { responses: replies }, primary: {} } }))
      ))
      assert.strictEqual(scripted._tag, "StepFailed")
    }))

  // #region from-function
  it.effect("wraps a shared fake", () =>
    Effect.gen(function*() {
      // an existing fake: returns the answer, throws like a client would
      const fake = async (req: MockRequest) => {
        if (req.prompt.includes("outage")) throw Object.assign(new Error("503 upstream"), { retryable: true })
        return req.schema === undefined ? `echo: ${req.prompt}` : "question"
      }
      const { outputs } = yield* Workflow.test(triage, { issue: "How do I export?" }, {
        llm: { cheap: MockLlm.fromFunction(fake), primary: MockLlm.fromFunction(fake, { latency: "2 seconds" }) }
      })
      assert.strictEqual(outputs.reply, "echo: Reply to this question: How do I export?")
    }))
  // #endregion from-function

  // #region recorder
  it.effect("sends the right prompts, in order", () =>
    Effect.gen(function*() {
      const { steps, usage, recorder } = yield* Workflow.test(triage, { issue: "Add dark mode" }, {
        llm: { cheap: { responses: "feature" }, primary: { responses: "Noted!" } }
      })
      assert.deepStrictEqual(recorder.prompts("primary"), ["Reply to this feature: Add dark mode"])
      const [reply] = recorder.calls({ provider: "primary" })
      assert.strictEqual(reply?.system, "Be kind.")
      assert.strictEqual(reply?.model, "claude-sonnet-4-5")
      // token usage: per step (keys are the workflow's step paths) and per run
      assert.strictEqual(steps.label?.usage?.calls, 1)
      assert.deepStrictEqual(recorder.usage(), { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens })
    }))
  // #endregion recorder

  // #region paths
  it.effect("step records by path", () =>
    Effect.gen(function*() {
      const routed = Workflow.make("routed", { input: Schema.Struct({ issue: Schema.String }) })
        .step("label", (ctx) => Llm.generateObject({ ...cheap, prompt: ctx.input.issue, schema: Label }))
        .branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
          bug: (b) => b.step("draft", (ctx) => Llm.generate({ ...primary, prompt: `Fix: ${ctx.input.issue}` })),
          feature: (b) => b.step("thanks", () => Effect.succeed("Thanks!")),
          question: (b) => b.step("answer", (ctx) => Llm.generate({ ...primary, prompt: `Answer: ${ctx.input.issue}` }))
        })
      const { steps } = yield* Workflow.test(routed, { issue: "crash" }, { llm: { cheap: { responses: "bug" }, primary: {} } })
      assert.strictEqual(steps["route/bug/draft"]?.status, "succeeded") // a step in a case: branch/case/step
      // steps["draft"] does not compile: 'draft' is not a step path of this workflow
    }))
  // #endregion paths

  // #region latency
  it.effect("both providers are called in parallel", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("fanout", { input: Schema.Struct({ q: Schema.String }) })
        .step("a", (ctx) => Llm.generate({ ...cheap, prompt: ctx.input.q }))
        .step("b", (ctx) => Llm.generate({ ...primary, prompt: ctx.input.q }))
      const { durationMillis } = yield* Workflow.test(wf, { q: "hi" }, {
        llm: { cheap: { latency: "1 second" }, primary: { latency: "2 seconds" } }
      })
      assert.strictEqual(durationMillis, 2000) // not 3000: the calls overlapped (test-clock time, instant in real time)
    }))
  // #endregion latency

  // #region manual-clock
  it.effect("the clock, driven by the test", () =>
    Effect.gen(function*() {
      const fiber = yield* Workflow.test(triage, { issue: "x" }, {
        llm: { cheap: { responses: "bug", latency: "1 minute" }, primary: {} }
      }, { clock: "manual" }).pipe(Effect.forkChild)
      yield* TestClock.adjust("30 seconds")
      assert.isUndefined(fiber.pollUnsafe()) // still waiting on the label
      yield* TestClock.adjust("30 seconds")
      const { durationMillis } = yield* Fiber.join(fiber)
      assert.strictEqual(durationMillis, 60_000)
    }))
  // #endregion manual-clock

  // #region failures
  it.effect("retries rate limits", () =>
    Effect.gen(function*() {
      const wf = Workflow.make("robust", { input: Schema.Struct({ q: Schema.String }) })
        .step("answer", { retry: { schedule: Schedule.spaced("1 second"), times: 3, while: isRetryable } }, (ctx) =>
          Llm.generate({ ...primary, prompt: ctx.input.q }))
      const { outputs, steps, durationMillis } = yield* Workflow.test(wf, { q: "hi" }, {
        llm: { primary: { responses: "finally", failures: { firstN: 2, error: "rate-limited", retryAfterMillis: 1000 } } }
      })
      assert.strictEqual(outputs.answer, "finally")
      assert.strictEqual(steps.answer?.attempts, 3)
      assert.strictEqual(durationMillis, 2000) // two 1-second backoffs, on the test clock
    }))
  // #endregion failures

  it.effect("other failure options", () =>
    Effect.gen(function*() {
      // #region failure-options
      const llm = {
        // 20 % of calls fail with a server error; the same seed gives the same failures on every run
        cheap: { responses: "bug", failures: { probability: 0.2, seed: 42, error: "server-error" as const } },
        // exactly the 2nd call times out; error kinds: "rate-limited" | "timeout" | "server-error" | "invalid-output"
        primary: { responses: "ok", failures: { calls: [2], error: "timeout" as const } }
      }
      // #endregion failure-options
      const outcomes = yield* Effect.forEach([1, 2, 3], () => Effect.result(Workflow.run(triage, { issue: "i" }))).pipe(
        Effect.provide(Mock.layer({ llm }))
      )
      assert.deepStrictEqual(outcomes.map((o) => o._tag), ["Success", "Failure", "Success"])
    }))

  // #region step-failures
  it.effect("fails the first call of one step", () =>
    Effect.gen(function*() {
      const recorder = makeMockRecorder() // to read the calls even if the run fails
      const wf = triage.step("summary", { needs: ["reply"], retry: { times: 1 } }, (ctx) =>
        Llm.generate({ ...primary, prompt: `Summarise: ${ctx.reply}` }))
      const { steps } = yield* Workflow.test(wf, { issue: "x" }, {
        llm: { cheap: { responses: "bug" }, primary: { failures: { step: "summary", firstN: 1 } } },
        recorder
      })
      assert.strictEqual(steps.reply?.attempts, 1) // the same provider, another step: not failed
      assert.strictEqual(steps.summary?.attempts, 2)
      assert.deepStrictEqual(recorder.calls({ provider: "primary" }).map((c) => c.outcome?._tag), ["Success", "Failure", "Success"])
    }))
  // #endregion step-failures

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

  // #region layer
  it.effect("a workflow with a vector store", () =>
    Effect.gen(function*() {
      const rag = Workflow.make("rag", { input: Schema.Struct({ q: Schema.String }) })
        .step("embed", (ctx) => Embeddings.embed({ provider: "openai", model: "text-embedding-3-small", input: ctx.input.q }))
        .step("hits", { needs: ["embed"] }, (ctx) => VectorStore.search({ store: "docs", collection: "faq", vector: ctx.embed, topK: 1 }))
      const { outputs } = yield* Workflow.test(rag, { q: "password" }, {
        embeddings: { openai: {} },
        // what mocks do not cover comes from `layer` (it may use the recorder)
        layer: VectorStore.layerMemory("docs", { collections: [{ collection: "faq", dimension: 256, distance: "cosine" }] })
      })
      assert.deepStrictEqual(outputs.hits, [])
    }))
  // #endregion layer

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
    assert.isAtLeast(quoted.length, 12)
    for (const [, name, body] of quoted) {
      assert.isTrue(regions.has(name!), `unknown snippet ${name}`)
      assert.strictEqual(body, regions.get(name!), `docs/testing.md snippet "${name}" differs from the test file`)
    }
  })
})

// #region missing-mock
// The mocks' type comes from the workflow: every provider it calls must be there, and nothing else may be.
export const forgotPrimary = Workflow.test(triage, { issue: "x" }, {
  // @ts-expect-error -- Property 'primary' is missing in type '{ cheap: ... }' but required in type '{ readonly cheap: MockLlmOptions; readonly primary: MockLlmOptions; }'
  llm: { cheap: { responses: "bug" } }
})
// #endregion missing-mock

// #region layer-level
// Below Workflow.test: the mock Layers themselves, for code that is not a workflow run (or runWith/Effect.provide).
export const provided = Workflow.runWith(triage, { issue: "x" }, Mock.layer({ llm: { cheap: { responses: "bug" }, primary: {} } }))
// #endregion layer-level

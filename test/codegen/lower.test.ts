/**
 * The lowering decides once what both back ends do: defaults applied, references resolved to where their value lives,
 * and the three back-end disagreements the differential test found stay fixed (each checked here by its outcome, in
 * both back ends).
 */
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { analyzeFile, generateModule, lower } from "../../codegen/index.ts"
import type { LoweredStep } from "../../codegen/Lowered.ts"
import { execute } from "../../src/engine/run.ts"
import { ProviderUnavailable } from "../../src/llm/LlmError.ts"
import { MockLlm, MockRecorder } from "../../src/testing/index.ts"
import { interpret } from "../../src/yaml/interpret.ts"

const root = join(import.meta.dirname, "..", "..")
const fixture = (f: string) => analyzeFile(join(import.meta.dirname, "fixtures", f))
const byId = (steps: ReadonlyArray<LoweredStep>, id: string) => steps.find((s) => s.id === id)!

describe("lower", () => {
  it("applies the file's defaults: provider, model, retry, timeout, cache; fallbacks inherit the model", () => {
    const wf = lower(analyzeFile(join(root, "examples", "provider-failover.yaml")))
    const answer = byId(wf.root.steps, "answer_question")
    assert.strictEqual(answer.kind, "llm")
    if (answer.kind !== "llm") return
    assert.deepStrictEqual(answer.attempts, [
      { provider: "openai", model: "gpt-4o" },
      { provider: "anthropic", model: "claude-3-5-sonnet-20241022" },
      { provider: "openai", model: "gpt-4o-mini" }
    ])
    assert.deepStrictEqual(answer.policies, {
      retry: { times: 2, schedule: { kind: "exponential", delay: "100 millis" } },
      timeout: "20 seconds",
      placement: "engine",
      cache: { key: "provider-failover/answer_question", ttlMillis: 600_000 },
      fallbacks: [],
      description: undefined
    })
    const mapReduce = lower(analyzeFile(join(root, "examples", "map-reduce.yaml")))
    const each = byId(mapReduce.root.steps, "summarize_each")
    assert.strictEqual(each.kind, "map")
    if (each.kind !== "map") return
    // A body step inherits the defaults too, wrapped around its call (it is not an engine node).
    assert.deepStrictEqual(each.body.steps[0]!.policies.retry, { times: 2, schedule: { kind: "exponential", delay: "200 millis" } })
    assert.strictEqual(each.body.steps[0]!.policies.placement, "inline")
    assert.strictEqual(each.concurrency, 4)
  })

  it("resolves references to where the value lives: a callee's steps by id, a loop's value, a case output by id", () => {
    const wf = lower(fixture("calls-edge.yaml"))
    const looped = wf.outputs.fields.find((f) => f.name === "looped")!.value
    assert.deepInclude(looped, { kind: "ref" })
    if (looped.kind !== "ref") return
    // {{ direct.looped }}: the callee has no outputs block, so its loop step `polish` is read, and its value in it.
    assert.deepStrictEqual(looped.access.base, { kind: "step", id: "direct", local: false, unwrap: undefined })
    assert.deepStrictEqual(looped.access.path, ["polish", "value"])
    const direct = byId(wf.root.steps, "direct")
    assert.strictEqual(direct.kind, "call")
    // The callee's default for `tone` is passed explicitly: a nested call does not decode its input.
    if (direct.kind === "call") assert.deepStrictEqual(direct.input.map(([k]) => k), ["text", "tone"])
  })

  it("orders each scope so every step follows its needs, the same order for both back ends", () => {
    const wf = lower(analyzeFile(join(root, "examples", "parallel-rag.yaml")))
    assert.deepStrictEqual(wf.root.steps.map((s) => s.id), ["embed_query", "search_docs", "search_code", "parallel_search", "merge_context", "generate_answer"])
  })
})

describe("the back ends agree where they used to differ", () => {
  const layer = () =>
    Layer.mergeAll(
      MockLlm.layer("openai", { responses: (req) => (req.schema !== undefined ? "good" : `echo: ${req.prompt}`) }),
      MockLlm.layer("anthropic", { responses: (req) => (req.schema !== undefined ? { score: 7, label: "yes" } : "ok") })
    ).pipe(Layer.provideMerge(MockRecorder.layer))

  const runBoth = (file: string, input: Record<string, unknown>, actions: Record<string, () => Effect.Effect<unknown>>) =>
    Effect.gen(function*() {
      const a = fixture(file)
      const { workflow } = interpret(a, { actions })
      const interpreted = yield* Effect.exit(execute(workflow, input as never).pipe(Effect.provide(layer())) as Effect.Effect<any, unknown>)
      return { interpreted, module: generateModule(a, { source: file }) }
    })

  it.effect("a sub-workflow called at the top level gets its input defaults; a loop output of a callee without outputs is its value", () =>
    Effect.gen(function*() {
      const { interpreted, module } = yield* runBoth("sub-no-outputs.yaml", { text: "hi" }, {})
      assert.isTrue(Exit.isSuccess(interpreted))
      // The generated call passes the default itself (the engine's call node runs the callee without decoding).
      const calls = yield* runBoth("calls-edge.yaml", { topic: "t", items: ["a"] }, { notify: () => Effect.succeed({ ok: true }) })
      assert.include(calls.module, `input: (ctx) => ({ text: ctx.input.topic, tone: "plain" })`)
      assert.include(calls.module, `looped: Y.get(ctx.direct, ["polish","value"])`)
      assert.isTrue(Exit.isSuccess(calls.interpreted))
      if (Exit.isSuccess(calls.interpreted)) {
        const out = calls.interpreted.value.outputs["_outputs"] as Record<string, unknown>
        // "(plain)": the default reached the callee; the loop's value, not its { done, value } state.
        assert.strictEqual(out["looped"], "echo: Polish (1): echo: Polish (0): T (plain)")
      }
      assert.include(module, `export const workflow = Workflow.fromRecord("sub-no-outputs"`)
    }))

  it.effect("the interpreter runs a sub-workflow as a nested graph: its steps are recorded and a failure names the call path", () =>
    Effect.gen(function*() {
      const a = fixture("calls-edge.yaml")
      const { workflow } = interpret(a, { actions: { notify: () => Effect.succeed({ ok: true }) } })
      const down = Layer.mergeAll(
        MockLlm.layer("openai", { responses: () => new ProviderUnavailable({ provider: "openai", message: "503" }) }),
        MockLlm.layer("anthropic", { responses: "ok" })
      ).pipe(Layer.provideMerge(MockRecorder.layer))
      const exit = yield* Effect.exit(execute(workflow, { topic: "t", items: [] } as never).pipe(Effect.provide(down)) as Effect.Effect<any, any>)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const e = exit.cause.reasons.find((r) => r._tag === "Fail") as { error: { stepId: string; workflow: string } } | undefined
        assert.deepInclude(e?.error, { stepId: "direct/polish", workflow: "calls-edge" })
      }
      const ok = yield* (execute(workflow, { topic: "t", items: [] } as never).pipe(Effect.provide(layer())) as Effect.Effect<any>)
      assert.strictEqual(ok.steps["direct"].kind, "call")
      assert.strictEqual(ok.steps["direct/shout"].status, "succeeded")
    }))
})

/**
 * YAML step fallbacks (issue 8 item 10): `fallback` entries `{ value }` and `{ cached }` after a step's provider
 * entries, checked by the analyzer (located errors), lowered once and served by the engine on both back ends (the
 * generated module and the interpreter give the same outputs and the same `RunResult.steps[id].fallback`).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { analyzeAll, analyzeFile, analyzeSource, formatDiagnostic, generateModule } from "../../codegen/index.ts"
import { execute } from "../../src/engine/run.ts"
import { LastGoodOutputs } from "../../src/index.ts"
import { ProviderUnavailable } from "../../src/llm/LlmError.ts"
import { MockLlm, MockRecorder, type MockRequest } from "../../src/testing/index.ts"
import { interpret } from "../../src/yaml/interpret.ts"

const fixture = join(import.meta.dirname, "fixtures", "step-fallbacks.yaml")
const outDir = join(import.meta.dirname, "..", "..", ".generated", "fallbacks")

const errors = (text: string) => analyzeSource("t.yaml", text).diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)

describe("YAML step fallbacks: analysis", () => {
  it("each entry is one of provider, value, cached; providers (llm only) come first; values have the step's type; none in map bodies", () => {
    const text = [
      "name: bad-fallbacks",
      "inputs: { q: string, items: { type: array, items: string } }",
      "steps:",
      "  - id: a",
      "    type: llm",
      "    provider: openai",
      "    model: gpt-4o",
      "    prompt: \"{{ q }}\"",
      "    output_schema: { enum: [yes, no] }",
      "    output: a",
      "    fallback:",
      "      - { value: maybe }",
      "      - { provider: anthropic }",
      "      - { value: yes, cached: true }",
      "  - id: b",
      "    type: transform",
      "    function: length",
      "    input: \"{{ a }}\"",
      "    fallback: [{ provider: openai }, { cached: false }]",
      "  - id: each",
      "    type: map",
      "    over: \"{{ items }}\"",
      "    steps:",
      "      - { id: inner, type: llm, provider: openai, model: m, prompt: \"{{ item }}\", output: x, fallback: [{ provider: anthropic }, { value: x }] }",
      ""
    ].join("\n")
    assert.deepStrictEqual(errors(text), [
      "t.yaml:12:18: the fallback value of step \"a\" must be \"yes\" | \"no\" (the step's output type), got \"maybe\"",
      "t.yaml:13:9: fallback 1 of step \"a\": provider entries come before value, cached and workflow ones (providers are tried inside each attempt, the others after the last attempt)",
      "t.yaml:14:9: fallback 2 of step \"a\" must have exactly one of provider, value, cached, workflow (it has value, cached)",
      "t.yaml:19:18: only llm steps fall back to another provider; \"b\" is a transform step (use value, cached or workflow)",
      "t.yaml:19:48: fallback 1 of step \"b\": cached: false is no fallback (remove the entry)",
      "t.yaml:24:132: step \"inner\" is in a map or loop body, where only provider fallbacks apply; value, cached and workflow fallbacks serve top-level and branch-case steps"
    ])
  })

  it("the fixture is valid and lowers its value and cached entries after the llm step's provider attempts", () => {
    const a = analyzeFile(fixture)
    assert.deepStrictEqual(a.diagnostics.map(formatDiagnostic), [])
  })
})

// ---- both back ends ----

/** openai answers unless `down` names the prompt's first word; anthropic is always down. */
const providers = (down: ReadonlySet<string>) => {
  const answer = (provider: string) => (req: MockRequest) => {
    const word = req.prompt.split(" ")[0]!
    if (provider === "anthropic" || down.has(word)) return new ProviderUnavailable({ provider, message: `${word} is down` })
    if (word === "Classify") return "news"
    if (word === "Facts") return { count: 2, items: ["a", "b"] }
    return `answer from ${req.model}`
  }
  return Layer.mergeAll(MockLlm.layer("openai", { responses: answer("openai") }), MockLlm.layer("anthropic", { responses: answer("anthropic") }))
    .pipe(Layer.provideMerge(MockRecorder.layer))
}

const backEnds = Effect.promise(async () => {
  const analysis = analyzeFile(fixture)
  mkdirSync(outDir, { recursive: true })
  const file = join(outDir, "step-fallbacks.ts")
  writeFileSync(file, generateModule(analysis, { source: "test/codegen/fixtures/step-fallbacks.yaml" }))
  const generated = (await import(pathToFileURL(file).href) as { workflow: never }).workflow
  const { workflow: interpreted, problems } = interpret(analysis)
  assert.deepStrictEqual(problems, [])
  return [["generated module", generated], ["interpreter", interpreted as never]] as const
})

const out = (r: Result) => r.outputs["_outputs"] as Record<string, unknown>

type Result = { outputs: Record<string, unknown>; steps: Record<string, { status: string; fallback?: { kind: string; index: number; error: string } }> }

const runWith = (wf: never, topic: string, down: ReadonlySet<string>) =>
  (execute(wf, { topic } as never) as Effect.Effect<Result, unknown, any>).pipe(Effect.provide(providers(down))) as Effect.Effect<Result, unknown>

const fallbacks = (r: Result) => Object.fromEntries(Object.entries(r.steps).flatMap(([id, s]) => (s.fallback === undefined ? [] : [[id, [s.fallback.kind, s.fallback.index, s.fallback.error]]])))

describe("YAML step fallbacks: both back ends", () => {
  it.effect("a static value, a cached output (same inputs only), then the next value: the same outputs and records both ways", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      for (const [name, wf] of yield* backEnds) {
        const run = (topic: string, down: ReadonlySet<string>) => runWith(wf, topic, down)
        const program = Effect.gen(function*() {
          // healthy: no fallback serves; the good outputs are remembered
          const healthy = yield* run("tea", new Set())
          assert.deepStrictEqual(out(healthy)["line"], "news: answer from gpt-4o", name)
          assert.deepStrictEqual(fallbacks(healthy), {}, name)
          // all three down: classify serves its value, so gather's inputs (topic, label "other") are new and nothing is
          // cached for them: its value serves, and so does respond's (its inputs changed with gather's)
          const down = yield* run("tea", new Set(["Classify", "Facts", "Answer"]))
          assert.deepStrictEqual(out(down)["label"], "other", name)
          assert.deepStrictEqual(out(down)["facts"], { count: 0, items: [] }, name)
          assert.deepStrictEqual(out(down)["answer"], "No answer right now.", name)
          assert.deepStrictEqual(out(down)["line"], "other: No answer right now.", name)
          // only the answer is down, with the same inputs as the healthy run: its cached output serves
          const cached = yield* run("tea", new Set(["Answer"]))
          assert.deepStrictEqual(out(cached)["answer"], "answer from gpt-4o", name)
          // another topic: nothing cached for it, the value serves
          const other = yield* run("coffee", new Set(["Answer"]))
          assert.deepStrictEqual(out(other)["answer"], "No answer right now.", name)
          return [fallbacks(healthy), fallbacks(down), fallbacks(cached), fallbacks(other)]
        }).pipe(Effect.provideService(LastGoodOutputs, LastGoodOutputs.make(100)))
        seen.push(yield* program)
      }
      assert.deepStrictEqual(seen[0], seen[1], "generated module and interpreter agree")
      assert.deepStrictEqual(seen[0], [
        {},
        {
          classify: ["value", 0, "ProviderUnavailable: Classify is down"],
          gather: ["value", 1, "ProviderUnavailable: Facts is down"],
          respond: ["value", 1, "ProviderUnavailable: Answer is down"]
        },
        // the index counts the engine's entries (value, cached): the provider entry is one of the step's attempts
        { respond: ["cached", 0, "ProviderUnavailable: Answer is down"] },
        { respond: ["value", 1, "ProviderUnavailable: Answer is down"] }
      ])
    }))
})

// ---- degraded sub-workflow fallbacks ----

const degraded = join(import.meta.dirname, "fixtures", "degraded-answer.yaml")

describe("YAML workflow fallbacks: analysis", () => {
  const files: Record<string, string> = {
    "/p/cheap.yaml": [
      "name: cheap",
      "inputs: { q: string }",
      "outputs: { short: \"{{ short }}\", size: \"{{ size }}\" }",
      "steps:",
      "  - { id: brief, type: llm, provider: anthropic, model: m, prompt: \"{{ q }}\", output: short }",
      "  - { id: measure, type: transform, function: length, input: \"{{ short }}\", output: size }",
      ""
    ].join("\n")
  }
  const analyze = (text: string) =>
    analyzeSource("/p/t.yaml", text, { readFile: (f) => files[f] ?? (() => { throw new Error(`no file ${f}`) })() })
      .diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)

  it("names the output, checks its type against the step's, the callee's inputs, and refuses map bodies", () => {
    const text = [
      "name: bad-workflow-fallbacks",
      "inputs: { q: string, items: { type: array, items: string } }",
      "steps:",
      "  - id: a",
      "    type: llm",
      "    provider: openai",
      "    model: gpt-4o",
      "    prompt: \"{{ q }}\"",
      "    output: a",
      "    fallback:",
      "      - workflow: { file: ./cheap.yaml, input: { q: \"{{ q }}\" } }",
      "      - workflow: { file: ./cheap.yaml, input: { q: \"{{ q }}\" }, output: shrot }",
      "      - workflow: { file: ./cheap.yaml, input: { q: \"{{ q }}\" }, output: size }",
      "      - workflow: { file: ./cheap.yaml, input: { question: \"{{ q }}\" }, output: short }",
      "      - workflow: { file: ./missing.yaml, output: short }",
      "  - id: each",
      "    type: map",
      "    over: \"{{ items }}\"",
      "    steps:",
      "      - { id: inner, type: llm, provider: openai, model: m, prompt: \"{{ item }}\", output: x, fallback: [{ workflow: { file: ./cheap.yaml, output: short } }] }",
      ""
    ].join("\n")
    assert.deepStrictEqual(analyze(text), [
      "/p/t.yaml:11:19: fallback 0 of step \"a\": workflow \"./cheap.yaml\" has outputs short, size; name the one that serves as the step's output with output:",
      "/p/t.yaml:12:74: workflow \"./cheap.yaml\" has no output \"shrot\" (did you mean \"short\"?); its outputs: short, size",
      "/p/t.yaml:13:74: output \"size\" of fallback workflow \"./cheap.yaml\" is integer, but step \"a\" produces string",
      "/p/t.yaml:14:48: missing input \"q\" for workflow \"./cheap.yaml\"",
      "/p/t.yaml:14:50: workflow \"./cheap.yaml\" has no input \"question\"",
      "/p/t.yaml:15:27: cannot read workflow file \"./missing.yaml\": no file /p/missing.yaml",
      "/p/t.yaml:20:107: step \"inner\" is in a map or loop body, where only provider fallbacks apply; value, cached and workflow fallbacks serve top-level and branch-case steps"
    ])
  })

  it("the fixture is valid, and codegen writes the callee's module too", () => {
    assert.deepStrictEqual(analyzeFile(degraded).diagnostics.map(formatDiagnostic), [])
    const all = analyzeAll([degraded])
    assert.deepStrictEqual([...all.keys()].map((f) => f.split("/").pop()), ["degraded-answer.yaml", "cheap-answer.yaml"])
  })
})

const degradedBackEnds = Effect.promise(async () => {
  const analysis = analyzeFile(degraded)
  const dir = join(outDir, "degraded")
  mkdirSync(dir, { recursive: true })
  for (const a of analyzeAll([degraded]).values()) {
    writeFileSync(join(dir, a.file.split("/").pop()!.replace(/\.yaml$/, ".ts")), generateModule(a, { source: a.file }))
  }
  const generated = (await import(pathToFileURL(join(dir, "degraded-answer.ts")).href) as { workflow: never }).workflow
  const { workflow: interpreted, problems } = interpret(analysis)
  assert.deepStrictEqual(problems, [])
  return [["generated module", generated], ["interpreter", interpreted as never]] as const
})

/** Each provider answers with its model and the prompt unless `down` names it. */
const twoProviders = (down: ReadonlySet<string>) => {
  const answer = (provider: string) => (req: MockRequest) =>
    down.has(provider) ? new ProviderUnavailable({ provider, message: `${provider} is down` }) : `${req.model}: ${req.prompt}`
  return Layer.mergeAll(MockLlm.layer("openai", { responses: answer("openai") }), MockLlm.layer("anthropic", { responses: answer("anthropic") }))
    .pipe(Layer.provideMerge(MockRecorder.layer))
}

describe("YAML workflow fallbacks: both back ends", () => {
  it.effect("the sub-workflow serves when the step's provider is down (called with the step's context), then the value", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      for (const [name, wf] of yield* degradedBackEnds) {
        const run = (down: ReadonlySet<string>) =>
          (Effect.gen(function*() {
            const r = yield* (execute(wf, { question: "tides" } as never) as Effect.Effect<Result, unknown, any>)
            const calls = (yield* MockRecorder).calls().map((c) => `${c.provider} ${c.outcome?._tag}: ${c.prompt}`)
            return { answer: out(r)["answer"], fallback: fallbacks(r), calls }
          }) as Effect.Effect<unknown, unknown, any>).pipe(Effect.provide(twoProviders(down))) as Effect.Effect<unknown, unknown>
        const runs = [yield* run(new Set()), yield* run(new Set(["openai"])), yield* run(new Set(["openai", "anthropic"]))]
        seen.push(runs)
      }
      assert.deepStrictEqual(seen[0], seen[1], "generated module and interpreter agree")
      assert.deepStrictEqual(seen[0], [
        { answer: "gpt-4o: Answer tides from notes on tides", fallback: {}, calls: ["openai Success: Answer tides from notes on tides"] },
        // openai down: cheap-answer runs on anthropic with { q, context } from the step's context; its `short` serves
        {
          answer: "claude-haiku: Briefly tides (notes on tides)",
          fallback: { respond: ["workflow", 0, "ProviderUnavailable: openai is down"] },
          calls: ["openai Failure: Answer tides from notes on tides", "anthropic Success: Briefly tides (notes on tides)"]
        },
        // both down: the sub-workflow fails too, and the next entry (the value) serves
        {
          answer: "No answer right now.",
          fallback: { respond: ["value", 1, "ProviderUnavailable: openai is down"] },
          calls: ["openai Failure: Answer tides from notes on tides", "anthropic Failure: Briefly tides (notes on tides)"]
        }
      ])
    }))

  it("the interpreter takes mocks of the fallback's steps as \"<step>/fallback/<its step>\"", () => {
    const { problems, requirements } = interpret(analyzeFile(degraded), { mocks: { "respond/fallback/brief": "mocked brief" } })
    assert.deepStrictEqual(problems, [])
    assert.deepStrictEqual([...requirements.providers.keys()], ["openai"])
    const unmocked = interpret(analyzeFile(degraded))
    assert.deepStrictEqual([...unmocked.requirements.providers].map(([k, ids]) => [k, [...ids]]), [["openai", ["respond"]], ["anthropic", ["respond/fallback/brief"]]])
  })
})

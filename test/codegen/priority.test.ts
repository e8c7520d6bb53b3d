/**
 * YAML `priority:` on a workflow and on steps: checked with the file's location, lowered once, and applied to the
 * step's calls by both back ends (the generated module and the interpreter): the provider sees the step's own
 * priority, else the workflow's.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { analyzeFile, analyzeSource, formatDiagnostic, generateModule } from "../../codegen/index.ts"
import { execute } from "../../src/engine/run.ts"
import { Priority } from "../../src/reliability/index.ts"
import { MockLlm, MockRecorder, type MockRequest } from "../../src/testing/index.ts"
import { interpret } from "../../src/yaml/interpret.ts"
import { clearCache } from "../../src/yaml/runtime.ts"

const fixture = join(import.meta.dirname, "priority", "priorities.yaml")
const outDir = join(import.meta.dirname, "..", "..", ".generated", "priorities")

describe("YAML priority", () => {
  it("a priority that is neither a number nor high/normal/low is an error at its place", () => {
    const text = [
      "name: bad-priority",
      "inputs: { q: string }",
      "priority: urgent",
      "steps:",
      "  - { id: a, type: llm, provider: openai, model: m, prompt: \"{{ q }}\", priority: [1], output: a }",
      ""
    ].join("\n")
    const errors = analyzeSource("t.yaml", text).diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)
    assert.strictEqual(errors.length, 2, errors.join("\n"))
    assert.match(errors[0]!, /^t\.yaml:3:11: /)
    assert.match(errors[1]!, /^t\.yaml:5:\d+: /)
    for (const e of errors) assert.match(e, /high|normal|low|number/)
  })

  it.effect("both back ends give each step's calls its priority (its own, else the workflow's)", () =>
    Effect.gen(function*() {
      const analysis = analyzeFile(fixture)
      assert.deepStrictEqual(analysis.diagnostics.map(formatDiagnostic), [])
      mkdirSync(outDir, { recursive: true })
      const file = join(outDir, "priorities.ts")
      writeFileSync(file, generateModule(analysis, { source: "test/codegen/priority/priorities.yaml" }))
      const generated = (yield* Effect.promise(() => import(pathToFileURL(file).href) as Promise<{ workflow: never }>)).workflow
      const { workflow: interpreted, problems } = interpret(analysis)
      assert.deepStrictEqual(problems, [])
      const seen: Array<Record<string, number>> = []
      for (const wf of [generated, interpreted as never]) {
        clearCache()
        const priorities: Record<string, number> = {}
        const llm = MockLlm.layer("openai", {
          responses: (req: MockRequest) =>
            Effect.map(Effect.service(Priority.Priority), (p) => {
              priorities[req.prompt.split(" ")[0]!] = p
              return "ok"
            })
        }).pipe(Layer.provideMerge(MockRecorder.layer))
        yield* (execute(wf, { topic: "tea" } as never) as Effect.Effect<unknown, unknown, any>).pipe(Effect.provide(llm)) as Effect.Effect<unknown>
        seen.push(priorities)
      }
      assert.deepStrictEqual(seen[0], { Urgent: 1, Background: -1, Ranked: 5 })
      assert.deepStrictEqual(seen[1], seen[0], "generated module and interpreter agree")
    }) as Effect.Effect<void>)
})

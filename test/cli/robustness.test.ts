/**
 * Whatever validates also runs without defects: valid random variations of the examples run through the interpreter and
 * the engine with mocks sampled from each step's type. A run may fail (an unknown branch case, a loop that never
 * converges) but only with typed errors, never a defect.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { analyzeSource, type Type } from "../../codegen/index.ts"
import { execute } from "../../src/engine/run.ts"
import { interpret } from "../../src/yaml/interpret.ts"
import { mutations } from "../codegen/mutations.ts"

const examples = join(import.meta.dirname, "..", "..", "examples")
const sources = readdirSync(examples)
  .filter((f) => f.endsWith(".yaml") && !/\.(test|mock|input)\.yaml$/.test(f))
  .map((f) => readFileSync(join(examples, f), "utf8"))

/** A value of a type (first enum value, two items per list). */
const sample = (t: Type): unknown => {
  switch (t.kind) {
    case "string":
      return "s"
    case "number":
    case "integer":
      return 9
    case "boolean":
      return true
    case "literal":
      return t.values[0]
    case "array":
      return [sample(t.items), sample(t.items)]
    case "object":
      return Object.fromEntries(Object.entries(t.fields).map(([k, f]) => [k, sample(f.type)]))
    default:
      return "u"
  }
}

describe("interpreter robustness", () => {
  it.live("120 valid variations of the examples run without defects", () =>
    Effect.gen(function*() {
      const values: ReadonlyArray<unknown> = ["x", "{{ input.text }}", 3, true, ["a"], { enum: ["a", "b"] }, "default", "integer", 0]
      let runs = 0
      let succeeded = 0
      for (const { i, text } of mutations(sources, values, 424242, 3000)) {
        if (runs >= 120) break
        const a = analyzeSource("variant.yaml", text)
        if (a.diagnostics.some((d) => d.severity === "error")) continue
        runs++
        const input: Record<string, unknown> = {}
        for (const [name, f] of a.inputs) input[name] = sample(f.type)
        const mocks: Record<string, unknown> = {}
        for (const n of a.nodes.values()) {
          if (!["llm", "embed", "vector_search", "action"].includes(n.step.type)) continue
          const v = sample(n.type ?? { kind: "unknown" })
          mocks[n.id] = n.scope.kind === "body" ? Array.from({ length: 10 }, () => v) : v
        }
        const { workflow } = interpret(a, { mocks, unmocked: "fail" })
        const exit = yield* Effect.exit(execute(workflow, input as never) as Effect.Effect<unknown, unknown>)
        if (Exit.isSuccess(exit)) succeeded++
        else assert.isFalse(Cause.hasDies(exit.cause), `variation ${i} died: ${Cause.pretty(exit.cause)}\n---\n${text}`)
      }
      assert.strictEqual(runs, 120)
      assert.isAbove(succeeded, 80) // most variations run to the end
    }))
})

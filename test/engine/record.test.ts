import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Workflow, WorkflowDefinitionError } from "../../src/index.ts"

const Label = Schema.Literals(["safe", "block"])

describe("record form", () => {
  it.effect("runs steps declared in any order, with typed ctx from the declared outputs", () =>
    Effect.gen(function*() {
      const safe = Workflow.fromRecord("safe", {
        input: Schema.Struct({ text: Schema.String }),
        external: { label: Label },
        steps: { publish: { needs: ["label"], output: Schema.String } }
      }, {
        publish: (ctx) => Effect.succeed(`published (${ctx.label}): ${ctx.input.text}`)
      })
      const block = Workflow.fromRecord("block", {
        input: Schema.Struct({ text: Schema.String }),
        steps: { explain: { output: Schema.String } }
      }, { explain: (ctx) => Effect.succeed(`blocked: ${ctx.input.text}`) })
      const wf = Workflow.fromRecord("moderation", {
        input: Schema.Struct({ text: Schema.String }),
        steps: {
          route: { kind: "branch", needs: ["label"], cases: { safe, block } },
          words: { kind: "map", needs: ["label"], output: Schema.Array(Schema.Number), concurrency: 2 },
          label: { output: Label },
          count: { kind: "loop", output: Schema.Number, maxIterations: 5, onMaxIterations: "return" }
        }
      }, {
        label: (ctx) => Effect.succeed(ctx.input.text.includes("bad") ? "block" as const : "safe" as const),
        route: { on: (ctx) => ctx.label },
        words: { over: (ctx) => ctx.input.text.split(" "), body: (word: string) => Effect.succeed(word.length) },
        count: { initial: () => 0, until: (n) => n >= 3, body: (n) => Effect.succeed(n + 1) }
      })
      // Nodes are ordered so that every step comes after its needs.
      assert.deepStrictEqual(wf.nodes.map((n) => n.id), ["label", "count", "route", "words"])
      const out = yield* Workflow.run(wf, { text: "all good here" })
      assert.deepStrictEqual(out, {
        label: "safe",
        count: 3,
        route: { case: "safe", value: { publish: "published (safe): all good here" } },
        words: [3, 4, 4]
      })
      const out2 = yield* Workflow.run(wf, { text: "bad words" })
      assert.deepStrictEqual(out2.route, { case: "block", value: { explain: "blocked: bad words" } })
    }))

  it("rejects unknown needs and cycles with the cycle's path", () => {
    const input = Schema.Struct({})
    const unknown = () =>
      Workflow.fromRecord("w", { input, steps: { a: { needs: ["zz"], output: Schema.Number } } as any }, { a: () => Effect.succeed(1) } as any)
    assert.throws(unknown, /step 'a' needs unknown step 'zz'/)
    try {
      Workflow.fromRecord("w", {
        input,
        steps: {
          a: { needs: ["c"], output: Schema.Number },
          b: { needs: ["a"], output: Schema.Number },
          c: { needs: ["b"], output: Schema.Number },
          d: { output: Schema.Number }
        }
      } as any, { a: () => Effect.succeed(1), b: () => Effect.succeed(1), c: () => Effect.succeed(1), d: () => Effect.succeed(1) } as any)
      assert.fail("expected a cycle error")
    } catch (e) {
      assert.instanceOf(e, WorkflowDefinitionError)
      assert.strictEqual((e as WorkflowDefinitionError).message, "w: cycle: a -> c -> b -> a")
    }
  })
})

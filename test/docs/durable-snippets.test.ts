// docs/durable.md, run: its first YAML workflow through the commands the page shows (run suspends with exit 4, a
// wrong-typed signal is refused naming the field, the right one finishes the run with the outputs shown), its `wait`
// step fragment inside a workflow, and its TypeScript example (quoted verbatim from the region below).
import { assert, describe, it } from "@effect/vitest"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Schema } from "effect"
import { afterAll } from "vitest"
import { analyzeFile } from "../../codegen/analyze.ts"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import { Durable, DurableRuns } from "../../src/durable/index.ts"
import { Workflow } from "../../src/index.ts"

const doc = readFileSync(new URL("../../docs/durable.md", import.meta.url), "utf8")
const dir = mkdtempSync(join(tmpdir(), "llmo-durable-doc-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const cli = (cwd: string, args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const cap = Output.capture({ cwd })
    const code = yield* runWith(args, cap.layer)
    return { code, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") }
  })

// #region ts-api
const review = Workflow.make("review", { input: Schema.Struct({ text: Schema.String }) })
  .step("draft", (ctx) => Effect.succeed(`Draft: ${ctx.input.text}`))
  .wait("approve", { needs: ["draft"], signal: Schema.Struct({ approved: Schema.Boolean }) })
  .step("publish", { needs: ["draft", "approve"] }, (ctx) => Effect.succeed(ctx.approve.approved ? ctx.draft : "held"))

const program = Effect.gen(function*() {
  const run = yield* Durable.start(review, { text: "hello" })                 // stored once this returns
  yield* Durable.signal(review, run.runId, "approve", { approved: true })      // the value's type is checked by tsc
  return yield* Durable.result(review, run.runId)                              // the typed outputs
})
// #endregion ts-api

describe("docs/durable.md", () => {
  it.live("the first workflow: run suspends (exit 4), a wrong signal is refused, the right one finishes it", () =>
    Effect.gen(function*() {
      const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!
      const cwd = join(dir, "first")
      mkdirSync(cwd, { recursive: true })
      writeFileSync(join(cwd, "review.yaml"), yaml)
      const store = `sqlite:${join(cwd, "runs.db")}`
      const first = yield* cli(cwd, ["run", join(cwd, "review.yaml"), "--input", '{"text":"hello"}', "--store", store])
      assert.strictEqual(first.code, 4)
      const id = /run (run-\S+) on sqlite:/.exec(first.stderr)![1]!
      assert.include(first.stderr, `run ${id} is waiting at 'approve': llm-orchestrator signal ${id} approve --value '<json>'`)
      const wrong = yield* cli(cwd, ["signal", id, "approve", "--value", '{"approved":"yes"}', "--store", store])
      assert.strictEqual(wrong.code, 2)
      assert.include(wrong.stderr, `error: Signal for 'approve' of run '${id}' is invalid: approved: Expected boolean`)
      const right = yield* cli(cwd, ["signal", id, "approve", "--value", '{"approved":true,"comment":"ship it"}', "--store", store])
      assert.strictEqual(right.code, 0)
      assert.include(right.stderr, `signalled approve of ${id}`)
      assert.deepStrictEqual(JSON.parse(right.stdout), { published: "Draft: hello (approved=true, ship it)" })
      // The doc shows the same lines.
      assert.include(doc, "error: Signal for 'approve' of run 'run-mx4qz625-0f69f16d' is invalid: approved: Expected boolean")
      assert.include(doc, '"published": "Draft: hello (approved=true, ship it)"')

      const listed = yield* cli(cwd, ["list", "--store", store])
      assert.match(listed.stdout.split("\n")[0]!, /^RUN\s+WORKFLOW\s+STATUS\s+CREATED\s+DURATION$/)
      assert.include(doc, "RUN                    WORKFLOW  STATUS     CREATED              DURATION")
    }), 60_000)

  it("the wait step fragment is valid inside a workflow; a wait inside a map body or without a value type is refused", () => {
    const fragment = /```yaml\n(  - id: edit[\s\S]*?)```/.exec(doc)![1]!
    const file = join(dir, "edit.yaml")
    writeFileSync(file, `name: edit
inputs:
  text: string
steps:
  - id: draft
    type: transform
    function: template
    template: "{{ input.text }}"
    output: draft
${fragment}`)
    const errors = analyzeFile(file).diagnostics.filter((d) => d.severity === "error")
    assert.deepStrictEqual(errors.map((d) => d.message), [])

    const bad = join(dir, "bad.yaml")
    writeFileSync(bad, `name: bad
inputs:
  items: { type: array, items: string }
steps:
  - id: each
    type: map
    over: "{{ input.items }}"
    as: item
    steps:
      - { id: ok, type: approval, output: ok }
  - { id: free, type: wait, output: free }
`)
    const messages = analyzeFile(bad).diagnostics.filter((d) => d.severity === "error").map((d) => d.message)
    assert.include(messages.join("\n"), `an approval step inside the body of map "each" is not supported`)
    assert.include(messages.join("\n"), `wait step "free" needs a value type`)
  })

  it.live("the TypeScript example runs, and the page quotes it verbatim", () =>
    Effect.gen(function*() {
      const outputs = yield* program.pipe(Effect.provide(DurableRuns.layer({ store: `sqlite:${join(dir, "ts.db")}` })))
      assert.deepStrictEqual(outputs, { draft: "Draft: hello", approve: { approved: true }, publish: "Draft: hello" })
      const source = readFileSync(new URL(import.meta.url), "utf8")
      const region = /\/\/ #region ts-api\n([\s\S]*?)\n\/\/ #endregion ts-api/.exec(source)![1]!
      const quoted = /```ts\n(import \{ Effect, Schema \}[\s\S]*?)```/.exec(doc)![1]!
      assert.include(quoted, region)
    }), 60_000)
})

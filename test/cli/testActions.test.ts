/**
 * `llm-orchestrator test --actions`: the YAML test cases of a workflow with custom actions run with the actions module
 * `codegen --actions` and `run --actions` take; an action step without a mock runs the action, a mocked one does not,
 * and a parameter the action's Schema refuses fails the file before any case runs (file:line:col, as validate).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"

const root = join(import.meta.dirname, "..", "..")
// Inside the checkout, so the module's `llm-orchestrator/actions` import resolves to this package.
const dir = join(root, ".generated", "cli-test-actions")
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const cli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const cap = Output.capture({ cwd: dir })
    const code = yield* runWith(args, cap.layer)
    return { code, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") }
  })

writeFileSync(join(dir, "actions.ts"), `import { Effect, Schema } from "effect"
import { Action } from "llm-orchestrator/actions"

export const shout = Action.make({
  description: "Upper-case a text, repeated",
  params: Schema.Struct({ text: Schema.String, times: Schema.Number }),
  run: ({ text, times }) => Effect.succeed(Array.from({ length: times }, () => text.toUpperCase()).join(" "))
})
`)
const workflow = (times: string) => `name: announce
inputs:
  topic: string
steps:
  - { id: draft, type: llm, provider: openai, model: m, prompt: "Announce {{ input.topic }}", output: draft }
  - { id: loud, type: action, action: shout, text: "{{ draft }}", times: ${times}, output: loud }
`
writeFileSync(join(dir, "announce.yaml"), workflow("2"))
writeFileSync(join(dir, "announce.test.yaml"), `cases:
  - name: the action runs on the mocked draft
    input: { topic: effect }
    mocks: { draft: "effect 4 is out" }
    expect:
      outputs: { loud: "EFFECT 4 IS OUT EFFECT 4 IS OUT" }
      path: [draft, loud]
  - name: a mocked action step does not run the action
    input: { topic: effect }
    mocks: { draft: "x", loud: "mocked" }
    expect:
      outputs: { loud: "mocked" }
`)
writeFileSync(join(dir, "wrong.yaml"), workflow(`"twice"`))
writeFileSync(join(dir, "wrong.test.yaml"), `cases:
  - name: never runs
    mocks: { draft: "x" }
    input: { topic: t }
    expect: { outputs: { loud: "X" } }
`)

describe("test --actions", () => {
  it.live("runs the cases with the module's actions: unmocked action steps call the action, mocked ones take the mock", () =>
    Effect.gen(function*() {
      const r = yield* cli(["test", join(dir, "announce.yaml"), "--actions", "./actions.ts"])
      assert.strictEqual(r.code, 0, `${r.stdout}\n${r.stderr}`)
      assert.deepStrictEqual(r.stdout.split("\n"), [
        "✓ the action runs on the mocked draft",
        "✓ a mocked action step does not run the action",
        "2 passed, 0 failed"
      ])
    }), 60_000)

  it.live("without the module, the unmocked action step fails its case", () =>
    Effect.gen(function*() {
      const r = yield* cli(["test", join(dir, "announce.yaml")])
      assert.strictEqual(r.code, 1, `${r.stdout}\n${r.stderr}`)
      assert.include(r.stdout, "✗ the action runs on the mocked draft")
      assert.include(r.stdout, "✓ a mocked action step does not run the action")
      assert.include(r.stdout, "1 passed, 1 failed")
    }), 60_000)

  it.live("a parameter the action's Schema refuses fails the file at its line:col before any case runs (exit 2)", () =>
    Effect.gen(function*() {
      const r = yield* cli(["test", join(dir, "wrong.yaml"), "--actions", "./actions.ts"])
      assert.strictEqual(r.code, 2, `${r.stdout}\n${r.stderr}`)
      assert.match(r.stderr, /wrong\.yaml:6:\d+: step "loud" \(action shout\): parameter "times": Expected number$/m)
      assert.notInclude(r.stdout, "never runs")
    }), 60_000)

  it.live("an actions module that does not load: one error line, exit 2", () =>
    Effect.gen(function*() {
      const r = yield* cli(["test", join(dir, "announce.yaml"), "--actions", "./missing.ts"])
      assert.strictEqual(r.code, 2, `${r.stdout}\n${r.stderr}`)
      assert.match(r.stderr, /^error: .*missing\.ts/)
      assert.strictEqual(r.stdout, "")
    }), 60_000)
})

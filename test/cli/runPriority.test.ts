/**
 * `run --priority`: a number or high/normal/low (a bad value is a usage error, exit 2, naming the flag); a run
 * started with one completes as usual, in memory and durably.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"

const dir = mkdtempSync(join(tmpdir(), "llmo-run-priority-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = join(dir, "wf.yaml")
writeFileSync(file, `name: w
inputs:
  text: string
steps:
  - { id: answer, type: llm, provider: openai, model: m, prompt: "{{ input.text }}", output: answer }
`)
const mock = join(dir, "wf.mock.yaml")
writeFileSync(mock, "answer: hi\n")

const cli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const cap = Output.capture({ cwd: dir })
    const code = yield* runWith(args, cap.layer)
    return { code, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") }
  })

describe("run --priority", () => {
  it.effect("a value that is neither a number nor high/normal/low is refused with exit 2", () =>
    Effect.gen(function*() {
      const r = yield* cli(["run", file, "--input", '{"text":"x"}', "--priority", "urgent", "--store", "memory"])
      assert.strictEqual(r.code, 2)
      assert.include(r.stderr, `--priority must be a number or one of high, normal, low (got "urgent")`)
    }))

  it.effect("a run with a priority completes, in memory and on a durable store", () =>
    Effect.gen(function*() {
      const memory = yield* cli(["run", file, "--input", '{"text":"x"}', "--mock", mock, "--priority", "high", "--store", "memory", "--json"])
      assert.strictEqual(memory.code, 0, memory.stderr)
      const durable = yield* cli(["run", file, "--input", '{"text":"x"}', "--mock", mock, "--priority", "-2", "--store", `sqlite:${join(dir, "runs.db")}`, "--json"])
      assert.strictEqual(durable.code, 0, durable.stderr)
      assert.include(durable.stdout, "\"hi\"")
    }), 60_000)
})

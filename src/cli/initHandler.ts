/**
 * `llm-orchestrator init <dir>`: scaffolds a project with one workflow, its test file, a mock file and npm scripts.
 * Existing files are never overwritten.
 *
 * @example
 * ```sh
 * llm-orchestrator init my-flows && cd my-flows && npx llm-orchestrator test workflows/summarize.yaml
 * ```
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect, Option } from "effect"
import { version } from "./version.ts"
import { Output } from "./Output.ts"
import type { InitArgs } from "./initCommand.ts"

const workflow = `# yaml-language-server: $schema=../node_modules/llm-orchestrator/dist/codegen/schema/workflow.schema.json
name: summarize
version: "1.0"
description: Summarize a text and classify its tone

inputs:
  text: string

steps:
  - id: summarize
    type: llm
    provider: openai
    model: gpt-4o-mini
    prompt: |
      Summarize in one sentence:
      {{ input.text }}
    output: summary

  - id: tone
    type: llm
    provider: openai
    model: gpt-4o-mini
    prompt: "Tone of: {{ summary }}"
    output_schema: { enum: [positive, neutral, negative] }
    output: tone
`

const tests = `cases:
  - name: summarizes and classifies
    input: { text: "Effect makes TypeScript programs composable." }
    mock_file: summarize.mock.yaml
    expect:
      outputs: { summary: "Effect composes programs.", tone: positive }
      path: [summarize, tone]
`

const mocks = `summarize: "Effect composes programs."
tone: positive
`

const pkg = (name: string, dependency: string) => `${JSON.stringify({
  name,
  private: true,
  type: "module",
  scripts: {
    validate: "llm-orchestrator validate workflows/*.yaml",
    test: "llm-orchestrator test workflows/*.yaml",
    start: "llm-orchestrator run workflows/summarize.yaml --mock workflows/summarize.mock.yaml --input '{\"text\":\"hello\"}'",
    codegen: "llm-orchestrator codegen workflows/*.yaml --out src/generated"
  },
  dependencies: { "llm-orchestrator": dependency }
}, null, 2)}\n`

/** Runs `init` (loaded by `initCommand.ts` when the command runs). */
export const init = ({ dir, from }: InitArgs) =>
  Output.use((o) =>
    Effect.sync(() => {
      let dependency = `^${version}`
      if (Option.isSome(from)) {
        const path = resolve(o.cwd, from.value)
        if (!existsSync(path)) {
          o.err(`error: --from ${from.value}: no such file or directory`)
          return o.exit(1)
        }
        dependency = `file:${path}`
      }
      const name = dir.split(/[\\/]/).filter((x) => x !== "").pop() ?? "workflows"
      const files: ReadonlyArray<readonly [string, string]> = [
        ["package.json", pkg(name.toLowerCase().replace(/[^a-z0-9-]/g, "-"), dependency)],
        ["workflows/summarize.yaml", workflow],
        ["workflows/summarize.test.yaml", tests],
        ["workflows/summarize.mock.yaml", mocks]
      ]
      const existing = files.filter(([f]) => existsSync(join(dir, f)))
      if (existing.length > 0) {
        for (const [f] of existing) o.err(`error: ${join(dir, f)} exists; not overwriting`)
        o.exit(1)
        return
      }
      mkdirSync(join(dir, "workflows"), { recursive: true })
      for (const [f, text] of files) {
        writeFileSync(join(dir, f), text)
        o.out(`created ${join(dir, f)}`)
      }
      o.out(`next: cd ${dir} && npm install && npm test`)
      if (Option.isNone(from)) {
        o.out(`(llm-orchestrator@${version} comes from the npm registry; to use a local build instead: npm pack in a checkout, then init with --from path/to/llm-orchestrator-${version}.tgz)`)
      }
    })
  )

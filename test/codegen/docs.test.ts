/**
 * docs/yaml.md stays true: every complete workflow in it validates, and every mock/test snippet parses.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { parse } from "yaml"
import { analyzeSource } from "../../codegen/index.ts"

const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "yaml.md"), "utf8")
const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)

describe("docs/yaml.md", () => {
  it("has workflow examples that validate without errors", () => {
    const workflows = blocks.filter((b) => /^name:/m.test(b) && /^steps:/m.test(b))
    assert.isAtLeast(workflows.length, 1)
    for (const w of workflows) {
      assert.deepStrictEqual(analyzeSource("docs.yaml", w).diagnostics, [])
    }
  })

  it("has YAML snippets that parse", () => {
    assert.isAtLeast(blocks.length, 4)
    for (const b of blocks) assert.doesNotThrow(() => parse(b))
  })
})

/** docs/rag.md code blocks marked `<!-- snippet: file -->` are these files, and they run. */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { normalise, snippets } from "../support/docSnippets.ts"
import { answerContext } from "./snippets/pipeline.ts"

describe("docs/rag.md snippets", () => {
  it("every snippet block is the tested file", () => {
    const blocks = snippets("docs/rag.md")
    assert.deepStrictEqual([...blocks.keys()], ["pipeline.ts"])
    for (const [file, code] of blocks) {
      assert.strictEqual(normalise(code), normalise(readFileSync(join(import.meta.dirname, "snippets", file), "utf8")), `docs block ${file} differs from its file`)
    }
  })

  it.live("pipeline.ts: ingests the example folder and packs a cited context within budget, the right page first", () =>
    Effect.gen(function*() {
      const { packed, summary } = yield* answerContext("examples/rag-qa/docs", "How long does the backoff wait between retries?")
      assert.deepInclude(summary, { documents: 4, added: 4, unchanged: 0 })
      assert.isAtMost(packed.tokens, 400)
      assert.strictEqual(packed.citations[0]?.source, "examples/rag-qa/docs/retries.md")
      assert.include(packed.citations[0]!.text, "backoff")
      assert.include(packed.text, "[1]")
      assert.strictEqual(packed.citations.map((c) => c.n).join(","), packed.citations.map((_, i) => i + 1).join(","))
    }))
})

/**
 * The code blocks of docs/security.md marked `<!-- snippet: file -->` are these files (imports spelled as the package
 * exports them); this test checks they match and runs them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Secrets } from "../../src/secrets/index.ts"
import { normalise, snippets } from "../support/docSnippets.ts"
import * as secrets from "./snippets/secrets.ts"

describe("docs/security.md snippets", () => {
  const blocks = snippets("docs/security.md")
  it("every snippet block is the tested file", () => {
    assert.deepStrictEqual([...blocks.keys()].sort(), ["secrets.ts"])
    for (const [file, code] of blocks) {
      const source = readFileSync(join(import.meta.dirname, "snippets", file), "utf8")
      assert.strictEqual(normalise(code), normalise(source), `docs block ${file} differs from test/secrets/snippets/${file}`)
    }
  })
  const TestSecrets = Secrets.layerStatic({ "file:/run/secrets/openai": "sk-file-123", "vault:secret/data/llm#anthropic": "sk-ant-456" })
  it.effect("secrets.ts", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* secrets.program, "<redacted:file:/run/secrets/openai> <redacted:vault:secret/data/llm#anthropic> (11 characters)")
      yield* Effect.scoped(Layer.build(secrets.OpenAiLive))
    }).pipe(Effect.provide(TestSecrets)))
})

/**
 * The code blocks of docs/governance.md marked `<!-- snippet: file -->` are these files (imports spelled as the
 * package exports them); this test checks they match and runs them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { normalise, snippets } from "../support/docSnippets.ts"
import * as policy from "./snippets/policy.ts"
import * as serve from "./snippets/serve.ts"

describe("docs/governance.md snippets", () => {
  const blocks = snippets("docs/governance.md")
  it("every snippet block is the tested file", () => {
    assert.deepStrictEqual([...blocks.keys()].sort(), ["policy.ts", "serve.ts"])
    for (const [file, code] of blocks) {
      const source = readFileSync(join(import.meta.dirname, "snippets", file), "utf8")
      assert.strictEqual(normalise(code), normalise(source), `docs block ${file} differs from test/governance/snippets/${file}`)
    }
  })
  it.effect("policy.ts", () =>
    Effect.map(policy.program, (s) =>
      assert.strictEqual(s, [
        "sent: Customer [CUSTOMER_ID_1] ([EMAIL_1], card [CARD_1]) asks for a refund.",
        "answer: I will reply to ada@example.com."
      ].join("\n"))))
  it.effect("serve.ts", () => Effect.map(serve.program, (s) => assert.strictEqual(s, "greet v1 draft")))
})

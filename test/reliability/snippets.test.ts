/**
 * The code blocks of docs/reliability.md and docs/providers.md marked `<!-- snippet: file -->` are these files
 * (imports spelled as the package exports them); this test checks they match and runs them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as cache from "./snippets/cache.ts"
import * as failover from "./snippets/failover.ts"
import * as failoverLayer from "./snippets/failover-layer.ts"
import * as policy from "./snippets/policy.ts"
import * as stepFallback from "./snippets/step-fallback.ts"
import { normalise, snippets } from "../support/docSnippets.ts"
import { Logging } from "../../src/telemetry/index.ts"

describe("docs/reliability.md snippets", () => {
  const blocks = snippets("docs/reliability.md")
  it("every snippet block is the tested file", () => {
    assert.deepStrictEqual([...blocks.keys()].sort(), ["cache.ts", "failover-layer.ts", "failover.ts", "policy.ts", "step-fallback.ts"])
    for (const [file, code] of blocks) {
      const source = readFileSync(join(import.meta.dirname, "snippets", file), "utf8")
      assert.strictEqual(normalise(code), normalise(source), `docs block ${file} differs from test/reliability/snippets/${file}`)
    }
  })
  it.live("policy.ts", () => {
    // the snippet logs each reliability event: into the test logger, not onto the test output
    const logs = Logging.test()
    return Effect.map(policy.program.pipe(Effect.provide(logs.layer)), (s) => {
      assert.strictEqual(s, "hello after retries (3 calls)")
      assert.deepStrictEqual(logs.entries.map((e) => e.message), ["Retrying", "Retrying"])
    })
  })
  it.live("failover.ts", () =>
    Effect.map(failover.program, (s) => assert.strictEqual(s, "from the backup via anthropic/claude-sonnet-4-5 after 1 failover(s), 3 attempts")))
  it.live("failover-layer.ts", () =>
    Effect.map(failoverLayer.program, (s) => assert.strictEqual(s, "hello from anthropic (failed over openai -> anthropic)")))
  it.effect("step-fallback.ts", () =>
    Effect.map(stepFallback.program, (s) => assert.strictEqual(s, "(short) Effect is a TypeScript library. [fallback 1: workflow]")))
  it.live("cache.ts", () => Effect.map(cache.program, (s) => assert.strictEqual(s, "answer #1 to What is Effect?; hits 1, misses 1")))
})

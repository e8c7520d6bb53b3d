/** docs/providers.md code blocks marked `<!-- snippet: file -->` are these files; checked and run against wire servers. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as AnthropicWire from "../support/wire/anthropic.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"
import * as llm from "./snippets/llm.ts"
import * as local from "./snippets/local.ts"
import * as openai from "./snippets/openai.ts"
import { normalise, snippets } from "../support/docSnippets.ts"

describe("docs/providers.md snippets", () => {
  it("every snippet block is the tested file", () => {
    const blocks = snippets("docs/providers.md")
    assert.deepStrictEqual([...blocks.keys()].sort(), ["catalogue-entry.ts", "llm.ts", "local.ts", "openai.ts"])
    for (const [file, code] of blocks) {
      const source = readFileSync(join(import.meta.dirname, "snippets", file), "utf8")
      assert.strictEqual(normalise(code), normalise(source), `docs block ${file} differs from its file`)
    }
  })

  it.live("openai.ts", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start((req) =>
        req.body.response_format ? Wire.chat(`{"name":"Ada Lovelace","born":1815}`) : Wire.echo(req)
      )
      const out = yield* openai.program(`${server.url}/v1`)
      assert.deepStrictEqual(out, { hello: "echo: Say hello", person: { name: "Ada Lovelace", born: 1815 }, streamed: "echo: Count", usage: 10 })
    }))

  it.live("llm.ts", () =>
    Effect.gen(function*() {
      const o = yield* WireServer.start(() => Wire.chat("Effect: typed effects", { usage: { prompt_tokens: 1000, completion_tokens: 100 } }))
      const a = yield* WireServer.start(() => AnthropicWire.text("typed effects", { usage: { input_tokens: 2000, output_tokens: 200 } }))
      const out = yield* llm.program(`${o.url}/v1`, a.url)
      assert.deepStrictEqual(out.answers, ["Effect: typed effects", "typed effects"])
      assert.strictEqual(out.inputTokens, 3000)
      assert.closeTo(out.usd, (1000 * 0.15 + 100 * 0.6 + 2000 * 1 + 200 * 5) / 1e6, 1e-12)
    }))

  it.live("local.ts", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      assert.strictEqual(yield* local.program(`${server.url}/v1`), "echo: Why is the sky blue?")
    }))
})

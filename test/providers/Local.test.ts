import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { LanguageModel } from "effect/ai"
import { Local } from "../../src/providers/index.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

describe("Local (OpenAI-compatible servers)", () => {
  it("presets point at each server's default port", () => {
    assert.strictEqual(Local.presets.ollama.baseUrl, "http://127.0.0.1:11434/v1")
    assert.strictEqual(Local.presets.vllm.baseUrl, "http://127.0.0.1:8000/v1")
    assert.strictEqual(Local.presets.llamaCpp.baseUrl, "http://127.0.0.1:8080/v1")
    assert.strictEqual(Local.presets.lmStudio.baseUrl, "http://127.0.0.1:1234/v1")
  })

  it.live("ollama preset with an overridden base URL: no key, non-strict schema, model from options", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start((req) =>
        req.body.response_format ? Wire.chat(`{"ok":true}`) : Wire.echo(req)
      )
      const layer = Local.ollama({ model: "llama3.2", baseUrl: `${server.url}/v1` })
      const text = yield* LanguageModel.generateText({ prompt: "hi" }).pipe(Effect.provide(layer))
      assert.strictEqual(text.text, "echo: hi")
      const obj = yield* LanguageModel.generateObject({ prompt: "x", schema: Schema.Struct({ ok: Schema.Boolean }) }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(obj.value, { ok: true })
      assert.strictEqual(server.requests[0]!.headers.authorization, undefined)
      assert.strictEqual(server.requests[0]!.body.model, "llama3.2")
      assert.strictEqual(server.requests[1]!.body.response_format.json_schema.strict, false)
    }))
})

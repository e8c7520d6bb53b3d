import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Prompt } from "effect/ai"
import { Anthropic, FileData, OpenAi } from "../../src/providers/index.ts"
import * as AnthropicWire from "../support/wire/anthropic.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const prompt = Prompt.make([{
  role: "user",
  content: [
    { type: "text", text: "What is in these?" },
    { type: "file", mediaType: "image/png", data: new Uint8Array([1, 2, 3]) },
    { type: "file", mediaType: "image/jpeg", data: new URL("https://example.com/cat.jpg") },
    { type: "file", mediaType: "application/pdf", data: new Uint8Array([9]) }
  ]
}])

describe("Image inputs", () => {
  it("FileData conversions", () => {
    assert.strictEqual(FileData.toDataUrl({ mediaType: "image/png", data: new Uint8Array([1, 2]) }), "data:image/png;base64,AQI=")
    assert.strictEqual(FileData.toBase64({ mediaType: "image/png", data: "data:image/png;base64,AQI=" }), "AQI=")
    assert.strictEqual(FileData.remoteUrl({ mediaType: "image/png", data: "https://x/y.png" }), "https://x/y.png")
    assert.isFalse(FileData.isImage({ mediaType: "application/pdf", data: "" }))
  })

  it.live("OpenAI: image_url parts (data URL and remote URL) in order; non-images are not sent", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => Wire.chat("a cat"))
      const model = yield* OpenAi.make({ model: "gpt-4o", apiKey: Redacted.make("k"), baseUrl: `${server.url}/v1` })
      yield* model.generateText({ prompt })
      assert.deepStrictEqual(server.requests[0]!.body.messages[0].content, [
        { type: "text", text: "What is in these?" },
        { type: "image_url", image_url: { url: "data:image/png;base64,AQID" } },
        { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } }
      ])
    }))

  it.live("Anthropic: base64 and url image blocks", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => AnthropicWire.text("a cat"))
      const model = yield* Anthropic.make({ model: "claude-sonnet-4-5", apiKey: Redacted.make("k"), baseUrl: server.url })
      yield* model.generateText({ prompt })
      assert.deepStrictEqual(server.requests[0]!.body.messages[0].content, [
        { type: "text", text: "What is in these?" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: "AQID" } },
        { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } }
      ])
    }))
})

import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { LanguageModel } from "effect/ai"
import { Anthropic, OpenAi } from "../../src/providers/index.ts"
import * as AnthropicWire from "../support/wire/anthropic.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const env = (vars: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env: vars }))

describe("Adapters from Config", () => {
  it.live("OpenAi.layerConfig: key (Redacted), base URL, org/project, model from the environment", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(Wire.echo)
      const options = yield* OpenAi.config().pipe(Effect.provide(env({
        OPENAI_API_KEY: "sk-from-env",
        OPENAI_BASE_URL: `${server.url}/v1`,
        OPENAI_ORG_ID: "org-1",
        OPENAI_PROJECT_ID: "proj-1",
        OPENAI_MODEL: "gpt-4.1-mini"
      })))
      assert.isTrue(Redacted.isRedacted(options.apiKey))
      assert.notInclude(JSON.stringify(options), "sk-from-env")
      const res = yield* LanguageModel.generateText({ prompt: "hi" }).pipe(
        Effect.provide(OpenAi.layerConfig()),
        Effect.provide(env({ OPENAI_API_KEY: "sk-from-env", OPENAI_BASE_URL: `${server.url}/v1`, OPENAI_ORG_ID: "org-1", OPENAI_PROJECT_ID: "proj-1", OPENAI_MODEL: "gpt-4.1-mini" }))
      )
      assert.strictEqual(res.text, "echo: hi")
      const req = server.requests[0]!
      assert.strictEqual(req.headers.authorization, "Bearer sk-from-env")
      assert.strictEqual(req.headers["openai-organization"], "org-1")
      assert.strictEqual(req.headers["openai-project"], "proj-1")
      assert.strictEqual(req.body.model, "gpt-4.1-mini")
    }))

  it.live("Anthropic.layerConfig with the default model; a missing key means no auth header", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(AnthropicWire.echo)
      yield* LanguageModel.generateText({ prompt: "hi" }).pipe(
        Effect.provide(Anthropic.layerConfig()),
        Effect.provide(env({ ANTHROPIC_BASE_URL: server.url }))
      )
      assert.strictEqual(server.requests[0]!.body.model, "claude-sonnet-4-5")
      assert.strictEqual(server.requests[0]!.headers.authorization, undefined)
    }))
})

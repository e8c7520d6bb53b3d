/**
 * `run` without mocks: the CLI builds the provider layers from the environment and calls the providers' wire APIs
 * (local servers on 127.0.0.1 speaking the OpenAI and Anthropic formats).
 */
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import * as Anthropic from "../support/wire/anthropic.ts"
import * as OpenAi from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const root = join(import.meta.dirname, "..", "..")

describe("run against providers", () => {
  it.live("sentiment-analysis.yaml with OPENAI_* and ANTHROPIC_* pointing at local wire servers", () =>
    Effect.gen(function*() {
      const openai = yield* WireServer.start(() => OpenAi.chat("positive"))
      const anthropic = yield* WireServer.start(() => Anthropic.text("Glad you like it!"))
      const env = { ...process.env }
      Object.assign(process.env, {
        OPENAI_API_KEY: "sk-test",
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: "ak-test",
        ANTHROPIC_BASE_URL: anthropic.url
      })
      const cap = Output.capture()
      const code = yield* runWith(
        ["run", join(root, "examples", "sentiment-analysis.yaml"), "--input", `{"text":"I love it"}`, "--json"],
        cap.layer
      ).pipe(Effect.ensuring(Effect.sync(() => {
        for (const k of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"]) {
          if (env[k] === undefined) delete process.env[k]
          else process.env[k] = env[k]
        }
      })))
      assert.strictEqual(code, 0, cap.stdout.join("\n") + cap.stderr.join("\n"))
      const doc = JSON.parse(cap.stdout.join("\n")) as { outputs: Record<string, unknown> }
      assert.deepStrictEqual(doc.outputs, { sentiment: "positive", response: "Glad you like it!" })
      assert.strictEqual(openai.requests.length, 1)
      assert.strictEqual(openai.requests[0]!.body.model, "gpt-4")
      assert.include(JSON.stringify(openai.requests[0]!.body.messages), "I love it")
      assert.strictEqual(anthropic.requests.length, 1)
      assert.include(JSON.stringify(anthropic.requests[0]!.body.messages), "positive sentiment")
      // The log action printed to stderr in --json mode (stdout stays one JSON document).
      assert.include(cap.stderr.join("\n"), "Sentiment: positive, Response: Glad you like it!")
    }).pipe(Effect.scoped))
})

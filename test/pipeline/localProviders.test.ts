/**
 * Cohere and local model servers from YAML, as the CLI runs them: `provider: ollama` (or vllm, llamacpp, lmstudio)
 * with a base URL from the environment, `provider: cohere` with its key; real HTTP to local wire fakes.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Pipeline } from "../../src/pipeline/index.ts"
import * as CohereWire from "../support/wire/cohere.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const dir = mkdtempSync(join(tmpdir(), "llmo-local-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const workflow = (provider: string, model?: string) => {
  const file = join(dir, `wf-${provider}-${Math.random().toString(36).slice(2)}.yaml`)
  writeFileSync(file, `name: local
inputs:
  text: string
steps:
  - id: vector
    type: embed
    provider: ${provider}
    ${model === undefined ? "" : `model: ${model}`}
    input: "{{ input.text }}"
    output: vector
  - id: answer
    type: llm
    provider: ${provider}
    ${model === undefined ? "" : `model: ${model}`}
    prompt: "Answer {{ input.text }}"
    output: answer
`)
  return file
}

describe("local model servers from YAML", () => {
  for (const [provider, env] of [["ollama", "OLLAMA"], ["vllm", "VLLM"], ["llamacpp", "LLAMACPP"], ["lmstudio", "LMSTUDIO"]] as const) {
    it.live(`provider: ${provider} reaches ${env}_BASE_URL for chat and embeddings, with no Authorization header`, () =>
      Effect.gen(function*() {
        const server = yield* WireServer.start(Wire.echo)
        const report = yield* Pipeline.runFile(workflow(provider, "my-model"), { input: { text: "hi" }, env: { [`${env}_BASE_URL`]: `${server.url}/v1` } })
        assert.strictEqual(report.outputs["answer"], "echo: Answer hi")
        assert.deepStrictEqual(server.requests.map((r) => r.path).sort(), ["/v1/chat/completions", "/v1/embeddings"])
        for (const r of server.requests) assert.strictEqual(r.headers["authorization"], undefined)
        assert.strictEqual(server.requests.find((r) => r.path.endsWith("/chat/completions"))!.body.model, "my-model")
      }).pipe(Effect.scoped))
  }
})

describe("Cohere from YAML", () => {
  it.live("provider: cohere uses COHERE_API_KEY and COHERE_BASE_URL for chat and embeddings", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(CohereWire.echo)
      const report = yield* Pipeline.runFile(workflow("cohere", "command-r"), {
        input: { text: "hi" },
        env: { COHERE_API_KEY: "co-key", COHERE_BASE_URL: server.url }
      })
      assert.strictEqual(report.outputs["answer"], "echo: Answer hi")
      assert.deepStrictEqual(server.requests.map((r) => r.path).sort(), ["/v2/chat", "/v2/embed"])
      assert.isTrue(server.requests.every((r) => r.headers["authorization"] === "Bearer co-key"))
    }).pipe(Effect.scoped))

  it.live("without COHERE_API_KEY the run stops before it starts, naming the variable", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Pipeline.runFile(workflow("cohere", "command-r"), { input: { text: "hi" }, env: {} }))
      assert.strictEqual(e._tag, "ServicesMissing")
      assert.include(e.message, "set COHERE_API_KEY")
    }))
})

/**
 * The run pipeline as the CLI, the server and workers call it: each stage fails with its typed error, services come
 * from the provider catalogue (environment, config sections with secret references, added entries), and an
 * interrupted run reports what finished.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Pipeline } from "../../src/pipeline/index.ts"
import { Catalogue } from "../../src/providers/index.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"
import { mistral } from "../providers/snippets/catalogue-entry.ts"

const root = join(import.meta.dirname, "..", "..")
const ex = (f: string) => join(root, "examples", f)
const dir = mkdtempSync(join(tmpdir(), "llmo-pipeline-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const workflow = (provider: string) => {
  const file = join(dir, `wf-${provider}-${Math.random().toString(36).slice(2)}.yaml`)
  writeFileSync(file, `name: one
inputs:
  text: string
steps:
  - id: answer
    type: llm
    provider: ${provider}
    model: m-1
    prompt: "Answer {{ input.text }}"
    output: answer
`)
  return file
}

describe("Pipeline.runFile", () => {
  it.live("a mocked run: outputs and step states, no _outputs step", () =>
    Effect.gen(function*() {
      const mocks = { answer: "42" }
      const report = yield* Pipeline.runFile(workflow("openai"), { input: { text: "x" }, mocks })
      assert.deepStrictEqual(report.outputs, { answer: "42" })
      assert.deepStrictEqual(Object.keys(report.steps), ["answer"])
      assert.strictEqual(report.steps["answer"]?.status, "succeeded")
    }))

  it.live("an invalid file fails with WorkflowInvalid naming file:line:col", () =>
    Effect.gen(function*() {
      const bad = join(root, "test", "codegen", "corpus", "cycle.yaml")
      const e = yield* Effect.flip(Pipeline.runFile(bad, { input: {} }))
      assert.strictEqual(e._tag, "WorkflowInvalid")
      assert.deepStrictEqual(e._tag === "WorkflowInvalid" && e.problems, [`${bad}:3:11: dependency cycle: a -> c -> b -> a`])
    }))

  it.live("a misspelt input fails with InputInvalid and a suggestion", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Pipeline.runFile(workflow("openai"), { input: { txt: "x" }, mocks: { answer: "a" } }))
      assert.strictEqual(e._tag, "InputInvalid")
      assert.include(e.message, `unknown input "txt" (did you mean "text"?)`)
    }))

  it.live("unconfigured providers and stores fail with ServicesMissing before anything runs", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Pipeline.runFile(ex("parallel-rag.yaml"), { input: { query: "q" }, env: {} }))
      assert.strictEqual(e._tag, "ServicesMissing")
      if (e._tag !== "ServicesMissing") return
      assert.deepStrictEqual(e.missing.map((m) => [m.kind, m.name, m.steps, m.hint]), [
        ["llm", "anthropic", ["generate_answer"], "set ANTHROPIC_API_KEY"],
        ["embeddings", "openai", ["embed_query"], "set OPENAI_API_KEY"],
        ["vector", "pinecone", ["search_docs", "search_code"], "set PINECONE_API_KEY"]
      ])
      // a store named after a provider is that provider's, never silently Qdrant
      assert.include(e.message, `steps "search_docs", "search_code" need vector store "pinecone": set PINECONE_API_KEY or mock them (--mock)`)
    }))

  it.live("a config section with a file: secret, under a name of its own (use: openai), reaches the server with that key", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => Wire.chat("from local"))
      const keyFile = join(dir, "key")
      writeFileSync(keyFile, "sk-from-file\n")
      const report = yield* Pipeline.runFile(workflow("local"), {
        input: { text: "x" },
        providers: { local: { use: "openai", settings: { api_key: `file:${keyFile}`, base_url: `${server.url}/v1` } } }
      })
      assert.deepStrictEqual(report.outputs, { answer: "from local" })
      assert.strictEqual(server.requests.length, 1)
      assert.strictEqual(server.requests[0]!.headers["authorization"], "Bearer sk-from-file")
      assert.strictEqual(server.requests[0]!.body.model, "m-1")
    }).pipe(Effect.scoped))

  it.live("an unreadable secret reference fails with ProviderConfigInvalid naming the provider and setting", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Pipeline.runFile(workflow("openai"), {
        input: { text: "x" },
        providers: { openai: { settings: { api_key: `file:${join(dir, "missing-key")}` } } }
      }))
      assert.strictEqual(e._tag, "ProviderConfigInvalid")
      if (e._tag === "ProviderConfigInvalid") {
        assert.strictEqual(e.provider, "openai")
        assert.strictEqual(e.setting, "api_key")
      }
    }))

  it.live("an added catalogue entry (docs/providers.md's mistral) is a valid provider name and builds from its env", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => Wire.chat("bonjour"))
      const report = yield* Pipeline.runFile(workflow("mistral"), {
        input: { text: "x" },
        catalogue: [mistral],
        env: { MISTRAL_API_KEY: "mk-1", MISTRAL_BASE_URL: `${server.url}/v1` }
      })
      assert.deepStrictEqual(report.outputs, { answer: "bonjour" })
      assert.strictEqual(server.requests[0]!.headers["authorization"], "Bearer mk-1")
    }).pipe(Effect.scoped))

  it.live("a step failure is RunFailed with the step states", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => Wire.error(400, "bad request"))
      const e = yield* Effect.flip(Pipeline.runFile(workflow("openai"), {
        input: { text: "x" },
        env: { OPENAI_API_KEY: "k", OPENAI_BASE_URL: `${server.url}/v1` }
      }))
      assert.strictEqual(e._tag, "RunFailed")
      if (e._tag === "RunFailed") {
        assert.strictEqual(e.steps["answer"]?.status, "failed")
        assert.isFalse(e.inputError)
      }
      assert.strictEqual(server.requests.length, 1) // a 400 is not retried
    }).pipe(Effect.scoped))

  it.live("interrupt: the run fiber is interrupted, RunInterrupted says which steps finished", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => ({ kind: "hang" }))
      const file = join(dir, "two.yaml")
      writeFileSync(file, readFileSync(workflow("openai"), "utf8") + `  - id: after
    type: llm
    provider: openai
    model: m-1
    prompt: "then {{ answer }}"
    output: after
`.replace("answer\n  - id: after", "answer\n  - id: after"))
      // `answer` is mocked; `after` hangs on the server until the interrupt.
      const e = yield* Effect.flip(Pipeline.runFile(file, {
        input: { text: "x" },
        mocks: { answer: "a" },
        env: { OPENAI_API_KEY: "k", OPENAI_BASE_URL: `${server.url}/v1` },
        interrupt: Effect.as(Effect.sleep("300 millis"), "cancelled")
      }))
      assert.strictEqual(e._tag, "RunInterrupted")
      if (e._tag === "RunInterrupted") {
        assert.strictEqual(e.reason, "cancelled")
        assert.strictEqual(e.steps["answer"]?.status, "succeeded")
        assert.strictEqual(e.steps["after"]?.status, "interrupted")
      }
    }).pipe(Effect.scoped))
})

describe("Catalogue", () => {
  it("one table serves validate, the pipeline and the docs", () => {
    assert.deepStrictEqual(Catalogue.ids("llm"), ["openai", "anthropic", "cohere", "ollama", "vllm", "llamacpp", "lmstudio"])
    assert.deepStrictEqual(Catalogue.ids("embeddings"), ["openai", "cohere", "ollama", "vllm", "llamacpp", "lmstudio", "offline"])
    assert.deepStrictEqual(Catalogue.ids("vector"), ["qdrant", "pgvector", "pinecone", "chroma", "milvus", "weaviate", "pglite", "memory"])
    assert.deepStrictEqual(Catalogue.requiredEnv(Catalogue.find("llm", "anthropic")!), ["ANTHROPIC_API_KEY"])
    const doc = readFileSync(join(root, "docs", "providers.md"), "utf8")
    const table = /<!-- catalogue:start -->\n([\s\S]*?)\n<!-- catalogue:end -->/.exec(doc)?.[1]
    assert.strictEqual(table, Catalogue.markdownTable(), "docs/providers.md's catalogue table is out of date")
  })
})

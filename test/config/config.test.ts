/**
 * llm-orchestrator.yaml: located errors (file:line:col, did-you-mean), secrets only as references, the JSON Schema
 * kept equal to the Schema, and what a config changes in a real run (per-provider reliability, --env-file).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import { Config, ConfigFile } from "../../src/config/index.ts"
import * as OpenAiWire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const root = join(import.meta.dirname, "..", "..")
const dir = mkdtempSync(join(tmpdir(), "llmo-config-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const write = (name: string, text: string) => {
  const f = join(dir, name)
  writeFileSync(f, text)
  return f
}

const cli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const cap = Output.capture({ cwd: dir })
    const code = yield* runWith(args, cap.layer)
    return { code, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") }
  })

const workflow = write("wf.yaml", `name: w
inputs:
  text: string
steps:
  - { id: answer, type: llm, provider: openai, model: m, prompt: "{{ input.text }}", output: answer }
`)

describe("Config.parse", () => {
  it.effect("every problem with file:line:col, unknown keys with a suggestion, plaintext keys refused", () =>
    Effect.gen(function*() {
      const file = "llm-orchestrator.yaml"
      const e = yield* Effect.flip(Config.parse(file, `providres: {}
providers:
  openai:
    api_key: sk-live-123
    reliablity: { retry: { times: 2 } }
  anthropic:
    reliability:
      circuit_breaker: { consecutive_failures: 5, open_for: soon }
logging: { level: loud }
`))
      assert.deepStrictEqual(e.problems, [
        `${file}:1:1: unknown field "providres" (did you mean "providers"?)`,
        `${file}:4:14: field "api_key": a secret must be a reference such as env:OPENAI_API_KEY or file:/run/secrets/openai, not the value`,
        `${file}:5:5: unknown field "reliablity" (did you mean "reliability"?)`,
        `${file}:8:61: field "open_for": not a duration: "soon" (e.g. 200ms, 30s, 5 minutes)`,
        `${file}:9:19: field "level": expected "error" | "warn" | "info" | "debug"`
      ])
    }))

  it.effect("a valid file becomes pipeline options: sections, secret references, policies over the default", () =>
    Effect.gen(function*() {
      const config = yield* Config.parse("c.yaml", `reliability: { retry: { times: 2 } }
providers:
  local: { use: openai, base_url: "http://127.0.0.1:11434/v1", reliability: { circuit_breaker: false, timeout: 30s } }
`)
      const o = Config.toRunOptions({ file: "c.yaml", dir: ".", config })
      assert.deepStrictEqual(o.providers?.["local"]?.settings, { base_url: "http://127.0.0.1:11434/v1" })
      assert.strictEqual(o.providers?.["local"]?.use, "openai")
      const p = o.providers?.["local"]?.policy
      assert.deepStrictEqual(p?.retry, { times: 2 })
      assert.isFalse(p?.circuitBreaker)
      assert.strictEqual(p?.timeout, "30 seconds")
    }))

  it("schema/config.schema.json is the Schema's JSON Schema", () => {
    assert.deepStrictEqual(JSON.parse(readFileSync(join(root, "schema", "config.schema.json"), "utf8")), ConfigFile.jsonSchema())
  })
})

describe("the CLI with a config file", () => {
  it.live("validate llm-orchestrator.yaml reports its errors; run refuses to start with them", () =>
    Effect.gen(function*() {
      const bad = write("llm-orchestrator.yaml", "providers:\n  openai: { api_key: sk-plain }\n")
      const v = yield* cli(["validate", bad])
      assert.strictEqual(v.code, 1)
      assert.match(v.stdout, /llm-orchestrator\.yaml:2:22: field "api_key": a secret must be a reference/)
      const r = yield* cli(["run", workflow, "--input", `{"text":"x"}`, "--mock", write("m.yaml", "answer: a\n")])
      assert.strictEqual(r.code, 2)
      assert.match(r.stderr, /llm-orchestrator\.yaml:2:22:/)
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(join(dir, "llm-orchestrator.yaml"), { force: true })))))

  it.live("per-provider reliability from --config (retry: false) and the key from --env-file", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start((_req, i) => (i === 0 ? OpenAiWire.error(503, "busy") : OpenAiWire.chat("ok")))
      const envFile = write("test.env", `# keys\nexport OPENAI_API_KEY=sk-from-env-file\nOPENAI_BASE_URL="${server.url}/v1"\n`)
      const noRetry = write("no-retry.yaml", "providers:\n  openai: { reliability: { retry: false } }\n")
      const saved = { key: process.env["OPENAI_API_KEY"], base: process.env["OPENAI_BASE_URL"] }
      delete process.env["OPENAI_API_KEY"]
      delete process.env["OPENAI_BASE_URL"]
      const restore = Effect.sync(() => {
        if (saved.key !== undefined) process.env["OPENAI_API_KEY"] = saved.key
        if (saved.base !== undefined) process.env["OPENAI_BASE_URL"] = saved.base
      })
      const failed = yield* cli(["run", workflow, "--input", `{"text":"x"}`, "--config", noRetry, "--env-file", envFile, "--json"]).pipe(Effect.ensuring(restore))
      assert.strictEqual(failed.code, 1, failed.stdout + failed.stderr)
      assert.strictEqual(server.requests.length, 1)
      assert.strictEqual(server.requests[0]!.headers["authorization"], "Bearer sk-from-env-file")
      // Without the config, the default policy retries the 503.
      server.setHandler((_req, i) => (i === 1 ? OpenAiWire.error(503, "busy") : OpenAiWire.chat("ok")))
      delete process.env["OPENAI_API_KEY"]
      delete process.env["OPENAI_BASE_URL"]
      const ok = yield* cli(["run", workflow, "--input", `{"text":"x"}`, "--env-file", envFile, "--json"]).pipe(Effect.ensuring(restore))
      assert.strictEqual(ok.code, 0, ok.stdout + ok.stderr)
      assert.strictEqual(server.requests.length, 3)
    }).pipe(Effect.scoped))
})

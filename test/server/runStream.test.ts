/**
 * `run --stream`: the deltas of a streaming LLM step are printed on stderr as the provider writes them (a local
 * OpenAI-wire server, the official SDK talking), from the engine's StepDelta events, and stdout keeps the outputs.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import * as OpenAiWire from "../support/wire/openai.ts"
import * as Wire from "../support/wire/WireServer.ts"
import { streamingWorkflow } from "./support.ts"

const scope = Effect.runSync(Scope.make())
let dir: string
let url: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "llmo-stream-"))
  writeFileSync(join(dir, "story.yaml"), streamingWorkflow)
  url = (await Effect.runPromise(Wire.start(() => OpenAiWire.chatStream(["A ", "fox ", "wrote ", "code."], { delayMillis: 10 })).pipe(Scope.provide(scope)))).url
})
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

describe("run --stream", () => {
  it("prints the answer's deltas as they arrive, then the outputs", async () => {
    const saved = { key: process.env["OPENAI_API_KEY"], base: process.env["OPENAI_BASE_URL"] }
    process.env["OPENAI_API_KEY"] = "sk-stream"
    process.env["OPENAI_BASE_URL"] = url
    try {
      const out = Output.capture({ cwd: dir })
      const code = await Effect.runPromise(runWith(["run", join(dir, "story.yaml"), "--input", '{"topic":"foxes"}', "--stream", "--json"], out.layer))
      expect(code, out.stderr.join("\n")).toBe(0)
      expect(out.streamed).toEqual(["A ", "fox ", "wrote ", "code.", "\n"])
      expect(JSON.parse(out.stdout.join("\n"))).toMatchObject({ status: "succeeded", outputs: { story: "A fox wrote code." } })
    } finally {
      if (saved.key === undefined) delete process.env["OPENAI_API_KEY"]
      else process.env["OPENAI_API_KEY"] = saved.key
      if (saved.base === undefined) delete process.env["OPENAI_BASE_URL"]
      else process.env["OPENAI_BASE_URL"] = saved.base
    }
  })
})

/**
 * The TypeScript examples of docs/server.md are these snippet files (quoted verbatim, imports as the package exports
 * them), and they work against a real server.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { WorkflowRegistry } from "../../src/server/WorkflowRegistry.ts"
import { normalise, snippets } from "../support/docSnippets.ts"
import * as OpenAiWire from "../support/wire/openai.ts"
import * as Wire from "../support/wire/WireServer.ts"
import { tell } from "./snippets/client.ts"
import { registerGreet } from "./snippets/registerInCode.ts"
import { call, startServer, streamingWorkflow, type TestServer } from "./support.ts"

const scope = Effect.runSync(Scope.make())
let server: TestServer
beforeAll(async () => {
  const wire = await Effect.runPromise(Wire.start(() => OpenAiWire.chatStream(["Foxes ", "code."])).pipe(Scope.provide(scope)))
  server = await startServer({ services: { env: { OPENAI_API_KEY: "sk-snippet", OPENAI_BASE_URL: wire.url } } })
  await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: streamingWorkflow } })
})
afterAll(async () => {
  await server.close()
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

describe("docs/server.md TypeScript examples", () => {
  it("are the snippet files", () => {
    const quoted = snippets("docs/server.md")
    for (const file of ["client.ts", "registerInCode.ts"]) {
      expect(quoted.get(file)?.trim(), file).toBe(normalise(readFileSync(join(import.meta.dirname, "snippets", file), "utf8")))
    }
  })

  it("the client streams an answer and reads the run", async () => {
    const written: Array<string> = []
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = ((chunk: unknown) => (written.push(String(chunk)), true)) as typeof process.stdout.write
    try {
      const run = await Effect.runPromise(tell(server.url, server.keys.runner, "foxes") as Effect.Effect<{ status: string; output?: unknown }, unknown>)
      expect(run.status).toBe("succeeded")
      expect(run.output).toEqual({ story: "Foxes code." })
    } finally {
      process.stdout.write = write
    }
    expect(written.join("")).toContain("Foxes code.")
  })

  it("a workflow registered in code runs over the API", async () => {
    await Effect.runPromise(registerGreet.pipe(Effect.provideService(WorkflowRegistry, server.registry)))
    const res = await call(server, "POST", "/workflows/greet-ts/runs?wait=true", { token: server.keys.runner, body: { input: { who: "Ada" } } })
    expect(res.status, res.text).toBe(200)
    expect(res.body.output).toMatchObject({ hello: "Hello, Ada!" })
    const del = await call(server, "DELETE", "/workflows/greet-ts", { token: server.keys.admin })
    expect(del.status).toBe(409)
  })
})

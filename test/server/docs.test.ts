/**
 * The curl examples of docs/server.md, run as written (bash + curl) against a real server.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startServer, type TestServer } from "./support.ts"

const doc = readFileSync(new URL("../../docs/server.md", import.meta.url), "utf8")
const examples = [...doc.matchAll(/<!-- curl -->\n```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())

// Asynchronous: the server answers from this process.
const runExample = async (script: string) =>
  (await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], {
    encoding: "utf8",
    env: { ...process.env, LLMO: server.url, ADMIN_KEY: server.keys.admin, RUNNER_KEY: server.keys.runner, VIEWER_KEY: server.keys.viewer },
    timeout: 20_000
  })).stdout

describe("docs/server.md", () => {
  it("has curl examples", () => {
    expect(examples.length).toBe(5)
  })

  it("every example runs as written and answers what the text says", async () => {
    const outputs: Array<string> = []
    for (const example of examples) outputs.push(await runExample(example))
    const [register, wait, follow, read, keys] = outputs
    expect(register).toContain('"name":"greet"')
    expect(register).toContain("flowchart")
    expect(JSON.parse(wait!)).toMatchObject({ status: "succeeded", output: { greeting: "Hello, Ada!" } })
    expect(follow).toContain("event: run")
    expect(follow).toMatch(/id: \d+\nevent: step\.started/)
    expect(follow).toContain('"status":"succeeded"')
    expect(read).toMatch(/^\{"runs":\[\{"runId":"run-/)
    expect(read).toContain('"action":"runs.start"')
    expect(keys).toContain('"revokedAt":')
    // the idempotency key: running the wait example again returns the same run
    const again = JSON.parse(await runExample(examples[1]!))
    expect(again.runId).toBe(JSON.parse(wait!).runId)
  })
})

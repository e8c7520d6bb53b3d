/**
 * The CLI as a child process: output on a pipe arrives whole, SIGINT/SIGTERM interrupt a run (finalizers run, the
 * report says what finished and what was interrupted, exit 130/143, also through `npm run`), live providers get the
 * default reliability policy, and `--verbose` shows retries with secrets redacted.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { analyzeFile } from "../../codegen/analyze.ts"
import { formatDiagnostic, sortDiagnostics } from "../../codegen/Diagnostic.ts"
import { cliCommand, finished, root, sh, spawnCli, until } from "./support/cliProcess.ts"

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "llmo-cli-process-"))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A local OpenAI-compatible server whose behaviour each test scripts; records requests and closed connections. */
const openAiServer = async (answer: (index: number, res: ServerResponse) => void) => {
  const requests: Array<{ body: any; closedEarly: boolean }> = []
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = ""
    req.on("data", (c: Buffer) => (raw += c.toString("utf8")))
    req.on("end", () => {
      const entry = { body: JSON.parse(raw || "{}"), closedEarly: false }
      requests.push(entry)
      res.on("close", () => (entry.closedEarly = !res.writableFinished))
      answer(requests.length - 1, res)
    })
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
  return {
    url,
    requests,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())))
  }
}

const chat = (res: ServerResponse, text: string) => {
  res.writeHead(200, { "content-type": "application/json" })
  res.end(JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 0,
    model: "gpt-4o-mini",
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }
  }))
}

/** Two steps: `first` (mocked), then `second` calling openai. */
const twoSteps = () => {
  const file = join(dir, `two-steps-${Math.random().toString(36).slice(2)}.yaml`)
  writeFileSync(file, `name: two
inputs:
  text: string
steps:
  - id: first
    type: llm
    provider: openai
    model: gpt-4o-mini
    prompt: "first {{ input.text }}"
    output: a
  - id: second
    type: llm
    provider: openai
    model: gpt-4o-mini
    prompt: "second {{ a }}"
    output: b
`)
  const mock = file.replace(/\.yaml$/, ".mock.yaml")
  writeFileSync(mock, "first: done\n")
  return { file, mock }
}

describe("output on a pipe", () => {
  // 300 steps, each naming an unknown provider with a 3,000-character name: a validate --json document over 1 MB.
  const big = () => {
    const file = join(dir, "big.yaml")
    const steps = Array.from({ length: 300 }, (_, i) =>
      `  - id: s${i}\n    type: llm\n    provider: p${"x".repeat(3000)}${i}\n    model: m\n    prompt: "{{ missing_${i} }}"\n    output: o${i}\n`).join("")
    writeFileSync(file, `name: big\nsteps:\n${steps}`)
    return file
  }

  it("validate --json into a slow reader: the whole document arrives", async () => {
    const file = big()
    const cmd = [...cliCommand(["validate", "--json", file])].map(sh).join(" ")
    // The reader starts after the CLI has written everything and (before the fix) already exited.
    const r = await finished(spawn("sh", ["-c", `${cmd} | (sleep 1; cat)`], { cwd: root, env: { ...process.env, NO_COLOR: "1" } }))
    expect(r.stdout.length).toBeGreaterThan(1_000_000)
    const doc = JSON.parse(r.stdout) as { valid: boolean; diagnostics: Array<unknown> }
    expect(doc.valid).toBe(false)
    expect(doc.diagnostics).toEqual(JSON.parse(JSON.stringify(sortDiagnostics(analyzeFile(file).diagnostics))))
  }, 120_000)

  it("validate (text) into a slow reader: every line arrives", async () => {
    const file = big()
    const cmd = [...cliCommand(["validate", file])].map(sh).join(" ")
    const r = await finished(spawn("sh", ["-c", `${cmd} | (sleep 1; cat)`], { cwd: root, env: { ...process.env, NO_COLOR: "1" } }))
    const lines = r.stdout.trimEnd().split("\n")
    expect(lines).toEqual(sortDiagnostics(analyzeFile(file).diagnostics).map(formatDiagnostic))
  }, 120_000)
})

describe("signals", () => {
  it("SIGINT during a run: the provider call is aborted, --json reports finished and interrupted steps, exit 130", async () => {
    const server = await openAiServer(() => {}) // never answers
    try {
      const { file, mock } = twoSteps()
      const child = spawnCli(["run", file, "--mock", mock, "--input", `{"text":"x"}`, "--json"], { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: server.url })
      const done = finished(child)
      await until(() => server.requests.length === 1, "the second step's request", 60_000)
      child.kill("SIGINT")
      const r = await done
      expect(r.code, r.stderr).toBe(130)
      const doc = JSON.parse(r.stdout) as { status: string; signal: string; steps: Record<string, { status: string }> }
      expect(doc.status).toBe("interrupted")
      expect(doc.signal).toBe("SIGINT")
      expect(doc.steps["first"]?.status).toBe("succeeded")
      expect(doc.steps["second"]?.status).toBe("interrupted")
      // The step's finalizer aborted the HTTP call before the process exited.
      expect(server.requests[0]!.closedEarly).toBe(true)
    } finally {
      await server.close()
    }
  }, 120_000)

  it("SIGTERM during a run (text mode): a report on stderr, exit 143", async () => {
    const server = await openAiServer(() => {})
    try {
      const { file, mock } = twoSteps()
      const child = spawnCli(["run", file, "--mock", mock, "--input", `{"text":"x"}`], { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: server.url })
      const done = finished(child)
      await until(() => server.requests.length === 1, "the second step's request", 60_000)
      child.kill("SIGTERM")
      const r = await done
      expect(r.code, r.stderr).toBe(143)
      expect(r.stdout).toMatch(/^ok\s+first/m)
      expect(r.stderr).toContain("interrupted by SIGTERM")
      expect(r.stderr).toMatch(/finished:\s+first/)
      expect(r.stderr).toMatch(/interrupted:\s+second/)
    } finally {
      await server.close()
    }
  }, 120_000)

  it("SIGINT sent to the npm process alone reaches the run", async () => {
    const server = await openAiServer(() => {})
    try {
      const { file, mock } = twoSteps()
      const child = spawn("npm", ["run", "--silent", "cli", "--", "run", file, "--mock", mock, "--input", `{"text":"x"}`, "--json"], {
        cwd: root,
        env: { ...process.env, NO_COLOR: "1", OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: server.url },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const done = finished(child)
      await until(() => server.requests.length === 1, "the second step's request", 30_000)
      process.kill(child.pid!, "SIGINT")
      const r = await done
      expect(r.code, r.stderr).toBe(130)
      expect((JSON.parse(r.stdout) as { status: string }).status).toBe("interrupted")
      expect(server.requests[0]!.closedEarly).toBe(true)
    } finally {
      await server.close()
    }
  })
})

describe("live providers", () => {
  it("get the default reliability policy: a 503 is retried; --verbose shows the retry with the key redacted", async () => {
    const key = "sk-very-secret-key-1234"
    const server = await openAiServer((i, res) => {
      if (i === 0) {
        // Some providers echo the key they were given in error messages: the log must not.
        res.writeHead(503, { "content-type": "application/json" })
        res.end(JSON.stringify({ error: { message: `overloaded (key ${key})`, type: "server_error" } }))
      } else chat(res, "fine")
    })
    try {
      const { file, mock } = twoSteps()
      const r = await finished(spawnCli(["run", file, "--mock", mock, "--input", `{"text":"x"}`, "--json", "--verbose"], { OPENAI_API_KEY: key, OPENAI_BASE_URL: server.url }))
      expect(r.code, r.stderr).toBe(0)
      expect((JSON.parse(r.stdout) as { outputs: unknown }).outputs).toEqual({ a: "done", b: "fine" })
      expect(server.requests.length).toBe(2)
      expect(r.stderr).toMatch(/\[info\] retry\s+second: openai attempt 1 in \d+ms after ProviderUnavailable/)
      expect(r.stderr).toContain("<redacted>")
      expect(r.stderr).not.toContain(key)
      expect(r.stdout).not.toContain(key)
    } finally {
      await server.close()
    }
  })
})

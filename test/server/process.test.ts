/**
 * `serve` and `keys` as users meet them: child processes on one SQLite store (the CLI's kind of store), over loopback
 * and over TLS; `run --remote` with the CLI as the API's client; SIGTERM stops the server gracefully, and a restarted
 * server on the store still has its keys, workflows and audit log.
 */
import { execFileSync, type ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { request } from "node:https"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { finished, spawnCli, until } from "../cli/support/cliProcess.ts"
import { echoWorkflow } from "./support.ts"

let dir: string
let store: string
const children: Array<ChildProcess> = []

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "llmo-serve-"))
  writeFileSync(join(dir, "echo.yaml"), echoWorkflow)
  store = `sqlite:${join(dir, "runs.db")}`
})
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL")
  rmSync(dir, { recursive: true, force: true })
})

/** Starts `serve`, resolves with its URL and the output so far. */
const serve = async (args: ReadonlyArray<string>) => {
  const child = spawnCli(["serve", "--port", "0", "--store", store, "--workflows", join(dir, "echo.yaml"), ...args])
  children.push(child)
  let stderr = ""
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
  const done = finished(child)
  await until(() => /serving on \S+/.test(stderr) || child.exitCode !== null, "serve to listen", 90_000)
  const url = /serving on (\S+)/.exec(stderr)?.[1]
  if (url === undefined) throw new Error(`serve did not start: ${stderr}`)
  return { child, url, stderr: () => stderr, done }
}

const cli = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => finished(spawnCli(args, env))

describe("serve and keys (child processes, SQLite store)", () => {
  it("bootstraps an admin key once, shares keys with the CLI, revokes, runs remotely, stops on SIGTERM, restarts with TLS", async () => {
    const server = await serve([])
    const admin = /llmo_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/.exec(server.stderr())?.[0]
    expect(admin, server.stderr()).toBeDefined()
    const health = await fetch(`${server.url}/health`)
    expect(health.status).toBe(200)

    const created = await cli(["keys", "create", "--name", "ci", "--role", "runner", "--workflows", "echo", "--store", store])
    expect(created.code, created.stderr).toBe(0)
    const runnerKey = created.stdout.trim()
    expect(runnerKey).toMatch(/^llmo_[0-9a-f]{12}_/)
    const listed = await cli(["keys", "list", "--store", store])
    expect(listed.stdout).toContain("runner")
    expect(listed.stdout).toContain("bootstrap-admin")
    expect(listed.stdout).not.toContain(runnerKey.slice(18))

    const remote = await cli(["--remote", server.url, "run", "echo", "--input", '{"text":"from the CLI"}'], { LLM_ORCHESTRATOR_API_KEY: runnerKey })
    expect(remote.code, remote.stderr).toBe(0)
    expect(JSON.parse(remote.stdout)).toEqual({ loud: "echo: from the CLI" })
    // the run is in the store the CLI reads: over the API, and locally while the server runs
    const listed2 = await cli(["--remote", server.url, "list", "--json"], { LLM_ORCHESTRATOR_API_KEY: runnerKey })
    expect(listed2.code, listed2.stderr).toBe(0)
    const runId = JSON.parse(listed2.stdout).runs[0].runId as string
    const status = await cli(["status", runId, "--store", store, "--json"])
    expect(status.code, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ runId, workflow: "echo", status: "succeeded", output: { loud: "echo: from the CLI" } })
    const denied = await cli(["--remote", server.url, "run", "echo", "--input", '{"text":"x"}'], { LLM_ORCHESTRATOR_API_KEY: "llmo_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" })
    expect(denied.code).toBe(3)
    expect(denied.stderr).toContain("invalid_key")

    const id = /^llmo_([0-9a-f]{12})_/.exec(runnerKey)![1]!
    const revoked = await cli(["keys", "revoke", id, "--store", store])
    expect(revoked.code, revoked.stderr).toBe(0)
    const after = await fetch(`${server.url}/runs`, { headers: { authorization: `Bearer ${runnerKey}` } })
    expect(after.status).toBe(401)
    expect((await after.json()).code).toBe("revoked_key")

    // a restarted server on the same store: no new bootstrap key, the workflow and audit log are still there
    server.child.kill("SIGTERM")
    const end = await server.done
    expect(end.code).toBe(143)
    expect(server.stderr()).toContain("SIGTERM: shutting down")
    const cert = join(dir, "cert.pem")
    const key = join(dir, "key.pem")
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "pipe" })
    const again = await serve(["--tls-cert", cert, "--tls-key", key])
    expect(again.url).toMatch(/^https:/)
    expect(again.stderr()).not.toContain("created admin key")
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${again.url}/audit?action=runs.start`, { ca: readFileSync(cert), headers: { authorization: `Bearer ${admin}` } }, (res) => {
        let text = ""
        res.on("data", (d: Buffer) => (text += d.toString("utf8")))
        res.on("end", () => resolve(text))
      })
      req.on("error", reject)
      req.end()
    })
    const entries = JSON.parse(body).entries
    expect(entries.length).toBeGreaterThan(0)
    expect(entries[0]).toMatchObject({ actor: { kind: "key", name: "ci", role: "runner" }, outcome: "ok", status: 200 })
    again.child.kill("SIGTERM")
    await again.done
  }, 240_000)
})

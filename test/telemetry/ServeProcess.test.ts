/**
 * `serve --otlp-endpoint` as users meet it: a child process exporting to a local OTLP/HTTP receiver. A run started
 * over REST with a `traceparent` continues the caller's trace, the spans are flushed when SIGTERM stops the server,
 * and `/metrics` carries the workflow metrics of the runs it executed.
 */
import { type ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { finished, spawnCli, until } from "../cli/support/cliProcess.ts"
import { echoWorkflow } from "../server/support.ts"
import { startOtlpReceiver } from "../support/otlpReceiver.ts"

const dir = mkdtempSync(join(tmpdir(), "obs-serve-"))
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL")
  rmSync(dir, { recursive: true, force: true })
})

describe("serve --otlp-endpoint (child process)", () => {
  it("a REST run continues the caller's traceparent; spans are flushed on SIGTERM; /metrics has the run", async () => {
    const receiver = await startOtlpReceiver()
    try {
      writeFileSync(join(dir, "echo.yaml"), echoWorkflow)
      const child = spawnCli(
        ["serve", "--port", "0", "--store", "memory", "--workflows", join(dir, "echo.yaml"), "--otlp-endpoint", receiver.endpoint],
        { OTEL_SERVICE_NAME: "obs-serve-test" }
      )
      children.push(child)
      let stderr = ""
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
      const done = finished(child)
      await until(() => /serving on \S+/.test(stderr) || child.exitCode !== null, "serve to listen", 90_000)
      const url = /serving on (\S+)/.exec(stderr)?.[1]
      expect(url, stderr).toBeDefined()
      const admin = /llmo_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/.exec(stderr)?.[0]
      const trace = "0af7651916cd43dd8448eb211c80319c"
      const parent = "b7ad6b7169203331"
      const res = await fetch(`${url}/workflows/echo/runs?wait=true`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json", traceparent: `00-${trace}-${parent}-01` },
        body: JSON.stringify({ input: { text: "hi" } })
      })
      const body = await res.json() as { status: string }
      expect(res.status).toBe(200)
      expect(body.status).toBe("succeeded")
      const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).text()
      expect(metrics).toMatch(/workflow_runs_finished_total\{[^}]*workflow="echo"[^}]*\} 1/)
      child.kill("SIGTERM")
      expect((await done).code).toBe(143) // 128 + SIGTERM, after a graceful shutdown
      expect(stderr).toContain("SIGTERM: shutting down")
      const spans = receiver.spans()
      const run = spans.find((s) => s.name === "invoke_workflow echo")
      expect(run, spans.map((s) => s.name).join(", ")).toBeDefined()
      expect(run!.traceId).toBe(trace)
      expect(run!.resource["service.name"]).toBe("obs-serve-test")
      const request = spans.find((s) => s.spanId === run!.parentSpanId)
      expect(request?.parentSpanId).toBe(parent)
      expect(spans.find((s) => s.name === "workflow.step shout")?.parentSpanId).toBe(run!.spanId)
    } finally {
      await receiver.close()
    }
  }, 120_000)
})

/**
 * Trace context handed over by processes that do not trace themselves, to a worker that does, as users meet it: a
 * `worker --otlp-endpoint` child process on a Postgres store exports to a local OTLP/HTTP receiver, and
 *
 * - `serve` WITHOUT tracing, receiving `POST /workflows/echo/runs` with a `traceparent` header, keeps the header as it
 *   came with the run: the worker's `invoke_workflow` span is a child of the caller's span, in the caller's trace;
 * - `run --store postgres://...` WITHOUT tracing, with `TRACEPARENT` in its environment (the CI/CD convention), hands
 *   it over the same way.
 *
 * The spans are asserted after the worker stops (SIGTERM flushes its exporter).
 */
import { type ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { finished, spawnCli, until } from "../cli/support/cliProcess.ts"
import { createDatabase, dropDatabase, startWorker, stop, type Worker } from "../cluster/support/cluster.ts"
import { echoWorkflow } from "../server/support.ts"
import { postgresAvailability } from "../store/postgres.ts"
import { type OtlpReceiver, startOtlpReceiver } from "../support/otlpReceiver.ts"

const dir = mkdtempSync(join(tmpdir(), "obs-worker-trace-"))
const file = join(dir, "echo.yaml")
writeFileSync(file, echoWorkflow)
const pg = await postgresAvailability()
let db: { readonly name: string; readonly url: string } | undefined
let worker: Worker | undefined
let receiver: OtlpReceiver | undefined
const children: Array<ChildProcess> = []

// Neither the server nor the CLI may trace: the worker's tracing is what is under test.
const untraced = (): Record<string, string | undefined> => {
  const env: Record<string, string | undefined> = { ...process.env, LLM_ORCHESTRATOR_STORE: "" }
  for (const k of Object.keys(env)) if (k.startsWith("OTEL_") || k === "TRACEPARENT") delete env[k]
  return env
}

beforeAll(async () => {
  if (!pg.run) return
  if (pg.reason !== undefined) throw new Error(pg.reason)
  receiver = await startOtlpReceiver()
  db = await createDatabase("trace")
  worker = await startWorker({ store: db.url, log: join(dir, "steps.log"), args: [file, "--otlp-endpoint", receiver.endpoint], env: { OTEL_SERVICE_NAME: "obs-worker" } })
}, 240_000)

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
  if (worker !== undefined) await stop(worker)
  if (db !== undefined) await dropDatabase(db.name)
  await receiver?.close()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe.skipIf(!pg.run)("a traced worker continues the trace an untraced server or CLI handed over", () => {
  it("serve without tracing passes a request's traceparent on; run --store passes TRACEPARENT on", async () => {
    // 1. serve, untraced, as the workers' client
    const server = spawnCli(["serve", "--port", "0", "--store", db!.url, "--workflows", file], untraced())
    children.push(server)
    let stderr = ""
    server.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
    const serverDone = finished(server)
    await until(() => /serving on \S+/.test(stderr) || server.exitCode !== null, "serve to listen", 180_000).catch((e) => {
      throw new Error(`${e}: ${stderr}`)
    })
    const url = /serving on (\S+)/.exec(stderr)?.[1]
    expect(url, stderr).toBeDefined()
    const admin = /llmo_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/.exec(stderr)?.[0]
    const fromServer = { trace: "0af7651916cd43dd8448eb211c80319c", parent: "b7ad6b7169203331" }
    const res = await fetch(`${url}/workflows/echo/runs?wait=true`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json", traceparent: `00-${fromServer.trace}-${fromServer.parent}-01` },
      body: JSON.stringify({ input: { text: "hi" } })
    })
    const body = await res.json() as { status: string; runId: string }
    expect([res.status, body.status], JSON.stringify(body)).toEqual([200, "succeeded"])
    server.kill("SIGTERM")
    await serverDone

    // 2. run --store postgres://..., untraced, with TRACEPARENT
    const fromCi = { trace: "4bf92f3577b34da6a3ce929d0e0e4736", parent: "00f067aa0ba902b7" }
    const cli = spawnCli(["run", file, "--input", `{"text":"ci"}`, "--store", db!.url], { ...untraced(), TRACEPARENT: `00-${fromCi.trace}-${fromCi.parent}-01` })
    children.push(cli)
    const ran = await finished(cli)
    expect(ran.code, ran.stderr).toBe(0)
    expect(JSON.parse(ran.stdout)).toEqual({ loud: "echo: ci" })
    expect(ran.stderr).toContain("(run by the workers)")

    // The worker flushes its spans when it stops.
    worker!.child.kill("SIGTERM")
    expect(await worker!.exited).toBe(0)
    const spans = receiver!.spans()
    const names = spans.map((s) => `${s.name} ${s.traceId}`).join(", ")
    for (const [caller, text] of [[fromServer, "echo: hi"], [fromCi, "echo: ci"]] as const) {
      const run = spans.find((s) => s.name === "invoke_workflow echo" && s.traceId === caller.trace)
      expect(run, `${text}: ${names}`).toBeDefined()
      // no span of the untraced server or CLI in between: the run is the caller's span's child
      expect(run!.parentSpanId).toBe(caller.parent)
      expect(run!.resource["service.name"]).toBe("obs-worker")
      const step = spans.find((s) => s.name === "workflow.step shout" && s.traceId === caller.trace)
      expect(step?.parentSpanId).toBe(run!.spanId)
    }
  }, 420_000)
})

it("docs/observability.md's TRACEPARENT example is the hand-over tested above", () => {
  const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "observability.md"), "utf8")
  const example = /```sh\n(TRACEPARENT=[^\n]*\n[^\n]*)\n```/.exec(doc)?.[1]
  expect(example).toMatch(/^TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 \\\n {2}llm-orchestrator run \S+\.yaml --input '\{[^']*\}' --store postgres:\/\/\S+$/)
})

/**
 * Observability as CLI users meet it: `run` in a real child process with the OpenAI SDK talking to a local wire
 * server, spans exported to a local OTLP receiver (`--otlp-endpoint`), the `--trace` waterfall, JSON log lines
 * (`--log-format json`), cost on the summary line, `--budget-usd` stopping the run, and `--metrics-port` read by
 * `metrics --url` while the run is in flight.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import { finished, spawnCli, until } from "../cli/support/cliProcess.ts"
import { startOtlpReceiver } from "../support/otlpReceiver.ts"
import * as OpenAi from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const dir = mkdtempSync(join(tmpdir(), "obs-cli-"))
const workflow = join(dir, "two-calls.yaml")
writeFileSync(workflow, `
name: two-calls
inputs:
  topic: { type: string }
steps:
  - id: draft
    type: llm
    provider: openai
    model: gpt-4o
    max_tokens: 400
    prompt: "Write about {{ input.topic }}"
    output: draft
  - id: polish
    type: llm
    provider: openai
    model: gpt-4o
    max_tokens: 400
    prompt: "Polish: {{ draft }}"
    output: polished
outputs:
  text: "{{ polished }}"
`)

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

const openAiEnv = (url: string) => ({ OPENAI_API_KEY: "sk-test-cli-secret-000", OPENAI_BASE_URL: `${url}/v1` })

describe("run: traces, logs, cost and budgets from the command line", () => {
  it.live("--otlp-endpoint exports the run's span tree; --trace draws it; --log-format json writes JSON lines; cost on the summary", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => OpenAi.chat("fine text", { model: "gpt-4o", usage: { prompt_tokens: 1000, completion_tokens: 200 } }))
      const receiver = yield* Effect.promise(() => startOtlpReceiver())
      yield* Effect.addFinalizer(() => Effect.promise(() => receiver.close()))
      const child = spawnCli(
        ["run", workflow, "--input", `{"topic":"otters"}`, "--otlp-endpoint", receiver.endpoint, "--trace", "--log-format", "json", "--log-level", "debug"],
        {
          ...openAiEnv(server.url),
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
          OTEL_SERVICE_NAME: "cli-test",
          // the caller's span: the run continues its trace (W3C Trace Context in the environment)
          TRACEPARENT: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        }
      )
      const done = yield* Effect.promise(() => finished(child))
      assert.strictEqual(done.code, 0, done.stderr)
      assert.deepStrictEqual(JSON.parse(done.stdout), { text: "fine text" })
      // the spans arrived before the process exited
      const spans = receiver.spans()
      const run = spans.find((s) => s.name === "invoke_workflow two-calls")
      const draft = spans.find((s) => s.name === "workflow.step draft")
      const chats = spans.filter((s) => s.name === "chat gpt-4o")
      assert.isDefined(run)
      assert.strictEqual(run?.traceId, "4bf92f3577b34da6a3ce929d0e0e4736")
      assert.strictEqual(run?.parentSpanId, "00f067aa0ba902b7")
      assert.isTrue(spans.every((s) => s.traceId === "4bf92f3577b34da6a3ce929d0e0e4736"))
      assert.strictEqual(draft?.parentSpanId, run?.spanId)
      assert.strictEqual(chats.length, 2)
      assert.deepInclude(chats[0]!.attributes, { "gen_ai.provider.name": "openai", "gen_ai.usage.input_tokens": 1000, "gen_ai.request.max_tokens": 400 })
      assert.strictEqual(run?.resource["service.name"], "cli-test")
      // the waterfall on stderr
      assert.match(done.stderr, /invoke_workflow two-calls\s+\d/)
      assert.match(done.stderr, / {4}chat gpt-4o \(1000 -> 200 tokens\)/)
      // run-log lines are JSON objects with correlation ids; no secret anywhere
      const json = done.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>)
      const started = json.find((l) => String(l["message"]).startsWith("start draft"))
      assert.deepInclude(started, { level: "DEBUG", workflow: "two-calls", step_id: "draft" })
      assert.match(String(started?.["run_id"]), /^run-/)
      assert.notInclude(done.stderr + done.stdout, "sk-test-cli-secret-000")
      // 2 x (1000 in at $2.5/M + 200 out at $10/M) = $0.009
      assert.include(done.stderr, "2 calls · 2000 in / 400 out tokens · $0.0090")
    }).pipe(Effect.scoped))

  /** Runs the CLI in this process with `env` added to process.env for the duration. */
  const inProcess = (args: ReadonlyArray<string>, env: Record<string, string>) =>
    Effect.gen(function*() {
      const cap = Output.capture()
      const saved = { ...process.env }
      Object.assign(process.env, env)
      const code = yield* runWith(args, cap.layer).pipe(
        Effect.ensuring(Effect.sync(() => {
          for (const k of Object.keys(env)) {
            if (saved[k] === undefined) delete process.env[k]
            else process.env[k] = saved[k]
          }
        }))
      )
      return { code, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") }
    })

  it.live("--budget-usd stops the run before the call that could pass it (exit 1, nothing more sent)", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => OpenAi.chat("fine text", { model: "gpt-4o", usage: { prompt_tokens: 1000, completion_tokens: 200 } }))
      // $0.0045 spent by draft; polish reserves up to ~$0.004 (400 out + the prompt estimate): over $0.008
      const run = yield* inProcess(["run", workflow, "--input", `{"topic":"otters"}`, "--budget-usd", "0.008"], openAiEnv(server.url))
      assert.strictEqual(run.code, 1)
      assert.strictEqual(server.requests.length, 1)
      assert.include(run.stderr, "Budget exceeded in step 'polish'")
      const bad = yield* inProcess(["run", workflow, "--input", `{"topic":"otters"}`, "--budget-usd", "0"], openAiEnv(server.url))
      assert.strictEqual(bad.code, 2)
      assert.include(bad.stderr, "--budget-usd must be more than 0")
    }).pipe(Effect.scoped))

  it.live("a durable CLI run (with its progress events) stores each step's usage and cost in the run store", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => OpenAi.chat("fine text", { model: "gpt-4o", usage: { prompt_tokens: 1000, completion_tokens: 200 } }))
      const store = `sqlite:${join(dir, "usage-runs.db")}`
      const run = yield* inProcess(["run", workflow, "--input", `{"topic":"otters"}`, "--store", store], openAiEnv(server.url))
      assert.strictEqual(run.code, 0, run.stderr)
      const listed = yield* inProcess(["list", "--store", store, "--json"], {})
      assert.strictEqual(listed.code, 0, listed.stderr)
      const runId = JSON.parse(listed.stdout).runs[0].runId as string
      const status = yield* inProcess(["status", runId, "--store", store, "--json"], {})
      assert.strictEqual(status.code, 0, status.stderr)
      const view = JSON.parse(status.stdout)
      const draft = view.steps.find((s: { stepId: string }) => s.stepId === "draft")
      assert.deepInclude(draft.usage, { inputTokens: 1000, outputTokens: 200, calls: 1 })
      // gpt-4o at $2.50 / $10 per million: 1000 in + 200 out = $0.0045
      assert.closeTo(draft.costUsd, 0.0045, 1e-9)
      assert.closeTo(view.costUsd, 0.009, 1e-9)
    }))

  it.live("--metrics-port serves /metrics while the run lasts; `metrics --url` summarises it", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => OpenAi.chat("slow", { model: "gpt-4o", delayMillis: 1000 }))
      const port = yield* Effect.promise(freePort)
      const running = yield* Effect.forkChild(
        inProcess(["run", workflow, "--input", `{"topic":"otters"}`, "--metrics-port", String(port)], openAiEnv(server.url))
      )
      yield* Effect.promise(() => until(() => server.requests.length >= 1, "the first provider request"))
      const cap = Output.capture()
      const code = yield* runWith(["metrics", "--url", `127.0.0.1:${port}`], cap.layer)
      assert.strictEqual(code, 0, cap.stderr.join("\n"))
      assert.include(cap.stdout.join("\n"), "two-calls in flight: 1")
      const raw = Output.capture()
      yield* runWith(["metrics", "--url", `http://127.0.0.1:${port}/metrics`, "--raw"], raw.layer)
      assert.match(raw.stdout.join("\n"), /workflow_runs_started_total\{workflow="two-calls"\} \d+/)
      const done = yield* Fiber.join(running)
      assert.strictEqual(done.code, 0, done.stderr)
      // the server went away with the run
      const gone = Output.capture()
      assert.strictEqual(yield* runWith(["metrics", "--url", `127.0.0.1:${port}`], gone.layer), 1)
      assert.include(gone.stderr.join("\n"), "cannot read metrics")
    }).pipe(Effect.scoped))
})

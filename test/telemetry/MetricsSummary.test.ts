/**
 * `llm-orchestrator metrics` without `--url`, as users meet it: real durable runs (`run --store sqlite:...`, the
 * OpenAI SDK talking to a local wire server with fixed usage) fill a SQLite store, then `metrics --store` in a child
 * process prints the per-workflow summary (runs by status, p50/p99, tokens, calls, cost) as a table
 * and as JSON; `--workflow` and `--since` filter it; bad usage names the flag.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import { finished, spawnCli } from "../cli/support/cliProcess.ts"
import * as OpenAi from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const dir = mkdtempSync(join(tmpdir(), "obs-metrics-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const twoCalls = join(dir, "two-calls.yaml")
writeFileSync(twoCalls, `
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
const oneCall = join(dir, "one-call.yaml")
writeFileSync(oneCall, `
name: one-call
inputs:
  topic: { type: string }
steps:
  - id: answer
    type: llm
    provider: openai
    model: gpt-4o
    max_tokens: 100
    prompt: "Answer {{ input.topic }}"
    output: answer
outputs:
  text: "{{ answer }}"
`)
const store = `sqlite:${join(dir, "runs.db")}`

const cli = (args: ReadonlyArray<string>) => Effect.promise(() => finished(spawnCli(args, { LLM_ORCHESTRATOR_STORE: "" })))

/** A CLI run in this process (the same durable run as a child's, for less CPU), with `env` added for its duration. */
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

describe("metrics: a summary of the run store", () => {
  it.live("per workflow: runs by status, p50/p99, tokens, calls and cost of real durable runs; table and --json; --workflow, --since", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(() => OpenAi.chat("fine text", { model: "gpt-4o", usage: { prompt_tokens: 1000, completion_tokens: 200 } }))
      const env = { OPENAI_API_KEY: "sk-test-metrics-000", OPENAI_BASE_URL: `${server.url}/v1` }
      const input = ["--input", `{"topic":"otters"}`, "--store", store]
      // two-calls: 2 runs succeed (2 calls each), 1 fails on its budget after the first call; one-call: 1 run
      for (const args of [[twoCalls, ...input], [twoCalls, ...input], [twoCalls, ...input, "--budget-usd", "0.008"], [oneCall, ...input]]) {
        const run = yield* inProcess(["run", ...args], env)
        assert.strictEqual(run.code, args.includes("--budget-usd") ? 1 : 0, run.stderr)
      }
      assert.strictEqual(server.requests.length, 6)

      const table = yield* cli(["metrics", "--store", store])
      assert.strictEqual(table.code, 0, table.stderr)
      const lines = table.stdout.trimEnd().split("\n")
      // gpt-4o at $2.50 / $10 per million: a call of 1000 in + 200 out is $0.0045; 6 calls (2 + 2 + 1 + 1) are $0.027
      assert.strictEqual(lines[0], "4 runs (last 24h), $0.0270")
      assert.match(lines[1]!, /^workflow\s+runs\s+succeeded\s+failed\s+other\s+p50\s+p99\s+tokens in\/out\s+calls\s+cost$/)
      assert.match(lines[2]!, /^one-call\s+1\s+1\s+0\s+0\s+\d+(ms|\.\d+s)\s+\d+(ms|\.\d+s)\s+1000\/200\s+1\s+\$0\.004500$/)
      assert.match(lines[3]!, /^two-calls\s+3\s+2\s+1\s+0\s+\d+(ms|\.\d+s)\s+\d+(ms|\.\d+s)\s+5000\/1000\s+5\s+\$0\.0225$/)
      assert.strictEqual(lines.length, 4)
      // docs/observability.md shows this output: the same title, header and rows (its durations differ)
      const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "observability.md"), "utf8")
      const shown = /<!-- metrics-summary -->\n```sh\n\$ llm-orchestrator metrics [^\n]*--since 7d\n([\s\S]*?)\n```/.exec(doc)?.[1]?.split("\n") ?? []
      assert.deepStrictEqual([shown.length, shown[0], shown[1]?.split(/\s+/)], [4, "4 runs (last 7d), $0.0270", lines[1]!.split(/\s+/)])
      const cells = (line: string | undefined) => (line ?? "").replace(/\b\d+(\.\d+s|ms)/g, "D").split(/\s+/)
      for (const i of [2, 3]) assert.deepStrictEqual(cells(shown[i]), cells(lines[i]), `doc row ${i}`)

      const asJson = yield* cli(["metrics", "--store", store, "--workflow", "two-calls", "--since", "2h", "--json"])
      assert.strictEqual(asJson.code, 0, asJson.stderr)
      const summary = JSON.parse(asJson.stdout)
      assert.strictEqual(summary.workflow, "two-calls")
      assert.strictEqual(summary.runs, 3)
      assert.closeTo(Date.parse(summary.until) - Date.parse(summary.since), 2 * 3_600_000, 1)
      assert.strictEqual(summary.workflows.length, 1)
      const w = summary.workflows[0]
      assert.deepInclude(w, { workflow: "two-calls", runs: 3, byStatus: { succeeded: 2, failed: 1 }, inputTokens: 5000, outputTokens: 1000, calls: 5 })
      assert.closeTo(w.costUsd, 0.0225, 1e-9)
      assert.isTrue(w.p50Millis > 0 && w.p50Millis <= w.p99Millis, `${w.p50Millis} ${w.p99Millis}`)
    }).pipe(Effect.scoped), 300_000)

  const here = (args: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const cap = Output.capture()
      const code = yield* runWith(args, cap.layer)
      return { code, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") }
    })

  it.live("bad usage names the flag; a missing SQLite file is not created; nothing since a future date", () =>
    Effect.gen(function*() {
      const bad = yield* here(["metrics", "--store", store, "--since", "yesterday-ish"])
      assert.deepStrictEqual([bad.code, bad.stderr], [2, "error: --since 'yesterday-ish' is neither a period (30m, 12h, 7d) nor a date (2026-01-31)"])
      const raw = yield* here(["metrics", "--store", store, "--raw"])
      assert.deepStrictEqual([raw.code, raw.stderr], [2, "error: --raw needs --url (it prints a running process's exposition)"])
      const memory = yield* here(["metrics", "--store", "memory"])
      assert.strictEqual(memory.code, 2)
      assert.include(memory.stderr, "a memory store keeps nothing to summarise")
      const missing = join(dir, "nope", "runs.db")
      const gone = yield* here(["metrics", "--store", `sqlite:${missing}`])
      assert.deepStrictEqual([gone.code, gone.stderr], [1, `error: no run store at ${missing}`])
      const future = yield* here(["metrics", "--store", store, "--since", "2099-01-01"])
      assert.deepStrictEqual([future.code, future.stdout], [0, "0 runs (since 2099-01-01), $0.0000"])
    }))
})

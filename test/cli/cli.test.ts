/**
 * The CLI in-process: each test runs the command tree with an in-memory Output and checks exit codes and output.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { vi } from "vitest"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"

const root = join(import.meta.dirname, "..", "..")
const ex = (f: string) => join(root, "examples", f)

const cli = (args: ReadonlyArray<string>, options: { isTTY?: boolean; color?: boolean } = {}) =>
  Effect.gen(function*() {
    const cap = Output.capture(options)
    const code = yield* runWith(args, cap.layer)
    return { code, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") }
  })

describe("validate", () => {
  it.live("valid files: exit 0", () =>
    Effect.gen(function*() {
      const r = yield* cli(["validate", ex("parallel-rag.yaml"), ex("content-moderation.yaml"), ex("sentiment-analysis.yaml")])
      assert.strictEqual(r.code, 0)
      // Warnings only (the seed files infer an input and route on free text), and they do not fail validation.
      assert.deepStrictEqual(r.stdout.split("\n").map((l) => l.replace(/^.*\/examples\//, "").split(": warning:")[0]), [
        "parallel-rag.yaml:9:13",
        "content-moderation.yaml:16:17"
      ])
      assert.include(r.stderr, "3 file(s) valid")
    }))

  it.live("an invalid file among valid ones: file:line:col: message and exit 1", () =>
    Effect.gen(function*() {
      const bad = join(root, "test", "codegen", "corpus", "cycle.yaml")
      const r = yield* cli(["validate", ex("parallel-rag.yaml"), bad])
      assert.strictEqual(r.code, 1)
      assert.deepStrictEqual(r.stdout.split("\n").filter((l) => !l.includes(": warning: ")), [`${bad}:3:11: dependency cycle: a -> c -> b -> a`])
      assert.include(r.stderr, "1 of 2 file(s) invalid")
    }))

  it.live("--json prints one document", () =>
    Effect.gen(function*() {
      const r = yield* cli(["validate", "--json", join(root, "test", "codegen", "corpus", "two-errors-one-file.yaml")])
      assert.strictEqual(r.code, 1)
      const doc = JSON.parse(r.stdout) as { valid: boolean; diagnostics: Array<{ line: number; message: string; severity: string }> }
      assert.isFalse(doc.valid)
      assert.deepStrictEqual(doc.diagnostics.map((d) => [d.line, d.severity]), [[3, "error"], [4, "error"], [4, "warning"]])
    }))
})

describe("run", () => {
  it.live("offline with a mock file: outputs as JSON, one plain line per step, exit 0", () =>
    Effect.gen(function*() {
      const r = yield* cli(["run", ex("parallel-rag.yaml"), "--input", `{"query":"retry?"}`, "--mock", ex("parallel-rag.mock.yaml")])
      assert.strictEqual(r.code, 0, r.stderr)
      const lines = r.stdout.split("\n")
      for (const id of ["embed_query", "search_docs", "search_code", "parallel_search", "merge_context", "generate_answer"]) {
        assert.isTrue(lines.some((l) => new RegExp(`^ok\\s+${id} \\(\\d+ms\\)$`).test(l)), `${id} line in\n${r.stdout}`)
      }
      assert.notInclude(r.stdout, "_outputs")
      const json = JSON.parse(lines.slice(lines.findIndex((l) => l === "{")).join("\n")) as Record<string, unknown>
      assert.strictEqual(json["answer"], "Use Effect.retry with a Schedule such as Schedule.exponential, and bound it with Effect.timeout.")
      assert.deepStrictEqual((json["combined_context"] as Array<{ id: string }>).map((h) => h.id), ["doc-7", "doc-3", "code-12"])
    }))

  it.live("--json prints only a JSON document; --output writes the outputs", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "llmo-"))
      const out = join(dir, "out.json")
      const r = yield* cli(["run", ex("sentiment-analysis.yaml"), "--input", `{"text":"great"}`, "--mock", ex("sentiment-analysis.mock.yaml"), "--json", "--output", out])
      assert.strictEqual(r.code, 0)
      const doc = JSON.parse(r.stdout) as { status: string; outputs: Record<string, unknown>; steps: Record<string, { status: string }> }
      assert.strictEqual(doc.status, "succeeded")
      assert.deepStrictEqual(doc.outputs, { sentiment: "positive", response: "So glad to hear it! Thanks for sharing." })
      assert.strictEqual(doc.steps["log_result"]?.status, "succeeded")
      assert.deepStrictEqual(JSON.parse(readFileSync(out, "utf8")), doc.outputs)
      rmSync(dir, { recursive: true })
    }))

  /** Replays output on a pretend terminal: "ESC[nA ESC[J" erases the last n lines. */
  const screenOf = (stdout: string): Array<string> => {
    const screen: Array<string> = []
    for (const line of stdout.split("\n")) {
      const m = /^\u001b\[(\d+)A\u001b\[J/.exec(line)
      if (m !== null) screen.splice(screen.length - Number(m[1]), Number(m[1]))
      const rest = m === null ? line : line.slice(m[0].length)
      if (m === null || rest !== "") screen.push(rest)
    }
    return screen
  }

  it.live("live progress on a TTY: running steps redrawn in place, one final line per step with its state and time", () =>
    Effect.gen(function*() {
      const r = yield* cli(["run", ex("map-reduce.yaml"), "--input", `{"documents":["a","b","c"]}`, "--mock", ex("map-reduce.mock.yaml")], { isTTY: true, color: true })
      assert.strictEqual(r.code, 0, r.stderr)
      assert.include(r.stdout, "\u001b[33m…\u001b[39m summarize_each \u001b[2mrunning") // the live line of a running step
      assert.include(r.stdout, "\u001b[1A\u001b[J") // cursor up + clear: it is replaced in place
      const screen = screenOf(r.stdout)
      assert.deepStrictEqual(screen.slice(0, 2).map((l) => l.replace(/\d+ms/, "Nms")), [
        "\u001b[32m✓\u001b[39m summarize_each \u001b[2mNms\u001b[22m",
        "\u001b[32m✓\u001b[39m combine \u001b[2mNms\u001b[22m"
      ])
    }))

  it.live("a log line on a TTY goes above the live block", () =>
    Effect.gen(function*() {
      const r = yield* cli(["run", ex("sentiment-analysis.yaml"), "--input", `{"text":"hi"}`, "--mock", ex("sentiment-analysis.mock.yaml")], { isTTY: true })
      assert.strictEqual(r.code, 0, r.stderr)
      assert.deepStrictEqual(screenOf(r.stdout).slice(0, 4).map((l) => l.replace(/\d+ms/, "Nms")), [
        "✓ extract_sentiment Nms",
        "✓ generate_response Nms",
        "log Sentiment: positive, Response: So glad to hear it! Thanks for sharing.",
        "✓ log_result Nms"
      ])
    }))

  it.live("a failing step: exit 1 with the step and error", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "llmo-"))
      writeFileSync(join(dir, "m.yaml"), "moderate_content: spam\nauto_publish: 1\nflag_for_review: 1\ngenerate_explanation: x\nnotify_user: 1\n")
      const r = yield* cli(["run", ex("content-moderation.yaml"), "--input", `{"content":"x"}`, "--mock", join(dir, "m.yaml")])
      assert.strictEqual(r.code, 1)
      assert.match(r.stderr, /failed: StepFailed: .*route_based_on_moderation/)
      rmSync(dir, { recursive: true })
    }))

  it.live("invalid input, definition, mocks or missing services: exit 2 with a clear message", () =>
    Effect.gen(function*() {
      const noText = yield* cli(["run", ex("sentiment-analysis.yaml"), "--input", `{}`, "--mock", ex("sentiment-analysis.mock.yaml")])
      assert.strictEqual(noText.code, 2)
      assert.include(noText.stderr, "WorkflowInputError")
      const typo = yield* cli(["run", ex("sentiment-analysis.yaml"), "--input", `{"txt":"a"}`, "--mock", ex("sentiment-analysis.mock.yaml")])
      assert.strictEqual(typo.code, 2)
      assert.include(typo.stderr, `unknown input "txt" (did you mean "text"?)`)
      const badJson = yield* cli(["run", ex("sentiment-analysis.yaml"), "--input", `{"text":`])
      assert.strictEqual(badJson.code, 2)
      const invalid = yield* cli(["run", join(root, "test", "codegen", "corpus", "cycle.yaml")])
      assert.strictEqual(invalid.code, 2)
      assert.include(invalid.stderr, "dependency cycle: a -> c -> b -> a")
      const live = yield* cli(["run", ex("parallel-rag.yaml"), "--input", `{"query":"q"}`])
      assert.strictEqual(live.code, 2)
      assert.include(live.stderr, `step "embed_query" needs embedding provider "openai": set OPENAI_API_KEY or mock it (--mock)`)
      assert.include(live.stderr, `steps "search_docs", "search_code" need vector store "pinecone"`)
      const dir = mkdtempSync(join(tmpdir(), "llmo-"))
      writeFileSync(join(dir, "m.yaml"), "extract_sentimnt: positive\n")
      const unknownMock = yield* cli(["run", ex("sentiment-analysis.yaml"), "--input", `{"text":"a"}`, "--mock", join(dir, "m.yaml")])
      assert.strictEqual(unknownMock.code, 2)
      assert.include(unknownMock.stderr, `mock for unknown step "extract_sentimnt"`)
      rmSync(dir, { recursive: true })
    }))
})

describe("test", () => {
  it.live("several files (a glob): sidecars and mocks are sorted out, one summary for all", () =>
    Effect.gen(function*() {
      const files = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".yaml")).map((f) => ex(f))
      const r = yield* cli(["test", ...files])
      assert.strictEqual(r.code, 0, r.stdout)
      assert.include(r.stdout, "examples/map-reduce.test.yaml")
      assert.include(r.stdout, "examples/rag-qa.test.yaml")
      assert.match(r.stdout, /\n20 passed, 0 failed$/)
    }))

  it.live("a workflow without a test file: exit 2 with the reason", () =>
    Effect.gen(function*() {
      const r = yield* cli(["test", join(root, "test", "codegen", "fixtures", "calls.yaml")])
      assert.strictEqual(r.code, 2)
      assert.include(r.stderr, "cannot read")
    }))
})

describe("graph, codegen, init, help", () => {
  it.live("graph prints Mermaid by default and dot on request", () =>
    Effect.gen(function*() {
      const m = yield* cli(["graph", ex("content-moderation.yaml")])
      assert.strictEqual(m.code, 0)
      assert.match(m.stdout, /^flowchart TD\n/)
      assert.include(m.stdout, "moderate_content --> route_based_on_moderation")
      assert.include(m.stdout, `subgraph route_based_on_moderation__block["route_based_on_moderation: block"]`)
      const d = yield* cli(["graph", ex("parallel-rag.yaml"), "--format", "dot"])
      assert.match(d.stdout, /^digraph "parallel-rag-search" \{/)
      assert.include(d.stdout, `"embed_query" -> "search_docs";`)
      const bad = yield* cli(["graph", ex("parallel-rag.yaml"), "--format", "svg"])
      assert.strictEqual(bad.code, 2)
    }))

  it.live("codegen writes one module per workflow", () =>
    Effect.gen(function*() {
      const out = join(root, ".generated", "cli-codegen")
      rmSync(out, { recursive: true, force: true })
      const r = yield* cli(["codegen", ex("sentiment-analysis.yaml"), ex("sentiment-analysis.test.yaml"), "--out", out])
      assert.strictEqual(r.code, 0, r.stdout)
      assert.include(r.stderr, "skipped 1 test/mock/input file(s)")
      assert.match(readFileSync(join(out, "sentiment-analysis.ts"), "utf8"), /^\/\/ Generated by llm-orchestrator codegen/)
    }))

  it.live("init scaffolds a project whose workflow validates and whose tests pass; never overwrites", () =>
    Effect.gen(function*() {
      const dir = join(mkdtempSync(join(tmpdir(), "llmo-")), "flows")
      const r = yield* cli(["init", dir])
      assert.strictEqual(r.code, 0)
      for (const f of ["package.json", "workflows/summarize.yaml", "workflows/summarize.test.yaml"]) assert.isTrue(existsSync(join(dir, f)), f)
      assert.strictEqual((yield* cli(["validate", join(dir, "workflows", "summarize.yaml")])).code, 0)
      const t = yield* cli(["test", join(dir, "workflows", "summarize.yaml")])
      assert.strictEqual(t.code, 0, t.stdout)
      assert.include(t.stdout, "1 passed, 0 failed")
      const again = yield* cli(["init", dir])
      assert.strictEqual(again.code, 1)
      assert.include(again.stderr, "exists; not overwriting")
    }))

  it.live("--help works on every command (on stdout); bad usage is one error line and a pointer to --help, exit 2", () =>
    Effect.gen(function*() {
      for (const cmd of ["validate", "codegen", "run", "test", "graph", "init"]) {
        const r = yield* cli([cmd, "--help"])
        assert.strictEqual(r.code, 0, cmd)
        assert.include(r.stdout, `llm-orchestrator ${cmd}`, cmd)
      }
      const bad = yield* cli(["run", ex("parallel-rag.yaml"), "--bogus"])
      assert.strictEqual(bad.code, 2)
      assert.strictEqual(bad.stdout, "")
      assert.strictEqual(bad.stderr, `error: Unrecognized flag: --bogus in command llm-orchestrator run\nrun "llm-orchestrator run --help" for usage`)
      assert.strictEqual((yield* cli(["--version"])).stdout, "llm-orchestrator v0.1.0")
    }))

  it("NO_COLOR turns colours off on a TTY", () => {
    const was = { tty: process.stdout.isTTY, no: process.env["NO_COLOR"] }
    const color = () => Effect.runSync(Output.use((o) => Effect.succeed(o.color)).pipe(Effect.provide(Output.layer)))
    try {
      Object.defineProperty(process.stdout, "isTTY", { value: true, configurable: true })
      delete process.env["NO_COLOR"]
      assert.isTrue(color())
      process.env["NO_COLOR"] = "1"
      assert.isFalse(color())
    } finally {
      Object.defineProperty(process.stdout, "isTTY", { value: was.tty, configurable: true })
      if (was.no === undefined) delete process.env["NO_COLOR"]
      else process.env["NO_COLOR"] = was.no
    }
  })
})

/**
 * `ingest` into a PGlite database on disk, twice (the second run writes nothing), then after an edit (only that file
 * is replaced), in process through the CLI entry (`runWith`); once as users run it, the real bin in a child process
 * (its progress and summary lines); bad arguments exit 2 naming the problem.
 */
import { spawn } from "node:child_process"
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { progressLine } from "../../src/cli/ingestHandler.ts"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import { collectionName } from "../../src/vector/WeaviateStore.ts"
import { startFakeWeaviate } from "../vector/FakeWeaviate.ts"

const root = join(import.meta.dirname, "..", "..")
const bin = join(root, "bin", "llm-orchestrator.js")
const dir = mkdtempSync(join(tmpdir(), "llmo-ingest-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.callback<{ code: number | null; stdout: string; stderr: string }>((resume) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()))
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()))
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, stdout, stderr }))
    })
    return Effect.sync(() => void child.kill("SIGKILL"))
  })

/** The CLI in process; environment variables for the run are set and restored around it. */
const inProcess = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
      Object.assign(process.env, env)
      return saved
    }),
    () =>
      Effect.gen(function*() {
        const cap = Output.capture()
        const code = yield* runWith(args, cap.layer)
        return { code, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") }
      }),
    (saved) =>
      Effect.sync(() => {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k]
          else process.env[k] = v
        }
      })
  )

describe("llm-orchestrator ingest", () => {
  it.live("ingests a folder into PGlite on disk; ingesting again writes nothing; an edited file alone is replaced", () =>
    Effect.gen(function*() {
      const docs = join(dir, "docs")
      cpSync(join(root, "examples", "rag-qa", "docs"), docs, { recursive: true })
      const env = { PGLITE_DATA_DIR: join(dir, "db") }
      const args = ["ingest", docs, "--store", "pglite", "--collection", "kb", "--provider", "offline", "--strategy", "markdown", "--max-tokens", "120", "--json"]
      const first = yield* inProcess(args, env)
      assert.strictEqual(first.code, 0, first.stderr)
      const a = JSON.parse(first.stdout)
      assert.deepInclude(a, { status: "succeeded", store: "pglite", collection: "kb", documents: 4, added: 4, unchanged: 0, replaced: 0, deleted: 0 })
      assert.isAbove(a.chunks, 4)
      assert.strictEqual(a.embedded, a.chunks)

      const again = JSON.parse((yield* inProcess(args, env)).stdout)
      assert.deepInclude(again, { documents: 4, added: 0, replaced: 0, unchanged: 4, chunks: 0, embedded: 0, deleted: 0 })

      writeFileSync(join(docs, "caching.md"), "# Caching\n\nCaching is off by default.\n")
      const edited = JSON.parse((yield* inProcess(args, env)).stdout)
      assert.deepInclude(edited, { documents: 4, added: 0, replaced: 1, unchanged: 3, chunks: 1, embedded: 1 })
      assert.isAbove(edited.deleted, 0, "the old file had more chunks: the stale ones are deleted")

      const plain = yield* cli(["ingest", docs, "--store", "pglite", "--collection", "kb", "--provider", "offline", "--strategy", "markdown", "--max-tokens", "120"], env)
      assert.strictEqual(plain.code, 0)
      assert.include(plain.stdout, "[########################] 100% 4/4 documents · 0 chunks embedded · 4 unchanged")
      assert.include(plain.stdout, "done 4 document(s)")
      assert.include(plain.stdout, "0 added, 0 replaced, 4 unchanged; 0 chunk(s) written, 0 deleted, 0 embedded → pglite/kb")
    }), 120_000)

  it.live("a missing path, an unknown store or provider, or a store without settings exit 2 naming it", () =>
    Effect.gen(function*() {
      const missing = yield* inProcess(["ingest", join(dir, "nope"), "--store", "memory", "--collection", "kb", "--provider", "offline"])
      assert.strictEqual(missing.code, 2)
      assert.include(missing.stderr, `${join(dir, "nope")}:`)
      const store = yield* inProcess(["ingest", "examples/rag-qa/docs", "--store", "memory", "--collection", "kb", "--provider", "nosuch"])
      assert.strictEqual(store.code, 2)
      assert.include(store.stderr, "nosuch")
      const noUrl = yield* inProcess(["ingest", "examples/rag-qa/docs", "--store", "milvus", "--collection", "kb", "--provider", "offline"], { MILVUS_URL: "" })
      assert.strictEqual(noUrl.code, 2)
      assert.include(noUrl.stderr, "MILVUS_URL")
    }), 60_000)
})

describe("ingest progress line", () => {
  it("is a bar over documents with chunk and unchanged counts", () => {
    assert.strictEqual(progressLine({ documents: 10, done: 4, embedded: 120, skipped: 1 }, 20), "[########------------]  40% 4/10 documents · 120 chunks embedded · 1 unchanged")
    assert.strictEqual(progressLine({ documents: 0, done: 0, embedded: 0, skipped: 0 }, 4), "[####] 100% 0/0 documents · 0 chunks embedded · 0 unchanged")
  })
})

describe("llm-orchestrator ingest --store weaviate", () => {
  it.live("--store weaviate ingests into Weaviate (WEAVIATE_URL, WEAVIATE_GRPC_URL): a collection with the chunks, twice is idempotent", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* startFakeWeaviate()
      const env = { WEAVIATE_URL: fake.url, WEAVIATE_GRPC_URL: fake.grpcUrl }
      const args = ["ingest", "examples/rag-qa/docs", "--store", "weaviate", "--collection", "kb", "--provider", "offline", "--json"]
      const first = yield* inProcess(args, env)
      assert.strictEqual(first.code, 0, first.stderr)
      const report = JSON.parse(first.stdout)
      assert.deepInclude(report, { status: "succeeded", store: "weaviate", collection: "kb", documents: 4, added: 4 })
      // The chunks' collection (the ingestion manifest has its own).
      const kb = fake.classes.get(collectionName("", "kb"))!
      assert.strictEqual(kb.objects.size, report.chunks)
      assert.ok(fake.grpcCalls.some((c) => c.method === "BatchObjects"))
      const again = JSON.parse((yield* inProcess(args, env)).stdout)
      assert.deepInclude(again, { added: 0, unchanged: 4, chunks: 0 })
      assert.strictEqual(kb.objects.size, report.chunks)
    })), 120_000)
})

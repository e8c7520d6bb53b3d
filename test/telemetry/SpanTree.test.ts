/**
 * One span tree per run, as an OTLP/HTTP receiver decodes it: a YAML RAG workflow (ingest into an in-memory store,
 * embed the question offline, vector search, an action) run through the pipeline with traces exported over OTLP.
 * run → step → embedding / vector / action call, with parent links and the conventions' attributes asserted.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Pipeline from "../../src/pipeline/Pipeline.ts"
import { Semconv, Tracing } from "../../src/telemetry/index.ts"
import { type ReceivedSpan, startOtlpReceiver } from "../support/otlpReceiver.ts"

const workflow = `name: traced-rag
inputs:
  question: { type: string }
  docs: { type: string }
defaults:
  embedding_provider: offline
  embedding_model: hash-256
steps:
  - id: ingest_docs
    type: ingest
    database: memory
    index: kb
    paths: ["{{ input.docs }}"]
    output: ingested
  - id: embed_question
    type: embed
    input: "{{ input.question }}"
    depends_on: [ingest_docs]
    output: question_vector
  - id: search
    type: vector_search
    database: memory
    index: kb
    query: "{{ question_vector }}"
    top_k: 2
    output: found
  - id: publish
    type: action
    action: log
    message: "found {{ found }}"
`

describe("the span tree of a run over OTLP", () => {
  it.live("run -> step -> embedding / vector / action spans, one trace, parents linked, attributes named by the conventions", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "obs-span-tree-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      writeFileSync(join(dir, "wf.yaml"), workflow)
      writeFileSync(join(dir, "a.md"), "# Retries\n\nThe backoff waits 200 ms, then doubles.\n")
      writeFileSync(join(dir, "b.md"), "# Budgets\n\nA run stops before a call that would pass its budget.\n")
      const receiver = yield* Effect.promise(() => startOtlpReceiver())
      yield* Effect.addFinalizer(() => Effect.promise(() => receiver.close()))
      const lines: Array<string> = []
      const report = yield* Pipeline.runFile(join(dir, "wf.yaml"), {
        input: { question: "how long does the backoff wait?", docs: dir },
        onLog: (line) => lines.push(line)
      }).pipe(Effect.provide(Tracing.layer({ endpoint: receiver.endpoint, protocol: "http/protobuf" }, {})))
      assert.strictEqual(lines.length, 1)
      assert.isDefined(report.steps["publish"])

      const spans = receiver.spans()
      const one = (predicate: (s: ReceivedSpan) => boolean, what: string): ReceivedSpan => {
        const found = spans.filter(predicate)
        assert.strictEqual(found.length, 1, `${what}: ${found.length} spans among ${spans.map((s) => s.name).join(", ")}`)
        return found[0]!
      }
      const byName = (name: string) => one((s) => s.name === name, name)
      const run = byName("invoke_workflow traced-rag")
      assert.strictEqual(run.parentSpanId, "")
      assert.strictEqual(new Set(spans.map((s) => s.traceId)).size, 1)
      const step = (id: string) => {
        const s = byName(`workflow.step ${id}`)
        assert.strictEqual(s.parentSpanId, run.spanId, `step ${id} is a child of the run`)
        return s
      }

      // the vector search: a client span of the store, inside its step
      const search = byName("search kb")
      assert.strictEqual(search.parentSpanId, step("search").spanId)
      assert.strictEqual(search.kind, 3)
      assert.deepInclude(search.attributes, {
        "db.operation.name": "search",
        "db.collection.name": "kb",
        "vector_store.top_k": 2,
        "db.response.returned_rows": 2
      })
      assert.isString(search.attributes["vector_store.name"])

      // ingest writes through the store too: its upserts are children of the ingest step (or of its own span)
      const ingest = step("ingest_docs")
      const upserts = spans.filter((s) => s.name === "upsert kb")
      assert.isAbove(upserts.length, 0)
      const ancestors = (s: ReceivedSpan): Array<string> => {
        const out: Array<string> = []
        let parent = spans.find((p) => p.spanId === s.parentSpanId)
        while (parent !== undefined) {
          out.push(parent.spanId)
          parent = spans.find((p) => p.spanId === parent!.parentSpanId)
        }
        return out
      }
      for (const u of upserts) assert.include(ancestors(u), ingest.spanId)

      // the question's embedding: a GenAI client span in its step
      const embed = one((s) => s.name === "embeddings hash-256" && ancestors(s).includes(step("embed_question").spanId), "question embedding")
      assert.deepInclude(embed.attributes, { "gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "offline", "gen_ai.request.model": "hash-256" })

      // the action: the conventions' execute_tool span
      const action = byName("execute_tool log")
      assert.strictEqual(action.parentSpanId, step("publish").spanId)
      assert.deepInclude(action.attributes, { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "log" })
      // its parameters are not recorded
      assert.notInclude(JSON.stringify(action.attributes), "found")

      // every gen_ai.* / error.* name on every span is one of the pinned version's
      const pinned = Semconv.allNames(Semconv.v1_41)
      for (const s of spans) {
        for (const key of Object.keys(s.attributes)) {
          if (key.startsWith("gen_ai.") || key.startsWith("error.")) assert.isTrue(pinned.has(key), `${key} (${s.name}) is not a v1.41 name`)
        }
      }
      // children lie inside their parents
      for (const s of [search, action, embed]) {
        const parent = spans.find((p) => p.spanId === s.parentSpanId)!
        assert.isTrue(s.startNanos >= parent.startNanos && s.endNanos <= parent.endNanos, `${s.name} inside ${parent.name}`)
      }
    }))
})

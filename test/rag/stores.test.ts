// The rag-qa example end to end (ingest, hybrid search, MMR re-rank, budgeted context with citations) on each SDK
// store with a keyword side, through its official client against the local fake: the store named "memory" in the
// YAML is served by the store under test (`stores: { memory: { use } }`), and the answer cites the same source as in
// memory.
import { assert, describe, it } from "@effect/vitest"
import { Effect, type Scope } from "effect"
import * as Pipeline from "../../src/pipeline/Pipeline.ts"
import { startFakeMilvus } from "../vector/FakeMilvus.ts"
import { startFakeQdrant } from "../vector/FakeQdrant.ts"
import { startFakeWeaviate } from "../vector/FakeWeaviate.ts"

const question = "How long does the backoff wait between retries?"
const mocks = { answer: "It waits 200 ms, then doubles [1]." }

interface Served {
  readonly settings: Record<string, string>
  /** Points written to the fake. */
  readonly written: () => number
  /** Keyword searches the fake answered. */
  readonly keywordSearches: () => number
}

const stores: ReadonlyArray<readonly [string, Effect.Effect<Served, never, Scope.Scope>]> = [
  ["memory", Effect.succeed({ settings: {}, written: () => -1, keywordSearches: () => -1 })],
  ["qdrant", Effect.map(startFakeQdrant(), (f) => ({
    settings: { url: f.url },
    written: () => [...f.collections.values()].reduce((n, c) => n + c.points.size, 0),
    keywordSearches: () => f.requests.filter((r) => (r.body as { using?: string } | undefined)?.using === "bm25").length
  }))],
  ["weaviate", Effect.map(startFakeWeaviate(), (f) => ({
    settings: { url: f.url, grpc_url: f.grpcUrl },
    written: () => [...f.classes.values()].reduce((n, c) => n + c.objects.size, 0),
    keywordSearches: () => f.grpcCalls.filter((c) => c.method === "Search" && c.request.bm25Search !== undefined).length
  }))],
  ["milvus", Effect.map(startFakeMilvus(), (f) => ({
    settings: { url: f.url },
    written: () => f.requests.filter((r) => r.path.endsWith("/entities/upsert")).length,
    keywordSearches: () => f.requests.filter((r) => r.path.endsWith("/entities/search") && r.body?.annsField === "sparse").length
  }))]
]

describe("examples/rag-qa.yaml on every store with hybrid search", () => {
  for (const [use, start] of stores) {
    it.live(`${use}: ingests, searches by vector and keywords, and cites retries.md first`, () =>
      Effect.scoped(Effect.gen(function*() {
        const fake = yield* start
        const report = yield* Pipeline.runFile("examples/rag-qa.yaml", {
          input: { question },
          mocks,
          env: {},
          ...(use === "memory" ? {} : { stores: { memory: { use, settings: fake.settings } } })
        })
        const outputs = report.outputs as { answer: string; citations: ReadonlyArray<{ n: number; source: string }>; indexed: { documents: number; added: number } }
        assert.strictEqual(outputs.answer, mocks.answer)
        assert.deepInclude(outputs.indexed, { documents: 4, added: 4 })
        assert.deepInclude(outputs.citations[0]!, { n: 1, source: "examples/rag-qa/docs/retries.md" })
        if (use !== "memory") {
          assert.isAbove(fake.written(), 0, "the chunks went to the fake server")
          assert.strictEqual(fake.keywordSearches(), 1, "the keyword side ran on the server")
        }
      })), 60_000)
  }
})

// Context packing invariants as seeded property tests: overlapping chunks of real documents (this repo's docs) and
// duplicates, random budgets, the real tokenizer and the approximation.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { beforeAll } from "vitest"
import * as Chunker from "../../src/rag/Chunker.ts"
import * as ContextBudget from "../../src/rag/ContextBudget.ts"
import * as Document from "../../src/rag/Document.ts"
import type { Passage } from "../../src/rag/Passage.ts"
import * as Tokenizer from "../../src/rag/Tokenizer.ts"
import { seededRandom } from "../../src/testing/index.ts"

// A frozen copy of this repo's docs (real Markdown), so seeds give the same documents whatever docs/ becomes.
const corpusDir = "test/rag/fixtures/corpus"
const docs = readdirSync(corpusDir).sort().map((f) => Document.make({ id: f, source: `corpus/${f}`, text: readFileSync(`${corpusDir}/${f}`, "utf8") }))
let cl100k: Tokenizer.Tokenizer
beforeAll(async () => {
  cl100k = await Effect.runPromise(Tokenizer.load("cl100k_base"))
})

// Chunks of every doc under three chunkings (computed once per tokenizer): neighbours overlap, so merging is exercised.
const chunkings = [
  Chunker.settings({ strategy: "markdown", maxTokens: 80, overlapTokens: 20 }),
  Chunker.settings({ strategy: "recursive", maxTokens: 200, overlapTokens: 0 }),
  Chunker.settings({ strategy: "fixed", maxTokens: 120, overlapTokens: 30 })
]
const chunked = new Map<string, ReadonlyArray<ReadonlyArray<ReadonlyArray<Chunker.Chunk>>>>()
const chunksOf = (tokenizer: Tokenizer.Tokenizer) => {
  let c = chunked.get(tokenizer.name)
  if (c === undefined) {
    c = chunkings.map((s) => docs.map((d) => Chunker.fromTokenizer(s, tokenizer).chunk(d)))
    chunked.set(tokenizer.name, c)
  }
  return c
}

const randomPassages = (next: () => number, tokenizer: Tokenizer.Tokenizer): Array<Passage> => {
  const out: Array<Passage> = []
  const byDoc = chunksOf(tokenizer)[Math.floor(next() * chunkings.length)]!
  for (let d = 0; d < 3; d++) {
    const chunks = byDoc[Math.floor(next() * docs.length)]!
    const from = Math.floor(next() * Math.max(1, chunks.length - 8))
    for (const c of chunks.slice(from, from + 1 + Math.floor(next() * 8))) {
      if (next() < 0.6 && !out.some((o) => o.id === c.id)) out.push({ id: c.id, documentId: c.documentId, source: c.source, start: c.start, end: c.end, text: c.text, score: next(), headings: c.headings })
    }
  }
  // a duplicate text under another id, now and then
  if (out.length > 0 && next() < 0.3) out.push({ ...out[0]!, id: "copy", documentId: "elsewhere", source: "other.md" })
  return out.sort(() => next() - 0.5)
}

const byId = new Map(docs.map((d) => [d.id, d]))

const check = (seed: number, tokenizer: Tokenizer.Tokenizer) => {
  const next = seededRandom(seed)
  const passages = randomPassages(next, tokenizer)
  const s = ContextBudget.settings({ maxTokens: 30 + Math.floor(next() * 1500), order: next() < 0.5 ? "relevance" : "source", headings: next() < 0.5 })
  const where = `seed ${seed} (${tokenizer.name}, budget ${s.maxTokens}, ${s.order})`
  const packed = ContextBudget.pack(passages, s, tokenizer)
  // the budget holds, measured exactly
  assert.strictEqual(packed.tokens, tokenizer.count(packed.text), where)
  assert.isAtMost(packed.tokens, s.maxTokens, where)
  // every packed passage has exactly one citation, its header is in the text once, its offsets are true
  const numbers = packed.citations.map((c) => c.n)
  assert.deepStrictEqual(numbers, numbers.map((_, i) => i + 1), where)
  for (const c of packed.citations) {
    const header = `[${c.n}] ${c.source}:${c.start}-${c.end}\n`
    assert.strictEqual(packed.text.split(header).length, 2, `${where}: header of [${c.n}] appears once`)
    assert.include(packed.text, c.text, where)
    const doc = byId.get(c.documentId)
    if (doc !== undefined) assert.strictEqual(doc.text.slice(c.start, c.end), c.text, `${where}: offsets of [${c.n}]`)
  }
  // nothing lost silently: each passage is cited or dropped, never both
  const cited = new Set(packed.citations.flatMap((c) => c.ids))
  const dropped = new Set(packed.dropped.map((d) => d.id))
  for (const p of passages) assert.isTrue(cited.has(p.id) !== dropped.has(p.id), `${where}: ${String(p.id)} is cited xor dropped`)
  // no two citations of one document overlap (they were merged)
  for (const a of packed.citations) {
    for (const b of packed.citations) {
      if (a !== b && a.documentId === b.documentId) assert.isTrue(a.end < b.start || b.end < a.start, `${where}: [${a.n}] and [${b.n}] overlap`)
    }
  }
  if (s.order === "source") {
    for (let i = 1; i < packed.citations.length; i++) {
      const a = packed.citations[i - 1]!
      const b = packed.citations[i]!
      assert.isTrue(a.source < b.source || (a.source === b.source && a.start < b.start), `${where}: source order`)
    }
  }
  return packed
}

describe("ContextBudget.pack invariants (seeded property tests)", () => {
  it("hold for 150 random passage sets with cl100k_base", () => {
    let droppedForBudget = 0
    for (let seed = 1; seed <= 150; seed++) droppedForBudget += check(seed, cl100k).dropped.filter((d) => d.reason === "over-budget").length
    assert.isAbove(droppedForBudget, 50, "budgets are tight enough to drop passages")
  })

  it("hold for 200 random passage sets with the approximation", () => {
    for (let seed = 1001; seed <= 1200; seed++) check(seed, Tokenizer.approximate)
  })
})

describe("ContextBudget.pack", () => {
  const text = "alpha beta gamma delta epsilon zeta eta theta"
  const p = (id: string, start: number, end: number, score = 1, documentId = "d"): Passage => ({
    id,
    documentId,
    source: `${documentId}.md`,
    start,
    end,
    text: text.slice(start, end),
    score,
    headings: []
  })

  it("merges overlapping and touching chunks of one document into one cited passage", () => {
    const packed = ContextBudget.pack([p("c1", 11, 28), p("c0", 0, 16), p("c2", 28, 44)], ContextBudget.settings({ maxTokens: 200 }), cl100k)
    assert.deepStrictEqual(packed.citations.map((c) => [c.n, c.start, c.end, c.ids]), [[1, 0, 44, ["c1", "c0", "c2"]]])
    assert.strictEqual(packed.text, `[1] d.md:0-44\n${text.slice(0, 44)}`)
  })

  it("drops a passage that does not fit (never cuts it) and keeps packing smaller ones after it", () => {
    const big: Passage = { id: "big", documentId: "b", source: "b.md", start: 0, end: 2000, text: "word ".repeat(400).trim(), score: 1, headings: [] }
    const packed = ContextBudget.pack([big, p("small", 0, 11)], ContextBudget.settings({ maxTokens: 30 }), cl100k)
    assert.deepStrictEqual(packed.dropped, [{ id: "big", reason: "over-budget" }])
    assert.deepStrictEqual(packed.citations.map((c) => c.ids), [["small"]])
  })

  it("keeps identical texts once and renders section paths", () => {
    const a = { ...p("a", 0, 11), headings: ["Guide", "Install"] }
    const packed = ContextBudget.pack([a, { ...a, id: "b", documentId: "x", source: "x.md" }], ContextBudget.settings({ maxTokens: 100 }), cl100k)
    assert.deepStrictEqual(packed.dropped, [{ id: "b", reason: "duplicate" }])
    assert.strictEqual(packed.text, "[1] d.md:0-11\nGuide > Install\nalpha beta ")
  })

  it("forModel sizes the budget from the model's context window; an unknown model is a BudgetError", () =>
    Effect.runPromise(Effect.gen(function*() {
      assert.strictEqual((yield* ContextBudget.forModel("gpt-4o-mini")).maxTokens, 64_000)
      assert.strictEqual((yield* ContextBudget.forModel("claude-3-5-haiku-20241022", { share: 0.1 })).maxTokens, 20_000)
      assert.strictEqual((yield* ContextBudget.forModel("gpt-4.1-mini", { cap: 8000, order: "source" })).order, "source")
      const e = yield* Effect.flip(ContextBudget.forModel("my-local-model"))
      assert.strictEqual(e.message, `context budget: the context window of model "my-local-model" is not known; give maxTokens`)
      assert.throws(() => ContextBudget.pack([], ContextBudget.settings({ maxTokens: 0 }), cl100k), /maxTokens must be a positive integer, got 0/)
    })))

  it("cited finds [n], [n][m] and [n, m] references to existing citations, in order of first use", () => {
    const packed = ContextBudget.pack([p("a", 0, 5), p("b", 0, 5, 1, "e"), p("c", 0, 5, 1, "f")], ContextBudget.settings({ maxTokens: 200, dedupe: false }), cl100k)
    assert.deepStrictEqual(ContextBudget.cited("See [2], then [3][1] and [1, 2]; not [9].", packed.citations).map((c) => c.n), [2, 3, 1])
  })
})

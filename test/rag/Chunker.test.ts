// Chunker invariants as seeded property tests, with the real BPE tokenizer and the approximation, on real Markdown
// (this repo's docs) cut at random places and on synthetic stress text (long unbroken words, CJK, emoji, blank runs,
// code fences). See the invariants in src/rag/Chunker.ts.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { beforeAll } from "vitest"
import * as Chunker from "../../src/rag/Chunker.ts"
import * as Document from "../../src/rag/Document.ts"
import * as Tokenizer from "../../src/rag/Tokenizer.ts"
import { type Case, randomCase } from "./chunkCases.ts"

let cl100k: Tokenizer.Tokenizer
beforeAll(async () => {
  cl100k = await Effect.runPromise(Tokenizer.load("cl100k_base"))
})

const isSpace = (c: string) => /\s/.test(c)

const checkInvariants = (c: Case, tokenizer: Tokenizer.Tokenizer) => {
  const where = `seed ${c.seed} (${c.settings.strategy}, max ${c.settings.maxTokens}, overlap ${c.settings.overlapTokens}, ${tokenizer.name})`
  const chunker = Chunker.fromTokenizer(c.settings, tokenizer)
  let chunks: ReadonlyArray<Chunker.Chunk>
  try {
    chunks = chunker.chunk(c.document)
  } catch (e) {
    // Only when the header really leaves no room: "takes H of M tokens, leaving L, not more than overlapTokens (O)"
    assert.instanceOf(e, Chunker.ChunkError, where)
    const m = /takes (\d+) of (\d+) tokens, leaving (\d+), not more than overlapTokens \((\d+)\)/.exec((e as Error).message)
    assert.isNotNull(m, (e as Error).message)
    assert.isAtLeast(Number(m![1]) + Number(m![4]), Number(m![2]), where)
    return -1
  }
  const text = c.document.text
  const covered = new Uint8Array(text.length)
  chunks.forEach((chunk, i) => {
    // 1. size, measured on what is embedded (header included)
    assert.strictEqual(chunk.tokens, tokenizer.count(chunk.embedText), where)
    assert.isAtMost(chunk.tokens, c.settings.maxTokens, `${where}: chunk ${i} has ${chunk.tokens} tokens`)
    assert.isTrue(chunk.embedText.endsWith(chunk.text), where)
    if (c.settings.metadataKeys.length > 0) assert.isTrue(chunk.embedText.startsWith(`title: Title ${c.seed}`), where)
    // 2. exact offsets, order, ids
    assert.strictEqual(chunk.text, text.slice(chunk.start, chunk.end), where)
    assert.isAbove(chunk.end, chunk.start, where)
    assert.strictEqual(chunk.text, chunk.text.trim(), `${where}: chunk ${i} is trimmed`)
    assert.strictEqual(chunk.id, `${c.document.id}#${i}`, where)
    for (let j = chunk.start; j < chunk.end; j++) covered[j] = 1
    const prev = chunks[i - 1]
    if (prev === undefined) return
    assert.isAbove(chunk.start, prev.start, `${where}: chunk ${i} starts after chunk ${i - 1}`)
    assert.isAbove(chunk.end, prev.end, `${where}: chunk ${i} adds text`)
    // 3. overlap at every split of a section
    assert.isAtLeast(chunk.section, prev.section, where)
    const sameSection = prev.section === chunk.section
    if (sameSection && c.settings.overlapTokens > 0) {
      assert.isBelow(chunk.start, prev.end, `${where}: chunks ${i - 1} and ${i} overlap`)
      const sharedText = text.slice(chunk.start, prev.end)
      const shared = tokenizer.count(sharedText)
      // More is allowed only when the overlap is one indivisible piece (an emoji can be 2 BPE tokens but 1 character).
      if (shared > c.settings.overlapTokens) {
        assert.strictEqual(tokenizer.boundaries(sharedText).length, 2, `${where}: overlap of chunk ${i} is ${shared} tokens`)
      }
    }
    if (c.settings.overlapTokens === 0) assert.isAtLeast(chunk.start, prev.end, `${where}: no overlap asked`)
  })
  // markdown: heading lines (ATX, or setext title + underline) are embedded as context, not as chunk text
  const titles = new Set(chunks.flatMap((ch) => ch.headings))
  const lines = text.split("\n")
  const headingLine = (n: number): boolean => {
    const line = lines[n]!.trim()
    if (titles.has(line.replace(/^#{1,6}\s*/, "").replace(/\s+#+$/, "").trim())) return true
    return /^(=+|-+)$/.test(line) && n > 0 && titles.has(lines[n - 1]!.trim())
  }
  for (let j = 0; j < text.length; j++) {
    if (!isSpace(text[j]!) && covered[j] === 0) {
      if (c.settings.strategy === "markdown" && c.settings.headingContext && headingLine(text.slice(0, j).split("\n").length - 1)) continue
      assert.fail(`${where}: character ${j} (${JSON.stringify(text.slice(j, j + 20))}) is in no chunk`)
    }
  }
  return chunks.length
}

describe("Chunker invariants (seeded property tests)", () => {
  it("hold for 300 random documents and settings with the cl100k_base tokenizer", () => {
    let chunks = 0
    let refused = 0
    for (let seed = 1; seed <= 300; seed++) {
      const n = checkInvariants(randomCase(seed), cl100k)
      if (n < 0) refused++
      else chunks += n
    }
    assert.isAbove(chunks, 1000, "the generator produces splits")
    assert.isBelow(refused, 15, "few cases have a header too large for their size")
  })

  it("hold for 300 random documents and settings with the approximate tokenizer", () => {
    let refused = 0
    for (let seed = 1001; seed <= 1300; seed++) if (checkInvariants(randomCase(seed), Tokenizer.approximate) < 0) refused++
    assert.isBelow(refused, 15)
  })

  it("are deterministic: the same document gives the same chunks", () => {
    const c = randomCase(7)
    const a = Chunker.fromTokenizer(c.settings, cl100k).chunk(c.document)
    const b = Chunker.fromTokenizer(c.settings, cl100k).chunk(c.document)
    assert.deepStrictEqual(a, b)
  })
})

describe("Chunker strategies", () => {
  it("fixed: windows of maxTokens with exactly overlapTokens shared", () => {
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(" ")
    const chunker = Chunker.fromTokenizer(Chunker.settings({ strategy: "fixed", maxTokens: 20, overlapTokens: 5 }), cl100k)
    const chunks = chunker.chunk(Document.make({ id: "d", text: words }))
    assert.strictEqual(chunks[0]!.tokens, 20)
    for (let i = 1; i < chunks.length; i++) {
      assert.strictEqual(cl100k.count(words.slice(chunks[i]!.start, chunks[i - 1]!.end)), 5)
      // a window starting on " w12" loses the space when trimmed: 19 or 20 tokens, never more
      assert.isAtLeast(chunks[i]!.tokens, i === chunks.length - 1 ? 1 : 19)
      assert.isAtMost(chunks[i]!.tokens, 20)
    }
    assert.strictEqual(chunks.at(-1)!.text.endsWith("w99"), true)
  })

  it("recursive: prefers paragraph, then line, then sentence boundaries", () => {
    const text = "First paragraph is here.\n\nSecond paragraph is a bit longer than the first one.\n\nThird."
    const chunker = Chunker.fromTokenizer(Chunker.settings({ maxTokens: 12, overlapTokens: 0 }), cl100k)
    assert.deepStrictEqual(chunker.chunk(Document.make({ id: "d", text })).map((c) => c.text), [
      "First paragraph is here.",
      "Second paragraph is a bit longer than the first one.",
      "Third."
    ])
    // With room for two paragraphs they are merged, the separator kept inside the chunk.
    const wide = Chunker.fromTokenizer(Chunker.settings({ maxTokens: 16, overlapTokens: 0 }), cl100k)
    const merged = wide.chunk(Document.make({ id: "d", text }))
    assert.strictEqual(merged.length, 2)
    assert.isTrue(merged.every((c) => c.text.split("\n\n").every((p) => text.split("\n\n").includes(p))), "whole paragraphs only")
  })

  it("sentence: sentences are whole, an over-long sentence is split on words", () => {
    const text = "She went home. He slept well! Did he dream? " + "word ".repeat(40).trim() + "."
    const chunker = Chunker.fromTokenizer(Chunker.settings({ strategy: "sentence", maxTokens: 10, overlapTokens: 0 }), cl100k)
    const chunks = chunker.chunk(Document.make({ id: "d", text }))
    assert.strictEqual(chunks[0]!.text, "She went home. He slept well!")
    assert.isTrue(chunks[1]!.text.startsWith("Did he dream? word"), "the long sentence's words fill the chunk")
    assert.isTrue(chunks.slice(2).every((c) => /^(word ?)+\.?$/.test(c.text)))
    assert.isTrue(chunks.every((c) => c.tokens <= 10))
  })

  it("markdown: each chunk carries its heading path, embedded before the text; code fences hide # lines", () => {
    const text = [
      "Intro text.",
      "# Guide",
      "Welcome.",
      "## Install",
      "Run npm install.",
      "```sh",
      "# not a heading",
      "```",
      "### Linux",
      "Use apt.",
      "## Use",
      "Call it.",
      "Setext title",
      "============",
      "Under setext."
    ].join("\n")
    const chunker = Chunker.fromTokenizer(Chunker.settings({ strategy: "markdown", maxTokens: 200, overlapTokens: 10 }), cl100k)
    const chunks = chunker.chunk(Document.make({ id: "g.md", text }))
    assert.deepStrictEqual(chunks.map((c) => [c.headings, c.text]), [
      [[], "Intro text."],
      [["Guide"], "Welcome."],
      [["Guide", "Install"], "Run npm install.\n```sh\n# not a heading\n```"],
      [["Guide", "Install", "Linux"], "Use apt."],
      [["Guide", "Use"], "Call it."],
      [["Setext title"], "Under setext."]
    ])
    assert.strictEqual(chunks[3]!.embedText, "# Guide\n## Install\n### Linux\n\nUse apt.")
    const plain = Chunker.fromTokenizer(Chunker.settings({ strategy: "markdown", maxTokens: 200, headingContext: false }), cl100k)
    assert.strictEqual(plain.chunk(Document.make({ id: "g.md", text }))[3]!.embedText, "### Linux\nUse apt.")
  })

  it("a header that leaves no room fails with ChunkError instead of producing oversized chunks", () => {
    const chunker = Chunker.fromTokenizer(Chunker.settings({ maxTokens: 12, overlapTokens: 4, metadataKeys: ["summary"] }), cl100k)
    const doc = Document.make({ id: "long-meta", text: "Some text.", metadata: { summary: "a very long summary ".repeat(5) } })
    const e = Effect.runSync(Effect.flip(chunker.chunkEffect(doc)))
    assert.strictEqual(e._tag, "ChunkError")
    assert.include(e.message, `document "long-meta": its header (metadata keys summary) takes`)
    assert.include(e.message, "of 12 tokens")
  })

  it("invalid settings are rejected naming the field", () => {
    const cases: ReadonlyArray<readonly [Partial<Chunker.Settings>, string]> = [
      [{ maxTokens: 1 }, "chunking maxTokens: must be an integer of at least 2, got 1"],
      [{ maxTokens: 100, overlapTokens: 100 }, "chunking overlapTokens: must be smaller than maxTokens (100), got 100"],
      [{ overlapTokens: -1 }, "chunking overlapTokens: must be a non-negative integer, got -1"],
      [{ strategy: "words" as never }, "chunking strategy: expected one of fixed, recursive, sentence, markdown, got \"words\""]
    ]
    for (const [overrides, message] of cases) {
      const e = Effect.runSync(Effect.flip(Chunker.make(Chunker.settings(overrides))))
      assert.strictEqual(e.message, message)
    }
  })

  it("make picks the embedding model's tokenizer for tokenizer: auto", () =>
    Effect.runPromise(Effect.gen(function*() {
      assert.strictEqual((yield* Chunker.make(Chunker.defaultSettings, "text-embedding-3-small")).tokenizer.name, "cl100k_base")
      assert.strictEqual((yield* Chunker.make(Chunker.defaultSettings, "gpt-4o")).tokenizer.name, "o200k_base")
      assert.strictEqual((yield* Chunker.make(Chunker.defaultSettings, "embed-english-v3.0")).tokenizer.name, "approximate")
      assert.strictEqual((yield* Chunker.make(Chunker.settings({ tokenizer: "o200k_base" }), "nomic-embed-text")).tokenizer.name, "o200k_base")
    })))
})

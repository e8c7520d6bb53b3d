// Seeded random documents and chunking settings for the chunker property tests (and for debugging a failing seed).
import { readdirSync, readFileSync } from "node:fs"
import * as Chunker from "../../src/rag/Chunker.ts"
import * as Document from "../../src/rag/Document.ts"
import { seededRandom } from "../../src/testing/index.ts"

// A frozen copy of this repo's docs (real Markdown), so seeds give the same documents whatever docs/ becomes.
const corpusDir = "test/rag/fixtures/corpus"
const corpus = readdirSync(corpusDir).sort().map((f) => readFileSync(`${corpusDir}/${f}`, "utf8"))

const stress = ["supercalifragilisticexpialidocious".repeat(6), "日本語のテキストを分割します。", "🙂🚀✨", "\n\n\n\n", "```ts\nconst x = 1\n\nconst y = 2\n```", "a.b.c.d.e.f", "   ", "Dr. Smith went home. Then he slept!", "x".repeat(700)]

const randomText = (next: () => number, markdown: boolean): string => {
  const parts: Array<string> = []
  const n = 1 + Math.floor(next() * 6)
  for (let i = 0; i < n; i++) {
    const r = next()
    if (markdown && r < 0.25) {
      // Unique titles, so consecutive chunks with the same heading path are in the same section.
      parts.push(`\n${"#".repeat(1 + Math.floor(next() * 4))} Heading ${Math.floor(next() * 1e9)}\n`)
    } else if (r < 0.45) {
      parts.push(stress[Math.floor(next() * stress.length)]!)
    } else {
      const doc = corpus[Math.floor(next() * corpus.length)]!
      const from = Math.floor(next() * doc.length)
      parts.push(doc.slice(from, from + Math.floor(next() * 3000)))
    }
  }
  return parts.join(next() < 0.5 ? "\n\n" : " ")
}

export interface Case {
  readonly seed: number
  readonly settings: Chunker.Settings
  readonly document: Document.Document
}

export const randomCase = (seed: number): Case => {
  const next = seededRandom(seed)
  const strategies = ["fixed", "recursive", "sentence", "markdown"] as const
  const strategy = strategies[Math.floor(next() * strategies.length)]!
  const maxTokens = 8 + Math.floor(next() * 300)
  const overlapTokens = next() < 0.2 ? 0 : Math.floor(next() * Math.min(maxTokens / 2, 80))
  const withMeta = next() < 0.4
  const headingContext = next() < 0.7
  return {
    seed,
    settings: Chunker.settings({
      strategy,
      maxTokens: withMeta ? maxTokens + 20 : maxTokens,
      overlapTokens,
      metadataKeys: withMeta ? ["title"] : [],
      headingContext
    }),
    document: Document.make({ id: `doc-${seed}`, text: randomText(next, strategy === "markdown"), metadata: { title: `Title ${seed}` } })
  }
}


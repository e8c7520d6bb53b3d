/**
 * Chunkers: a {@link Document} to {@link Chunk}s sized in tokens. Four strategies share one packing algorithm:
 * - `fixed`: windows of `maxTokens` tokens, the next starting `overlapTokens` tokens before the previous ended;
 * - `recursive`: split on the first separator (`"\n\n"`, then `"\n"`, `". "`, `" "`, then between tokens) that makes
 *   pieces small enough, then merge neighbouring pieces up to the size;
 * - `sentence`: sentences (`Intl.Segmenter`), merged up to the size; an over-long sentence is split on words;
 * - `markdown`: one run of `recursive` per section; the section's heading path (`# Guide` / `## Install`) is embedded
 *   with each of its chunks as context, and a chunk never spans two sections.
 *
 * Invariants (checked by seeded property tests in `test/rag/Chunker.test.ts`, with the real tokenizer):
 * 1. `tokenizer.count(chunk.embedText) <= maxTokens`, where `embedText` is exactly what gets embedded: the header
 *    (the `metadataKeys` lines and the heading path) plus the text. A header that leaves no room fails with a
 *    {@link ChunkError} instead of producing oversized chunks.
 * 2. `chunk.text === document.text.slice(chunk.start, chunk.end)`; chunks of a document are in order, and together
 *    they cover all of its non-whitespace text.
 * 3. When `overlapTokens > 0`, every split overlaps: two consecutive chunks of one section share text
 *    (`next.start < previous.end`) of at most `overlapTokens` tokens (whole pieces when one fits, else words, else
 *    tokens; one indivisible character, such as an emoji that is two BPE tokens, when even the last one is larger),
 *    and each chunk adds new text (`next.end > previous.end`).
 *
 * Settings are plain values: {@link defaultSettings}, overridden with {@link settings}; {@link make} turns them into a
 * {@link Chunker} (it loads the tokenizer).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chunker, Document } from "llm-orchestrator/rag"
 * const program = Effect.gen(function*() {
 *   const chunker = yield* Chunker.make(Chunker.settings({ strategy: "markdown", maxTokens: 256, overlapTokens: 32 }), "text-embedding-3-small")
 *   return chunker.chunk(Document.make({ id: "guide.md", text: "# Guide\n\n## Install\n\nRun npm install." }))
 * })
 * ```
 */
import { Effect, Schema } from "effect"
import type { Document } from "./Document.ts"
import * as Tokenizer from "./Tokenizer.ts"

/**
 * A chunking strategy (see the module description).
 *
 * @example
 * ```ts
 * const s: Chunker.Strategy = "markdown"
 * ```
 */
export type Strategy = "fixed" | "recursive" | "sentence" | "markdown"

/**
 * Chunking settings.
 *
 * @example
 * ```ts
 * const s: Chunker.Settings = { ...Chunker.defaultSettings, maxTokens: 256 }
 * ```
 */
export interface Settings {
  readonly strategy: Strategy
  /** Largest chunk, in tokens of what is embedded (header included). */
  readonly maxTokens: number
  /** Tokens repeated from the end of a chunk at the start of the next one when a section is split (0: none). */
  readonly overlapTokens: number
  /**
   * The tokenizer: `"auto"` uses the embedding model's (see `Tokenizer.encodingFor`; `approximate` when no model is
   * known), or name an encoding.
   */
  readonly tokenizer: "auto" | Tokenizer.Encoding
  /** Separators of the `recursive` and `markdown` strategies, coarsest first; `""` means "between tokens". */
  readonly separators: ReadonlyArray<string>
  /** Document metadata embedded as `key: value` lines before each chunk's text (and counted in its size). */
  readonly metadataKeys: ReadonlyArray<string>
  /** `markdown`: embed the section's heading path with each chunk (default true). */
  readonly headingContext: boolean
}

/**
 * The defaults: recursive, 512 tokens, 64 tokens of overlap, the embedding model's tokenizer, no metadata embedded.
 *
 * @example
 * ```ts
 * Chunker.defaultSettings.maxTokens // 512
 * ```
 */
export const defaultSettings: Settings = {
  strategy: "recursive",
  maxTokens: 512,
  overlapTokens: 64,
  tokenizer: "auto",
  separators: ["\n\n", "\n", ". ", " ", ""],
  metadataKeys: [],
  headingContext: true
}

/**
 * {@link defaultSettings} with overrides.
 *
 * @example
 * ```ts
 * Chunker.settings({ strategy: "sentence", maxTokens: 200, overlapTokens: 20 })
 * ```
 */
export const settings = (overrides: Partial<Settings> = {}): Settings => ({ ...defaultSettings, ...overrides })

/**
 * One chunk of a document.
 *
 * @example
 * ```ts
 * const cite = (c: Chunker.Chunk) => `${c.source}:${c.start}-${c.end}`
 * ```
 */
export interface Chunk {
  /** `${documentId}#${index}`: stable across runs, so re-ingesting overwrites instead of duplicating. */
  readonly id: string
  readonly documentId: string
  readonly source: string
  /** Position of the chunk in its document, from 0. */
  readonly index: number
  /** `document.text.slice(start, end)`. */
  readonly text: string
  readonly start: number
  readonly end: number
  /** Index of the chunk's section in its document (`markdown`: one per heading; other strategies: 0). */
  readonly section: number
  /** Heading path of the chunk's section (`markdown`), outermost first. */
  readonly headings: ReadonlyArray<string>
  /** What is embedded: the header (metadata lines, heading path) and the text. */
  readonly embedText: string
  /** `tokenizer.count(embedText)`. */
  readonly tokens: number
  /** The document's metadata. */
  readonly metadata: Readonly<Record<string, unknown>>
}

/**
 * Settings that cannot work (`field` names the setting), or a document whose header alone takes the whole size.
 *
 * @example
 * ```ts
 * new ChunkError({ field: "overlapTokens", reason: "must be smaller than maxTokens (512), got 512" }).message
 * // "chunking overlapTokens: must be smaller than maxTokens (512), got 512"
 * ```
 */
export class ChunkError extends Schema.TaggedError<ChunkError>()("ChunkError", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `chunking ${this.field}: ${this.reason}`
  }
}

/**
 * A chunker built from {@link Settings}: `chunk` is pure and synchronous (it throws {@link ChunkError} only when a
 * document's header leaves no room for text), `chunkEffect` is the same as an Effect.
 *
 * @example
 * ```ts
 * const chunks = chunker.chunk(doc)
 * ```
 */
export interface Chunker {
  readonly settings: Settings
  readonly tokenizer: Tokenizer.Tokenizer
  readonly chunk: (document: Document) => ReadonlyArray<Chunk>
  readonly chunkEffect: (document: Document) => Effect.Effect<ReadonlyArray<Chunk>, ChunkError>
}

/**
 * Checks settings; returns the first problem, or undefined.
 *
 * @example
 * ```ts
 * Chunker.validate(Chunker.settings({ overlapTokens: 600 }))?.field // "overlapTokens"
 * ```
 */
export const validate = (s: Settings): ChunkError | undefined => {
  const strategies: ReadonlyArray<Strategy> = ["fixed", "recursive", "sentence", "markdown"]
  if (!strategies.includes(s.strategy)) {
    return new ChunkError({ field: "strategy", reason: `expected one of ${strategies.join(", ")}, got ${JSON.stringify(s.strategy)}` })
  }
  if (!Number.isSafeInteger(s.maxTokens) || s.maxTokens < 2) {
    return new ChunkError({ field: "maxTokens", reason: `must be an integer of at least 2, got ${JSON.stringify(s.maxTokens)}` })
  }
  if (!Number.isSafeInteger(s.overlapTokens) || s.overlapTokens < 0) {
    return new ChunkError({ field: "overlapTokens", reason: `must be a non-negative integer, got ${JSON.stringify(s.overlapTokens)}` })
  }
  if (s.overlapTokens >= s.maxTokens) {
    return new ChunkError({ field: "overlapTokens", reason: `must be smaller than maxTokens (${s.maxTokens}), got ${s.overlapTokens}` })
  }
  if (!Array.isArray(s.separators) || s.separators.some((x) => typeof x !== "string")) {
    return new ChunkError({ field: "separators", reason: "must be a list of strings" })
  }
  if (!Array.isArray(s.metadataKeys) || s.metadataKeys.some((x) => typeof x !== "string")) {
    return new ChunkError({ field: "metadataKeys", reason: "must be a list of strings" })
  }
  return undefined
}

/**
 * Builds a chunker; `model` is the embedding model, whose tokenizer `tokenizer: "auto"` uses.
 *
 * @example
 * ```ts
 * const chunker = yield* Chunker.make(Chunker.settings({ maxTokens: 300 }), "text-embedding-3-small")
 * ```
 */
export const make = (s: Settings = defaultSettings, model?: string): Effect.Effect<Chunker, ChunkError> =>
  Effect.gen(function*() {
    const bad = validate(s)
    if (bad !== undefined) return yield* bad
    const encoding = s.tokenizer === "auto" ? (model === undefined ? "approximate" : Tokenizer.encodingFor(model)) : s.tokenizer
    const tokenizer = yield* Tokenizer.load(encoding)
    return fromTokenizer(s, tokenizer)
  })

/**
 * A chunker over a tokenizer you already have (pure; for tests and custom tokenizers).
 *
 * @example
 * ```ts
 * const chunker = Chunker.fromTokenizer(Chunker.settings({ strategy: "fixed", maxTokens: 100 }), Tokenizer.approximate)
 * ```
 */
export const fromTokenizer = (s: Settings, tokenizer: Tokenizer.Tokenizer): Chunker => {
  const bad = validate(s)
  if (bad !== undefined) throw bad
  const chunk = (document: Document) => chunkDocument(document, s, tokenizer)
  return {
    settings: s,
    tokenizer,
    chunk,
    chunkEffect: (document) => Effect.try({ try: () => chunk(document), catch: (e) => e as ChunkError })
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The algorithm. Everything works on [start, end) spans of the document text, so offsets are exact by construction.

interface Span {
  readonly start: number
  readonly end: number
}

interface Unit extends Span {
  readonly tokens: number
}

interface Section extends Span {
  /** The heading line's own span (empty for text before the first heading). */
  readonly heading: Span
  readonly headings: ReadonlyArray<string>
  /** Heading lines as they are embedded (`## Install`). */
  readonly headingLines: ReadonlyArray<string>
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029

const trim = (text: string, start: number, end: number): Span => {
  let s = start
  let e = end
  while (s < e && isSpace(text.charCodeAt(s))) s++
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--
  return { start: s, end: e }
}

const showValue = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v) ?? String(v))

const headerOf = (document: Document, section: Section, s: Settings): string => {
  const lines: Array<string> = []
  for (const key of s.metadataKeys) {
    const v = document.metadata[key]
    if (v !== undefined && v !== null) lines.push(`${key}: ${showValue(v).replace(/\s+/g, " ")}`)
  }
  if (s.strategy === "markdown" && s.headingContext) lines.push(...section.headingLines)
  return lines.join("\n")
}

const joinEmbed = (header: string, text: string) => (header.length === 0 ? text : `${header}\n\n${text}`)

const FENCE = /^ {0,3}(`{3,}|~{3,})/
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/
// Lines a setext underline cannot turn into a heading: list items, quotes, tables, indented code.
const NOT_PARAGRAPH = /^(?: {4}|\t| {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|>|\|))/

/** Markdown sections: heading path and body span (the heading line excluded when it is embedded as context). */
const markdownSections = (text: string, headingContext: boolean): Array<Section> => {
  const sections: Array<Section> = []
  const stack: Array<{ level: number; title: string; line: string }> = []
  let bodyStart = 0
  let headingSpan: Span = { start: 0, end: 0 }
  let fence: string | undefined
  let prevLine: { start: number; end: number; text: string; blank: boolean; heading: boolean } | undefined
  const close = (end: number) => {
    sections.push({
      start: bodyStart,
      end,
      heading: headingSpan,
      headings: stack.map((h) => h.title),
      headingLines: stack.map((h) => h.line)
    })
  }
  const open = (level: number, title: string, lineStart: number, lineEnd: number) => {
    close(lineStart)
    while (stack.length > 0 && stack[stack.length - 1]!.level >= level) stack.pop()
    stack.push({ level, title, line: `${"#".repeat(level)} ${title}` })
    bodyStart = headingContext ? lineEnd : lineStart
    headingSpan = { start: lineStart, end: lineEnd }
  }
  let at = 0
  while (at <= text.length) {
    const nl = text.indexOf("\n", at)
    const lineEnd = nl === -1 ? text.length : nl + 1
    const line = text.slice(at, nl === -1 ? text.length : nl).replace(/\r$/, "")
    const f = FENCE.exec(line)
    let heading = false
    if (fence !== undefined) {
      if (f !== null && f[1]![0] === fence[0] && f[1]!.length >= fence.length && line.trim() === f[1]) fence = undefined
    } else if (f !== null) {
      fence = f[1]!
    } else {
      const atx = ATX.exec(line)
      const setext = SETEXT.exec(line)
      if (atx !== null) {
        open(atx[1]!.length, (atx[2] ?? "").trim(), at, lineEnd)
        heading = true
      } else if (
        setext !== null && (setext[1]![0] === "=" || setext[1]!.length >= 2) && prevLine !== undefined && !prevLine.blank &&
        !prevLine.heading && !NOT_PARAGRAPH.test(prevLine.text)
      ) {
        // The previous line is the heading text: the section starts there.
        open(setext[1]![0] === "=" ? 1 : 2, prevLine.text.trim(), prevLine.start, lineEnd)
        heading = true
      }
    }
    prevLine = { start: at, end: lineEnd, text: line, blank: line.trim().length === 0, heading }
    if (nl === -1) break
    at = lineEnd
  }
  close(text.length)
  return sections
}

/** Splits [start, end) on `sep` keeping the separator at the end of each piece (so pieces stay contiguous). */
const splitOn = (text: string, start: number, end: number, sep: string): Array<Span> => {
  const out: Array<Span> = []
  let from = start
  for (;;) {
    const i = text.indexOf(sep, from)
    if (i === -1 || i + sep.length > end) break
    out.push({ start: from, end: i + sep.length })
    from = i + sep.length
  }
  if (from < end) out.push({ start: from, end })
  return out
}

const tokenUnits = (text: string, span: Span, tokenizer: Tokenizer.Tokenizer): Array<Unit> => {
  const slice = text.slice(span.start, span.end)
  const b = tokenizer.boundaries(slice)
  const out: Array<Unit> = []
  for (let i = 1; i < b.length; i++) out.push({ start: span.start + b[i - 1]!, end: span.start + b[i]!, tokens: 1 })
  return out
}

/** Pieces of [start, end), each counting at most `limit` tokens, split as coarsely as `separators` allow. */
const recursiveUnits = (
  text: string,
  span: Span,
  separators: ReadonlyArray<string>,
  limit: number,
  tokenizer: Tokenizer.Tokenizer,
  out: Array<Unit>
): void => {
  const tokens = tokenizer.count(text.slice(span.start, span.end))
  if (tokens <= limit) {
    if (span.end > span.start) out.push({ ...span, tokens })
    return
  }
  const [sep, ...rest] = separators
  if (sep === undefined || sep === "") {
    out.push(...tokenUnits(text, span, tokenizer))
    return
  }
  const pieces = splitOn(text, span.start, span.end, sep)
  if (pieces.length <= 1) {
    recursiveUnits(text, span, rest, limit, tokenizer, out)
    return
  }
  for (const p of pieces) recursiveUnits(text, p, rest, limit, tokenizer, out)
}

let sentenceSegmenter: Intl.Segmenter | undefined

const sentenceUnits = (text: string, span: Span, limit: number, tokenizer: Tokenizer.Tokenizer, out: Array<Unit>): void => {
  sentenceSegmenter ??= new Intl.Segmenter(undefined, { granularity: "sentence" })
  for (const s of sentenceSegmenter.segment(text.slice(span.start, span.end))) {
    const piece = { start: span.start + s.index, end: span.start + s.index + s.segment.length }
    recursiveUnits(text, piece, ["\n", " ", ""], limit, tokenizer, out)
  }
}

/**
 * Packs units of one section into chunks of at most `budget` tokens (estimated as the sum of unit counts, then measured
 * on the real embedded text and cut back until it fits), each after the first starting with an overlap of at most
 * `overlap` tokens taken from the end of the previous chunk.
 */
const pack = (
  text: string,
  units: ReadonlyArray<Unit>,
  header: string,
  maxTokens: number,
  budget: number,
  overlap: number,
  tokenizer: Tokenizer.Tokenizer
): Array<Span> => {
  const chunks: Array<Span> = []
  const fits = (start: number, end: number) => {
    const t = trim(text, start, end)
    return tokenizer.count(joinEmbed(header, text.slice(t.start, t.end))) <= maxTokens
  }
  // Smallest index i in [lo, hi] with ok(i), assuming ok is monotone (false…false true…true); hi + 1 when none.
  const firstTrue = (lo: number, hi: number, ok: (i: number) => boolean): number => {
    let a = lo
    let b = hi + 1
    while (a < b) {
      const mid = (a + b) >> 1
      if (ok(mid)) b = mid
      else a = mid + 1
    }
    return a
  }
  // Where the next chunk's overlap starts: the earliest unit start inside the previous chunk whose suffix counts at most
  // `overlap` tokens; when even its last unit is longer, the earliest such token boundary inside that unit.
  // Tokens of text[from, end) as the next chunk will hold it (leading whitespace trimmed: " Fiber" and "Fiber" differ).
  const suffixTokens = (from: number, end: number) => {
    const t = trim(text, from, end)
    return tokenizer.count(text.slice(t.start, t.end))
  }
  const overlapStart = (chunk: Span, firstUnit: number, lastUnitHint: number): number => {
    // The last unit with text inside the chunk (the chunk's end is trimmed, later units may be whitespace).
    let lastUnit = lastUnitHint
    while (lastUnit > firstUnit && units[lastUnit]!.start >= chunk.end) lastUnit--
    let best = -1
    let sum = 0
    for (let i = lastUnit; i >= firstUnit; i--) {
      const from = units[i]!.start
      if (from <= chunk.start) break
      sum += units[i]!.tokens
      if (sum > overlap) break
      best = from
    }
    if (best !== -1 && best < chunk.end && suffixTokens(best, chunk.end) <= overlap) return best
    // No whole unit fits: start at a word of the last unit, else at a token.
    const tailFrom = Math.max(chunk.start + 1, units[lastUnit]!.start)
    if (tailFrom >= chunk.end) return chunk.end
    const tail = text.slice(tailFrom, chunk.end)
    const words: Array<number> = []
    for (let i = 1; i < tail.length; i++) if (isSpace(tail.charCodeAt(i - 1)) && !isSpace(tail.charCodeAt(i))) words.push(i)
    const w = firstTrue(0, words.length - 1, (j) => suffixTokens(tailFrom + words[j]!, chunk.end) <= overlap)
    if (w < words.length) return tailFrom + words[w]!
    const b = tokenizer.boundaries(tail)
    if (b.length < 2) return chunk.end
    const i = firstTrue(0, b.length - 2, (j) => suffixTokens(tailFrom + b[j]!, chunk.end) <= overlap)
    if (i <= b.length - 2) return tailFrom + b[i]!
    // Even the last token of the chunk counts more alone than in context (" protection" is one token, "protection"
    // two): cut inside it, on its own token boundaries.
    const lastFrom = trim(text, tailFrom + b[b.length - 2]!, chunk.end).start
    const piece = text.slice(lastFrom, chunk.end)
    const pb = tokenizer.boundaries(piece)
    if (pb.length < 3) return lastFrom
    const j = firstTrue(1, pb.length - 2, (k) => tokenizer.count(piece.slice(pb[k]!)) <= overlap)
    return lastFrom + pb[Math.min(j, pb.length - 2)]!
  }

  let u = 0 // first unit not fully emitted
  let pos = units.length > 0 ? units[0]!.start : 0 // end of the text already emitted
  let previous: { readonly span: Span; readonly firstUnit: number; readonly lastUnit: number } | undefined
  const lastEnd = units.length > 0 ? units[units.length - 1]!.end : 0
  while (u < units.length) {
    // New text starts at the next non-whitespace character; whitespace-only units add nothing.
    const rest = trim(text, Math.max(pos, units[u]!.start), lastEnd)
    if (rest.end <= rest.start) break
    pos = rest.start
    while (units[u]!.end <= pos) u++
    let start = previous === undefined || overlap === 0
      ? pos
      : Math.min(pos, overlapStart(previous.span, previous.firstUnit, previous.lastUnit))
    const firstUnit = u
    let estimate = start < pos ? tokenizer.count(text.slice(start, pos)) : 0
    let end = pos
    let k = u
    while (k < units.length) {
      const unit = units[k]!
      const partStart = Math.max(unit.start, pos)
      const t = partStart === unit.start ? unit.tokens : tokenizer.count(text.slice(partStart, unit.end))
      if (end > pos && estimate + t > budget) break
      estimate += t
      end = unit.end
      k++
    }
    // Measure what is really embedded; give back whole units first, then tokens.
    while (!fits(start, end)) {
      if (k - 1 > firstUnit && units[k - 2]!.end > pos) {
        k--
        end = units[k - 1]!.end
        continue
      }
      const slice = text.slice(pos, end)
      const b = tokenizer.boundaries(slice)
      // Keep at least one new token; if even that does not fit, shorten the overlap.
      while (start < pos && !fits(start, pos + b[1]!)) {
        const ob = tokenizer.boundaries(text.slice(start, pos))
        start = ob.length > 2 ? start + ob[1]! : pos
      }
      const fitting = firstTrue(1, b.length - 1, (j) => !fits(start, pos + b[j]!)) - 1
      end = pos + b[Math.max(1, fitting)]!
      break
    }
    const span = trim(text, start, end)
    chunks.push(span)
    previous = { span, firstUnit, lastUnit: Math.max(firstUnit, k - 1) }
    pos = end
    while (u < units.length && units[u]!.end <= end) u++
  }
  return chunks
}

const chunkDocument = (document: Document, s: Settings, tokenizer: Tokenizer.Tokenizer): ReadonlyArray<Chunk> => {
  const text = document.text
  const sections: ReadonlyArray<Section> = s.strategy === "markdown"
    ? markdownSections(text, s.headingContext)
    : [{ start: 0, end: text.length, heading: { start: 0, end: 0 }, headings: [], headingLines: [] }]
  const chunks: Array<Chunk> = []
  for (let n = 0; n < sections.length; n++) {
    const section = sections[n]!
    let body = trim(text, section.start, section.end)
    if (body.end <= body.start) {
      // A heading with no text of its own is kept in the path of the sections under it; when none follows (the next
      // heading is a sibling or higher), its line becomes a chunk so its words are not lost.
      const next = sections[n + 1]
      const isParent = next !== undefined && next.headings.length > section.headings.length
      body = trim(text, section.heading.start, section.heading.end)
      if (isParent || body.end <= body.start) continue
    }
    const header = headerOf(document, section, s)
    const headerTokens = header.length === 0 ? 0 : tokenizer.count(`${header}\n\n`)
    const budget = s.maxTokens - headerTokens
    if (budget <= s.overlapTokens) {
      throw new ChunkError({
        field: "maxTokens",
        reason: `document "${document.id}": its header (${s.metadataKeys.length > 0 ? "metadata keys " + s.metadataKeys.join(", ") : "heading path"}${
          section.headings.length > 0 ? ` "${section.headings.join(" > ")}"` : ""
        }) takes ${headerTokens} of ${s.maxTokens} tokens, leaving ${Math.max(0, budget)}, not more than overlapTokens (${s.overlapTokens}); raise maxTokens or embed less metadata`
      })
    }
    // Units leave room for the overlap that precedes them, so every chunk holds its overlap plus at least one unit.
    const limit = Math.max(1, budget - s.overlapTokens)
    const units: Array<Unit> = []
    if (s.strategy === "fixed") units.push(...tokenUnits(text, body, tokenizer))
    else if (s.strategy === "sentence") sentenceUnits(text, body, limit, tokenizer, units)
    else recursiveUnits(text, body, s.separators.length > 0 ? s.separators : [""], limit, tokenizer, units)
    for (const span of pack(text, units, header, s.maxTokens, budget, s.overlapTokens, tokenizer)) {
      if (span.end <= span.start) continue
      const chunkText = text.slice(span.start, span.end)
      const embedText = joinEmbed(header, chunkText)
      const index = chunks.length
      chunks.push({
        id: `${document.id}#${index}`,
        documentId: document.id,
        source: document.source,
        index,
        text: chunkText,
        start: span.start,
        end: span.end,
        section: n,
        headings: section.headings,
        embedText,
        tokens: tokenizer.count(embedText),
        metadata: document.metadata
      })
    }
  }
  return chunks
}

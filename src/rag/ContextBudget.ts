/**
 * The context budget: packs the best passages into a token budget for the model that will read them, and returns
 * citations (source and character offsets) that the prompt and the answer refer to as `[1]`, `[2]`, ….
 *
 * - Passages are taken in relevance order (the order given: fused or re-ranked); one that does not fit is dropped
 *   (never cut), and smaller ones after it may still fit.
 * - Overlapping passages of one document (neighbouring chunks share their overlap) are merged into one passage over
 *   the union of their spans, so the shared text is paid for once; identical texts are kept once.
 * - `order: "relevance"` renders the most relevant first; `order: "source"` renders by source and offset (reads
 *   better for long documents), numbering follows the rendered order either way.
 * - Each passage is rendered as `[n] source:start-end`, the section path when there is one, then its text.
 *
 * Invariants (seeded property tests in `test/rag/ContextBudget.test.ts`): the exact token count of `text` is at most
 * `maxTokens`; every packed passage has exactly one citation and its `[n]` header is in `text`; each citation's
 * offsets cover the text it cites; no passage is silently cut.
 *
 * @example
 * ```ts
 * import { ContextBudget } from "llm-orchestrator/rag"
 * const packed = ContextBudget.pack(passages, ContextBudget.settings({ maxTokens: 3000 }), tokenizer)
 * const prompt = `Answer from the sources and cite them as [n].\n\n${packed.text}\n\nQuestion: ${question}`
 * ```
 */
import { Effect, Schema } from "effect"
import type { PointId } from "../vector/VectorStoreShape.ts"
import type { Passage } from "./Passage.ts"
import * as Tokenizer from "./Tokenizer.ts"

/**
 * Packing settings.
 *
 * @example
 * ```ts
 * const s: ContextBudget.Settings = { ...ContextBudget.defaultSettings, maxTokens: 2000, order: "source" }
 * ```
 */
export interface Settings {
  /** Largest size of the packed context, in the reading model's tokens. */
  readonly maxTokens: number
  readonly order: "relevance" | "source"
  /** Merge overlapping passages of one document and drop identical texts (default true). */
  readonly dedupe: boolean
  /** Render each passage's section path (`Guide > Install`) under its header (default true). */
  readonly headings: boolean
}

/**
 * The defaults: 4,000 tokens, relevance order, dedupe, headings shown.
 *
 * @example
 * ```ts
 * ContextBudget.defaultSettings.maxTokens // 4000
 * ```
 */
export const defaultSettings: Settings = { maxTokens: 4000, order: "relevance", dedupe: true, headings: true }

/**
 * {@link defaultSettings} with overrides.
 *
 * @example
 * ```ts
 * ContextBudget.settings({ maxTokens: 1500 })
 * ```
 */
export const settings = (overrides: Partial<Settings> = {}): Settings => ({ ...defaultSettings, ...overrides })

/**
 * One citation: the number the context and the answer use, and where the cited text is.
 *
 * @example
 * ```ts
 * const link = (c: ContextBudget.Citation) => `${c.source}#L${c.start}`
 * ```
 */
export interface Citation {
  readonly n: number
  readonly documentId: string
  readonly source: string
  readonly start: number
  readonly end: number
  /** Ids of the chunks merged into this passage, most relevant first. */
  readonly ids: ReadonlyArray<PointId>
  /** The best relevance among them. */
  readonly score: number
  readonly text: string
}

/**
 * Why a passage is not in the context.
 *
 * @example
 * ```ts
 * const d: ContextBudget.Dropped = { id: "a.md#3", reason: "over-budget" }
 * ```
 */
export interface Dropped {
  readonly id: PointId
  readonly reason: "over-budget" | "duplicate"
}

/**
 * The packed context.
 *
 * @example
 * ```ts
 * const { text, citations, tokens } = ContextBudget.pack(passages, settings, tokenizer)
 * ```
 */
export interface Packed {
  readonly text: string
  /** `tokenizer.count(text)`. */
  readonly tokens: number
  readonly maxTokens: number
  readonly citations: ReadonlyArray<Citation>
  readonly dropped: ReadonlyArray<Dropped>
}

/**
 * Settings that cannot work, or a model whose context window is not known.
 *
 * @example
 * ```ts
 * new BudgetError({ reason: "maxTokens must be a positive integer, got 0" }).message // "context budget: maxTokens must be …"
 * ```
 */
export class BudgetError extends Schema.TaggedError<BudgetError>()("BudgetError", { reason: Schema.String }) {
  override get message(): string {
    return `context budget: ${this.reason}`
  }
}

interface Block {
  ids: Array<PointId>
  documentId: string
  source: string
  start: number
  end: number
  text: string
  score: number
  rank: number
  headings: ReadonlyArray<string>
  tokens: number
}

const render = (block: Block, n: number, s: Settings): string =>
  `[${n}] ${block.source}:${block.start}-${block.end}\n${s.headings && block.headings.length > 0 ? `${block.headings.join(" > ")}\n` : ""}${block.text}`

const SEPARATOR = "\n\n"

// Union of two spans of one document when they overlap or touch and agree on the shared text, else undefined.
interface Span {
  readonly start: number
  readonly end: number
  readonly text: string
}

const union = (a: Span, b: Span): Span | undefined => {
  if (b.start > a.end || a.start > b.end) return undefined
  const [first, second] = a.start <= b.start ? [a, b] : [b, a]
  const shared = Math.min(first.end, second.end) - second.start
  if (first.text.slice(second.start - first.start, second.start - first.start + shared) !== second.text.slice(0, shared)) return undefined
  if (second.end <= first.end) return { start: first.start, end: first.end, text: first.text }
  return { start: first.start, end: second.end, text: first.text + second.text.slice(first.end - second.start) }
}

const normalized = (text: string) => text.replace(/\s+/g, " ").trim()

/**
 * Checks settings; returns the problem or undefined.
 *
 * @example
 * ```ts
 * ContextBudget.validate(ContextBudget.settings({ maxTokens: 0 })) // "maxTokens must be a positive integer, got 0"
 * ```
 */
export const validate = (s: Settings): string | undefined => {
  if (!Number.isSafeInteger(s.maxTokens) || s.maxTokens < 1) return `maxTokens must be a positive integer, got ${s.maxTokens}`
  if (s.order !== "relevance" && s.order !== "source") return `order must be relevance or source, got ${JSON.stringify(s.order)}`
  return undefined
}

/**
 * Packs `passages` (most relevant first) into `settings.maxTokens` tokens of `tokenizer` (see the module description).
 * Throws {@link BudgetError} on invalid settings.
 *
 * @example
 * ```ts
 * const packed = ContextBudget.pack(passages, ContextBudget.settings({ maxTokens: 1000 }), tokenizer)
 * packed.tokens <= 1000 // always
 * ```
 */
export const pack = (passages: ReadonlyArray<Passage>, s: Settings, tokenizer: Tokenizer.Tokenizer): Packed => {
  const bad = validate(s)
  if (bad !== undefined) throw new BudgetError({ reason: bad })
  const blocks: Array<Block> = []
  const dropped: Array<Dropped> = []
  const seen = new Set<string>()
  const separatorTokens = tokenizer.count(SEPARATOR)
  // Estimated size: blocks counted alone (numbered with the final count's width) plus separators; exact size is
  // measured at the end and blocks are given back, least relevant first, until it fits.
  const blockTokens = (b: Block) => tokenizer.count(render(b, passages.length, s))
  let estimate = 0
  passages.forEach((p, rank) => {
    const key = normalized(p.text)
    if (s.dedupe && seen.has(key)) {
      dropped.push({ id: p.id, reason: "duplicate" })
      return
    }
    if (s.dedupe) {
      const i = blocks.findIndex((b) => b.documentId === p.documentId && union(b, p) !== undefined)
      if (i !== -1) {
        // Merge into the first overlapping block, then absorb every other block the union now overlaps.
        let span = union(blocks[i]!, p)!
        const absorbed = [i]
        for (let changed = true; changed;) {
          changed = false
          for (let j = 0; j < blocks.length; j++) {
            if (absorbed.includes(j) || blocks[j]!.documentId !== p.documentId) continue
            const u = union(span, blocks[j]!)
            if (u !== undefined) {
              span = u
              absorbed.push(j)
              changed = true
            }
          }
        }
        const parts = absorbed.map((j) => blocks[j]!)
        const merged: Block = {
          ...parts[0]!,
          start: span.start,
          end: span.end,
          text: span.text,
          ids: [...parts.flatMap((b) => b.ids), p.id],
          score: Math.max(p.score, ...parts.map((b) => b.score))
        }
        merged.tokens = blockTokens(merged)
        const freed = parts.reduce((n, b) => n + b.tokens, 0) + (parts.length - 1) * separatorTokens
        if (estimate - freed + merged.tokens <= s.maxTokens) {
          estimate += merged.tokens - freed
          const keep = new Set(absorbed.slice(1))
          blocks[i] = merged
          for (let j = blocks.length - 1; j >= 0; j--) if (keep.has(j)) blocks.splice(j, 1)
          seen.add(key)
        } else {
          dropped.push({ id: p.id, reason: "over-budget" })
        }
        return
      }
    }
    const block: Block = {
      ids: [p.id],
      documentId: p.documentId,
      source: p.source,
      start: p.start,
      end: p.end,
      text: p.text,
      score: p.score,
      rank,
      headings: p.headings,
      tokens: 0
    }
    block.tokens = blockTokens(block)
    const cost = block.tokens + (blocks.length > 0 ? separatorTokens : 0)
    if (estimate + cost > s.maxTokens) {
      dropped.push({ id: p.id, reason: "over-budget" })
      return
    }
    estimate += cost
    blocks.push(block)
    seen.add(key)
  })
  const ordered = () =>
    s.order === "source"
      ? [...blocks].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.start - b.start))
      : blocks
  for (;;) {
    const rendered = ordered()
    const text = rendered.map((b, i) => render(b, i + 1, s)).join(SEPARATOR)
    const tokens = tokenizer.count(text)
    if (tokens <= s.maxTokens || blocks.length === 0) {
      return {
        text,
        tokens,
        maxTokens: s.maxTokens,
        citations: rendered.map((b, i) => ({
          n: i + 1,
          documentId: b.documentId,
          source: b.source,
          start: b.start,
          end: b.end,
          ids: b.ids,
          score: b.score,
          text: b.text
        })),
        dropped
      }
    }
    const last = blocks.pop()!
    for (const id of last.ids) dropped.push({ id, reason: "over-budget" })
  }
}

/**
 * Context windows (input + output tokens) of common models, as their vendors publish them. Local servers often run
 * with a much smaller window than the model supports (Ollama's default is a few thousand tokens): give `maxTokens`
 * explicitly for them.
 *
 * @example
 * ```ts
 * ContextBudget.contextWindows["gpt-4o-mini"] // 128000
 * ```
 */
export const contextWindows: Readonly<Record<string, number>> = {
  "gpt-4o": 128_000,
  "gpt-4o-mini": 128_000,
  "gpt-4.1": 1_047_576,
  "gpt-4.1-mini": 1_047_576,
  "gpt-4.1-nano": 1_047_576,
  "gpt-4-turbo": 128_000,
  "gpt-4": 8_192,
  "gpt-3.5-turbo": 16_385,
  "gpt-5": 400_000,
  "gpt-5-mini": 400_000,
  "gpt-5-nano": 400_000,
  "o1": 200_000,
  "o3": 200_000,
  "o3-mini": 200_000,
  "o4-mini": 200_000,
  "claude-3-5-haiku": 200_000,
  "claude-3-5-sonnet": 200_000,
  "claude-3-7-sonnet": 200_000,
  "claude-sonnet-4": 200_000,
  "claude-opus-4": 200_000,
  "command-r": 128_000,
  "command-r-plus": 128_000,
  "command-r7b": 128_000,
  "command-a": 256_000
}

/**
 * The context window of `model` (longest matching prefix in {@link contextWindows}, so dated ids such as
 * `claude-3-5-haiku-20241022` resolve), or undefined.
 *
 * @example
 * ```ts
 * ContextBudget.contextWindow("claude-3-5-haiku-20241022") // 200000
 * ```
 */
export const contextWindow = (model: string): number | undefined => {
  const id = model.toLowerCase().replace(/^(openai|anthropic|cohere)\//, "")
  let best: string | undefined
  for (const key of Object.keys(contextWindows)) {
    if ((id === key || id.startsWith(`${key}-`)) && (best === undefined || key.length > best.length)) best = key
  }
  return best === undefined ? undefined : contextWindows[best]
}

/**
 * Settings for a model: `maxTokens` = a `share` of its context window (default 0.5, leaving the rest to the prompt
 * and the answer), capped by `cap` when given. Fails with {@link BudgetError} for an unknown model.
 *
 * @example
 * ```ts
 * const s = yield* ContextBudget.forModel("gpt-4o-mini", { share: 0.25, cap: 8000 }) // maxTokens 8000
 * ```
 */
export const forModel = (
  model: string,
  options: { readonly share?: number | undefined; readonly cap?: number | undefined } & Partial<Omit<Settings, "maxTokens">> = {}
): Effect.Effect<Settings, BudgetError> => {
  const window = contextWindow(model)
  if (window === undefined) {
    return Effect.fail(new BudgetError({ reason: `the context window of model "${model}" is not known; give maxTokens` }))
  }
  const { cap, share, ...rest } = options
  const maxTokens = Math.min(Math.floor(window * (share ?? 0.5)), cap ?? Number.POSITIVE_INFINITY)
  return Effect.succeed(settings({ ...rest, maxTokens }))
}

/**
 * {@link pack} with the tokenizer of the reading model (`model`), as an Effect.
 *
 * @example
 * ```ts
 * const packed = yield* ContextBudget.packFor("gpt-4o-mini", passages, ContextBudget.settings({ maxTokens: 3000 }))
 * ```
 */
export const packFor = (
  model: string,
  passages: ReadonlyArray<Passage>,
  s: Settings = defaultSettings
): Effect.Effect<Packed, BudgetError> =>
  Effect.flatMap(Tokenizer.forModel(model), (tokenizer) =>
    Effect.try({ try: () => pack(passages, s, tokenizer), catch: (e) => e as BudgetError }))

/**
 * The citation numbers an answer refers to (`[2]`, `[1][3]`, `[1, 3]`), in order of first use, keeping only numbers
 * that exist in `citations`.
 *
 * @example
 * ```ts
 * ContextBudget.cited("Reset it in settings [2], see also [1, 2].", packed.citations).map((c) => c.n) // [2, 1]
 * ```
 */
export const cited = (answer: string, citations: ReadonlyArray<Citation>): ReadonlyArray<Citation> => {
  const byN = new Map(citations.map((c) => [c.n, c]))
  const out: Array<Citation> = []
  for (const m of answer.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
    for (const n of m[1]!.split(",").map((x) => Number(x.trim()))) {
      const c = byN.get(n)
      if (c !== undefined && !out.includes(c)) out.push(c)
    }
  }
  return out
}

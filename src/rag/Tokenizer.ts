/**
 * Token counting for chunk sizes and context budgets. OpenAI models get their real BPE encoding through
 * `gpt-tokenizer` (`o200k_base` for the GPT-4o/4.1/5 and o-series families, `cl100k_base` for GPT-4, GPT-3.5 and the
 * `text-embedding-3-*` / `ada-002` embedding models). Every other model gets {@link approximate}: a documented,
 * deliberately conservative estimate, because no other vendor ships an offline tokenizer for JavaScript.
 *
 * A tokenizer also reports token *boundaries* as character offsets, so a chunker can cut text between tokens and still
 * give every chunk exact character offsets into its document.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Tokenizer } from "llm-orchestrator/rag"
 * const program = Effect.gen(function*() {
 *   const tokenizer = yield* Tokenizer.forModel("text-embedding-3-small") // cl100k_base
 *   return tokenizer.count("Hello world") // 2
 * })
 * ```
 */
import { Effect } from "effect"

/**
 * Counts tokens and finds token boundaries in a text.
 *
 * - `count(text)` is the number of tokens `text` encodes to.
 * - `boundaries(text)` are strictly increasing character offsets `[0, …, text.length]` between tokens (a token that ends
 *   inside a UTF-16 surrogate pair or a multi-byte character is merged with the next, so every boundary is a valid
 *   place to cut a JavaScript string).
 *
 * @example
 * ```ts
 * const t = Tokenizer.approximate
 * t.count("unbelievable") // 2
 * t.boundaries("unbelievable") // [0, 6, 12]
 * ```
 */
export interface Tokenizer {
  /** `o200k_base`, `cl100k_base` or `approximate`. */
  readonly name: string
  /** True for a model's real tokenizer, false for the approximation. */
  readonly exact: boolean
  readonly count: (text: string) => number
  readonly boundaries: (text: string) => ReadonlyArray<number>
}

/**
 * The encodings this module can load.
 *
 * @example
 * ```ts
 * const e: Tokenizer.Encoding = "o200k_base"
 * ```
 */
export type Encoding = "o200k_base" | "cl100k_base" | "approximate"

// Han, Hiragana, Katakana and Hangul: BPE vocabularies give most of these characters a token (or more) each.
const CJK = "\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}"
const PIECE = new RegExp(
  `\\s*(?:[${CJK}]|(?:(?![${CJK}])[\\p{L}\\p{M}]){1,6}|\\p{N}{1,3}|[^\\s\\p{L}\\p{M}\\p{N}])|\\s+`,
  "gu"
)

/**
 * The approximation used for models without an offline tokenizer (Anthropic, Cohere, local models, …). A text is cut
 * into pieces and each piece is one token:
 * - a run of letters counts one token per 6 letters (`unbelievable` = 2), a run of digits one per 3 digits;
 * - each CJK character, punctuation mark, symbol or emoji is one token;
 * - whitespace joins the piece after it (as in BPE, `" word"` is one token); trailing whitespace is one token.
 *
 * On English prose and Markdown it counts more tokens than `cl100k_base` / `o200k_base` (about 1.2x on prose, 1.45x on
 * code-heavy Markdown, measured by `npm run bench:rag`), so a budget computed with it holds for tokenizers that are up to that much less efficient
 * than OpenAI's. For exact limits with another vendor, count with that vendor's API.
 *
 * @example
 * ```ts
 * Tokenizer.approximate.count("Hello, world!") // 4 ("Hello", ",", " world", "!")
 * ```
 */
export const approximate: Tokenizer = {
  name: "approximate",
  exact: false,
  count: (text) => {
    PIECE.lastIndex = 0
    let n = 0
    while (PIECE.exec(text) !== null) n++
    return n
  },
  boundaries: (text) => {
    const out = [0]
    PIECE.lastIndex = 0
    let m: RegExpExecArray | null
    while ((m = PIECE.exec(text)) !== null) out.push(m.index + m[0].length)
    return out
  }
}

interface BpeModule {
  readonly encode: (text: string, options?: { readonly allowedSpecial?: Set<string>; readonly disallowedSpecial?: Set<string> }) => Array<number>
  readonly countTokens: (text: string, options?: { readonly allowedSpecial?: Set<string>; readonly disallowedSpecial?: Set<string> }) => number
  readonly decodeGenerator: (tokens: Iterable<number>) => Generator<string, void, void>
}

// Special-token text such as "<|endoftext|>" inside a document is plain text, not a control token (the library's
// default is to throw on it).
const plain = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() }

const fromBpe = (name: Encoding, bpe: BpeModule): Tokenizer => ({
  name,
  exact: true,
  count: (text) => (text.length === 0 ? 0 : bpe.countTokens(text, plain)),
  boundaries: (text) => {
    const out = [0]
    let at = 0
    // decodeGenerator yields text only once a character is complete, so every yielded end is a valid cut.
    for (const piece of bpe.decodeGenerator(bpe.encode(text, plain))) {
      if (piece.length === 0) continue
      at += piece.length
      out.push(at)
    }
    return out
  }
})

const loaded = new Map<Encoding, Tokenizer>()

/**
 * Loads the tokenizer of an encoding (the BPE tables load on first use, about 0.2 s, then stay cached).
 *
 * @example
 * ```ts
 * const t = yield* Tokenizer.load("cl100k_base")
 * ```
 */
export const load = (encoding: Encoding): Effect.Effect<Tokenizer> => {
  if (encoding === "approximate") return Effect.succeed(approximate)
  const cached = loaded.get(encoding)
  if (cached !== undefined) return Effect.succeed(cached)
  return Effect.promise(async () => {
    const bpe: BpeModule = encoding === "o200k_base"
      ? await import("gpt-tokenizer/encoding/o200k_base")
      : await import("gpt-tokenizer/encoding/cl100k_base")
    const tokenizer = fromBpe(encoding, bpe)
    loaded.set(encoding, tokenizer)
    return tokenizer
  })
}

/**
 * The encoding of a model: its real BPE for OpenAI model ids, `approximate` otherwise. Provider prefixes such as
 * `openai/gpt-4o` are accepted.
 *
 * @example
 * ```ts
 * Tokenizer.encodingFor("gpt-4o-mini") // "o200k_base"
 * Tokenizer.encodingFor("text-embedding-3-small") // "cl100k_base"
 * Tokenizer.encodingFor("claude-sonnet-4") // "approximate"
 * ```
 */
export const encodingFor = (model: string): Encoding => {
  const id = model.toLowerCase().replace(/^openai\//, "")
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o1|o3|o4|chatgpt-4o|codex|gpt-image|gpt-realtime|gpt-audio|omni-moderation)/.test(id)) {
    return "o200k_base"
  }
  if (/^(gpt-4|gpt-3\.5|gpt-35|text-embedding-3|text-embedding-ada-002)/.test(id)) return "cl100k_base"
  return "approximate"
}

/**
 * The tokenizer of a model (see {@link encodingFor}).
 *
 * @example
 * ```ts
 * const t = yield* Tokenizer.forModel("gpt-4o")
 * t.exact // true
 * ```
 */
export const forModel = (model: string): Effect.Effect<Tokenizer> => load(encodingFor(model))

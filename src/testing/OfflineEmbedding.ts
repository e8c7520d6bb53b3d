/**
 * A deterministic, offline text embedding: feature hashing ("hashing trick") of lower-cased word unigrams, word
 * bigrams and character trigrams into a fixed number of signed buckets, L2-normalised. Texts that share words get a
 * high cosine similarity, so retrieval works without a model.
 *
 * FOR TESTS AND DEMOS ONLY: it knows nothing about meaning (synonyms score 0); never use it in production.
 *
 * @example
 * ```ts
 * import { OfflineEmbedding } from "llm-orchestrator/testing"
 * const a = OfflineEmbedding.embed("reset my password")
 * const b = OfflineEmbedding.embed("how to reset a password")
 * OfflineEmbedding.cosine(a, b) // > 0.4
 * ```
 */
import { Effect, Layer } from "effect"
import { EmbeddingsProvider, makeEmbeddingsProvider } from "../llm/EmbeddingsProvider.ts"

/**
 * Default number of dimensions.
 *
 * @example
 * ```ts
 * OfflineEmbedding.embed("hi").length === OfflineEmbedding.defaultDimensions // true
 * ```
 */
export const defaultDimensions = 256

// FNV-1a, 32 bit: stable across runs and platforms.
const fnv1a = (s: string, seed: number): number => {
  let h = 0x811c9dc5 ^ seed
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

const words = (text: string): Array<string> => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []

/**
 * The hashed features of `text` (exposed for tests): `w:word`, `b:word1 word2`, `c:tri`.
 *
 * @example
 * ```ts
 * OfflineEmbedding.features("reset password") // includes "w:reset", "b:reset password" and character trigrams "c:..."
 * ```
 */
export const features = (text: string): Array<string> => {
  const ws = words(text)
  const out: Array<string> = []
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!
    out.push(`w:${w}`)
    if (i + 1 < ws.length) out.push(`b:${w} ${ws[i + 1]!}`)
    const padded = `<${w}>`
    for (let j = 0; j + 3 <= padded.length; j++) out.push(`c:${padded.slice(j, j + 3)}`)
  }
  return out
}

/**
 * Embeds `text` into `dimensions` buckets (default {@link defaultDimensions}); the empty text gives the zero vector.
 *
 * @example
 * ```ts
 * OfflineEmbedding.embed("hello world", { dimensions: 64 }).length // 64
 * ```
 */
export const embed = (text: string, options?: { readonly dimensions?: number }): Array<number> => {
  const dims = options?.dimensions ?? defaultDimensions
  const v = new Array<number>(dims).fill(0)
  for (const f of features(text)) {
    // words weigh more than sub-word trigrams; a second hash gives the sign, so collisions cancel out on average
    const weight = f.startsWith("c:") ? 0.5 : f.startsWith("b:") ? 0.75 : 1
    const bucket = fnv1a(f, 0) % dims
    const sign = (fnv1a(f, 0x9e3779b9) & 1) === 0 ? 1 : -1
    v[bucket] = v[bucket]! + sign * weight
  }
  const norm = Math.sqrt(v.reduce((n, x) => n + x * x, 0))
  return norm === 0 ? v : v.map((x) => x / norm)
}

/**
 * Cosine similarity of two vectors of the same length (0 when either is zero).
 *
 * @example
 * ```ts
 * OfflineEmbedding.cosine([1, 0], [1, 0]) // 1
 * ```
 */
export const cosine = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i] ?? 0
    dot += x * y
    na += x * x
    nb += y * y
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

/**
 * Rough token count used by the mocks and the offline embedding: one token per 4 characters, rounded up.
 *
 * @example
 * ```ts
 * estimateTokens("hello world") // 3
 * ```
 */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4)

/**
 * An embedding provider Layer named `name` serving {@link embed} (for demos; tests usually want `MockEmbeddings`,
 * which also records calls and injects failures).
 *
 * @example
 * ```ts
 * const Demo = OfflineEmbedding.layer("openai")   // Layer<EmbeddingsProvider<"openai">>
 * ```
 */
export const layer = <const N extends string>(
  name: N,
  options?: { readonly dimensions?: number }
): Layer.Layer<EmbeddingsProvider<N>> =>
  Layer.effect(
    EmbeddingsProvider.key(name),
    makeEmbeddingsProvider(name, ({ inputs }) =>
      Effect.succeed({
        embeddings: inputs.map((t) => embed(t, options)),
        usage: { inputTokens: inputs.reduce((n, t) => n + estimateTokens(t), 0), outputTokens: 0 }
      }))
  )
